// Conditional jumps (verifier.c check_cond_jmp_op): is_branch_taken, reg_set_min_max →
// regs_refine_cond_op, sync_linked_regs, try_match_pkt_pointers → find_good_pkt_pointers /
// mark_pkt_end, and mark_ptr_or_null_regs for NULL checks of every copy with the same id.
import * as I from '../vm/isa';
import type { Insn } from '../vm/isa';
import { fail } from './env';
import { MAX_PACKET_OFF } from './memAccess';
import { readReg } from './aluOp';
import type { Reg } from './regState';
import {
  AT_PKT_END,
  BEYOND_PKT_END,
  constValue,
  isConst,
  markKnown,
  markUnknown,
  regBoundsSync,
  Reg as RegClass,
  s32,
  s64,
  u32,
} from './regState';
import type { VState } from './state';
import {
  tnumAnd,
  tnumConst,
  tnumIntersect,
  tnumIsConst,
  tnumOr,
  tnumSubreg,
  tnumWithSubreg,
  U32_MAX,
  U64_MAX,
} from './tnum';

const JSET_X = I.JMP_JSET | I.BPF_X;

/** flip_opcode: the same test with the operands swapped. */
function flip(op: number): number {
  switch (op) {
    case I.JMP_JGT:
      return I.JMP_JLT;
    case I.JMP_JLT:
      return I.JMP_JGT;
    case I.JMP_JGE:
      return I.JMP_JLE;
    case I.JMP_JLE:
      return I.JMP_JGE;
    case I.JMP_JSGT:
      return I.JMP_JSLT;
    case I.JMP_JSLT:
      return I.JMP_JSGT;
    case I.JMP_JSGE:
      return I.JMP_JSLE;
    case I.JMP_JSLE:
      return I.JMP_JSGE;
    default:
      return op;
  }
}

/** rev_opcode: the negated test (the fall-through's). */
export function rev(op: number): number {
  switch (op) {
    case I.JMP_JEQ:
      return I.JMP_JNE;
    case I.JMP_JNE:
      return I.JMP_JEQ;
    case I.JMP_JSET:
      return JSET_X;
    case JSET_X:
      return I.JMP_JSET;
    case I.JMP_JGT:
      return I.JMP_JLE;
    case I.JMP_JLE:
      return I.JMP_JGT;
    case I.JMP_JGE:
      return I.JMP_JLT;
    case I.JMP_JLT:
      return I.JMP_JGE;
    case I.JMP_JSGT:
      return I.JMP_JSLE;
    case I.JMP_JSLE:
      return I.JMP_JSGT;
    case I.JMP_JSGE:
      return I.JMP_JSLT;
    default:
      return I.JMP_JSGE;
  }
}

const isPktAny = (r: Reg): boolean => r.type === 'pkt' || r.type === 'pkt_meta' || r.type === 'pkt_end';
const isPtr = (r: Reg): boolean => r.type !== 'scalar' && r.type !== 'not_init';

/** reg_not_null */
function regNotNull(r: Reg): boolean {
  if (r.maybeNull) return false;
  return r.type === 'map_value' || r.type === 'map_key' || r.type === 'mem';
}

