// One register's abstract value (struct bpf_reg_state): its type, id, fixed and variable offset,
// and the scalar bounds (u64/s64/u32/s32 min/max + tnum) with the kernel's bounds bookkeeping
// (__mark_reg_known, __mark_reg_unknown, reg_bounds_sync, coerce_reg_to_size) from verifier.c.
import type { MapField } from './mapFields';
// 64-bit bounds are (hi, lo) pairs of int32 words (pair64.ts), 32-bit ones int32 bit patterns too;
// `umin`, `u32min` … give them as BigInts for cold code.
import { P, fromBig, fls64, maxU32, minU32, sle, slt, toS64, toU64, ule, ult } from './pair64';
import type { Tnum } from './tnum';
import {
  TNUM_UNKNOWN,
  Tnum as TnumClass,
  tnumCast,
  tnumIntersect,
  tnumIsConst,
  tnumRange32,
  tnumRangeP,
  tnumSubreg,
} from './tnum';

/** enum bpf_reg_type, the base types XDP programs meet. */
export type RegType =
  | 'not_init'
  | 'scalar'
  | 'ctx'
  | 'map_ptr'
  | 'map_value'
  | 'map_key'
  | 'stack'
  | 'pkt'
  | 'pkt_meta'
  | 'pkt_end'
  | 'mem'
  | 'func'
  | 'btf_id';

/** The verifier's view of a map (struct bpf_map's fields the checks read). */
export interface VMap {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  inner?: VMap;
  /** A frozen read-only map's (.rodata's) bytes: reads at constant offsets are known values. */
  frozenData?: Uint8Array;
  /** The value's special fields from its BTF (btf_record); undefined: the map has no BTF. */
  fields?: readonly MapField[];
}

export const S64_MIN = -(1n << 63n);
export const S64_MAX = (1n << 63n) - 1n;
export const S32_MIN = -(1n << 31n);
export const S32_MAX = (1n << 31n) - 1n;
/** reg->range when the packet pointer was compared beyond / at pkt_end (mark_pkt_end). */
export const BEYOND_PKT_END = -2;
export const AT_PKT_END = -1;

export const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
export const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
export const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);
export const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);

/** 0xffffffff as an int32 word. */
const U32 = -1;
const S32MIN = -0x80000000;
const S32MAX = 0x7fffffff;

export class Reg {
  type: RegType = 'not_init';
  /** PTR_MAYBE_NULL */
  maybeNull = false;
  /** MEM_RDONLY (read-only map values) */
  rdonly = false;
  off = 0;
  varOff: Tnum = TNUM_UNKNOWN;
  /** umin_value, umax_value, smin_value, smax_value as (hi, lo) pairs of int32 words. */
  uminH = 0;
  uminL = 0;
  umaxH = U32;
  umaxL = U32;
  sminH = S32MIN;
  sminL = 0;
  smaxH = 0x7fffffff;
  smaxL = U32;
  /** u32_min_value, u32_max_value, s32_min_value, s32_max_value as int32 bit patterns. */
  umin32 = 0;
  umax32 = U32;
  smin32 = S32MIN;
  smax32 = S32MAX;
  id = 0;
  refObjId = 0;
  /** Packet pointers: bytes known to be in the packet after this pointer. */
  range = 0;
  map: VMap | undefined = undefined;
  /** PTR_TO_STACK: the frame it points into. */
  frameno = 0;
  /** PTR_TO_MEM: size of the memory; PTR_TO_FUNC: the subprogram's first insn. */
  memSize = 0;
  /** The exact value mattered on some path (mark_chain_precision); pruning compares it. */
  precise = false;
  /** A dynptr slice (PTR_TO_MEM): the dynptr's id (dynptr_id) and its DYNPTR_TYPE_* flag. */
  dynptrId = 0;
  dynptrKind: 'local' | 'ringbuf' | 'skb' | 'xdp' | undefined = undefined;
  /** PTR_TO_BTF_ID from a kfunc: the kernel struct it points to (btf_id), e.g. 'nf_conn'. */
  btfStruct: string | undefined = undefined;

