// TEST-ONLY ORACLE: regState.ts as it was with BigInt bounds (reg_bounds_sync, coerce_reg_to_size …),
// kept to check the pair-of-uint32 rewrite against in property tests. Not used by the verifier.
import type { Tnum } from './tnum';
import {
  TNUM_UNKNOWN,
  tnumCast,
  tnumConst,
  tnumIntersect,
  tnumIsConst,
  tnumOr,
  tnumRange,
  tnumSubreg,
  tnumClearSubreg,
  U32_MAX,
  U64_MAX,
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
const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

export class Reg {
  type: RegType = 'not_init';
  /** PTR_MAYBE_NULL */
  maybeNull = false;
  /** MEM_RDONLY (read-only map values) */
  rdonly = false;
  off = 0;
  varOff: Tnum = TNUM_UNKNOWN;
  umin = 0n;
  umax = U64_MAX;
  smin = S64_MIN;
  smax = S64_MAX;
  u32min = 0n;
  u32max = U32_MAX;
  s32min = S32_MIN;
  s32max = S32_MAX;
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
    this.umin = o.umin;
    this.umax = o.umax;
    this.smin = o.smin;
    this.smax = o.smax;
    this.u32min = o.u32min;
    this.u32max = o.u32max;
    this.s32min = o.s32min;
    this.s32max = o.s32max;
    this.id = o.id;
    this.refObjId = o.refObjId;
    this.range = o.range;
    this.map = o.map;
    this.frameno = o.frameno;
    this.memSize = o.memSize;
    this.precise = o.precise;
  }

  isPointer(): boolean {
    return this.type !== 'scalar' && this.type !== 'not_init';
  }
  isPkt(): boolean {
    return this.type === 'pkt' || this.type === 'pkt_meta';
  }
}

/** ___mark_reg_known: a known value (fixed part of pointers zeroed). */
export function markKnown(r: Reg, v: bigint): void {
  r.varOff = tnumConst(v);
  r.smin = r.smax = s64(v);
  r.umin = r.umax = u64(v);
  r.s32min = r.s32max = s32(v);
  r.u32min = r.u32max = u32(v);
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
  r.smin = S64_MIN;
  r.smax = S64_MAX;
  r.umin = 0n;
  r.umax = U64_MAX;
}
export function mark32Unbounded(r: Reg): void {
  r.s32min = S32_MIN;
  r.s32max = S32_MAX;
  r.u32min = 0n;
  r.u32max = U32_MAX;
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
  const v = tnumSubreg(r.varOff);
  r.s32min = max(r.s32min, s32(v.value | (v.mask & 0x80000000n)));
  r.s32max = min(r.s32max, s32(v.value | (v.mask & 0x7fffffffn)));
  r.u32min = max(r.u32min, v.value);
  r.u32max = min(r.u32max, v.value | v.mask);
}

/** __update_reg64_bounds */
export function updateReg64Bounds(r: Reg): void {
  const v = r.varOff;
  r.smin = max(r.smin, s64(v.value | (v.mask & (1n << 63n))));
  r.smax = min(r.smax, s64(v.value | (v.mask & S64_MAX)));
  r.umin = max(r.umin, v.value);
  r.umax = min(r.umax, v.value | v.mask);
}

export function updateRegBounds(r: Reg): void {
  updateReg32Bounds(r);
  updateReg64Bounds(r);
}

/** __reg32_deduce_bounds */
function reg32DeduceBounds(r: Reg): void {
  if (r.umin >> 32n === r.umax >> 32n) {
    r.u32min = max(r.u32min, u32(r.umin));
    r.u32max = min(r.u32max, u32(r.umax));
    if (s32(r.umin) <= s32(r.umax)) {
      r.s32min = max(r.s32min, s32(r.umin));
      r.s32max = min(r.s32max, s32(r.umax));
    }
  }
  if (r.smin >> 32n === r.smax >> 32n) {
    r.u32min = max(r.u32min, u32(r.smin));
    r.u32max = min(r.u32max, u32(r.smax));
    if (s32(r.smin) <= s32(r.smax)) {
      r.s32min = max(r.s32min, s32(r.smin));
      r.s32max = min(r.s32max, s32(r.smax));
    }
  }
  if (u32((r.umin >> 32n) + 1n) === u32(r.umax >> 32n) && s32(r.umin) < 0n && s32(r.umax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.umin));
    r.s32max = min(r.s32max, s32(r.umax));
  }
  if (u32(u32(r.smin >> 32n) + 1n) === u32(r.smax >> 32n) && s32(r.smin) < 0n && s32(r.smax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.smin));
    r.s32max = min(r.s32max, s32(r.smax));
  }
  if (s32(r.u32min) <= s32(r.u32max)) {
    r.s32min = max(r.s32min, s32(r.u32min));
    r.s32max = min(r.s32max, s32(r.u32max));
  }
  if (u32(r.s32min) <= u32(r.s32max)) {
    r.u32min = max(u32(r.s32min), r.u32min);
    r.u32max = min(u32(r.s32max), r.u32max);
  } else if (r.u32max < u32(r.s32min)) {
    r.s32min = s32(r.u32min);
    r.u32max = min(r.u32max, u32(r.s32max));
  } else if (u32(r.s32max) < r.u32min) {
    r.s32max = s32(r.u32max);
    r.u32min = max(r.u32min, u32(r.s32min));
  }
}

