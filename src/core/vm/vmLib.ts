// Run-time helpers of the JS tier's generated code (compiler.ts passes them in as `L`): the low 64
// bits of a 64×64 multiplication on int32 halves, and 64-bit division/modulo as the kernel defines
// them (cold paths use BigInt).

/** Low 64 bits of a 64×64 multiplication, and 64-bit division helpers (cold paths use BigInt). */
export const vmLib = {
  h: 0,
  mul(ah: number, al: number, bh: number, bl: number): number {
    const a0 = al & 0xffff;
    const a1 = al >>> 16;
    const b0 = bl & 0xffff;
    const b1 = bl >>> 16;
    const p00 = a0 * b0;
    const p01 = a0 * b1;
    const p10 = a1 * b0;
    const p11 = a1 * b1;
    const mid = (p00 >>> 16) + (p01 & 0xffff) + (p10 & 0xffff);
    const lo = ((mid & 0xffff) << 16) | (p00 & 0xffff);
    const hi = p11 + (p01 >>> 16) + (p10 >>> 16) + (mid >>> 16);
    vmLib.h = (hi + Math.imul(ah, bl) + Math.imul(al, bh)) | 0;
    return lo;
  },
  /** kind: 0 udiv, 1 sdiv, 2 umod, 3 smod (RFC 9669 §4.1: x/0 = 0, x%0 = x, INT_MIN/-1 = INT_MIN). */
  div(kind: number, dh: number, dl: number, sh: number, sl: number): number {
    if (sh === 0 && sl === 0) {
      vmLib.h = kind >= 2 ? dh : 0;
      return kind >= 2 ? dl : 0;
    }
    const signed = kind === 1 || kind === 3;
    const d = signed
      ? BigInt.asIntN(64, (BigInt(dh) << 32n) | BigInt(dl >>> 0))
      : (BigInt(dh >>> 0) << 32n) | BigInt(dl >>> 0);
    const s = signed
      ? BigInt.asIntN(64, (BigInt(sh) << 32n) | BigInt(sl >>> 0))
      : (BigInt(sh >>> 0) << 32n) | BigInt(sl >>> 0);
    const r = kind >= 2 ? d % s : d / s; // BigInt truncates toward zero, sign of % follows the dividend (as C)
    vmLib.h = Number(BigInt.asIntN(32, r >> 32n));
    return Number(BigInt.asIntN(32, r));
  },
};