  get umin(): bigint {
    return toU64(this.uminH, this.uminL);
  }
  set umin(v: bigint) {
    fromBig(v);
    this.uminH = P.hi;
    this.uminL = P.lo;
  }
  get umax(): bigint {
    return toU64(this.umaxH, this.umaxL);
  }
  set umax(v: bigint) {
    fromBig(v);
    this.umaxH = P.hi;
    this.umaxL = P.lo;
  }
  get smin(): bigint {
    return toS64(this.sminH, this.sminL);
  }
  set smin(v: bigint) {
    fromBig(v);
    this.sminH = P.hi;
    this.sminL = P.lo;
  }
  get smax(): bigint {
    return toS64(this.smaxH, this.smaxL);
  }
  set smax(v: bigint) {
    fromBig(v);
    this.smaxH = P.hi;
    this.smaxL = P.lo;
  }
  get u32min(): bigint {
    return BigInt(this.umin32 >>> 0);
  }
  set u32min(v: bigint) {
    this.umin32 = Number(BigInt.asIntN(32, v));
  }
  get u32max(): bigint {
    return BigInt(this.umax32 >>> 0);
  }
  set u32max(v: bigint) {
    this.umax32 = Number(BigInt.asIntN(32, v));
  }
  get s32min(): bigint {
    return BigInt(this.smin32);
  }
  set s32min(v: bigint) {
    this.smin32 = Number(BigInt.asIntN(32, v));
  }
  get s32max(): bigint {
    return BigInt(this.smax32);
  }
  set s32max(v: bigint) {
    this.smax32 = Number(BigInt.asIntN(32, v));
  }

  clone(): Reg {
    const r = new Reg();
    r.assign(this);
    return r;
  }

  /** copy_register_state */
  assign(o: Reg): void {
    this.type = o.type;
    this.maybeNull = o.maybeNull;
    this.rdonly = o.rdonly;
    this.off = o.off;
    this.varOff = o.varOff;
    this.uminH = o.uminH;
    this.uminL = o.uminL;
    this.umaxH = o.umaxH;
    this.umaxL = o.umaxL;
    this.sminH = o.sminH;
    this.sminL = o.sminL;
    this.smaxH = o.smaxH;
    this.smaxL = o.smaxL;
    this.umin32 = o.umin32;
    this.umax32 = o.umax32;
    this.smin32 = o.smin32;
    this.smax32 = o.smax32;
    this.id = o.id;
    this.refObjId = o.refObjId;
    this.range = o.range;
    this.map = o.map;
    this.frameno = o.frameno;
    this.memSize = o.memSize;
    this.precise = o.precise;
    this.dynptrId = o.dynptrId;
    this.dynptrKind = o.dynptrKind;
    this.btfStruct = o.btfStruct;
  }

  isPointer(): boolean {
    return this.type !== 'scalar' && this.type !== 'not_init';
  }
  isPkt(): boolean {
    return this.type === 'pkt' || this.type === 'pkt_meta';
  }
}

/** umin = max(umin, (h, l)) */
export function raiseUmin(r: Reg, h: number, l: number): void {
  if (ult(r.uminH, r.uminL, h, l)) {
    r.uminH = h;
    r.uminL = l;
  }
}
/** umax = min(umax, (h, l)) */
export function lowerUmax(r: Reg, h: number, l: number): void {
  if (ult(h, l, r.umaxH, r.umaxL)) {
    r.umaxH = h;
    r.umaxL = l;
  }
}
/** smin = max(smin, (h, l)) */
export function raiseSmin(r: Reg, h: number, l: number): void {
  if (slt(r.sminH, r.sminL, h, l)) {
    r.sminH = h;
    r.sminL = l;
  }
}
/** smax = min(smax, (h, l)) */
export function lowerSmax(r: Reg, h: number, l: number): void {
  if (slt(h, l, r.smaxH, r.smaxL)) {
    r.smaxH = h;
    r.smaxL = l;
  }
}

/** ___mark_reg_known on a (hi, lo) pair. */
export function markKnownP(r: Reg, h: number, l: number): void {
  r.varOff = new TnumClass(h, l, 0, 0);
  r.uminH = r.umaxH = r.sminH = r.smaxH = h;
  r.uminL = r.umaxL = r.sminL = r.smaxL = l;
  r.umin32 = r.umax32 = l;
  r.smin32 = r.smax32 = l;
}

/** ___mark_reg_known: a known value (fixed part of pointers zeroed). */
export function markKnown(r: Reg, v: bigint): void {
  if (v === 0n) return markKnownP(r, 0, 0);
  fromBig(v);
  markKnownP(r, P.hi, P.lo);
}

/** __mark_reg_known + id/off reset. */
export function markRegKnown(r: Reg, v: bigint): void {
  r.id = 0;
  r.refObjId = 0;
  r.off = 0;
  r.range = 0;
  r.map = undefined;
  r.maybeNull = false;
  r.rdonly = false;
  markKnown(r, v);
}

