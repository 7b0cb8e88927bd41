// Whether a conditional jump's outcome is already known (verifier.c is_branch_taken,
// is_scalar_branch_taken on the u64/s64/u32/s32 bounds and tnums, the pointer cases), and the
// opcode algebra it and the refinement share (flip_opcode, rev_opcode).
import * as I from '../vm/isa';
import type { Reg } from './regState';
import { AT_PKT_END, BEYOND_PKT_END, isConst } from './regState';
import { sle, slt, ule, ult } from './pair64';
import { tnumIsConst } from './tnum';

export const JSET_X = I.JMP_JSET | I.BPF_X;

/** flip_opcode: the same test with the operands swapped. */
export function flip(op: number): number {
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
    r.type === 'sock' ||
    r.type === 'sock_common' ||
    (r.type === 'btf_id' && r.refObjId !== 0)
  );
}

/** is_branch_taken: 1 taken, 0 not taken, -1 unknown. */
export function isBranchTaken(r1: Reg, r2: Reg, op: number, is32: boolean): number {
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