/** is_branch_taken: 1 taken, 0 not taken, -1 unknown. */
function isBranchTaken(r1: Reg, r2: Reg, op: number, is32: boolean): number {
  if (isPktAny(r1) && isPktAny(r2) && !is32) {
    let pkt: Reg;
    let o = op;
    if (r2.type === 'pkt_end') pkt = r1;
    else if (r1.type === 'pkt_end') {
      pkt = r2;
      o = flip(op);
    } else return -1;
    if (pkt.range >= 0) return -1;
    if (o === I.JMP_JLE || o === I.JMP_JGT) {
      if (pkt.range === BEYOND_PKT_END) return o === I.JMP_JGT ? 1 : 0;
    } else if (o === I.JMP_JLT || o === I.JMP_JGE) {
      if (pkt.range === BEYOND_PKT_END || pkt.range === AT_PKT_END) return o === I.JMP_JGE ? 1 : 0;
    }
    return -1;
  }
  if (isPtr(r1) || isPtr(r2)) {
    let a = r1;
    let b = r2;
    let o = op;
    if (!isConst(b, is32)) {
      o = flip(o);
      [a, b] = [b, a];
    }
    if (!isConst(b, is32) || !regNotNull(a)) return -1;
    if (constValue(b, is32) !== 0n) return -1;
    return o === I.JMP_JEQ ? 0 : o === I.JMP_JNE ? 1 : -1;
  }
  return scalarBranchTaken(r1, r2, op, is32);
}

/** is_scalar_branch_taken */
export function scalarBranchTaken(r1: Reg, r2: Reg, op: number, is32: boolean): number {
  const t1 = is32 ? tnumSubreg(r1.varOff) : r1.varOff;
  const t2 = is32 ? tnumSubreg(r2.varOff) : r2.varOff;
  const umin1 = is32 ? r1.u32min : r1.umin;
  const umax1 = is32 ? r1.u32max : r1.umax;
  const smin1 = is32 ? r1.s32min : r1.smin;
  const smax1 = is32 ? r1.s32max : r1.smax;
  const umin2 = is32 ? r2.u32min : r2.umin;
  const umax2 = is32 ? r2.u32max : r2.umax;
  const smin2 = is32 ? r2.s32min : r2.smin;
  const smax2 = is32 ? r2.s32max : r2.smax;
  switch (op) {
    case I.JMP_JEQ:
    case I.JMP_JNE: {
      const eq = op === I.JMP_JEQ;
      if (tnumIsConst(t1) && tnumIsConst(t2)) return (t1.value === t2.value) === eq ? 1 : 0;
      const disjoint =
        umin1 > umax2 ||
        umax1 < umin2 ||
        smin1 > smax2 ||
        smax1 < smin2 ||
        (!is32 &&
          (r1.u32min > r2.u32max ||
            r1.u32max < r2.u32min ||
            r1.s32min > r2.s32max ||
            r1.s32max < r2.s32min)) ||
        ((t1.value ^ t2.value) & ~(t1.mask | t2.mask)) !== 0n;
      if (disjoint) return eq ? 0 : 1;
      return -1;
    }
    case I.JMP_JSET: {
      let a = t1;
      let b = t2;
      if (!isConst(r2, is32)) {
        if (!isConst(r1, is32)) return -1;
        [a, b] = [t2, t1];
      }
      if (~a.mask & a.value & b.value) return 1;
      if (!((a.mask | a.value) & b.value)) return 0;
      return -1;
    }
    case I.JMP_JGT:
      return umin1 > umax2 ? 1 : umax1 <= umin2 ? 0 : -1;
    case I.JMP_JSGT:
      return smin1 > smax2 ? 1 : smax1 <= smin2 ? 0 : -1;
    case I.JMP_JLT:
      return umax1 < umin2 ? 1 : umin1 >= umax2 ? 0 : -1;
    case I.JMP_JSLT:
      return smax1 < smin2 ? 1 : smin1 >= smax2 ? 0 : -1;
    case I.JMP_JGE:
      return umin1 >= umax2 ? 1 : umax1 < umin2 ? 0 : -1;
    case I.JMP_JSGE:
      return smin1 >= smax2 ? 1 : smax1 < smin2 ? 0 : -1;
    case I.JMP_JLE:
      return umax1 <= umin2 ? 1 : umin1 > umax2 ? 0 : -1;
    case I.JMP_JSLE:
      return smax1 <= smin2 ? 1 : smin1 > smax2 ? 0 : -1;
    default:
      return -1;
  }
}

