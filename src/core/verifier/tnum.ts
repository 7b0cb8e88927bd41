// Tristate numbers (kernel/bpf/tnum.c): a 64-bit value whose bits are each known 0, known 1 or
// unknown (mask bit set). The verifier's bitwise knowledge of scalars and variable pointer offsets.
// Value and mask are (hi, lo) pairs of int32 words (pair64.ts); `value`/`mask` give BigInts for cold code.
import { P, add64, fls64, fromBig, sar64, shl64, shr64, sub64, toS64, toU64 } from './pair64';

export class Tnum {
  constructor(
    readonly vh: number,
    readonly vl: number,
    readonly mh: number,
    readonly ml: number,
  ) {}
  get value(): bigint {
    return toU64(this.vh, this.vl);
  }
  get mask(): bigint {
    return toU64(this.mh, this.ml);
  }
}

export const U64_MAX = (1n << 64n) - 1n;
export const U32_MAX = 0xffffffffn;

/** A tnum from pairs (each word made uint32). */
export const tnumP = (vh: number, vl: number, mh: number, ml: number): Tnum =>
  new Tnum(vh | 0, vl | 0, mh | 0, ml | 0);

export function tnum(value: bigint, mask: bigint): Tnum {
  fromBig(value);
  const vh = P.hi;
  const vl = P.lo;
  fromBig(mask);
  return new Tnum(vh, vl, P.hi, P.lo);
}
/** tnum_const */
export function tnumConst(v: bigint): Tnum {
  fromBig(v);
  return new Tnum(P.hi, P.lo, 0, 0);
}
export const tnumConstP = (h: number, l: number): Tnum => new Tnum(h | 0, l | 0, 0, 0);
export const TNUM_UNKNOWN = new Tnum(0, 0, -1, -1);
export const TNUM_ZERO = new Tnum(0, 0, 0, 0);
export const tnumIsConst = (a: Tnum): boolean => a.mh === 0 && a.ml === 0;
export function tnumEqualsConst(a: Tnum, v: bigint): boolean {
  fromBig(v);
  return tnumIsConst(a) && a.vh === P.hi && a.vl === P.lo;
}
export const tnumIsUnknown = (a: Tnum): boolean => a.mh === -1 && a.ml === -1;

/** tnum_range */
export function tnumRange(min: bigint, max: bigint): Tnum {
  fromBig(min);
  const h = P.hi;
  const l = P.lo;
  fromBig(max);
  return tnumRangeP(h, l, P.hi, P.lo);
}

/** tnum_range on pairs. */
export function tnumRangeP(minH: number, minL: number, maxH: number, maxL: number): Tnum {
  const bits = fls64(minH ^ maxH, minL ^ maxL);
  if (bits > 63) return TNUM_UNKNOWN;
  const dh = bits > 32 ? ((1 << (bits - 32)) - 1) | 0 : 0;
  const dl = bits >= 32 ? -1 : ((1 << bits) - 1) | 0;
  return new Tnum(minH & ~dh, minL & ~dl, dh, dl);
}

/** tnum_range for u32 bounds (int32 bit patterns). */
export function tnumRange32(min: number, max: number): Tnum {
  const chi = min ^ max;
  const bits = chi === 0 ? 0 : 32 - Math.clz32(chi);
  const dl = bits >= 32 ? -1 : ((1 << bits) - 1) | 0;
  return new Tnum(0, min & ~dl, 0, dl);
}

/** tnum_lshift */
export function tnumLshift(a: Tnum, shift: number): Tnum {
  shl64(a.vh, a.vl, shift);
  const vh = P.hi;
  const vl = P.lo;
  shl64(a.mh, a.ml, shift);
  return new Tnum(vh, vl, P.hi, P.lo);
}
/** tnum_rshift */
export function tnumRshift(a: Tnum, shift: number): Tnum {
  shr64(a.vh, a.vl, shift);
  const vh = P.hi;
  const vl = P.lo;
  shr64(a.mh, a.ml, shift);
  return new Tnum(vh, vl, P.hi, P.lo);
}

/** tnum_arshift: arithmetic shift inside a 32- or 64-bit register. */
export function tnumArshift(a: Tnum, shift: number, bits: 32 | 64): Tnum {
  if (bits === 32) {
    const s = Math.min(shift, 31);
    return new Tnum(0, a.vl >> s, 0, a.ml >> s);
  }
  sar64(a.vh, a.vl, shift);
  const vh = P.hi;
  const vl = P.lo;
  sar64(a.mh, a.ml, shift);
  return new Tnum(vh, vl, P.hi, P.lo);
}

/** tnum_add */
export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  if ((a.mh | a.ml | b.mh | b.ml) === 0) {
    add64(a.vh, a.vl, b.vh, b.vl);
    return new Tnum(P.hi, P.lo, 0, 0);
  }
  add64(a.mh, a.ml, b.mh, b.ml);
  const smh = P.hi;
  const sml = P.lo;
  add64(a.vh, a.vl, b.vh, b.vl);
  const svh = P.hi;
  const svl = P.lo;
  add64(smh, sml, svh, svl);
  const muh = (P.hi ^ svh) | a.mh | b.mh;
  const mul = (P.lo ^ svl) | a.ml | b.ml;
  return new Tnum(svh & ~muh, svl & ~mul, muh, mul);
}

