// Scalar ALU bounds (verifier.c adjust_scalar_min_max_vals and its scalar{32,}_min_max_* helpers):
// how ADD/SUB/MUL/AND/OR/XOR/shifts/NEG move the u64/s64/u32/s32 bounds and the tnum. 64-bit bounds
// are (hi, lo) pairs of int32 words (pair64.ts), 32-bit ones int32 bit patterns.
import * as I from '../vm/isa';
import { Reg } from './regState';
import { lowerUmax, mark32Unbounded, mark64Unbounded, markKnownP, markUnknown, raiseUmin } from './regState';
import { regBoundsSync, updateReg32Bounds, updateRegBounds, zext32To64 } from './regBounds';
import {
  P,
  add64,
  maxU32,
  minU32,
  sAddOverflows,
  sSubOverflows,
  sar64,
  shl64,
  shr64,
  sle,
  sub64,
  toS64,
  toU64,
  ult,
} from './pair64';
import {
  tnumAdd,
  tnumAnd,
  tnumArshift,
  tnumIsConst,
  tnumLshift,
  tnumMul,
  tnumNeg,
  tnumOr,
  tnumRshift,
  tnumSub,
  tnumSubreg,
  tnumXor,
} from './tnum';

/** 0xffffffff as a number (sums) and as an int32 word (stored bounds). */
const U32 = 0xffffffff;
const W32 = -1;
const S32MIN = -0x80000000;
const S32MAX = 0x7fffffff;
const s32Over = (v: number): boolean => v < S32MIN || v > S32MAX;

function sUnbounded64(r: Reg): void {
  r.sminH = S32MIN;
  r.sminL = 0;
  r.smaxH = S32MAX;
  r.smaxL = W32;
}
function uUnbounded64(r: Reg): void {
  r.uminH = r.uminL = 0;
  r.umaxH = r.umaxL = W32;
}

/** scalar32_min_max_add */
export function minMaxAdd32(d: Reg, s: Reg): void {
  const smin = d.smin32 + s.smin32;
  const smax = d.smax32 + s.smax32;
  if (s32Over(smin) || s32Over(smax)) {
    d.smin32 = S32MIN;
    d.smax32 = S32MAX;
  } else {
    d.smin32 = smin;
    d.smax32 = smax;
  }
  const umin = (d.umin32 >>> 0) + (s.umin32 >>> 0);
  const umax = (d.umax32 >>> 0) + (s.umax32 >>> 0);
  if (umin <= U32 && umax > U32) {
    d.umin32 = 0;
    d.umax32 = W32;
  } else {
    d.umin32 = umin | 0;
    d.umax32 = umax | 0;
  }
}

/** scalar_min_max_add */
export function minMaxAdd64(d: Reg, s: Reg): void {
  const o1 = sAddOverflows(d.sminH, d.sminL, s.sminH, s.sminL);
  const sminH = P.hi;
  const sminL = P.lo;
  if (o1 || sAddOverflows(d.smaxH, d.smaxL, s.smaxH, s.smaxL)) sUnbounded64(d);
  else {
    d.sminH = sminH;
    d.sminL = sminL;
    d.smaxH = P.hi;
    d.smaxL = P.lo;
  }
  const minO = add64(d.uminH, d.uminL, s.uminH, s.uminL);
  const uminH = P.hi;
  const uminL = P.lo;
  const maxO = add64(d.umaxH, d.umaxL, s.umaxH, s.umaxL);
  if (!minO && maxO) uUnbounded64(d);
  else {
    d.uminH = uminH;
    d.uminL = uminL;
    d.umaxH = P.hi;
    d.umaxL = P.lo;
  }
}

/** scalar32_min_max_sub */
function minMaxSub32(d: Reg, s: Reg): void {
  const smin = d.smin32 - s.smax32;
  const smax = d.smax32 - s.smin32;
  if (s32Over(smin) || s32Over(smax)) {
    d.smin32 = S32MIN;
    d.smax32 = S32MAX;
  } else {
    d.smin32 = smin;
    d.smax32 = smax;
  }
  const umin = (d.umin32 >>> 0) - (s.umax32 >>> 0);
  const umax = (d.umax32 >>> 0) - (s.umin32 >>> 0);
  if (umin < 0 && umax >= 0) {
    d.umin32 = 0;
    d.umax32 = W32;
  } else {
    d.umin32 = umin | 0;
    d.umax32 = umax | 0;
  }
}