const bmax = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const bmin = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** regs_refine_cond_op: learn from `r1 op r2` being true. */
function refine(r1In: Reg, r2In: Reg, opIn: number, is32: boolean): void {
  let r1 = r1In;
  let r2 = r2In;
  let op = opIn;
  if (op === I.JMP_JGE || op === I.JMP_JGT || op === I.JMP_JSGE || op === I.JMP_JSGT) {
    op = flip(op);
    [r1, r2] = [r2, r1];
  }
  switch (op) {
    case I.JMP_JEQ:
      if (is32) {
        r1.u32min = bmax(r1.u32min, r2.u32min);
        r1.u32max = bmin(r1.u32max, r2.u32max);
        r1.s32min = bmax(r1.s32min, r2.s32min);
        r1.s32max = bmin(r1.s32max, r2.s32max);
        r2.u32min = r1.u32min;
        r2.u32max = r1.u32max;
        r2.s32min = r1.s32min;
        r2.s32max = r1.s32max;
        const t = tnumIntersect(tnumSubreg(r1.varOff), tnumSubreg(r2.varOff));
        r1.varOff = tnumWithSubreg(r1.varOff, t);
        r2.varOff = tnumWithSubreg(r2.varOff, t);
      } else {
        r1.umin = bmax(r1.umin, r2.umin);
        r1.umax = bmin(r1.umax, r2.umax);
        r1.smin = bmax(r1.smin, r2.smin);
        r1.smax = bmin(r1.smax, r2.smax);
        r2.umin = r1.umin;
        r2.umax = r1.umax;
        r2.smin = r1.smin;
        r2.smax = r1.smax;
        r1.varOff = tnumIntersect(r1.varOff, r2.varOff);
        r2.varOff = r1.varOff;
      }
      break;
    case I.JMP_JNE: {
      if (!isConst(r2, is32)) [r1, r2] = [r2, r1];
      if (!isConst(r2, is32)) break;
      const v = constValue(r2, is32);
      if (is32) {
        if (r1.u32min === u32(v)) r1.u32min++;
        if (r1.u32max === u32(v)) r1.u32max = u32(r1.u32max - 1n);
        if (r1.s32min === s32(v)) r1.s32min++;
        if (r1.s32max === s32(v)) r1.s32max--;
      } else {
        if (r1.umin === v) r1.umin++;
        if (r1.umax === v) r1.umax = BigInt.asUintN(64, r1.umax - 1n);
        if (r1.smin === s64(v)) r1.smin++;
        if (r1.smax === s64(v)) r1.smax--;
      }
      break;
    }
    case I.JMP_JSET:
    case JSET_X: {
      if (!isConst(r2, is32)) [r1, r2] = [r2, r1];
      if (!isConst(r2, is32)) break;
      const v = constValue(r2, is32);
      if (op === I.JMP_JSET) {
        if (v === 0n || (v & (v - 1n)) !== 0n) break;
        r1.varOff = is32
          ? tnumWithSubreg(r1.varOff, tnumOr(tnumSubreg(r1.varOff), tnumConst(v)))
          : tnumOr(r1.varOff, tnumConst(v));
      } else {
        r1.varOff = is32
          ? tnumWithSubreg(r1.varOff, tnumAnd(tnumSubreg(r1.varOff), tnumConst(~v & U32_MAX)))
          : tnumAnd(r1.varOff, tnumConst(~v & U64_MAX));
      }
      break;
    }
    case I.JMP_JLE:
      if (is32) {
        r1.u32max = bmin(r1.u32max, r2.u32max);
        r2.u32min = bmax(r1.u32min, r2.u32min);
      } else {
        r1.umax = bmin(r1.umax, r2.umax);
        r2.umin = bmax(r1.umin, r2.umin);
      }
      break;
    case I.JMP_JLT:
      if (is32) {
        r1.u32max = bmin(r1.u32max, u32(r2.u32max - 1n));
        r2.u32min = bmax(u32(r1.u32min + 1n), r2.u32min);
      } else {
        r1.umax = bmin(r1.umax, BigInt.asUintN(64, r2.umax - 1n));
        r2.umin = bmax(BigInt.asUintN(64, r1.umin + 1n), r2.umin);
      }
      break;
    case I.JMP_JSLE:
      if (is32) {
        r1.s32max = bmin(r1.s32max, r2.s32max);
        r2.s32min = bmax(r1.s32min, r2.s32min);
      } else {
        r1.smax = bmin(r1.smax, r2.smax);
        r2.smin = bmax(r1.smin, r2.smin);
      }
      break;
    case I.JMP_JSLT:
      if (is32) {
        r1.s32max = bmin(r1.s32max, s32(r2.s32max - 1n));
        r2.s32min = bmax(s32(r1.s32min + 1n), r2.s32min);
      } else {
        r1.smax = bmin(r1.smax, s64(r2.smax - 1n));
        r2.smin = bmax(s64(r1.smin + 1n), r2.smin);
      }
      break;
  }
}

