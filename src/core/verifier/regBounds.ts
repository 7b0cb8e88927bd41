// The kernel's bounds bookkeeping over one register (verifier.c): __update_reg_bounds, the
// __reg_deduce_bounds family and reg_bounds_sync that keep the five views (u64/s64/u32/s32 and the
// tnum) consistent, the sanity check, and coerce_reg_to_size and its sign-extending twins.
// Split from regState.ts, which holds the register itself and its marks.
import { fls64, maxU32, minU32, sle, slt, ule, ult } from './pair64';
import type { Reg } from './regState';
import {
  lowerSmax,
  lowerUmax,
  mark32Unbounded,
  mark64Unbounded,
  markKnown,
  raiseSmin,
  raiseUmin,
  u32,
  u64,
} from './regState';
import type { Tnum } from './tnum';
import { TNUM_UNKNOWN, Tnum as TnumClass, tnumCast, tnumIsConst, tnumRange, tnumSubreg } from './tnum';

/** Word patterns of the unbounded 32-bit views (as regState.ts keeps them: int32 bit patterns). */
const U32 = -1;
const S32MIN = -0x80000000;
const S32MAX = 0x7fffffff;

/** __update_reg32_bounds */
export function updateReg32Bounds(r: Reg): void {
  const vl = r.varOff.vl;
  const ml = r.varOff.ml;
  r.smin32 = Math.max(r.smin32, vl | (ml & 0x80000000));
  r.smax32 = Math.min(r.smax32, vl | (ml & 0x7fffffff));
  r.umin32 = maxU32(r.umin32, vl);
  r.umax32 = minU32(r.umax32, vl | ml);
}

/** __update_reg64_bounds */
export function updateReg64Bounds(r: Reg): void {
  const t = r.varOff;
  raiseSmin(r, t.vh | (t.mh & 0x80000000), t.vl);
  lowerSmax(r, t.vh | (t.mh & 0x7fffffff), t.vl | t.ml);
  raiseUmin(r, t.vh, t.vl);
  lowerUmax(r, t.vh | t.mh, t.vl | t.ml);
}

export function updateRegBounds(r: Reg): void {
  updateReg32Bounds(r);
  updateReg64Bounds(r);
}

/** __reg32_deduce_bounds */
function reg32DeduceBounds(r: Reg): void {
  if (r.uminH === r.umaxH) {
    r.umin32 = maxU32(r.umin32, r.uminL);
    r.umax32 = minU32(r.umax32, r.umaxL);
    if (r.uminL <= r.umaxL) {
      r.smin32 = Math.max(r.smin32, r.uminL);
      r.smax32 = Math.min(r.smax32, r.umaxL);
    }
  }
  if (r.sminH === r.smaxH) {
    r.umin32 = maxU32(r.umin32, r.sminL);
    r.umax32 = minU32(r.umax32, r.smaxL);
    if (r.sminL <= r.smaxL) {
      r.smin32 = Math.max(r.smin32, r.sminL);
      r.smax32 = Math.min(r.smax32, r.smaxL);
    }
  }
  if (((r.uminH + 1) | 0) === r.umaxH && r.uminL < 0 && r.umaxL >= 0) {
    r.smin32 = Math.max(r.smin32, r.uminL);
    r.smax32 = Math.min(r.smax32, r.umaxL);
  }
  if (((r.sminH + 1) | 0) === r.smaxH && r.sminL < 0 && r.smaxL >= 0) {
    r.smin32 = Math.max(r.smin32, r.sminL);
    r.smax32 = Math.min(r.smax32, r.smaxL);
  }
  if (r.umin32 <= r.umax32) {
    r.smin32 = Math.max(r.smin32, r.umin32);
    r.smax32 = Math.min(r.smax32, r.umax32);
  }
  if (r.smin32 >>> 0 <= r.smax32 >>> 0) {
    r.umin32 = maxU32(r.smin32, r.umin32);
    r.umax32 = minU32(r.smax32, r.umax32);
  } else if (r.umax32 >>> 0 < r.smin32 >>> 0) {
    // The s32 range crosses the sign boundary and the u32 range meets only its non-negative part.
    r.smin32 = r.umin32 | 0;
    r.umax32 = minU32(r.umax32, r.smax32);
  } else if (r.smax32 >>> 0 < r.umin32 >>> 0) {
    // ... or only its negative part.
    r.smax32 = r.umax32 | 0;
    r.umin32 = maxU32(r.umin32, r.smin32);
  }
}