/** tnum_sub */
export function tnumSub(a: Tnum, b: Tnum): Tnum {
  sub64(a.vh, a.vl, b.vh, b.vl);
  const dvh = P.hi;
  const dvl = P.lo;
  if ((a.mh | a.ml | b.mh | b.ml) === 0) return new Tnum(dvh, dvl, 0, 0);
  add64(dvh, dvl, a.mh, a.ml);
  const ah = P.hi;
  const al = P.lo;
  sub64(dvh, dvl, b.mh, b.ml);
  const muh = (ah ^ P.hi) | a.mh | b.mh;
  const mul = (al ^ P.lo) | a.ml | b.ml;
  return new Tnum(dvh & ~muh, dvl & ~mul, muh, mul);
}

export const tnumNeg = (a: Tnum): Tnum => tnumSub(TNUM_ZERO, a);

/** tnum_and */
export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const vh = a.vh & b.vh;
  const vl = a.vl & b.vl;
  return new Tnum(vh, vl, (a.vh | a.mh) & (b.vh | b.mh) & ~vh, (a.vl | a.ml) & (b.vl | b.ml) & ~vl);
}

/** tnum_or */
export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const vh = a.vh | b.vh;
  const vl = a.vl | b.vl;
  return new Tnum(vh, vl, (a.mh | b.mh) & ~vh, (a.ml | b.ml) & ~vl);
}

/** tnum_xor */
export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const muh = a.mh | b.mh;
  const mul = a.ml | b.ml;
  return new Tnum((a.vh ^ b.vh) & ~muh, (a.vl ^ b.vl) & ~mul, muh, mul);
}

/** tnum_mul (the shift-and-add form of 6.x). */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  fromBig(a.value * b.value);
  const accV = new Tnum(P.hi, P.lo, 0, 0);
  let accM = TNUM_ZERO;
  let x = a;
  let y = b;
  while (x.vh | x.vl | x.mh | x.ml) {
    if (x.vl & 1) accM = tnumAdd(accM, new Tnum(0, 0, y.mh, y.ml));
    else if (x.ml & 1) accM = tnumAdd(accM, new Tnum(0, 0, y.vh | y.mh, y.vl | y.ml));
    x = tnumRshift(x, 1);
    y = tnumLshift(y, 1);
  }
  return tnumAdd(accV, accM);
}

/** tnum_intersect */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const muh = a.mh & b.mh;
  const mul = a.ml & b.ml;
  return new Tnum((a.vh | b.vh) & ~muh, (a.vl | b.vl) & ~mul, muh, mul);
}

/** tnum_cast: keeps the low `size` bytes. */
export function tnumCast(a: Tnum, size: number): Tnum {
  const bits = size * 8;
  if (bits >= 64) return a;
  if (bits >= 32) {
    const hm = bits === 32 ? 0 : ((1 << (bits - 32)) - 1) | 0;
    return new Tnum(a.vh & hm, a.vl, a.mh & hm, a.ml);
  }
  const lm = ((1 << bits) - 1) | 0;
  return new Tnum(0, a.vl & lm, 0, a.ml & lm);
}

/** tnum_is_aligned */
export function tnumIsAligned(a: Tnum, size: number): boolean {
  if (!size) return true;
  const m = size - 1;
  return ((a.vl | a.ml) & m) === 0 && ((a.vh | a.mh) & Math.floor(m / 0x100000000)) === 0;
}

/** tnum_in: is every value of b also a value of a? */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  // Tnums are immutable and copied by reference: the same one, or the same bits, is trivially in.
  if (a === b || (a.mh === b.mh && a.ml === b.ml && a.vh === b.vh && a.vl === b.vl)) return true;
  if ((b.mh & ~a.mh) !== 0 || (b.ml & ~a.ml) !== 0) return false;
  return a.vh === (b.vh & ~a.mh) && a.vl === (b.vl & ~a.ml);
}

export const tnumSubreg = (a: Tnum): Tnum => (a.vh === 0 && a.mh === 0 ? a : new Tnum(0, a.vl, 0, a.ml));
export const tnumClearSubreg = (a: Tnum): Tnum => new Tnum(a.vh, 0, a.mh, 0);
/** tnum_with_subreg: the upper half of reg, the lower of subreg. */
export const tnumWithSubreg = (reg: Tnum, subreg: Tnum): Tnum =>
  new Tnum(reg.vh, subreg.vl, reg.mh, subreg.ml);
export const tnumSubregIsConst = (a: Tnum): boolean => a.ml === 0;

/** printf's %#llx: "0" for zero, else 0x-prefixed hex. */
const hex = (h: number, l: number): string => (h === 0 && l === 0 ? '0' : `0x${toU64(h, l).toString(16)}`);
/** tnum_strn: "(0; 0xff)"; a constant prints as its value. */
export const tnumStr = (a: Tnum): string =>
  tnumIsConst(a) ? `${toS64(a.vh, a.vl)}` : `(${hex(a.vh, a.vl)}; ${hex(a.mh, a.ml)})`;