/** reg_set_min_max for one branch (true when `op` holds). */
export function setMinMax(r1: Reg, r2: Reg, op: number, is32: boolean): void {
  if (r1.type !== 'scalar' || r2.type !== 'scalar') return;
  refine(r1, r2, op, is32);
  regBoundsSync(r1);
  regBoundsSync(r2);
}

/** sync_linked_regs: every scalar with the same id takes the refined value. */
function syncLinked(st: VState, known: Reg): void {
  if (known.type !== 'scalar' || !known.id) return;
  st.forEachReg((r) => {
    if (r !== known && r.type === 'scalar' && r.id === known.id) r.assign(known);
  });
}

/** find_good_pkt_pointers */
function findGoodPktPointers(st: VState, dst: Reg, rightOpen: boolean): void {
  if (dst.off < 0 || (dst.off === 0 && rightOpen)) return;
  if (dst.umax > BigInt(MAX_PACKET_OFF) || dst.umax + BigInt(dst.off) > BigInt(MAX_PACKET_OFF)) return;
  const newRange = dst.off + (rightOpen ? 1 : 0);
  const { type, id } = dst;
  st.forEachReg((r) => {
    if (r.type === type && r.id === id && r.range < newRange) r.range = newRange;
  });
}

/** mark_pkt_end */
function markPktEnd(st: VState, regno: number, open: boolean): void {
  const r = st.cur.regs[regno] as Reg;
  if (r.type !== 'pkt') return;
  r.range = open ? BEYOND_PKT_END : AT_PKT_END;
}

const initPkt = (r: Reg, type: Reg['type']): boolean =>
  r.type === type && r.id === 0 && r.off === 0 && tnumIsConst(r.varOff) && r.varOff.value === 0n;

/** try_match_pkt_pointers: `this` is the fall-through state, `other` the taken one. */
function matchPktPointers(insn: Insn, d: Reg, s: Reg, self: VState, other: VState): boolean {
  if (!(insn.op & I.BPF_X) || (insn.op & 7) === I.BPF_JMP32) return false;
  const fwd = (d.type === 'pkt' && s.type === 'pkt_end') || (d.type === 'pkt_meta' && initPkt(s, 'pkt'));
  const back = (d.type === 'pkt_end' && s.type === 'pkt') || (initPkt(d, 'pkt') && s.type === 'pkt_meta');
  if (!fwd && !back) return false;
  const dOther = other.cur.regs[insn.dst] as Reg;
  const sOther = other.cur.regs[insn.src] as Reg;
  switch (insn.op & 0xf0) {
    case I.JMP_JGT:
      if (fwd) {
        findGoodPktPointers(self, d, false);
        markPktEnd(other, insn.dst, true);
      } else {
        findGoodPktPointers(other, sOther, true);
        markPktEnd(self, insn.src, false);
      }
      return true;
    case I.JMP_JLT:
      if (fwd) {
        findGoodPktPointers(other, dOther, true);
        markPktEnd(self, insn.dst, false);
      } else {
        findGoodPktPointers(self, s, false);
        markPktEnd(other, insn.src, true);
      }
      return true;
    case I.JMP_JGE:
      if (fwd) {
        findGoodPktPointers(self, d, true);
        markPktEnd(other, insn.dst, false);
      } else {
        findGoodPktPointers(other, sOther, false);
        markPktEnd(self, insn.src, true);
      }
      return true;
    case I.JMP_JLE:
      if (fwd) {
        findGoodPktPointers(other, dOther, false);
        markPktEnd(self, insn.dst, true);
      } else {
        findGoodPktPointers(self, s, true);
        markPktEnd(other, insn.src, false);
      }
      return true;
    default:
      return false;
  }
}

