// BPF_MAP_TYPE_HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH (kernel/bpf/hashtab.c): entries keyed
// by bytes, created and removed at run time. LRU maps evict the least recently used entry instead of
// failing with E2BIG when full (the kernel's per-CPU LRU lists are approximated by one global order).
// Keys are indexed by hashIndex.ts (open addressing over typed arrays), values live in slot-indexed
// pages (pagedValues.ts) that never move: memory grows with the entries present, not max_entries.
import type { Region } from '../vm/memory';
import { BPF_EXIST, BPF_NOEXIST, BpfMap, checkUpdateFlags, memView, percpuStride } from './bpfMap';
import type { MapDef, MapEntryDump, MapHost, MemView } from './bpfMap';
import { E2BIG, EEXIST, EINVAL, ENOENT, ENOMEM } from './errno';
import { HashIndex } from './hashIndex';
import { MapMemoryError } from './mapMemory';
import { PagedValues } from './pagedValues';
import { ValueRegions } from './valueRegions';

export class HashMap extends BpfMap {
  private readonly index: HashIndex;
  private readonly cpus: number;
  /** values[cpu] holds one value per slot. */
  private readonly values: PagedValues[] = [];
  private readonly regions: ValueRegions;
  private readonly label: string;

  constructor(
    def: MapDef,
    host: MapHost,
    readonly percpu: boolean,
    readonly lru: boolean,
  ) {
    super(def, host);
    this.cpus = percpu ? host.possibleCpus : 1;
    this.index = new HashIndex(def.keySize, def.maxEntries, host.memory, def.name);
    for (let c = 0; c < this.cpus; c++)
      this.values.push(new PagedValues(def.valueSize, def.maxEntries, host.memory, def.name));
    this.regions = new ValueRegions(host, false);
    this.label = `map '${this.name}' value`;
  }

  get size(): number {
    return this.index.count;
  }

  private region(s: number, cpu: number): Region {
    const at = s * this.cpus + cpu;
    const r = this.regions.get(at);
    if (r !== undefined) return r; // (not \`if (r)\`: a full ToBoolean per lookup)
    const made = this.host.allocRegion(
      'mapValue',
      (this.values[cpu] as PagedValues).view(s),
      true,
      this.label,
      this,
    );
    this.regions.set(at, made);
    return made;
  }

  private found(s: number, cpu: number): Region | undefined {
    if (s < 0) return undefined;
    if (this.lru) this.index.touch(s);
    return this.region(s, this.percpu ? cpu : 0);
  }

  lookup(key: Uint8Array, cpu: number): Region | undefined {
    if (key.length < this.def.keySize) return undefined;
    return this.found(this.index.find(memView(key).dv, 0), cpu);
  }

  override lookupAt(key: MemView, off: number, cpu: number): Region | undefined {
    return this.found(this.index.find(key.dv, off), cpu);
  }

  override lookupU32(key: number, cpu: number): Region | undefined {
    return this.found(this.index.findU32(key), cpu);
  }

  /** Frees the slot's regions: a pointer to a deleted element faults instead of aliasing. */
  private release(s: number): void {
    for (let c = 0; c < this.cpus; c++) this.regions.drop(s * this.cpus + c);
  }

  /** Shared by both sides: finds or creates the entry under the kernel's flag rules; slot or -errno. */
  private upsert(key: DataView, koff: number, flags: number): number {
    const bad = checkUpdateFlags(flags, true);
    if (bad) return bad;
    const idx = this.index;
    const old = idx.find(key, koff);
    const mode = flags & 3;
    if (old >= 0) {
      if (mode === BPF_NOEXIST) return -EEXIST;
      if (this.lru) idx.touch(old);
      return old;
    }
    if (mode === BPF_EXIST) return -ENOENT;
    if (idx.count >= this.def.maxEntries) {
      if (!this.lru) return -E2BIG;
      const victim = idx.head;
      idx.remove(victim);
      this.release(victim);
    }
    let s = -1;
    try {
      s = idx.insert(key, koff);
      for (let c = 0; c < this.cpus; c++) (this.values[c] as PagedValues).page(s);
    } catch (e) {
      // Out of the VM's map memory: the kernel's element allocation fails the same way.
      if (!(e instanceof MapMemoryError)) throw e;
      if (s >= 0) idx.remove(s);
      return -ENOMEM;
    }
    // A new per-CPU entry starts zeroed on the other CPUs (hashtab.c pcpu_init_value).
    if (this.percpu) for (let c = 0; c < this.cpus; c++) (this.values[c] as PagedValues).zero(s);
    return s;
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    if (key.length < this.def.keySize) return -EINVAL;
    return this.updateAt(memView(key), 0, memView(value), 0, flags, cpu);
  }

  override updateAt(
    key: MemView,
    koff: number,
    value: MemView,
    voff: number,
    flags: number,
    cpu: number,
  ): number {
    const s = this.upsert(key.dv, koff, flags);
    if (s < 0) return s;
    (this.values[this.percpu ? cpu : 0] as PagedValues).write(s, value.u8, voff);
    return 0;
  }

  override delete(key: Uint8Array): number {
    if (key.length < this.def.keySize) return -EINVAL;
    return this.deleteAt(memView(key), 0);
  }

  override deleteAt(key: MemView, off: number): number {
    const s = this.index.find(key.dv, off);
    if (s < 0) return -ENOENT;
    this.index.remove(s);
    this.release(s);
    return 0;
  }

  private read(s: number, c: number): Uint8Array {
    const out = new Uint8Array(this.def.valueSize);
    (this.values[c] as PagedValues).readInto(s, out, 0);
    return out;
  }

  userLookup(key: Uint8Array): Uint8Array | number {
    if (key.length < this.def.keySize) return -EINVAL;
    const s = this.index.find(memView(key).dv, 0);
    if (s < 0) return -ENOENT;
    if (!this.percpu) return this.read(s, 0);
    const stride = percpuStride(this.def.valueSize);
    const out = new Uint8Array(stride * this.cpus);
    for (let c = 0; c < this.cpus; c++) (this.values[c] as PagedValues).readInto(s, out, c * stride);
    return out;
  }

  userUpdate(key: Uint8Array, value: unknown, flags: number): number {
    if (!(value instanceof Uint8Array) || key.length !== this.def.keySize) return -EINVAL;
    const vs = this.def.valueSize;
    const stride = percpuStride(vs);
    const all = this.percpu && value.length >= stride * this.cpus;
    let v = value;
    if (v.length < vs) {
      v = new Uint8Array(vs);
      v.set(value);
    }
    const s = this.upsert(memView(key).dv, 0, flags);
    if (s < 0) return s;
    for (let c = 0; c < this.cpus; c++) (this.values[c] as PagedValues).write(s, v, all ? c * stride : 0);
    return 0;
  }

  userDelete(key: Uint8Array): number {
    if (key.length < this.def.keySize) return -EINVAL;
    return this.delete(key);
  }

  dump(): MapEntryDump[] {
    const out: MapEntryDump[] = [];
    for (let s = this.index.head; s >= 0; s = this.index.after(s)) {
      const key = this.index.keyOf(s);
      if (!this.percpu) {
        out.push({ key, value: this.read(s, 0) });
        continue;
      }
      const values: Uint8Array[] = [];
      for (let c = 0; c < this.cpus; c++) values.push(this.read(s, c));
      out.push({ key, value: values[0] as Uint8Array, values });
    }
    return out;
  }
}
