// TEST-ONLY ORACLE: the BigInt bounds of condJmp.ts before the pair-of-uint32 rewrite (is_scalar_branch_taken,
// regs_refine_cond_op, reg_set_min_max for scalars), kept to check the new code against in property tests.
import * as I from '../../vm/isa';
import type { Reg } from './regState';
import { constValue, isConst, regBoundsSync, s32, s64, u32 } from './regState';
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
  refine(r1, r2, op, is32);
  regBoundsSync(r1);
  regBoundsSync(r2);
}