/** __reg64_deduce_bounds */
function reg64DeduceBounds(r: Reg): void {
  if (sle(r.uminH, r.uminL, r.umaxH, r.umaxL)) {
    raiseSmin(r, r.uminH, r.uminL);
    lowerSmax(r, r.umaxH, r.umaxL);
  }
  if (ule(r.sminH, r.sminL, r.smaxH, r.smaxL)) {
    raiseUmin(r, r.sminH, r.sminL);
    lowerUmax(r, r.smaxH, r.smaxL);
  } else if (ult(r.umaxH, r.umaxL, r.sminH, r.sminL)) {
    r.sminH = r.uminH;
    r.sminL = r.uminL;
    lowerUmax(r, r.smaxH, r.smaxL);
  } else if (ult(r.smaxH, r.smaxL, r.uminH, r.uminL)) {
    r.smaxH = r.umaxH;
    r.smaxL = r.umaxL;
    raiseUmin(r, r.sminH, r.sminL);
  }
}

/** __reg_deduce_mixed_bounds */
function regDeduceMixedBounds(r: Reg): void {
  raiseUmin(r, r.uminH, r.umin32);
  lowerUmax(r, r.umaxH, r.umax32);
  raiseSmin(r, r.sminH, r.umin32);
  lowerSmax(r, r.smaxH, r.umax32);
  if (r.smin32 >= 0 && sle(U32, S32MIN, r.sminH, r.sminL) && sle(r.smaxH, r.smaxL, 0, 0x7fffffff)) {
    const maxH = r.smax32 < 0 ? U32 : 0;
    r.sminH = r.uminH = 0;
    r.sminL = r.uminL = r.smin32;
    r.smaxH = r.umaxH = maxH;
    r.smaxL = r.umaxL = r.smax32;
    intersectRange64(r.varOff, r.sminH, r.sminL, r.smaxH, r.smaxL);
    r.varOff = tnumOf(r.varOff, X.vh, X.vl, X.mh, X.ml);
  }
}

function regDeduceBounds(r: Reg): void {
  reg32DeduceBounds(r);
  reg64DeduceBounds(r);
  regDeduceMixedBounds(r);
}

/** __reg_bound_offset (the tnums as words in X: one allocation at most, none when nothing changes). */
function regBoundOffset(r: Reg): void {
  // var64_off = tnum_intersect(reg->var_off, tnum_range(umin, umax))
  intersectRange64(r.varOff, r.uminH, r.uminL, r.umaxH, r.umaxL);
  // var32_off = tnum_intersect(tnum_subreg(var64_off), tnum_range(u32_min, u32_max))
  const chi = r.umin32 ^ r.umax32;
  const bits = chi === 0 ? 0 : 32 - Math.clz32(chi);
  const dl = bits >= 32 ? -1 : ((1 << bits) - 1) | 0;
  const ml = X.ml & dl;
  const vl = (X.vl | (r.umin32 & ~dl)) & ~ml;
  // tnum_or(tnum_clear_subreg(var64_off), var32_off)
  r.varOff = tnumOf(r.varOff, X.vh, vl, X.mh & ~X.vh, ml & ~vl);
}

/** Scratch words of a tnum (intersectRange64's result). */
const X = { vh: 0, vl: 0, mh: 0, ml: 0 };

/** tnum_intersect(t, tnum_range(min, max)) into X, without building either tnum. */
function intersectRange64(t: Tnum, minH: number, minL: number, maxH: number, maxL: number): void {
  // tnum_range: the bits below the highest one where min and max differ are unknown (all: ≥ 64).
  const bits = fls64(minH ^ maxH, minL ^ maxL);
  let rvh = 0;
  let rvl = 0;
  let rmh = -1;
  let rml = -1;
  if (bits <= 63) {
    rmh = bits > 32 ? ((1 << (bits - 32)) - 1) | 0 : 0;
    rml = bits >= 32 ? -1 : ((1 << bits) - 1) | 0;
    rvh = minH & ~rmh;
    rvl = minL & ~rml;
  }
  X.mh = t.mh & rmh;
  X.ml = t.ml & rml;
  X.vh = (t.vh | rvh) & ~X.mh;
  X.vl = (t.vl | rvl) & ~X.ml;
}

