// One register's abstract value (struct bpf_reg_state): its type, id, fixed and variable offset,
// and the scalar bounds (u64/s64/u32/s32 min/max + tnum) with the marks (__mark_reg_known,
// __mark_reg_unknown); the bounds bookkeeping (reg_bounds_sync, coerce_reg_to_size) is regBounds.ts.
import type { MapField } from './mapFields';
// 64-bit bounds are (hi, lo) pairs of int32 words (pair64.ts), 32-bit ones int32 bit patterns too;
// `umin`, `u32min` … give them as BigInts for cold code.
import { P, fromBig, fls64, slt, toS64, toU64, ult } from './pair64';
import type { Tnum } from './tnum';
import { TNUM_UNKNOWN, Tnum as TnumClass, tnumIsConst } from './tnum';

/** enum bpf_type_flag bits a PTR_TO_BTF_ID carries here (Reg.btfFlags). */
export const MEM_ALLOC = 1;
export const MEM_RCU = 2;
export const PTR_UNTRUSTED = 4;

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
  | 'btf_id'
  /** PTR_TO_SOCKET: a full socket from bpf_sk_lookup_tcp/udp (sockAccess.ts). */
  | 'sock'
  /** PTR_TO_SOCK_COMMON: a socket that may be a request or time-wait one (bpf_skc_lookup_tcp). */
  | 'sock_common'
  /**
   * CONST_PTR_TO_DYNPTR: a dynptr a callback is handed (set_user_ringbuf_callback_state's R1), not
   * on the stack: its kind is dynptrKind, its id is id (mark_dynptr_cb_reg).
   */
  | 'dynptr_ptr';

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
  /** PTR_TO_BTF_ID's type flags: MEM_ALLOC, MEM_RCU, PTR_UNTRUSTED (kptr.ts). */
  btfFlags = 0;

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

  /** copy_register_state; returns this register. */
  assign(o: Reg): this {
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
    this.btfFlags = o.btfFlags;
    return this;
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
  r.btfFlags = 0;
  r.varOff = TNUM_UNKNOWN;
  mark64Unbounded(r);
  mark32Unbounded(r);
}

/** __mark_reg_not_init */
export function markNotInit(r: Reg): void {
  markUnknown(r);
  r.type = 'not_init';
}

/** Value width in bits (get_reg_width). */
export const regWidth = (r: Reg): number => fls64(r.varOff.vh | r.varOff.mh, r.varOff.vl | r.varOff.ml);

export const isConst = (r: Reg, is32: boolean): boolean =>
  r.type === 'scalar' && (is32 ? r.varOff.ml === 0 : r.varOff.mh === 0 && r.varOff.ml === 0);
export const constValue = (r: Reg, is32: boolean): bigint =>
  is32 ? BigInt(r.varOff.vl >>> 0) : r.varOff.value;
/**
 * BPF_ADD_CONST64 / BPF_ADD_CONST32 (6.18.y, "bpf: Support negative offsets, BPF_SUB, and alu32 for
 * linked register tracking"): high bits of a scalar's id saying it is its linked copies plus `off`.
 */
export const ADD_CONST64 = 0x80000000;
export const ADD_CONST32 = 0x40000000;
/** id & ~BPF_ADD_CONST */
export const baseId = (id: number): number => id & 0x3fffffff;
/** id & BPF_ADD_CONST (0, ADD_CONST32, ADD_CONST64) */
export const addConst = (id: number): number => id - baseId(id);

/**
 * assign_scalar_id_before_mov: a scalar about to be copied (a move, a spill, a fill) gets an id the
 * copy shares; one that is its linked copies plus a constant loses that link first.
 */
export function assignScalarIdBeforeMov(env: { idGen: number }, r: Reg): void {
  if (r.type !== 'scalar') return;
  if (addConst(r.id)) clearScalarId(r);
  if (!r.id && !tnumIsConst(r.varOff)) r.id = ++env.idGen;
}

/** clear_scalar_id: no link, and no constant delta left to leak into a later id. */
export function clearScalarId(r: Reg): void {
  r.id = 0;
  r.off = 0;
}

/** register_is_null */
export const isNullReg = (r: Reg): boolean =>
  r.type === 'scalar' && (r.varOff.vh | r.varOff.vl | r.varOff.mh | r.varOff.ml) === 0;
