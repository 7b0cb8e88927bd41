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
  isConst,
  lowerSmax,
  lowerUmax,
  markKnownP,
  markUnknown,
  raiseSmin,
  raiseUmin,
  Reg as RegClass,
} from './regState';
import { regBoundsSync } from './regBounds';
import { P, add64, maxU32, minU32, sle, slt, sub64, ule, ult } from './pair64';
import type { VState } from './state';
import { mayPointToSpinLock } from './spinLock';
import { tnumAnd, tnumConstP, tnumIntersect, tnumIsConst, tnumOr, tnumSubreg, tnumWithSubreg } from './tnum';

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

/**
 * reg_not_null (a referenced PTR_TO_BTF_ID, e.g. a checked nf_conn, is trusted: never NULL; a map
 * pointer, CONST_PTR_TO_MAP, is never NULL: `if (lru_map)` on a spilled map pointer is decided)
 */
function regNotNull(r: Reg): boolean {
  if (r.maybeNull) return false;
  return (
    r.type === 'map_value' ||
    r.type === 'map_ptr' ||
    r.type === 'map_key' ||
    r.type === 'mem' ||
    (r.type === 'btf_id' && r.refObjId !== 0)
  );
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
    if (b.varOff.vl !== 0 || (!is32 && b.varOff.vh !== 0)) return -1;
    return o === I.JMP_JEQ ? 0 : o === I.JMP_JNE ? 1 : -1;
  }
  return scalarBranchTaken(r1, r2, op, is32);
}

/** is_scalar_branch_taken */
export function scalarBranchTaken(r1: Reg, r2: Reg, op: number, is32: boolean): number {
  return is32 ? branchTaken32(r1, r2, op) : branchTaken64(r1, r2, op);
}