/** `t` when it already is (vh, vl, mh, ml), else a new tnum of those words. */
const tnumOf = (t: Tnum, vh: number, vl: number, mh: number, ml: number): Tnum =>
  t.vh === vh && t.vl === vl && t.mh === mh && t.ml === ml ? t : new TnumClass(vh, vl, mh, ml);

/** reg_bounds_sync */
export function regBoundsSync(r: Reg): void {
  if (boundsSettled(r)) return;
  updateRegBounds(r);
  regDeduceBounds(r);
  regDeduceBounds(r);
  regBoundOffset(r);
  updateRegBounds(r);
}

/**
 * A constant whose every bound is that constant, or a fully unknown scalar: reg_bounds_sync would
 * change nothing (a shortcut for the commonest registers).
 */
function boundsSettled(r: Reg): boolean {
  const t = r.varOff;
  if (t.mh === U32 && t.ml === U32)
    return (
      r.uminH === 0 &&
      r.uminL === 0 &&
      r.umaxH === U32 &&
      r.umaxL === U32 &&
      r.sminH === S32MIN &&
      r.sminL === 0 &&
      r.smaxH === 0x7fffffff &&
      r.smaxL === U32 &&
      r.umin32 === 0 &&
      r.umax32 === U32 &&
      r.smin32 === S32MIN &&
      r.smax32 === S32MAX
    );
  if (t.mh !== 0 || t.ml !== 0) return false;
  const h = t.vh;
  const l = t.vl;
  return (
    r.uminH === h &&
    r.uminL === l &&
    r.umaxH === h &&
    r.umaxL === l &&
    r.sminH === h &&
    r.sminL === l &&
    r.smaxH === h &&
    r.smaxL === l &&
    r.umin32 === l &&
    r.umax32 === l &&
    r.smin32 === l &&
    r.smax32 === l
  );
}

/** Bounds that cannot hold (a dead branch): reg_bounds_sanity_check's condition. */
export function boundsInvalid(r: Reg): boolean {
  const t = r.varOff;
  return (
    ult(r.umaxH, r.umaxL, r.uminH, r.uminL) ||
    slt(r.smaxH, r.smaxL, r.sminH, r.sminL) ||
    r.umin32 >>> 0 > r.umax32 >>> 0 ||
    r.smin32 > r.smax32 ||
    (tnumIsConst(t) && (ult(t.vh, t.vl, r.uminH, r.uminL) || ult(r.umaxH, r.umaxL, t.vh, t.vl))) ||
    (t.vh & t.mh) !== 0 ||
    (t.vl & t.ml) !== 0
  );
}

/** __reg_assign_32_into_64 */
export function regAssign32Into64(r: Reg): void {
  r.uminH = 0;
  r.uminL = r.umin32;
  r.umaxH = 0;
  r.umaxL = r.umax32;
  r.smaxH = 0;
  r.smaxL = r.smin32 >= 0 && r.smax32 >= 0 ? r.smax32 : U32;
  r.sminH = 0;
  r.sminL = r.smin32 >= 0 ? r.smin32 : 0;
}

/** zext_32_to_64 */
export function zext32To64(r: Reg): void {
  r.varOff = tnumSubreg(r.varOff);
  regAssign32Into64(r);
}