/** scalar_min_max_sub */
function minMaxSub64(d: Reg, s: Reg): void {
  const o1 = sSubOverflows(d.sminH, d.sminL, s.smaxH, s.smaxL);
  const sminH = P.hi;
  const sminL = P.lo;
  if (o1 || sSubOverflows(d.smaxH, d.smaxL, s.sminH, s.sminL)) sUnbounded64(d);
  else {
    d.sminH = sminH;
    d.sminL = sminL;
    d.smaxH = P.hi;
    d.smaxL = P.lo;
  }
  const minU = sub64(d.uminH, d.uminL, s.umaxH, s.umaxL);
  const uminH = P.hi;
  const uminL = P.lo;
  const maxU = sub64(d.umaxH, d.umaxL, s.uminH, s.uminL);
  if (minU && !maxU) uUnbounded64(d);
  else {
    d.uminH = uminH;
    d.uminL = uminL;
    d.umaxH = P.hi;
    d.umaxL = P.lo;
  }
}

/** scalar32_min_max_mul (doubles: a product past 2^32 is an overflow whatever its rounding). */
function minMaxMul32(d: Reg, s: Reg): void {
  const umin = (d.umin32 >>> 0) * (s.umin32 >>> 0);
  const umax = (d.umax32 >>> 0) * (s.umax32 >>> 0);
  if (umax > U32 || umin > U32) {
    d.umin32 = 0;
    d.umax32 = W32;
  } else {
    d.umin32 = umin | 0;
    d.umax32 = umax | 0;
  }
  const p0 = d.smin32 * s.smin32;
  const p1 = d.smin32 * s.smax32;
  const p2 = d.smax32 * s.smin32;
  const p3 = d.smax32 * s.smax32;
  if (s32Over(p0) || s32Over(p1) || s32Over(p2) || s32Over(p3)) {
    d.smin32 = S32MIN;
    d.smax32 = S32MAX;
  } else {
    d.smin32 = Math.min(p0, p1, p2, p3) | 0;
    d.smax32 = Math.max(p0, p1, p2, p3) | 0;
  }
}

/** scalar_min_max_mul (rare: on BigInt). */
function minMaxMul64(d: Reg, s: Reg): void {
  const umin = toU64(d.uminH, d.uminL) * toU64(s.uminH, s.uminL);
  const umax = toU64(d.umaxH, d.umaxL) * toU64(s.umaxH, s.umaxL);
  const U64_MAX = (1n << 64n) - 1n;
  if (umax > U64_MAX || umin > U64_MAX) uUnbounded64(d);
  else {
    d.umin = umin;
    d.umax = umax;
  }
  const a0 = toS64(d.sminH, d.sminL);
  const a1 = toS64(d.smaxH, d.smaxL);
  const b0 = toS64(s.sminH, s.sminL);
  const b1 = toS64(s.smaxH, s.smaxL);
  const p = [a0 * b0, a0 * b1, a1 * b0, a1 * b1];
  if (p.some((v) => v !== BigInt.asIntN(64, v))) sUnbounded64(d);
  else {
    d.smin = p.reduce((x, y) => (x < y ? x : y));
    d.smax = p.reduce((x, y) => (x > y ? x : y));
  }
}

const AND = 0;
const OR = 1;
const XOR = 2;

/** scalar32_min_max_{and,or,xor}: var_off already updated. */
function minMaxBitwise32(d: Reg, s: Reg, op: number): void {
  const vl = d.varOff.vl;
  const ml = d.varOff.ml;
  if (s.varOff.ml === 0 && ml === 0) {
    d.umin32 = d.umax32 = vl;
    d.smin32 = d.smax32 = vl | 0;
    return;
  }
  let umin: number;
  let umax: number;
  if (op === AND) {
    umin = vl;
    umax = minU32(d.umax32, s.umax32);
  } else if (op === OR) {
    umin = maxU32(d.umin32, s.umin32);
    umax = vl | ml;
  } else {
    umin = vl;
    umax = vl | ml;
  }
  d.umin32 = umin;
  d.umax32 = umax;
  if (umin <= umax) {
    d.smin32 = umin;
    d.smax32 = umax;
  } else {
    d.smin32 = S32MIN;
    d.smax32 = S32MAX;
  }
}