/** __mark_reg_const_zero / mark_reg_known_zero for scalars. */
export function markConstZero(r: Reg): void {
  r.type = 'scalar';
  markRegKnown(r, 0n);
}

export function mark64Unbounded(r: Reg): void {
  r.sminH = S32MIN;
  r.sminL = 0;
  r.smaxH = 0x7fffffff;
  r.smaxL = U32;
  r.uminH = 0;
  r.uminL = 0;
  r.umaxH = U32;
  r.umaxL = U32;
}
export function mark32Unbounded(r: Reg): void {
  r.smin32 = S32MIN;
  r.smax32 = S32MAX;
  r.umin32 = 0;
  r.umax32 = U32;
}

/** __mark_reg_unknown: an unknown scalar. */
export function markUnknown(r: Reg): void {
  r.type = 'scalar';
  r.id = 0;
  r.refObjId = 0;
  r.off = 0;
  r.range = 0;
  r.map = undefined;
  r.maybeNull = false;
  r.rdonly = false;
  r.frameno = 0;
  r.memSize = 0;
  r.precise = false;
  r.dynptrId = 0;
  r.dynptrKind = undefined;
  r.btfStruct = undefined;
  r.varOff = TNUM_UNKNOWN;
  mark64Unbounded(r);
  mark32Unbounded(r);
}

/** __mark_reg_not_init */
export function markNotInit(r: Reg): void {
  markUnknown(r);
  r.type = 'not_init';
}

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
    r.varOff = tnumIntersect(r.varOff, tnumRangeP(r.sminH, r.sminL, r.smaxH, r.smaxL));
  }
}

function regDeduceBounds(r: Reg): void {
  reg32DeduceBounds(r);
  reg64DeduceBounds(r);
  regDeduceMixedBounds(r);
}

/** __reg_bound_offset */
function regBoundOffset(r: Reg): void {
  const v64 = tnumIntersect(r.varOff, tnumRangeP(r.uminH, r.uminL, r.umaxH, r.umaxL));
  const v32 = tnumIntersect(tnumSubreg(v64), tnumRange32(r.umin32, r.umax32));
  // tnum_or(tnum_clear_subreg(var64_off), var32_off)
  const vl = v32.vl;
  r.varOff = new TnumClass(v64.vh, vl, v64.mh & ~v64.vh, v32.ml & ~vl);
}

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

/** coerce_reg_to_size_sx (simplified: exact for constants, else the sign-extended range). */
export function coerceRegToSizeSx(r: Reg, size: number): void {
  const bits = size * 8;
  if (tnumIsConst(r.varOff)) {
    markKnown(r, u64(BigInt.asIntN(bits, r.varOff.value)));
    return;
  }
  const lo = -(1n << BigInt(bits - 1));
  const hi = (1n << BigInt(bits - 1)) - 1n;
  r.varOff = TNUM_UNKNOWN;
  mark64Unbounded(r);
  mark32Unbounded(r);
  r.smin = lo;
  r.smax = hi;
  if (size < 8) {
    r.s32min = lo > S32_MIN ? lo : S32_MIN;
    r.s32max = hi < S32_MAX ? hi : S32_MAX;
  }
  regBoundsSync(r);
}

/** coerce_subreg_to_size_sx for 32-bit movsx: sign-extend into the low 32 bits, zero the upper. */
export function coerceSubregToSizeSx(r: Reg, size: number): void {
  const bits = size * 8;
  if (tnumIsConst(r.varOff)) {
    markKnown(r, u32(BigInt.asIntN(bits, r.varOff.value)));
    return;
  }
  r.varOff = TNUM_UNKNOWN;
  mark64Unbounded(r);
  mark32Unbounded(r);
  r.s32min = -(1n << BigInt(bits - 1));
  r.s32max = (1n << BigInt(bits - 1)) - 1n;
  zext32To64(r);
  regBoundsSync(r);
}

/** Value width in bits (get_reg_width). */
export const regWidth = (r: Reg): number => fls64(r.varOff.vh | r.varOff.mh, r.varOff.vl | r.varOff.ml);

export const isConst = (r: Reg, is32: boolean): boolean =>
  r.type === 'scalar' && (is32 ? r.varOff.ml === 0 : r.varOff.mh === 0 && r.varOff.ml === 0);
export const constValue = (r: Reg, is32: boolean): bigint =>
  is32 ? BigInt(r.varOff.vl >>> 0) : r.varOff.value;
/** register_is_null */
export const isNullReg = (r: Reg): boolean =>
  r.type === 'scalar' && (r.varOff.vh | r.varOff.vl | r.varOff.mh | r.varOff.ml) === 0;