/** is_scalar_branch_taken for JMP32: the u32/s32 bounds and the tnums' low halves. */
function branchTaken32(r1: Reg, r2: Reg, op: number): number {
  const t1 = r1.varOff;
  const t2 = r2.varOff;
  const umin1 = r1.umin32 >>> 0;
  const umax1 = r1.umax32 >>> 0;
  const smin1 = r1.smin32;
  const smax1 = r1.smax32;
  const umin2 = r2.umin32 >>> 0;
  const umax2 = r2.umax32 >>> 0;
  const smin2 = r2.smin32;
  const smax2 = r2.smax32;
  switch (op) {
    case I.JMP_JEQ:
    case I.JMP_JNE: {
      const eq = op === I.JMP_JEQ;
      if (t1.ml === 0 && t2.ml === 0) return (t1.vl === t2.vl) === eq ? 1 : 0;
      const disjoint =
        umin1 > umax2 ||
        umax1 < umin2 ||
        smin1 > smax2 ||
        smax1 < smin2 ||
        ((t1.vl ^ t2.vl) & ~(t1.ml | t2.ml)) !== 0;
      if (disjoint) return eq ? 0 : 1;
      return -1;
    }
    case I.JMP_JSET: {
      let a = t1;
      let b = t2;
      if (!isConst(r2, true)) {
        if (!isConst(r1, true)) return -1;
        [a, b] = [t2, t1];
      }
      if ((~a.ml & a.vl & b.vl) !== 0) return 1;
      if (((a.ml | a.vl) & b.vl) === 0) return 0;
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

/** is_scalar_branch_taken for 64-bit jumps: (hi, lo) pair comparisons. */
function branchTaken64(r1: Reg, r2: Reg, op: number): number {
  const t1 = r1.varOff;
  const t2 = r2.varOff;
  switch (op) {
    case I.JMP_JEQ:
    case I.JMP_JNE: {
      const eq = op === I.JMP_JEQ;
      if (tnumIsConst(t1) && tnumIsConst(t2)) return (t1.vh === t2.vh && t1.vl === t2.vl) === eq ? 1 : 0;
      const disjoint =
        ult(r2.umaxH, r2.umaxL, r1.uminH, r1.uminL) ||
        ult(r1.umaxH, r1.umaxL, r2.uminH, r2.uminL) ||
        slt(r2.smaxH, r2.smaxL, r1.sminH, r1.sminL) ||
        slt(r1.smaxH, r1.smaxL, r2.sminH, r2.sminL) ||
        r1.umin32 >>> 0 > r2.umax32 >>> 0 ||
        r1.umax32 >>> 0 < r2.umin32 >>> 0 ||
        r1.smin32 > r2.smax32 ||
        r1.smax32 < r2.smin32 ||
        ((t1.vh ^ t2.vh) & ~(t1.mh | t2.mh)) !== 0 ||
        ((t1.vl ^ t2.vl) & ~(t1.ml | t2.ml)) !== 0;
      if (disjoint) return eq ? 0 : 1;
      return -1;
    }
    case I.JMP_JSET: {
      let a = t1;
      let b = t2;
      if (!isConst(r2, false)) {
        if (!isConst(r1, false)) return -1;
        [a, b] = [t2, t1];
      }
      if (((~a.mh & a.vh & b.vh) | (~a.ml & a.vl & b.vl)) !== 0) return 1;
      if ((((a.mh | a.vh) & b.vh) | ((a.ml | a.vl) & b.vl)) === 0) return 0;
      return -1;
    }
    case I.JMP_JGT:
      return ult(r2.umaxH, r2.umaxL, r1.uminH, r1.uminL)
        ? 1
        : ule(r1.umaxH, r1.umaxL, r2.uminH, r2.uminL)
          ? 0
          : -1;
    case I.JMP_JSGT:
      return slt(r2.smaxH, r2.smaxL, r1.sminH, r1.sminL)
        ? 1
        : sle(r1.smaxH, r1.smaxL, r2.sminH, r2.sminL)
          ? 0
          : -1;
    case I.JMP_JLT:
      return ult(r1.umaxH, r1.umaxL, r2.uminH, r2.uminL)
        ? 1
        : ule(r2.umaxH, r2.umaxL, r1.uminH, r1.uminL)
          ? 0
          : -1;
    case I.JMP_JSLT:
      return slt(r1.smaxH, r1.smaxL, r2.sminH, r2.sminL)
        ? 1
        : sle(r2.smaxH, r2.smaxL, r1.sminH, r1.sminL)
          ? 0
          : -1;
    case I.JMP_JGE:
      return ule(r2.umaxH, r2.umaxL, r1.uminH, r1.uminL)
        ? 1
        : ult(r1.umaxH, r1.umaxL, r2.uminH, r2.uminL)
          ? 0
          : -1;
    case I.JMP_JSGE:
      return sle(r2.smaxH, r2.smaxL, r1.sminH, r1.sminL)
        ? 1
        : slt(r1.smaxH, r1.smaxL, r2.sminH, r2.sminL)
          ? 0
          : -1;
    case I.JMP_JLE:
      return ule(r1.umaxH, r1.umaxL, r2.uminH, r2.uminL)
        ? 1
        : ult(r2.umaxH, r2.umaxL, r1.uminH, r1.uminL)
          ? 0
          : -1;
    case I.JMP_JSLE:
      return sle(r1.smaxH, r1.smaxL, r2.sminH, r2.sminL)
        ? 1
        : slt(r2.smaxH, r2.smaxL, r1.sminH, r1.sminL)
          ? 0
          : -1;
    default:
      return -1;
  }
}

/** A single set bit (JSET's refinement needs a power of two). */
const onePow2 = (h: number, l: number): boolean =>
  h === 0 ? l !== 0 && (l & (l - 1)) === 0 : l === 0 && (h & (h - 1)) === 0;

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
        r1.umin32 = maxU32(r1.umin32, r2.umin32);
        r1.umax32 = minU32(r1.umax32, r2.umax32);
        r1.smin32 = Math.max(r1.smin32, r2.smin32);
        r1.smax32 = Math.min(r1.smax32, r2.smax32);
        r2.umin32 = r1.umin32;
        r2.umax32 = r1.umax32;
        r2.smin32 = r1.smin32;
        r2.smax32 = r1.smax32;
        const t = tnumIntersect(tnumSubreg(r1.varOff), tnumSubreg(r2.varOff));
        r1.varOff = tnumWithSubreg(r1.varOff, t);
        r2.varOff = tnumWithSubreg(r2.varOff, t);
      } else {
        raiseUmin(r1, r2.uminH, r2.uminL);
        lowerUmax(r1, r2.umaxH, r2.umaxL);
        raiseSmin(r1, r2.sminH, r2.sminL);
        lowerSmax(r1, r2.smaxH, r2.smaxL);
        r2.uminH = r1.uminH;
        r2.uminL = r1.uminL;
        r2.umaxH = r1.umaxH;
        r2.umaxL = r1.umaxL;
        r2.sminH = r1.sminH;
        r2.sminL = r1.sminL;
        r2.smaxH = r1.smaxH;
        r2.smaxL = r1.smaxL;
        r1.varOff = tnumIntersect(r1.varOff, r2.varOff);
        r2.varOff = r1.varOff;
      }
      break;
    case I.JMP_JNE: {
      if (!isConst(r2, is32)) [r1, r2] = [r2, r1];
      if (!isConst(r2, is32)) break;
      const vh = is32 ? 0 : r2.varOff.vh;
      const vl = r2.varOff.vl;
      if (is32) {
        if (r1.umin32 === vl) r1.umin32 = (r1.umin32 + 1) | 0;
        if (r1.umax32 === vl) r1.umax32 = (r1.umax32 - 1) | 0;
        if (r1.smin32 === vl) r1.smin32 = (r1.smin32 + 1) | 0;
        if (r1.smax32 === vl) r1.smax32 = (r1.smax32 - 1) | 0;
      } else {
        if (r1.uminH === vh && r1.uminL === vl) {
          add64(vh, vl, 0, 1);
          r1.uminH = P.hi;
          r1.uminL = P.lo;
        }
        if (r1.umaxH === vh && r1.umaxL === vl) {
          sub64(vh, vl, 0, 1);
          r1.umaxH = P.hi;
          r1.umaxL = P.lo;
        }
        if (r1.sminH === vh && r1.sminL === vl) {
          add64(vh, vl, 0, 1);
          r1.sminH = P.hi;
          r1.sminL = P.lo;
        }
        if (r1.smaxH === vh && r1.smaxL === vl) {
          sub64(vh, vl, 0, 1);
          r1.smaxH = P.hi;
          r1.smaxL = P.lo;
        }
      }
      break;
    }
    case I.JMP_JSET:
    case JSET_X: {
      if (!isConst(r2, is32)) [r1, r2] = [r2, r1];
      if (!isConst(r2, is32)) break;
      const vh = is32 ? 0 : r2.varOff.vh;
      const vl = r2.varOff.vl;
      if (op === I.JMP_JSET) {
        if (!onePow2(vh, vl)) break;
        r1.varOff = is32
          ? tnumWithSubreg(r1.varOff, tnumOr(tnumSubreg(r1.varOff), tnumConstP(0, vl)))
          : tnumOr(r1.varOff, tnumConstP(vh, vl));
      } else {
        r1.varOff = is32
          ? tnumWithSubreg(r1.varOff, tnumAnd(tnumSubreg(r1.varOff), tnumConstP(0, ~vl)))
          : tnumAnd(r1.varOff, tnumConstP(~vh, ~vl));
      }
      break;
    }
    case I.JMP_JLE:
      if (is32) {
        r1.umax32 = minU32(r1.umax32, r2.umax32);
        r2.umin32 = maxU32(r1.umin32, r2.umin32);
      } else {
        lowerUmax(r1, r2.umaxH, r2.umaxL);
        raiseUmin(r2, r1.uminH, r1.uminL);
      }
      break;
    case I.JMP_JLT:
      if (is32) {
        r1.umax32 = minU32(r1.umax32, (r2.umax32 - 1) | 0);
        r2.umin32 = maxU32((r1.umin32 + 1) | 0, r2.umin32);
      } else {
        sub64(r2.umaxH, r2.umaxL, 0, 1);
        lowerUmax(r1, P.hi, P.lo);
        add64(r1.uminH, r1.uminL, 0, 1);
        raiseUmin(r2, P.hi, P.lo);
      }
      break;
    case I.JMP_JSLE:
      if (is32) {
        r1.smax32 = Math.min(r1.smax32, r2.smax32);
        r2.smin32 = Math.max(r1.smin32, r2.smin32);
      } else {
        lowerSmax(r1, r2.smaxH, r2.smaxL);
        raiseSmin(r2, r1.sminH, r1.sminL);
      }
      break;
    case I.JMP_JSLT:
      if (is32) {
        r1.smax32 = Math.min(r1.smax32, (r2.smax32 - 1) | 0);
        r2.smin32 = Math.max((r1.smin32 + 1) | 0, r2.smin32);
      } else {
        sub64(r2.smaxH, r2.smaxL, 0, 1);
        lowerSmax(r1, P.hi, P.lo);
        add64(r1.sminH, r1.sminL, 0, 1);
        raiseSmin(r2, P.hi, P.lo);
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
  const umax = dst.umaxL >>> 0;
  if (dst.umaxH !== 0 || umax > MAX_PACKET_OFF || umax + dst.off > MAX_PACKET_OFF) return;
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
  r.type === type &&
  r.id === 0 &&
  r.off === 0 &&
  (r.varOff.vh | r.varOff.vl | r.varOff.mh | r.varOff.ml) === 0;

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
      markKnownP(r, 0, 0);
      return;
    }
    r.maybeNull = false;
    if (r.type === 'map_value' && r.map?.inner) {
      r.type = 'map_ptr';
      r.map = r.map.inner;
    }
    if (!mayPointToSpinLock(r)) r.id = 0;
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
    markKnownP(src, is32 || insn.imm >= 0 ? 0 : -1, insn.imm | 0);
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
