// The common shape of every BPF map: its definition, the program-side operations the helpers call
// (values are memory regions the program can point into) and the user-space side (bpftool-like
// lookup/update/delete/dump) the loader, the CLI and the simulator use. One file per map type.
import type { Region, RegionKind } from '../vm/memory';
import type { MapMemory } from './mapMemory';

/** A map as an object declares it (BTF `.maps` or the legacy `maps` section) or a caller creates it. */
export interface MapDef {
  name: string;
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  /** Template of the inner maps of ARRAY_OF_MAPS / HASH_OF_MAPS. */
  inner?: MapDef;
}

/** Where maps get memory regions and machine facts from (implemented by the BpfSystem). */
export interface MapHost {
  /** Number of possible CPUs (per-CPU maps hold one value each; CPUMAP keys must be below it). */
  readonly possibleCpus: number;
  allocRegion(kind: RegionKind, u8: Uint8Array, writable: boolean, label: string, ref?: unknown): Region;
  freeRegion(region: Region): void;
  /** The budget lazily allocated map storage is charged to. */
  readonly memory: MapMemory;
}

/** Bytes with a view over them (a Region is one): how helpers hand keys and values to maps. */
export interface MemView {
  readonly u8: Uint8Array;
  readonly dv: DataView;
}

/** A MemView of user-space bytes. */
export const memView = (u8: Uint8Array): MemView => ({
  u8,
  dv: new DataView(u8.buffer, u8.byteOffset, u8.byteLength),
});

/** One entry as `xdp-lab run --json` and the map views print it (hex strings). */
export interface MapEntryDump {
  key: Uint8Array;
  /** The value (CPU 0's for per-CPU maps). */
  value: Uint8Array;
  /** Per-CPU maps: every CPU's value. */
  values?: Uint8Array[];
}

export const BPF_ANY = 0;
export const BPF_NOEXIST = 1;
export const BPF_EXIST = 2;
export const BPF_F_LOCK = 4;

/** Kernel map-type numbers used by the engine (the full table is ../bpf/mapTypes.ts). */
export const MapType = {
  HASH: 1,
  ARRAY: 2,
  PROG_ARRAY: 3,
  PERF_EVENT_ARRAY: 4,
  PERCPU_HASH: 5,
  PERCPU_ARRAY: 6,
  LRU_HASH: 9,
  LRU_PERCPU_HASH: 10,
  LPM_TRIE: 11,
  ARRAY_OF_MAPS: 12,
  HASH_OF_MAPS: 13,
  DEVMAP: 14,
  CPUMAP: 16,
  XSKMAP: 17,
  QUEUE: 22,
  STACK: 23,
  DEVMAP_HASH: 25,
  RINGBUF: 27,
} as const;

export abstract class BpfMap {
  /** Set by the owner (BpfSystem) when the map is created: kernel-like map id, from 1. */
  id = 0;
  /** The region whose pointer a program holds for `&map` (ld_imm64 pseudo map fd). */
  handle!: Region;
  /**
   * The map type, copied from def: MapDef objects come in several shapes (BTF, legacy, inner
   * maps), so reading it through def on a hot path (bpf_redirect_map's record) was a megamorphic load.
   */
  readonly type: number;
  constructor(
    readonly def: MapDef,
    protected readonly host: MapHost,
  ) {
    this.type = def.type;
  }

  get name(): string {
    return this.def.name;
  }

  /** bpf_map_lookup_elem from a program: the value region or undefined (NULL). */
  abstract lookup(key: Uint8Array, cpu: number): Region | undefined;
  /**
   * The same for a 4-byte key given as its little-endian int32 value (the hot path of array,
   * devmap and u32-keyed hash lookups: no key bytes are copied). Maps without it use lookup().
   */
  lookupU32?(key: number, cpu: number): Region | undefined;
  /** Extra bpf_redirect_map flag bits of this map type (§2.2), -1 when it is not a redirect map. */
  redirectFlags = -1;
  /**
   * BPF_MAP_FREEZE was applied (libbpf freezes .rodata and .kconfig once filled): the syscall's update
   * and delete fail with EPERM (map_get_sys_perms drops FMODE_CAN_WRITE). Checked by the user-space
   * entry points (userWriteRefusal), not by userUpdate, which also serves libbpf's own pre-freeze fill.
   */
  frozen = false;
  /** bpf_map_update_elem from a program: 0 or -errno. */
  update(_key: Uint8Array, _value: Uint8Array, _flags: number, _cpu: number): number {
    return -22; // EINVAL: the verifier refuses this on read-only map types
  }
  /** bpf_map_delete_elem from a program: 0 or -errno. */
  delete(_key: Uint8Array): number {
    return -22;
  }

