// Copy on write of the verifier state (FuncState.clone/reg/peekReg, VState.forEachRegWhere): a copy
// shares registers and spills until one side changes them, and a change never shows in the other.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as A from '../vm/asm';
import * as I from '../vm/isa';
import type { Insn } from '../vm/isa';
import { markKnown, markUnknown } from './regState';
import { FuncState, STACK_SPILL, VState } from './state';
import { verifyProgram } from './verifyObject';

function verify(insns: Insn[]) {
  return verifyProgram({
    name: 't',
    section: 'xdp',
    attach: 'xdp',
    insns,
    ldImm64: () => undefined,
    sourceOf: (pc) => ({ file: 't.c', line: pc + 1, column: 1 }),
  });
}

describe('state copies (copy on write)', () => {
  it('share registers until one side takes its own through reg()', () => {
    const f = new FuncState(0, -1, 0);
    markUnknown(f.reg(1));
    markKnown(f.reg(1), 7n);
    const g = f.clone();
    assert.equal(g.peekReg(1), f.peekReg(1));
    markKnown(f.reg(1), 9n);
    assert.equal(f.peekReg(1).umin, 9n);
    assert.equal(g.peekReg(1).umin, 7n, 'the copy keeps the value it was made with');
    assert.notEqual(g.reg(1), f.peekReg(1));
    assert.equal(g.peekReg(2), f.peekReg(2), 'registers neither side changed stay shared');
  });

  it('the regs array is every register the state owns', () => {
    const f = new FuncState(0, -1, 0);
    const g = f.clone();
    const regs = g.regs;
    for (let i = 0; i < 11; i++) assert.notEqual(regs[i], f.peekReg(i));
    regs[3]!.off = 5;
    assert.equal(f.peekReg(3).off, 0);
  });

  it('forEachRegWhere copies only the registers and spills it changes', () => {
    const f = new FuncState(0, -1, 0);
    for (const r of [4, 5]) {
      markUnknown(f.reg(r));
      f.reg(r).id = r;
    }
    const s = f.slot(0);
    s.types.fill(STACK_SPILL);
    s.spilled = f.peekReg(4).clone();
    const st = new VState([f]);
    const copy = st.clone();
    st.forEachRegWhere(
      (r) => r.id === 4,
      (r) => {
        r.id = 40;
      },
    );
    assert.equal(f.peekReg(4).id, 40);
    assert.equal(f.stack[0]!.spilled.id, 40);
    assert.equal(copy.cur.peekReg(4).id, 4, "the copy's register is untouched");
    assert.equal(copy.cur.stack[0]!.spilled.id, 4, "the copy's spill is untouched");
    assert.equal(copy.cur.peekReg(5), f.peekReg(5), 'an unmatched register stays shared');
  });

  // The packet range learnt on one side of `if (data + 14 > data_end)` must not reach the other
  // side through a shared register: each side reads byte 13 and only the safe one may.
  it('a packet range learnt on the fall-through does not reach the taken branch', () => {
    const r = verify([
      A.ldx(4, 2, 1, 4),
      A.ldx(4, 1, 1, 0),
      A.movReg(3, 1),
      A.aluK(true, I.ALU_ADD, 3, 14),
      A.jmpX(true, I.JMP_JGT, 3, 2, 3),
      A.ldx(1, 0, 1, 13),
      A.mov64(0, 2),
      A.exit(),
      A.ldx(1, 0, 1, 13),
      A.mov64(0, 2),
      A.exit(),
    ]);
    assert.equal(r.verdict, 'rejected');
    assert.match(r.error?.message ?? '', /^invalid access to packet, off=13 size=1/);
    assert.equal(r.error?.line, 9);
  });

  // Each side's bounds decide its next jump; an instruction that fails (R9 was never written) sits
  // behind each, reachable only if a side saw the other's bounds.
  it('bounds refined on one side of a jump stay on that side', () => {
    const r = verify([
      A.ldx(4, 2, 1, 4),
      A.ldx(4, 1, 1, 0),
      A.movReg(3, 1),
      A.aluK(true, I.ALU_ADD, 3, 14),
      A.jmpX(true, I.JMP_JGT, 3, 2, 7),
      A.ldx(1, 4, 1, 0),
      A.jmpK(true, I.JMP_JGT, 4, 10, 3),
      A.jmpK(true, I.JMP_JLE, 4, 10, 4),
      A.ldx(1, 0, 9, 0),
      A.exit(),
      A.jmpK(true, I.JMP_JGT, 4, 10, 1),
      A.ldx(1, 0, 9, 0),
      A.mov64(0, 2),
      A.exit(),
    ]);
    assert.equal(r.verdict, 'accepted', r.error?.message);
  });

  it('a packet range learnt on the taken branch does not reach the fall-through', () => {
    const r = verify([
      A.ldx(4, 2, 1, 4),
      A.ldx(4, 1, 1, 0),
      A.movReg(3, 1),
      A.aluK(true, I.ALU_ADD, 3, 14),
      A.jmpX(true, I.JMP_JLE, 3, 2, 3),
      A.ldx(1, 0, 1, 13),
      A.mov64(0, 2),
      A.exit(),
      A.ldx(1, 0, 1, 13),
      A.mov64(0, 2),
      A.exit(),
    ]);
    assert.equal(r.verdict, 'rejected');
    assert.match(r.error?.message ?? '', /^invalid access to packet, off=13 size=1/);
    assert.equal(r.error?.line, 6);
  });
});
