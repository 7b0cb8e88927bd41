import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseVerifierLog } from './verifierLog';

const wrap = (prog: string, log: string): string =>
  `libbpf: prog '${prog}': -- BEGIN PROG LOAD LOG --\n${log}\n-- END PROG LOAD LOG --\n`;

// Tails of real Linux 6.18 logs (test/fixtures/verifier).
test('the complaint follows the last instruction; its explanation is joined for the message', () => {
  const r = parseVerifierLog(
    wrap(
      'xdp_no_iph_check',
      [
        '; if ((void *)(eth + 1) > data_end) @ reject_no_iph_check.bpf.c:13',
        '5: (2d) if r3 > r2 goto pc+11         ; R2=pkt_end() R3=pkt(off=14,r=14)',
        '; if (iph->ttl <= 1) @ reject_no_iph_check.bpf.c:17',
        '12: (71) r1 = *(u8 *)(r1 +22)',
        'invalid access to packet, off=22 size=1, R1(id=0,off=22,r=14)',
        'R1 offset is outside of the packet',
        'verification time 90 usec',
        'stack depth 0',
        'processed 13 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
      ].join('\n'),
    ),
  );
  assert.equal(r?.program, 'xdp_no_iph_check');
  assert.equal(r?.complaint, 'invalid access to packet, off=22 size=1, R1(id=0,off=22,r=14)');
  assert.equal(r?.message, `${r?.complaint} — R1 offset is outside of the packet`);
  assert.deepEqual(r?.complaintLines, [r?.complaint, 'R1 offset is outside of the packet']);
  assert.equal(r?.line, 16);
  assert.equal(r?.insn, 12);
  assert.equal(r?.file, 'reject_no_iph_check.bpf.c');
});

test('a global function: "Validating f() func#1..." before the walk is not the complaint', () => {
  const r = parseVerifierLog(
    wrap(
      'xdp_global_func_null',
      [
        '0: R1=ctx() R10=fp0',
        '15: (95) exit',
        'Validating ttl_of() func#1...',
        '16: R1=mem_or_null(id=2,sz=20) R10=fp0',
        '; return iph->ttl; @ reject_global_func_null.bpf.c:7',
        '16: (71) r0 = *(u8 *)(r1 +8)',
        "R1 invalid mem access 'mem_or_null'",
        'verification time 158 usec',
      ].join('\n'),
    ),
  );
  assert.equal(r?.complaint, "R1 invalid mem access 'mem_or_null'");
  assert.equal(r?.line, 6);
});

test('a complaint that runs into "verification time" (no newline in the kernel) is cut there', () => {
  const r = parseVerifierLog(
    wrap(
      'xdp_tail_call_map',
      [
        '3: (85) call bpf_tail_call#12',
        'expected prog array map for tail callverification time 88 usec',
        'stack depth 0',
      ].join('\n'),
    ),
  );
  assert.equal(r?.complaint, 'expected prog array map for tail call');
  assert.equal(r?.message, 'expected prog array map for tail call');
});

test('an error before the walk (check_cfg) has no line', () => {
  const r = parseVerifierLog(wrap('p', 'unreachable insn 1\nverification time 5 usec'));
  assert.equal(r?.complaint, 'unreachable insn 1');
  assert.equal(r?.line, undefined);
});

test("libbpf's rewrite of a poisoned CO-RE relocation: its instruction line places the complaint", () => {
  // libbpf.c fixup_log_failed_core_relo replaces "2: (85) call unknown#195896080" and the kernel's
  // "invalid func unknown#195896080" (test/fixtures/verifier/reject_core_field_missing.bpf.c, 6.18).
  const r = parseVerifierLog(
    wrap(
      'xdp_core_field_missing',
      [
        '0: R1=ctx() R10=fp0',
        '; int xdp_core_field_missing(struct xdp_md *ctx) @ reject_core_field_missing.bpf.c:19',
        '0: (18) r1 = 0xffff888108457400       ; R1=map_ptr(map=arr,ks=4,vs=8)',
        '; return m->xdplab_not_in_any_kernel == 7 ? XDP_DROP : XDP_PASS; @ reject_core_field_missing.bpf.c:23',
        '2: <invalid CO-RE relocation>',
        'failed to resolve CO-RE relocation <byte_off> [19] struct bpf_map.xdplab_not_in_any_kernel (0:0 @ offset 0)',
        'verification time 65 usec',
        'stack depth 0',
        'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
      ].join('\n'),
    ),
  );
  assert.equal(r?.insn, 2);
  assert.equal(r?.line, 22);
  assert.deepEqual(r?.complaintLines, [
    'failed to resolve CO-RE relocation <byte_off> [19] struct bpf_map.xdplab_not_in_any_kernel (0:0 @ offset 0)',
  ]);
});
