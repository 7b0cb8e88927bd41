// BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH (kernel/bpf/hashtab.c): entries keyed
// by bytes, created and removed at run time. LRU maps evict the least recently used entry instead of
// failing with E2BIG when full (the kernel's per-CPU LRU lists are approximated by one global order).
import type { Region } from '../vm/memory';
import { BPF_EXIST, BPF_NOEXIST, BpfMap, checkUpdateFlags, keyOf, percpuStride } from './bpfMap';
import type { MapDef, MapEntryDump, MapHost } from './bpfMap';
import { E2BIG, EEXIST, EINVAL, ENOENT } from './errno';

interface HashEntry {
  key: Uint8Array;
  /** One region per CPU for per-CPU maps, else one. */
  values: Region[];
}

export class HashMap extends BpfMap {
  private readonly entries = new Map<number | string, HashEntry>();
  constructor(
    def: MapDef,
    host: MapHost,
    readonly percpu: boolean,
    readonly lru: boolean,
  ) {
    super(def, host);
  }

  get size(): number {
    return this.entries.size;
  }

  lookup(key: Uint8Array, cpu: number): Region | undefined {
    const k = keyOf(key);
    const e = this.entries.get(k);
    if (!e) return undefined;
    if (this.lru) {
      this.entries.delete(k);
      this.entries.set(k, e);
    }
    return this.percpu ? e.values[cpu] : e.values[0];
  }

  override lookupU32(key: number, cpu: number): Region | undefined {
    const e = this.entries.get(key | 0);
    if (!e) return undefined;
    if (this.lru) {
      this.entries.delete(key | 0);
      this.entries.set(key | 0, e);
    }
    return this.percpu ? e.values[cpu] : e.values[0];
  }

  private newEntry(key: Uint8Array): HashEntry {
    const cpus = this.percpu ? this.host.possibleCpus : 1;
    const k = key.slice();
    const label = `map '${this.name}' value`;
    return {
      key: k,
      values: Array.from({ length: cpus }, () =>
        this.host.allocRegion('mapValue', new Uint8Array(this.def.valueSize), true, label, this),
      ),
    };
  }

  private release(e: HashEntry): void {
    for (const r of e.values) this.host.freeRegion(r);
  }

  /** Shared by both sides: finds or creates the entry under the kernel's flag rules. */
  private upsert(key: Uint8Array, flags: number): HashEntry | number {
    const bad = checkUpdateFlags(flags, true);
    if (bad) return bad;
    const k = keyOf(key);
    const old = this.entries.get(k);
    const mode = flags & 3;
    if (old && mode === BPF_NOEXIST) return -EEXIST;
    if (!old && mode === BPF_EXIST) return -ENOENT;
    if (old) {
      if (this.lru) {
        this.entries.delete(k);
        this.entries.set(k, old);
      }
      return old;
    }
    if (this.entries.size >= this.def.maxEntries) {
      if (!this.lru) return -E2BIG;
      const [victimKey, victim] = this.entries.entries().next().value as [number | string, HashEntry];
      this.entries.delete(victimKey);
      this.release(victim);
    }
    const e = this.newEntry(key);
    this.entries.set(k, e);
    return e;
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    const e = this.upsert(key, flags);
    if (typeof e === 'number') return e;
    // A new per-CPU entry starts zeroed on the other CPUs (hashtab.c pcpu_init_value).
    ((this.percpu ? e.values[cpu] : e.values[0]) as Region).u8.set(value.subarray(0, this.def.valueSize));
    return 0;
  }

  override delete(key: Uint8Array): number {
    const k = keyOf(key);
    const e = this.entries.get(k);
    if (!e) return -ENOENT;
    this.entries.delete(k);
    this.release(e);
    return 0;
  }

  userLookup(key: Uint8Array): Uint8Array | number {
    const e = this.entries.get(keyOf(key));
    if (!e) return -ENOENT;
    if (!this.percpu) return (e.values[0] as Region).u8.slice();
    const stride = percpuStride(this.def.valueSize);
    const out = new Uint8Array(stride * e.values.length);
    e.values.forEach((r, c) => out.set(r.u8, c * stride));
    return out;
  }

  userUpdate(key: Uint8Array, value: unknown, flags: number): number {
    if (!(value instanceof Uint8Array) || key.length !== this.def.keySize) return -EINVAL;
    const e = this.upsert(key, flags);
    if (typeof e === 'number') return e;
    const stride = percpuStride(this.def.valueSize);
    const all = this.percpu && value.length >= stride * e.values.length;
    e.values.forEach((r, c) =>
      r.u8.set(
        all
          ? value.subarray(c * stride, c * stride + this.def.valueSize)
          : value.subarray(0, this.def.valueSize),
      ),
    );
    return 0;
  }

  userDelete(key: Uint8Array): number {
    return this.delete(key);
  }

  dump(): MapEntryDump[] {
    return [...this.entries.values()].map((e) =>
      this.percpu
        ? {
            key: e.key.slice(),
            value: (e.values[0] as Region).u8.slice(),
            values: e.values.map((r) => r.u8.slice()),
          }
        : { key: e.key.slice(), value: (e.values[0] as Region).u8.slice() },
    );
  }
}
