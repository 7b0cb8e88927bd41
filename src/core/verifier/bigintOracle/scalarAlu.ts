// TEST-ONLY ORACLE: scalarAlu.ts as it was with BigInt bounds (adjust_scalar_min_max_vals), kept to
// check the pair-of-uint32 rewrite against in property tests. Not used by the verifier.
import * as I from '../../vm/isa';
import type { Reg } from './regState';
import {
  S32_MAX,
  S32_MIN,
  S64_MAX,
  S64_MIN,
  mark32Unbounded,
  mark64Unbounded,
  markKnown,
  markUnknown,
  regBoundsSync,
  s32,
  updateReg32Bounds,
  updateRegBounds,
  zext32To64,
  u32,
} from './regState';
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
  tnumSubregIsConst,
  tnumXor,
  U32_MAX,
  U64_MAX,
} from './tnum';

const minOf = (...a: bigint[]): bigint => a.reduce((x, y) => (x < y ? x : y));
const maxOf = (...a: bigint[]): bigint => a.reduce((x, y) => (x > y ? x : y));
const sOver = (v: bigint, bits: 32 | 64): boolean =>
  bits === 32 ? v < S32_MIN || v > S32_MAX : v < S64_MIN || v > S64_MAX;
const uOver = (v: bigint, bits: 32 | 64): boolean => v < 0n || v > (bits === 32 ? U32_MAX : U64_MAX);
const uWrap = (v: bigint, bits: 32 | 64): bigint => BigInt.asUintN(bits, v);

interface B {
  smin: bigint;
  smax: bigint;
  umin: bigint;
  umax: bigint;
}
const get = (r: Reg, bits: 32 | 64): B =>
  bits === 32
    ? { smin: r.s32min, smax: r.s32max, umin: r.u32min, umax: r.u32max }
    : { smin: r.smin, smax: r.smax, umin: r.umin, umax: r.umax };
function set(r: Reg, bits: 32 | 64, b: B): void {
  if (bits === 32) {
    r.s32min = b.smin;
    r.s32max = b.smax;
    r.u32min = b.umin;
    r.u32max = b.umax;
  } else {
    r.smin = b.smin;
    r.smax = b.smax;
    r.umin = b.umin;
    r.umax = b.umax;
  }
}
const SMIN = (bits: 32 | 64): bigint => (bits === 32 ? S32_MIN : S64_MIN);
const SMAX = (bits: 32 | 64): bigint => (bits === 32 ? S32_MAX : S64_MAX);
const UMAX = (bits: 32 | 64): bigint => (bits === 32 ? U32_MAX : U64_MAX);

/** scalar{32,}_min_max_add */
function minMaxAdd(d: Reg, s: Reg, bits: 32 | 64): void {
  const a = get(d, bits);
  const b = get(s, bits);
  let smin = a.smin + b.smin;
  let smax = a.smax + b.smax;
  if (sOver(smin, bits) || sOver(smax, bits)) [smin, smax] = [SMIN(bits), SMAX(bits)];
  const minO = uOver(a.umin + b.umin, bits);
  const maxO = uOver(a.umax + b.umax, bits);
  let umin = uWrap(a.umin + b.umin, bits);
  let umax = uWrap(a.umax + b.umax, bits);
  if (!minO && maxO) [umin, umax] = [0n, UMAX(bits)];
  set(d, bits, { smin, smax, umin, umax });
}

/** scalar{32,}_min_max_sub */
function minMaxSub(d: Reg, s: Reg, bits: 32 | 64): void {
  const a = get(d, bits);
  const b = get(s, bits);
  let smin = a.smin - b.smax;
  let smax = a.smax - b.smin;
  if (sOver(smin, bits) || sOver(smax, bits)) [smin, smax] = [SMIN(bits), SMAX(bits)];
  const minU = a.umin - b.umax < 0n;
  const maxU = a.umax - b.umin < 0n;
  let umin = uWrap(a.umin - b.umax, bits);
  let umax = uWrap(a.umax - b.umin, bits);
  if (minU && !maxU) [umin, umax] = [0n, UMAX(bits)];
  set(d, bits, { smin, smax, umin, umax });
}