/** scalar_min_max_{and,or,xor}: var_off already updated. */
function minMaxBitwise64(d: Reg, s: Reg, op: number): void {
  const t = d.varOff;
  if (tnumIsConst(s.varOff) && tnumIsConst(t)) return markKnownP(d, t.vh, t.vl);
  const orH = t.vh | t.mh;
  const orL = t.vl | t.ml;
  if (op === AND) {
    const sh = s.umaxH;
    const sl = s.umaxL;
    d.uminH = t.vh;
    d.uminL = t.vl;
    lowerUmax(d, sh, sl);
  } else if (op === OR) {
    raiseUmin(d, s.uminH, s.uminL);
    d.umaxH = orH;
    d.umaxL = orL;
  } else {
    d.uminH = t.vh;
    d.uminL = t.vl;
    d.umaxH = orH;
    d.umaxL = orL;
  }
  if (sle(d.uminH, d.uminL, d.umaxH, d.umaxL)) {
    d.sminH = d.uminH;
    d.sminL = d.uminL;
    d.smaxH = d.umaxH;
    d.smaxL = d.umaxL;
  } else sUnbounded64(d);
  updateRegBounds(d);
}

/** __scalar32_min_max_lsh */
function scalar32Lsh(d: Reg, umin: number, umax: number): void {
  d.smin32 = S32MIN;
  d.smax32 = S32MAX;
  if (umax > 31 || d.umax32 >>> 0 > 2 ** (31 - umax)) {
    d.umin32 = 0;
    d.umax32 = W32;
  } else {
    d.umin32 <<= umin;
    d.umax32 <<= umax;
  }
}

/** __scalar64_min_max_lsh */
function scalar64Lsh(d: Reg, umin: number, umax: number): void {
  const by32 = umin === 32 && umax === 32;
  if (by32 && d.smax32 >= 0) {
    d.smaxH = d.smax32;
    d.smaxL = 0;
  } else {
    d.smaxH = S32MAX;
    d.smaxL = W32;
  }
  if (by32 && d.smin32 >= 0) {
    d.sminH = d.smin32;
    d.sminL = 0;
  } else {
    d.sminH = S32MIN;
    d.sminL = 0;
  }
  // umax > 63 || d.umax > 1 << (63 - umax)
  const n = 63 - umax;
  const limH = n >= 32 ? (2 ** (n - 32)) | 0 : 0;
  const limL = n >= 32 ? 0 : (2 ** n) | 0;
  if (umax > 63 || ult(limH, limL, d.umaxH, d.umaxL)) uUnbounded64(d);
  else {
    shl64(d.uminH, d.uminL, umin);
    d.uminH = P.hi;
    d.uminL = P.lo;
    shl64(d.umaxH, d.umaxL, umax);
    d.umaxH = P.hi;
    d.umaxL = P.lo;
  }
}

function shift(d: Reg, s: Reg, op: number, alu32: boolean): void {
  if (alu32) {
    const umin = s.umin32;
    const umax = s.umax32;
    const sub = tnumSubreg(d.varOff);
    if (op === I.ALU_LSH) {
      scalar32Lsh(d, umin, umax);
      d.varOff = tnumSubreg(tnumLshift(sub, umin));
    } else if (op === I.ALU_RSH) {
      d.smin32 = S32MIN;
      d.smax32 = S32MAX;
      d.varOff = tnumRshift(sub, umin);
      d.umin32 = (d.umin32 >>> umax) | 0;
      d.umax32 = (d.umax32 >>> umin) | 0;
    } else {
      d.smin32 = d.smin32 >> umin;
      d.smax32 = d.smax32 >> umin;
      d.varOff = tnumArshift(sub, umin, 32);
      d.umin32 = 0;
      d.umax32 = W32;
    }
    mark64Unbounded(d);
    updateReg32Bounds(d);
    return;
  }
  const umin = s.uminL;
  const umax = s.umaxL;
  if (op === I.ALU_LSH) {
    scalar64Lsh(d, umin, umax);
    scalar32Lsh(d, umin, umax);
    d.varOff = tnumLshift(d.varOff, umin);
  } else if (op === I.ALU_RSH) {
    sUnbounded64(d);
    d.varOff = tnumRshift(d.varOff, umin);
    shr64(d.uminH, d.uminL, umax);
    d.uminH = P.hi;
    d.uminL = P.lo;
    shr64(d.umaxH, d.umaxL, umin);
    d.umaxH = P.hi;
    d.umaxL = P.lo;
    mark32Unbounded(d);
  } else {
    sar64(d.sminH, d.sminL, umin);
    d.sminH = P.hi;
    d.sminL = P.lo;
    sar64(d.smaxH, d.smaxL, umin);
    d.smaxH = P.hi;
    d.smaxL = P.lo;
    d.varOff = tnumArshift(d.varOff, umin, 64);
    uUnbounded64(d);
    mark32Unbounded(d);
  }
  updateRegBounds(d);
}