  /**
   * The helpers' allocation-free entry points: the key (and value) given as program memory (a
   * region's bytes and view) and an offset into it, key_size (value_size) bytes long, already
   * bounds-checked. Map types with typed storage override them; the defaults copy.
   */
  lookupAt(key: MemView, off: number, cpu: number): Region | undefined {
    return this.lookup(key.u8.subarray(off, off + this.def.keySize), cpu);
  }
  updateAt(key: MemView, koff: number, value: MemView, voff: number, flags: number, cpu: number): number {
    return this.update(
      key.u8.subarray(koff, koff + this.def.keySize),
      value.u8.subarray(voff, voff + this.def.valueSize),
      flags,
      cpu,
    );
  }
  deleteAt(key: MemView, off: number): number {
    return this.delete(key.u8.subarray(off, off + this.def.keySize));
  }

  /** BPF_MAP_LOOKUP_ELEM from user space: the value (per-CPU: all CPUs' values) or -errno. */
  abstract userLookup(key: Uint8Array): Uint8Array | number;
  /** BPF_MAP_UPDATE_ELEM from user space: 0 or -errno. `value` as the syscall takes it. */
  abstract userUpdate(key: Uint8Array, value: unknown, flags: number): number;
  /** BPF_MAP_DELETE_ELEM from user space: 0 or -errno. */
  abstract userDelete(key: Uint8Array): number;
  /**
   * Every present entry, in iteration (get_next_key) order. Arrays larger than DUMP_ALL_LIMIT
   * entries list only their non-zero entries (the rest are zero; listing 32 M zeros helps no one).
   */
  abstract dump(): MapEntryDump[];
}

/** -EPERM when user space may not write the map (map_update_elem / map_delete_elem on a frozen map), else 0. */
export function userWriteRefusal(map: BpfMap): number {
  return map.frozen ? -1 /* EPERM */ : 0;
}

/** Arrays up to this many entries dump every entry; larger ones only their non-zero entries. */
export const DUMP_ALL_LIMIT = 1 << 16;

/** A JS Map key for a byte string (numbers for ≤ 4 bytes, which covers most keys cheaply). */
export function keyOf(key: Uint8Array): number | string {
  const n = key.length;
  if (n === 4)
    return (
      (key[0] as number) | ((key[1] as number) << 8) | ((key[2] as number) << 16) | ((key[3] as number) << 24)
    );
  if (n < 4) {
    let v = 0;
    for (let i = n - 1; i >= 0; i--) v = v * 256 + (key[i] as number);
    return v;
  }
  let s = '';
  for (let i = 0; i < n; i++) s += String.fromCharCode(key[i] as number);
  return s;
}

export const u32At = (b: Uint8Array, o = 0): number =>
  ((b[o] as number) |
    ((b[o + 1] as number) << 8) |
    ((b[o + 2] as number) << 16) |
    ((b[o + 3] as number) << 24)) >>>
  0;

export const u32Bytes = (v: number): Uint8Array => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0, true);
  return b;
};

/** Per-CPU values travel through the syscall as round_up(value_size, 8) bytes per CPU. */
export const percpuStride = (valueSize: number): number => (valueSize + 7) & ~7;

/** Checks the generic update flags (BPF_ANY/NOEXIST/EXIST, optional F_LOCK): -EINVAL when bad. */
export function checkUpdateFlags(flags: number, allowLock = false): number {
  const f = allowLock ? flags & ~BPF_F_LOCK : flags;
  return f > BPF_EXIST || f < 0 ? -22 : 0;
}

/** Copies `value` into `dst` (a user-space value of a per-CPU map may give one value for all CPUs). */
export function asBytes(value: unknown, what: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  throw new TypeError(`${what}: expected bytes`);
}