/** scalar{32,}_min_max_mul */
function minMaxMul(d: Reg, s: Reg, bits: 32 | 64): void {
  const a = get(d, bits);
  const b = get(s, bits);
  let umin = a.umin * b.umin;
  let umax = a.umax * b.umax;
  if (uOver(umax, bits) || uOver(umin, bits)) [umin, umax] = [0n, UMAX(bits)];
  const p = [a.smin * b.smin, a.smin * b.smax, a.smax * b.smin, a.smax * b.smax];
  let smin: bigint;
  let smax: bigint;
  if (p.some((v) => sOver(v, bits))) [smin, smax] = [SMIN(bits), SMAX(bits)];
  else [smin, smax] = [minOf(...p), maxOf(...p)];
  set(d, bits, { smin, smax, umin, umax });
}

type Bitwise = 'and' | 'or' | 'xor';
/** scalar{32,}_min_max_{and,or,xor}: var_off already updated. */
function minMaxBitwise(d: Reg, s: Reg, bits: 32 | 64, op: Bitwise): void {
  const srcKnown = bits === 32 ? tnumSubregIsConst(s.varOff) : tnumIsConst(s.varOff);
  const dstKnown = bits === 32 ? tnumSubregIsConst(d.varOff) : tnumIsConst(d.varOff);
  const v = bits === 32 ? tnumSubreg(d.varOff) : d.varOff;
  const a = get(d, bits);
  const b = get(s, bits);
  if (srcKnown && dstKnown) {
    if (bits === 32) {
      d.u32min = d.u32max = u32(v.value);
      d.s32min = d.s32max = s32(v.value);
    } else markKnown(d, v.value);
    return;
  }
  let umin: bigint;
  let umax: bigint;
  if (op === 'and') [umin, umax] = [v.value, a.umax < b.umax ? a.umax : b.umax];
  else if (op === 'or') [umin, umax] = [a.umin > b.umin ? a.umin : b.umin, v.value | v.mask];
  else [umin, umax] = [v.value, v.value | v.mask];
  const signed = (x: bigint): bigint => BigInt.asIntN(bits, x);
  // (fixed here as found by the property test: the kernel's s{32,64} = u{32,64} assignment wraps)
  const [smin, smax] = signed(umin) <= signed(umax) ? [signed(umin), signed(umax)] : [SMIN(bits), SMAX(bits)];
  set(d, bits, { smin, smax, umin, umax });
  if (bits === 64) updateRegBounds(d);
}

/** __scalar32_min_max_lsh */
function scalar32Lsh(d: Reg, umin: bigint, umax: bigint): void {
  d.s32min = S32_MIN;
  d.s32max = S32_MAX;
  if (umax > 31n || d.u32max > 1n << (31n - umax)) {
    d.u32min = 0n;
    d.u32max = U32_MAX;
  } else {
    d.u32min = u32(d.u32min << umin);
    d.u32max = u32(d.u32max << umax);
  }
}

/** __scalar64_min_max_lsh */
function scalar64Lsh(d: Reg, umin: bigint, umax: bigint): void {
  d.smax = umin === 32n && umax === 32n && d.s32max >= 0n ? d.s32max << 32n : S64_MAX;
  d.smin = umin === 32n && umax === 32n && d.s32min >= 0n ? d.s32min << 32n : S64_MIN;
  if (umax > 63n || d.umax > 1n << (63n - umax)) {
    d.umin = 0n;
    d.umax = U64_MAX;
  } else {
    d.umin = BigInt.asUintN(64, d.umin << umin);
    d.umax = BigInt.asUintN(64, d.umax << umax);
  }
}

