// What a conditional jump teaches about its operands on each branch (verifier.c reg_set_min_max →
// regs_refine_cond_op): the bounds and tnums of both registers narrowed as if the test held.
import * as I from '../vm/isa';
import type { Reg } from './regState';
import { isConst, lowerSmax, lowerUmax, raiseSmin, raiseUmin } from './regState';
import { regBoundsSync } from './regBounds';
import { P, add64, maxU32, minU32, sub64 } from './pair64';
import { tnumAnd, tnumConstP, tnumIntersect, tnumOr, tnumSubreg, tnumWithSubreg } from './tnum';
import { flip, JSET_X } from './branchTaken';

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
