// The refused state's branches as read from Linux 6.18's log_level 1 log (lines taken from the
// kernel's log of our fixture reject_spin_lock_exit_held, abridged).
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { pathFromKernelLog } from './kernelLogPath';

const SPIN_LOCK_EXIT = [
  '0: R1=ctx() R10=fp0',
  '; int xdp_spin_lock_exit(struct xdp_md *ctx) @ reject_spin_lock_exit_held.bpf.c:6',
  '0: (b7) r1 = 0                        ; R1=0',
  '7: (bf) r6 = r0                       ; R0=map_value(id=1,map=counters,ks=4,vs=24) R6=map_value(id=1,map=counters,ks=4,vs=24)',
  '8: (b7) r0 = 2                        ; R0=2',
  '; if (!c) @ reject_spin_lock_exit_held.bpf.c:11',
  '9: (15) if r6 == 0x0 goto pc+12       ; R6=map_value(id=1,map=counters,ks=4,vs=24)',
  '10: (bf) r7 = r6                      ; R6=map_value(id=1,map=counters,ks=4,vs=24) R7=map_value(id=1,map=counters,ks=4,vs=24)',
  '17: (b7) r0 = 1                       ; R0=1 refs=1',
  '; if (c->packets > 1000) @ reject_spin_lock_exit_held.bpf.c:15',
  '18: (25) if r1 > 0x3e8 goto pc+3 22: R0=1 R1=scalar(umin=1001) R6=map_value(id=1,map=counters,ks=4,vs=24) R10=fp0 refs=1',
  '22: (95) exit',
  'BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region',
  'processed 23 insns (limit 1000000) max_states_per_insn 1 total_states 2 peak_states 2 mark_read 0',
].join('\n');

describe('pathFromKernelLog', () => {
  it('lists a fall-through and a taken branch whose pushed state resumed', () => {
    assert.deepEqual(pathFromKernelLog(SPIN_LOCK_EXIT), [
      { insn: 9, taken: false, text: 'if r6 == 0x0 goto pc+12' },
      { insn: 18, taken: true, text: 'if r1 > 0x3e8 goto pc+3' },
    ]);
  });

  it('leaves out a jump taken without a push (is_branch_taken: always)', () => {
    const log = [
      '0: (b7) r1 = 5                        ; R1=5',
      '1: (25) if r1 > 0x3 goto pc+1         ; R1=5',
      '3: (95) exit',
      'R0 !read_ok',
    ].join('\n');
    assert.deepEqual(pathFromKernelLog(log), []);
  });

  it('reads a resumed state printed on a line of its own, and may_goto both ways', () => {
    const log = [
      '0: (b7) r0 = 0                        ; R0=0',
      '1: (e5) may_goto pc+2',
      '2: R0=0 R10=fp0',
      '2: (e5) may_goto pc+1                 ; R0=0',
      '4: (95) exit',
    ].join('\n');
    assert.deepEqual(pathFromKernelLog(log), [
      { insn: 1, taken: false, text: 'may_goto pc+2' },
      { insn: 2, taken: true, text: 'may_goto pc+1' },
    ]);
  });

  it('takes the resumed index as the way a jump went when the refusal comes as the state resumes', () => {
    // reject_infinite_loop_global: is_state_visited refuses the popped state at its first instruction.
    const log = [
      '0: (18) r1 = 0xffffc90000dd6000       ; R1=map_value(map=reject_i.bss,ks=4,vs=4)',
      '2: (61) r2 = *(u32 *)(r1 +0)          ; R1=map_value(map=reject_i.bss,ks=4,vs=4) R2=scalar()',
      '3: (15) if r2 == 0x0 goto pc-2 2: R1=map_value(map=reject_i.bss,ks=4,vs=4) R2=0 R10=fp0',
      '2: (61) r2 = *(u32 *)(r1 +0)          ; R1=map_value(map=reject_i.bss,ks=4,vs=4) R2=scalar()',
      '3: (15) if r2 == 0x0 goto pc-2 ; while (!*(volatile __u32 *)&ready) @ reject_infinite_loop_global.bpf.c:11',
      'infinite loop detected at insn 2',
      'cur state: R1=map_value(map=reject_i.bss,ks=4,vs=4) R2=0 R10=fp0',
    ].join('\n');
    const step = { insn: 3, taken: true, text: 'if r2 == 0x0 goto pc-2' };
    assert.deepEqual(pathFromKernelLog(log), [step, step]);
  });

  it('gives no path for a log whose head was rotated away', () => {
    assert.equal(pathFromKernelLog(SPIN_LOCK_EXIT.split('\n').slice(6).join('\n')), undefined);
    assert.equal(pathFromKernelLog(''), undefined);
  });
});