function shift(d: Reg, s: Reg, op: number, alu32: boolean): void {
  if (alu32) {
    const umin = s.u32min;
    const umax = s.u32max;
    const sub = tnumSubreg(d.varOff);
    if (op === I.ALU_LSH) {
      scalar32Lsh(d, umin, umax);
      d.varOff = tnumSubreg(tnumLshift(sub, Number(umin)));
    } else if (op === I.ALU_RSH) {
      d.s32min = S32_MIN;
      d.s32max = S32_MAX;
      d.varOff = tnumRshift(sub, Number(umin));
      d.u32min >>= umax;
      d.u32max >>= umin;
    } else {
      d.s32min = u32(d.s32min >> umin);
      d.s32max = u32(d.s32max >> umin);
      d.s32min = s32(d.s32min);
      d.s32max = s32(d.s32max);
      d.varOff = tnumArshift(sub, Number(umin), 32);
      d.u32min = 0n;
      d.u32max = U32_MAX;
    }
    mark64Unbounded(d);
    updateReg32Bounds(d);
    return;
  }
  const umin = s.umin;
  const umax = s.umax;
  if (op === I.ALU_LSH) {
    scalar64Lsh(d, umin, umax);
    scalar32Lsh(d, umin, umax);
    d.varOff = tnumLshift(d.varOff, Number(umin));
  } else if (op === I.ALU_RSH) {
    d.smin = S64_MIN;
    d.smax = S64_MAX;
    d.varOff = tnumRshift(d.varOff, Number(umin));
    d.umin >>= umax;
    d.umax >>= umin;
    mark32Unbounded(d);
  } else {
    d.smin >>= umin;
    d.smax >>= umin;
    d.varOff = tnumArshift(d.varOff, Number(umin), 64);
    d.umin = 0n;
    d.umax = U64_MAX;
    mark32Unbounded(d);
  }
  updateRegBounds(d);
}

/** is_safe_to_compute_dst_reg_range */
function safeToCompute(op: number, src: Reg, alu32: boolean): boolean {
  const bits = alu32 ? 32n : 64n;
  const srcConst = alu32
    ? tnumSubregIsConst(src.varOff) && src.s32min === src.s32max && src.u32min === src.u32max
    : tnumIsConst(src.varOff) && src.smin === src.smax && src.umin === src.umax;
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
    case I.ALU_ARSH:
      return srcConst && src.umax < bits;
    default:
      return false;
  }
}

/** adjust_scalar_min_max_vals: dst (a scalar) op= src (a scalar; a copy the caller owns). */
export function adjustScalarMinMaxVals(op: number, alu32: boolean, dst: Reg, src: Reg): void {
  if (!safeToCompute(op, src, alu32)) {
    markUnknown(dst);
    return;
  }
  switch (op) {
    case I.ALU_ADD:
      minMaxAdd(dst, src, 32);
      minMaxAdd(dst, src, 64);
      dst.varOff = tnumAdd(dst.varOff, src.varOff);
      break;
    case I.ALU_SUB:
      minMaxSub(dst, src, 32);
      minMaxSub(dst, src, 64);
      dst.varOff = tnumSub(dst.varOff, src.varOff);
      break;
    case I.ALU_NEG: {
      const old = dst.clone();
      markKnown(dst, 0n);
      minMaxSub(dst, old, 32);
      minMaxSub(dst, old, 64);
      dst.varOff = tnumNeg(old.varOff);
      break;
    }
    case I.ALU_MUL:
      dst.varOff = tnumMul(dst.varOff, src.varOff);
      minMaxMul(dst, src, 32);
      minMaxMul(dst, src, 64);
      break;
    case I.ALU_AND:
      dst.varOff = tnumAnd(dst.varOff, src.varOff);
      minMaxBitwise(dst, src, 32, 'and');
      minMaxBitwise(dst, src, 64, 'and');
      break;
    case I.ALU_OR:
      dst.varOff = tnumOr(dst.varOff, src.varOff);
      minMaxBitwise(dst, src, 32, 'or');
      minMaxBitwise(dst, src, 64, 'or');
      break;
    case I.ALU_XOR:
      dst.varOff = tnumXor(dst.varOff, src.varOff);
      minMaxBitwise(dst, src, 32, 'xor');
      minMaxBitwise(dst, src, 64, 'xor');
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
