// constantVerdict: the `r0 = K; exit` programs whose verdict the simulator knows
// without entering the VM — and nothing else, since every other program may touch state.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BpfSystem } from '../vm/bpfSystem';
import type { Insn } from '../vm/isa';
import { XdpProgram } from '../vm/xdpProgram';
import { RedirectInfo } from './redirectInfo';
import { constantVerdict } from './constantVerdict';

const insn = (op: number, dst: number, imm: number): Insn => ({ op, dst, src: 0, off: 0, imm });
const program = (insns: Insn[]): XdpProgram =>
  new XdpProgram(new BpfSystem(), {
    name: 'p',
    section: 'xdp',
    attach: 'xdp',
    frags: false,
    insns,
    lines: new Map(),
    compileOptions: {},
  });

describe('constantVerdict', () => {
  it('reads r0 = K; exit as K (unsigned, as the run returns it)', () => {
    assert.equal(constantVerdict(program([insn(0xb7, 0, 2), insn(0x95, 0, 0)])), 2);
    assert.equal(constantVerdict(program([insn(0xb7, 0, -1), insn(0x95, 0, 0)])), 0xffffffff);
  });

  it('refuses anything longer, another register, or a 32-bit move', () => {
    assert.equal(constantVerdict(program([insn(0xb7, 0, 2), insn(0x07, 0, 0), insn(0x95, 0, 0)])), -1);
    assert.equal(constantVerdict(program([insn(0xb7, 1, 2), insn(0xb7, 0, 1), insn(0x95, 0, 0)])), -1);
    assert.equal(constantVerdict(program([insn(0xb4, 0, 2), insn(0x95, 0, 0)])), -1);
  });

  it('agrees with the VM on the same program', () => {
    const p = program([insn(0xb7, 0, 2), insn(0x95, 0, 0)]);
    const bytes = new Uint8Array(4096);
    const buf = {
      bytes,
      dataMeta: 256,
      data: 256,
      dataEnd: 320,
      frags: [],
      view: new DataView(bytes.buffer),
    };
    const ctx = {
      ingressIfindex: 1,
      rxQueueIndex: 0,
      egressIfindex: 0,
      cpu: 0,
      redirect: new RedirectInfo(),
    };
    assert.equal(p.runAction(buf, ctx), constantVerdict(p));
  });
});
