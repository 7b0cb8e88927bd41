// 64-bit arithmetic on (hi, lo) pairs of 32-bit words: the verifier's u64/s64 without BigInt (whose
// every operation allocates). Every word is kept as an int32 bit pattern (x | 0): V8 stores int32s
// unboxed (Smi) in object fields, a uint32 past 2^31 would be a heap number allocated per copy.
// Results that are pairs land in the scratch P: read P.hi, P.lo right away.

/** The scratch result of the pair operations (overwritten by the next call). */
export const P = { hi: 0, lo: 0 };

const U32 = 0xffffffff;

/** a + b (mod 2^64) into P; returns the carry out of bit 63 (check_add_overflow for u64). */
export function add64(ah: number, al: number, bh: number, bl: number): number {
  const lo = (al >>> 0) + (bl >>> 0);
  const hs = (ah >>> 0) + (bh >>> 0) + (lo > U32 ? 1 : 0);
  P.lo = lo | 0;
  P.hi = hs | 0;
  return hs > U32 ? 1 : 0;
}

/** a - b (mod 2^64) into P; returns the borrow (a < b as u64). */
export function sub64(ah: number, al: number, bh: number, bl: number): number {
  const lo = (al >>> 0) - (bl >>> 0);
  const hs = (ah >>> 0) - (bh >>> 0) - (lo < 0 ? 1 : 0);
  P.lo = lo | 0;
  P.hi = hs | 0;
  return hs < 0 ? 1 : 0;
}

/** Signed overflow of a + b as s64 (check_add_overflow on s64): operands of one sign, sum of the other. */
export function sAddOverflows(ah: number, al: number, bh: number, bl: number): boolean {
  add64(ah, al, bh, bl);
  return (ah ^ bh) >= 0 && (ah ^ P.hi) < 0;
}

/** Signed overflow of a - b as s64 (check_sub_overflow on s64). */
export function sSubOverflows(ah: number, al: number, bh: number, bl: number): boolean {
  sub64(ah, al, bh, bl);
  return (ah ^ bh) < 0 && (ah ^ P.hi) < 0;
}

/** a << n (n ≥ 64 gives 0) into P. */
export function shl64(h: number, l: number, n: number): void {
  if (n === 0) {
    P.hi = h;
    P.lo = l;
  } else if (n < 32) {
    P.hi = (h << n) | (l >>> (32 - n));
    P.lo = l << n;
  } else if (n < 64) {
    P.hi = l << (n - 32);
    P.lo = 0;
  } else {
    P.hi = 0;
    P.lo = 0;
  }
}

/** a >> n, logical (n ≥ 64 gives 0) into P. */
export function shr64(h: number, l: number, n: number): void {
  if (n === 0) {
    P.hi = h;
    P.lo = l;
  } else if (n < 32) {
    P.lo = (l >>> n) | (h << (32 - n));
    P.hi = (h >>> n) | 0;
  } else if (n < 64) {
    P.lo = (h >>> (n - 32)) | 0;
    P.hi = 0;
  } else {
    P.hi = 0;
    P.lo = 0;
  }
}

/** a s>> n, arithmetic (n ≥ 64 as 63) into P. */
export function sar64(h: number, l: number, n: number): void {
  if (n === 0) {
    P.hi = h;
    P.lo = l;
  } else if (n < 32) {
    P.lo = (l >>> n) | (h << (32 - n));
    P.hi = h >> n;
  } else {
    P.lo = h >> Math.min(n - 32, 31);
    P.hi = h >> 31;
  }
}

/** u64 a < b */
export const ult = (ah: number, al: number, bh: number, bl: number): boolean =>
  ah >>> 0 < bh >>> 0 || (ah === bh && al >>> 0 < bl >>> 0);
/** u64 a <= b */
export const ule = (ah: number, al: number, bh: number, bl: number): boolean =>
  ah >>> 0 < bh >>> 0 || (ah === bh && al >>> 0 <= bl >>> 0);
/** s64 a < b */
export const slt = (ah: number, al: number, bh: number, bl: number): boolean =>
  ah < bh || (ah === bh && al >>> 0 < bl >>> 0);
/** s64 a <= b */
export const sle = (ah: number, al: number, bh: number, bl: number): boolean =>
  ah < bh || (ah === bh && al >>> 0 <= bl >>> 0);

/** max / min of two u32 bit patterns. */
export const maxU32 = (a: number, b: number): number => (a >>> 0 >= b >>> 0 ? a : b);
export const minU32 = (a: number, b: number): number => (a >>> 0 <= b >>> 0 ? a : b);

/** fls64: index (1-based) of the highest set bit, 0 for 0. */
export const fls64 = (h: number, l: number): number =>
  h !== 0 ? 64 - Math.clz32(h) : l !== 0 ? 32 - Math.clz32(l) : 0;

/** The pair as an s64 Number (Number(s64) without a BigInt: the same rounding past 2^53). */
export const s64Num = (h: number, l: number): number => h * 0x100000000 + (l >>> 0);
/** The pair as a u64 Number. */
export const u64Num = (h: number, l: number): number => (h >>> 0) * 0x100000000 + (l >>> 0);

/** The pair as a u64 BigInt (messages, cold paths). */
export const toU64 = (h: number, l: number): bigint => (BigInt(h >>> 0) << 32n) | BigInt(l >>> 0);
/** The pair as an s64 BigInt. */
export const toS64 = (h: number, l: number): bigint => BigInt.asIntN(64, toU64(h, l));

/** A BigInt (any sign, taken mod 2^64) into P. */
export function fromBig(v: bigint): void {
  P.hi = Number(BigInt.asIntN(32, v >> 32n));
  P.lo = Number(BigInt.asIntN(32, v));
}