/** is_safe_to_compute_dst_reg_range */
function safeToCompute(op: number, src: Reg, alu32: boolean): boolean {
  switch (op) {
    case I.ALU_ADD:
    case I.ALU_SUB:
    case I.ALU_NEG:
    case I.ALU_AND:
    case I.ALU_XOR:
    case I.ALU_OR:
    case I.ALU_MUL:
      return true;
    case I.ALU_LSH:
    case I.ALU_RSH:
    case I.ALU_ARSH: {
      const srcConst = alu32
        ? src.varOff.ml === 0 && src.smin32 === src.smax32 && src.umin32 === src.umax32
        : tnumIsConst(src.varOff) &&
          src.sminH === src.smaxH &&
          src.sminL === src.smaxL &&
          src.uminH === src.umaxH &&
          src.uminL === src.umaxL;
      return srcConst && src.umaxH === 0 && src.umaxL >>> 0 < (alu32 ? 32 : 64);
    }
    default:
      return false;
  }
}

/** adjust_scalar_min_max_vals: dst (a scalar) op= src (a scalar; a copy the caller owns). */
/** BPF_NEG's copy of the operand (a scratch register: no allocation per instruction). */
const NEG_OLD = new Reg();

export function adjustScalarMinMaxVals(op: number, alu32: boolean, dst: Reg, src: Reg): void {
  if (!safeToCompute(op, src, alu32)) {
    markUnknown(dst);
    return;
  }
  switch (op) {
    case I.ALU_ADD:
      minMaxAdd32(dst, src);
      minMaxAdd64(dst, src);
      dst.varOff = tnumAdd(dst.varOff, src.varOff);
      break;
    case I.ALU_SUB:
      minMaxSub32(dst, src);
      minMaxSub64(dst, src);
      dst.varOff = tnumSub(dst.varOff, src.varOff);
      break;
    case I.ALU_NEG: {
      const old = NEG_OLD;
      old.assign(dst);
      markKnownP(dst, 0, 0);
      minMaxSub32(dst, old);
      minMaxSub64(dst, old);
      dst.varOff = tnumNeg(old.varOff);
      break;
    }
    case I.ALU_MUL:
      dst.varOff = tnumMul(dst.varOff, src.varOff);
      minMaxMul32(dst, src);
      minMaxMul64(dst, src);
      break;
    case I.ALU_AND:
      dst.varOff = tnumAnd(dst.varOff, src.varOff);
      minMaxBitwise32(dst, src, AND);
      minMaxBitwise64(dst, src, AND);
      break;
    case I.ALU_OR:
      dst.varOff = tnumOr(dst.varOff, src.varOff);
      minMaxBitwise32(dst, src, OR);
      minMaxBitwise64(dst, src, OR);
      break;
    case I.ALU_XOR:
      dst.varOff = tnumXor(dst.varOff, src.varOff);
      minMaxBitwise32(dst, src, XOR);
      minMaxBitwise64(dst, src, XOR);
      break;
    case I.ALU_LSH:
    case I.ALU_RSH:
    case I.ALU_ARSH:
      shift(dst, src, op, alu32);
      break;
    default:
      markUnknown(dst);
  }
  if (alu32) zext32To64(dst);
  regBoundsSync(dst);
}