/** mark_ptr_or_null_regs */
function markPtrOrNull(st: VState, id: number, isNull: boolean): void {
  st.forEachReg((r) => {
    if (!r.maybeNull || r.id !== id) return;
    if (isNull) {
      if (r.refObjId === id) {
        const k = st.refs.findIndex((ref) => ref.id === id);
        if (k >= 0) st.refs.splice(k, 1);
      }
      markUnknown(r);
      markKnown(r, 0n);
      return;
    }
    r.maybeNull = false;
    if (r.type === 'map_value' && r.map?.inner) {
      r.type = 'map_ptr';
      r.map = r.map.inner;
    }
    r.id = 0;
  });
}

export interface JmpOutcome {
  /** 1: only the jump, 0: only the fall-through, -1: both (other is the taken branch). */
  pred: number;
  other?: VState;
}

/** check_cond_jmp_op: refines `st` as the fall-through; returns the taken branch's state. */
export function checkCondJmp(st: VState, insn: Insn, pc: number): JmpOutcome {
  const op = insn.op & 0xf0;
  const is32 = (insn.op & 7) === I.BPF_JMP32;
  if (op > I.JMP_JSLE) fail(`invalid BPF_JMP/JMP32 opcode ${op.toString(16)}`);
  let src: Reg;
  if (insn.op & I.BPF_X) {
    if (insn.imm !== 0) fail('BPF_JMP/JMP32 uses reserved fields');
    src = readReg(st, insn.src);
  } else {
    if (insn.src !== 0) fail('BPF_JMP/JMP32 uses reserved fields');
    src = new RegClass();
    markUnknown(src);
    markKnown(src, is32 ? u32(BigInt(insn.imm)) : BigInt.asUintN(64, BigInt(insn.imm)));
  }
  const dst = readReg(st, insn.dst);
  void pc;
  const pred = isBranchTaken(dst, src, op, is32);
  if (pred >= 0) return { pred };
  const other = st.clone();
  const oDst = other.cur.regs[insn.dst] as Reg;
  const srcX = (insn.op & I.BPF_X) !== 0;
  const oSrc = srcX ? (other.cur.regs[insn.src] as Reg) : src.clone();
  const fSrc = srcX ? src : src.clone();
  setMinMax(oDst, oSrc, op, is32);
  setMinMax(dst, fSrc, rev(op), is32);
  if (srcX && src.type === 'scalar' && src.id) {
    syncLinked(st, src);
    syncLinked(other, oSrc);
  }
  if (dst.type === 'scalar' && dst.id) {
    syncLinked(st, dst);
    syncLinked(other, oDst);
  }
  if (!is32 && !srcX && insn.imm === 0 && (op === I.JMP_JEQ || op === I.JMP_JNE) && dst.maybeNull) {
    const id = dst.id;
    markPtrOrNull(st, id, op === I.JMP_JNE);
    markPtrOrNull(other, id, op === I.JMP_JEQ);
  } else {
    matchPktPointers(insn, dst, src, st, other);
  }
  return { pred: -1, other };
}