/** coerce_reg_to_size: truncate to `size` bytes, zero-extended. */
export function coerceRegToSize(r: Reg, size: number): void {
  r.varOff = tnumCast(r.varOff, size);
  const bits = size * 8;
  if (bits < 64) {
    if (bits >= 32) {
      const hm = bits === 32 ? 0 : ((1 << (bits - 32)) - 1) | 0;
      if ((r.uminH & ~hm) === (r.umaxH & ~hm)) {
        r.uminH &= hm;
        r.umaxH &= hm;
      } else {
        r.uminH = r.uminL = 0;
        r.umaxH = hm;
        r.umaxL = U32;
      }
    } else {
      const lm = ((1 << bits) - 1) | 0;
      if (r.uminH === r.umaxH && (r.uminL & ~lm) === (r.umaxL & ~lm)) {
        r.uminH = r.umaxH = 0;
        r.uminL &= lm;
        r.umaxL &= lm;
      } else {
        r.uminH = r.uminL = r.umaxH = 0;
        r.umaxL = lm;
      }
    }
  }
  r.sminH = r.uminH;
  r.sminL = r.uminL;
  r.smaxH = r.umaxH;
  r.smaxL = r.umaxL;
  if (size < 4) {
    r.umin32 = r.uminL;
    r.umax32 = r.umaxL;
    r.smin32 = r.uminL;
    r.smax32 = r.umaxL;
  } else if (size === 4) {
    r.umin32 = r.uminL;
    r.umax32 = r.umaxL;
    r.smin32 = S32MIN;
    r.smax32 = S32MAX;
    updateReg32Bounds(r);
  }
  regBoundsSync(r);
}

/** set_sext64_default_val: the range of any `size`-byte value sign-extended to 64 bits. */
function setSext64DefaultVal(r: Reg, size: number): void {
  const bits = BigInt(size * 8);
  r.varOff = TNUM_UNKNOWN;
  mark64Unbounded(r);
  mark32Unbounded(r);
  r.smin = r.s32min = -(1n << (bits - 1n));
  r.smax = r.s32max = (1n << (bits - 1n)) - 1n;
}

/** coerce_reg_to_size_sx: exact for constants; a range whose bits above `size` are one value keeps its sign-extended range. */
export function coerceRegToSizeSx(r: Reg, size: number): void {
  const bits = size * 8;
  if (tnumIsConst(r.varOff)) {
    markKnown(r, u64(BigInt.asIntN(bits, r.varOff.value)));
    return;
  }
  const b = BigInt(bits);
  if (u64(r.smax) >> b !== u64(r.smin) >> b) return setSext64DefaultVal(r, size);
  const a = BigInt.asIntN(bits, r.smax);
  const c = BigInt.asIntN(bits, r.smin);
  const max = a > c ? a : c;
  const min = a > c ? c : a;
  if (max >= 0n !== min >= 0n) return setSext64DefaultVal(r, size);
  r.smin = min;
  r.smax = max;
  r.umin = u64(min);
  r.umax = u64(max);
  r.s32min = BigInt.asIntN(32, min);
  r.s32max = BigInt.asIntN(32, max);
  r.u32min = BigInt.asUintN(32, min);
  r.u32max = BigInt.asUintN(32, max);
  r.varOff = tnumRange(u64(min), u64(max));
}

/** coerce_subreg_to_size_sx (W1 = (s8, s16)W2), then zext_32_to_64 and reg_bounds_sync as check_alu_op does. */
export function coerceSubregToSizeSx(r: Reg, size: number): void {
  const bits = size * 8;
  if (tnumIsConst(r.varOff)) {
    markKnown(r, u32(BigInt.asIntN(bits, r.varOff.value)));
    return;
  }
  const b = BigInt(bits);
  const top = (v: bigint) => BigInt.asUintN(32, v) >> b;
  let sext = false;
  if (top(r.s32max) === top(r.s32min)) {
    const a = BigInt.asIntN(bits, r.s32max);
    const c = BigInt.asIntN(bits, r.s32min);
    const max = a > c ? a : c;
    const min = a > c ? c : a;
    if (max >= 0n === min >= 0n) {
      r.s32min = min;
      r.s32max = max;
      r.u32min = BigInt.asUintN(32, min);
      r.u32max = BigInt.asUintN(32, max);
      r.varOff = tnumSubreg(tnumRange(BigInt.asUintN(32, min), BigInt.asUintN(32, max)));
      sext = true;
    }
  }
  if (!sext) {
    // set_sext32_default_val
    r.s32min = -(1n << (b - 1n));
    r.s32max = (1n << (b - 1n)) - 1n;
    r.u32min = 0n;
    r.u32max = 0xffffffffn;
    r.varOff = tnumSubreg(TNUM_UNKNOWN);
  }
  zext32To64(r);
  regBoundsSync(r);
}
