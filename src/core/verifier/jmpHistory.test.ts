// Which instructions add a jump history entry (check_stack_write_fixed_off's and
// check_stack_read_fixed_off's push_jmp_history, collect_linked_regs), and the callback exit's
// widening of imprecise scalars (widen_imprecise_scalars).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as A from '../vm/asm';
import { widenImpreciseScalars } from './callbacks';
import { collectLinkedRegs, linkedReg, stackAccessEntry } from './jmpHistory';
import { markKnown, markRegKnown, markUnknown } from './regState';
import { FuncState, STACK_MISC, STACK_SPILL, VState } from './state';

/** One frame: R10 the frame pointer, R1 a known scalar, R2 a stack pointer fp-8. */
function state(): VState {
  const f = new FuncState(0, -1, 0);
  const fp = f.reg(10);
  markUnknown(fp);
  markRegKnown(fp, 0n);
  fp.type = 'stack';
  markUnknown(f.reg(1));
  markKnown(f.reg(1), 5n);
  const r2 = f.reg(2);
  r2.assign(fp);
  r2.off = -8;
  return new VState([f]);
}

describe('jump history entries', () => {
  it('a scalar stored at a slot start is a spill (any size); elsewhere it is not', () => {
    const st = state();
    assert.equal(stackAccessEntry(st, A.stx(8, 10, 1, -8)), true);
    assert.equal(stackAccessEntry(st, A.stx(4, 10, 1, -8)), true);
    assert.equal(stackAccessEntry(st, A.stx(4, 10, 1, -4)), false);
    assert.equal(stackAccessEntry(st, A.st(4, 10, -16, 0)), true);
    assert.equal(stackAccessEntry(st, A.st(2, 10, -14, 0)), false);
    // A pointer spill (8 bytes), and a store that is not to the stack.
    assert.equal(stackAccessEntry(st, A.stx(8, 10, 2, -16)), true);
    assert.equal(stackAccessEntry(st, A.stx(8, 2, 1, 0)), true, 'through a stack pointer at fp-8');
  });

  it('a load restores a spilled register, not misc bytes', () => {
    const st = state();
    const slot = st.cur.slot(0);
    slot.types.fill(STACK_SPILL);
    slot.spilled = st.cur.peekReg(1).clone();
    assert.equal(stackAccessEntry(st, A.ldx(8, 3, 10, -8)), true);
    assert.equal(stackAccessEntry(st, A.ldx(4, 3, 10, -8)), true, 'a narrow fill from the slot start');
    assert.equal(stackAccessEntry(st, A.ldx(4, 3, 10, -4)), false);
    st.cur.slot(1).types.fill(STACK_MISC);
    assert.equal(stackAccessEntry(st, A.ldx(8, 3, 10, -16)), false);
  });

  it('an undecided jump on a scalar is an entry when another live register shares its id', () => {
    const st = state();
    const r1 = st.cur.reg(1);
    markUnknown(r1);
    r1.id = 7;
    const live = new Uint16Array(4).fill(0x7ff);
    const jmp = A.jmpK(true, 0x20, 1, 3, 1);
    assert.deepEqual(collectLinkedRegs(st, jmp, 0, live), [linkedReg(0, true, 1)]);
    st.cur.reg(4).assign(r1);
    assert.deepEqual(collectLinkedRegs(st, jmp, 0, live), [linkedReg(0, true, 1), linkedReg(0, true, 4)]);
    live[0] = 0x7ff & ~(1 << 4);
    assert.equal(collectLinkedRegs(st, jmp, 0, live).length, 1, 'a dead copy does not count');
  });

  it('past six linked scalars the rest lose their id (__collect_linked_regs)', () => {
    const st = state();
    const live = new Uint16Array(4).fill(0x7ff);
    for (let r = 0; r < 8; r++) {
      markUnknown(st.cur.reg(r));
      st.cur.reg(r).id = 9;
    }
    const linked = collectLinkedRegs(st, A.jmpK(true, 0x20, 1, 3, 1), 0, live);
    assert.equal(linked.length, 6);
    assert.equal(st.cur.peekReg(5).id, 9);
    assert.equal(st.cur.peekReg(6).id, 0);
    assert.equal(st.cur.peekReg(7).id, 0);
  });
});

describe('widen_imprecise_scalars', () => {
  it('forgets an imprecise scalar that changed since the earlier iteration, keeps precise and equal ones', () => {
    const prev = state();
    const cur = prev.clone();
    markKnown(cur.cur.reg(1), 6n);
    markUnknown(prev.cur.reg(3));
    markKnown(prev.cur.reg(3), 1n);
    prev.cur.reg(3).precise = true;
    markUnknown(cur.cur.reg(3));
    markKnown(cur.cur.reg(3), 2n);
    widenImpreciseScalars(prev, cur);
    assert.equal(cur.cur.peekReg(1).umax, 0xffffffffffffffffn, 'R1 5 then 6: unknown');
    assert.equal(cur.cur.peekReg(3).umin, 2n, 'R3 was precise: kept');
    assert.equal(cur.cur.peekReg(10).type, 'stack');
    assert.equal(prev.cur.peekReg(1).umin, 5n, 'the earlier state is not changed');
  });
});
