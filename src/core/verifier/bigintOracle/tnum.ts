// TEST-ONLY ORACLE: tnum.ts as it was with BigInt values, kept to check the pair-of-uint32 rewrite
// against in property tests (tnum.test.ts, boundsOracle.test.ts). Not used by the verifier.

export interface Tnum {
  readonly value: bigint;
  readonly mask: bigint;
}

export const U64_MAX = (1n << 64n) - 1n;
export const U32_MAX = 0xffffffffn;
const u64 = (x: bigint): bigint => x & U64_MAX;

export const tnum = (value: bigint, mask: bigint): Tnum => ({ value: u64(value), mask: u64(mask) });
/** tnum_const */
export const tnumConst = (v: bigint): Tnum => ({ value: u64(v), mask: 0n });
export const TNUM_UNKNOWN: Tnum = { value: 0n, mask: U64_MAX };
export const tnumIsConst = (a: Tnum): boolean => a.mask === 0n;
export const tnumEqualsConst = (a: Tnum, v: bigint): boolean => a.mask === 0n && a.value === u64(v);
export const tnumIsUnknown = (a: Tnum): boolean => a.mask === U64_MAX;

/** fls64: index (1-based) of the highest set bit, 0 for 0. */
function fls64(x: bigint): number {
  return x === 0n ? 0 : x.toString(2).length;
}

/** tnum_range */
export function tnumRange(min: bigint, max: bigint): Tnum {
  const chi = u64(min ^ max);
  const bits = fls64(chi);
  if (bits > 63) return TNUM_UNKNOWN;
  const delta = (1n << BigInt(bits)) - 1n;
  return tnum(min & ~delta, delta);
}

/** tnum_lshift */
export const tnumLshift = (a: Tnum, shift: number): Tnum =>
  tnum(a.value << BigInt(shift), a.mask << BigInt(shift));
/** tnum_rshift */
export const tnumRshift = (a: Tnum, shift: number): Tnum =>
  tnum(a.value >> BigInt(shift), a.mask >> BigInt(shift));

/** tnum_arshift: arithmetic shift inside a 32- or 64-bit register. */
export function tnumArshift(a: Tnum, shift: number, bits: 32 | 64): Tnum {
  const s = BigInt(shift);
  if (bits === 32)
    return tnum(
      BigInt.asUintN(32, BigInt.asIntN(32, a.value) >> s),
      BigInt.asUintN(32, BigInt.asIntN(32, a.mask) >> s),
    );
  return tnum(BigInt.asIntN(64, a.value) >> s, BigInt.asIntN(64, a.mask) >> s);
}

/** tnum_add */
export function tnumAdd(a: Tnum, b: Tnum): Tnum {
  const sm = u64(a.mask + b.mask);
  const sv = u64(a.value + b.value);
  const sigma = u64(sm + sv);
  const chi = sigma ^ sv;
  const mu = chi | a.mask | b.mask;
  return tnum(sv & ~mu, mu);
}

/** tnum_sub */
export function tnumSub(a: Tnum, b: Tnum): Tnum {
  const dv = u64(a.value - b.value);
  const alpha = u64(dv + a.mask);
  const beta = u64(dv - b.mask);
  const chi = alpha ^ beta;
  const mu = chi | a.mask | b.mask;
  return tnum(dv & ~mu, mu);
}

export const tnumNeg = (a: Tnum): Tnum => tnumSub(tnumConst(0n), a);

/** tnum_and */
export function tnumAnd(a: Tnum, b: Tnum): Tnum {
  const alpha = a.value | a.mask;
  const beta = b.value | b.mask;
  const v = a.value & b.value;
  return tnum(v, alpha & beta & ~v);
}

/** tnum_or */
export function tnumOr(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask | b.mask;
  return tnum(v, mu & ~v);
}

/** tnum_xor */
export function tnumXor(a: Tnum, b: Tnum): Tnum {
  const v = a.value ^ b.value;
  const mu = a.mask | b.mask;
  return tnum(v & ~mu, mu);
}

/** tnum_mul (the shift-and-add form of 6.x). */
export function tnumMul(a: Tnum, b: Tnum): Tnum {
  const accV = u64(a.value * b.value);
  let accM = tnumConst(0n);
  let x = a;
  let y = b;
  while (x.value || x.mask) {
    if (x.value & 1n) accM = tnumAdd(accM, tnum(0n, y.mask));
    else if (x.mask & 1n) accM = tnumAdd(accM, tnum(0n, y.value | y.mask));
    x = tnumRshift(x, 1);
    y = tnumLshift(y, 1);
  }
  return tnumAdd(tnumConst(accV), accM);
}

/** tnum_intersect */
export function tnumIntersect(a: Tnum, b: Tnum): Tnum {
  const v = a.value | b.value;
  const mu = a.mask & b.mask;
  return tnum(v & ~mu, mu);
}

/** tnum_cast: keeps the low `size` bytes. */
export function tnumCast(a: Tnum, size: number): Tnum {
  const m = (1n << BigInt(size * 8)) - 1n;
  return tnum(a.value & m, a.mask & m);
}

/** tnum_is_aligned */
export function tnumIsAligned(a: Tnum, size: number): boolean {
  if (!size) return true;
  return ((a.value | a.mask) & BigInt(size - 1)) === 0n;
}

/** tnum_in: is every value of b also a value of a? */
export function tnumIn(a: Tnum, b: Tnum): boolean {
  // Tnums are immutable and copied by reference: the same one, or the same bits, is trivially in.
  if (a === b || (a.mask === b.mask && a.value === b.value)) return true;
  if (a.mask === U64_MAX) return true;
  if (b.mask & ~a.mask) return false;
  return a.value === (b.value & ~a.mask);
}

export const tnumSubreg = (a: Tnum): Tnum => tnumCast(a, 4);
export const tnumClearSubreg = (a: Tnum): Tnum => tnumLshift(tnumRshift(a, 32), 32);
export const tnumWithSubreg = (reg: Tnum, subreg: Tnum): Tnum =>
  tnumOr(tnumClearSubreg(reg), tnumSubreg(subreg));
export const tnumSubregIsConst = (a: Tnum): boolean => (a.mask & U32_MAX) === 0n;

/** printf's %#llx: "0" for zero, else 0x-prefixed hex. */
const hex = (v: bigint): string => (v === 0n ? '0' : `0x${v.toString(16)}`);
/** tnum_strn: "(0; 0xff)"; a constant prints as its value. */
export const tnumStr = (a: Tnum): string =>
  a.mask === 0n ? `${BigInt.asIntN(64, a.value)}` : `(${hex(a.value)}; ${hex(a.mask)})`;