/** __reg64_deduce_bounds */
function reg64DeduceBounds(r: Reg): void {
  if (s64(r.umin) <= s64(r.umax)) {
    r.smin = max(r.smin, s64(r.umin));
    r.smax = min(r.smax, s64(r.umax));
  }
  if (u64(r.smin) <= u64(r.smax)) {
    r.umin = max(u64(r.smin), r.umin);
    r.umax = min(u64(r.smax), r.umax);
  } else if (r.umax < u64(r.smin)) {
    r.smin = s64(r.umin);
    r.umax = min(r.umax, u64(r.smax));
  } else if (u64(r.smax) < r.umin) {
    r.smax = s64(r.umax);
    r.umin = max(r.umin, u64(r.smin));
  }
}

/** __reg_deduce_mixed_bounds */
function regDeduceMixedBounds(r: Reg): void {
  const hi = ~0xffffffffn;
  r.umin = max(r.umin, u64((r.umin & hi) | r.u32min));
  r.umax = min(r.umax, u64((r.umax & hi) | r.u32max));
  r.smin = max(r.smin, s64((r.smin & hi) | r.u32min));
  r.smax = min(r.smax, s64((r.smax & hi) | r.u32max));
  if (r.s32min >= 0n && r.smin >= S32_MIN && r.smax <= S32_MAX) {
    r.smin = r.s32min;
    r.smax = r.s32max;
    r.umin = r.s32min;
    r.umax = r.s32max;
    r.varOff = tnumIntersect(r.varOff, tnumRange(r.smin, r.smax));
  }
}

function regDeduceBounds(r: Reg): void {
  reg32DeduceBounds(r);
  reg64DeduceBounds(r);
  regDeduceMixedBounds(r);
}

/** __reg_bound_offset */
function regBoundOffset(r: Reg): void {
  const v64 = tnumIntersect(r.varOff, tnumRange(r.umin, r.umax));
  const v32 = tnumIntersect(tnumSubreg(v64), tnumRange(r.u32min, r.u32max));
  r.varOff = tnumOr(tnumClearSubreg(v64), v32);
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
 * change nothing (a shortcut that spares its ~60 BigInt operations on the commonest registers).
 */
function boundsSettled(r: Reg): boolean {
  const t = r.varOff;
  if (t.mask === U64_MAX)
    return (
      r.umin === 0n &&
      r.umax === U64_MAX &&
      r.smin === S64_MIN &&
      r.smax === S64_MAX &&
      r.u32min === 0n &&
      r.u32max === U32_MAX &&
      r.s32min === S32_MIN &&
      r.s32max === S32_MAX
    );
  if (t.mask !== 0n || r.umin !== t.value || r.umax !== t.value || r.smin !== r.smax) return false;
  if (r.u32min !== r.u32max || r.s32min !== r.s32max) return false;
  const lo = u32(t.value);
  return r.smin === s64(t.value) && r.u32min === lo && r.s32min === s32(lo);
}

/** Bounds that cannot hold (a dead branch): reg_bounds_sanity_check's condition. */
export function boundsInvalid(r: Reg): boolean {
  return (
    r.umin > r.umax ||
    r.smin > r.smax ||
    r.u32min > r.u32max ||
    r.s32min > r.s32max ||
    (tnumIsConst(r.varOff) && (r.varOff.value < r.umin || r.varOff.value > r.umax)) ||
    (r.varOff.value & ~r.varOff.mask) !== r.varOff.value
  );
}

/** __reg_assign_32_into_64 */
export function regAssign32Into64(r: Reg): void {
  r.umin = r.u32min;
  r.umax = r.u32max;
  r.smax = r.s32min >= 0n && r.s32max >= 0n ? r.s32max : U32_MAX;
  r.smin = r.s32min >= 0n ? r.s32min : 0n;
}

/** zext_32_to_64 */
export function zext32To64(r: Reg): void {
  r.varOff = tnumSubreg(r.varOff);
  regAssign32Into64(r);
}

/** coerce_reg_to_size: truncate to `size` bytes, zero-extended. */
export function coerceRegToSize(r: Reg, size: number): void {
  r.varOff = tnumCast(r.varOff, size);
  const mask = (1n << BigInt(size * 8)) - 1n;
  if ((r.umin & ~mask) === (r.umax & ~mask)) {
    r.umin &= mask;
    r.umax &= mask;
  } else {
    r.umin = 0n;
    r.umax = mask;
  }
  // (fixed here as found by the property test: the kernel's s64 = u64 assignment wraps)
  r.smin = s64(r.umin);
  r.smax = s64(r.umax);
  if (size < 4) {
    r.u32min = r.umin;
    r.u32max = r.umax;
    r.s32min = r.umin;
    r.s32max = r.umax;
  } else if (size === 4) {
    r.u32min = r.umin;
    r.u32max = r.umax;
    r.s32min = S32_MIN;
    r.s32max = S32_MAX;
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
export function regWidth(r: Reg): number {
  const m = r.varOff.value | r.varOff.mask;
  return m === 0n ? 0 : m.toString(2).length;
}

export const isConst = (r: Reg, is32: boolean): boolean =>
  r.type === 'scalar' && (is32 ? (r.varOff.mask & U32_MAX) === 0n : r.varOff.mask === 0n);
export const constValue = (r: Reg, is32: boolean): bigint => (is32 ? u32(r.varOff.value) : r.varOff.value);
/** register_is_null */
export const isNullReg = (r: Reg): boolean =>
  r.type === 'scalar' && r.varOff.mask === 0n && r.varOff.value === 0n;
