// BPF_MAP_TYPE_ARRAY and PERCPU_ARRAY (kernel/bpf/arraymap.c): max_entries zero-filled slots that
// always exist; also the global-data maps (.rodata/.data/.bss) libbpf makes of an object's sections.
// Values live in lazily allocated pages (pagedValues.ts): a 32 M-entry array costs what is touched.
import type { Region } from '../vm/memory';
import { BPF_NOEXIST, BpfMap, DUMP_ALL_LIMIT, checkUpdateFlags, percpuStride, u32At } from './bpfMap';
import type { MapDef, MapEntryDump, MapHost, MemView } from './bpfMap';
import { E2BIG, EEXIST, EINVAL, ENOENT, ENOMEM } from './errno';
import { MapMemoryError } from './mapMemory';
import { PagedValues } from './pagedValues';
import { REGION_CACHE_LIMIT, ValueRegions } from './valueRegions';

export class ArrayMap extends BpfMap {
  readonly percpu: boolean;
  /** Values per index: possible CPUs for PERCPU_ARRAY, else 1. */
  readonly cpus: number;
  /** storage[cpu] holds max_entries values. */
  private readonly storage: PagedValues[];
  private readonly regions: ValueRegions;
  /** Global data: .rodata is read-only to programs (BPF_F_RDONLY_PROG). */
  readonly readOnlyProg: boolean;

  constructor(
    def: MapDef,
    host: MapHost,
    opts: { percpu?: boolean; readOnlyProg?: boolean; initial?: Uint8Array } = {},
  ) {
    super(def, host);
    this.percpu = opts.percpu ?? false;
    this.readOnlyProg = opts.readOnlyProg ?? false;
    this.cpus = this.percpu ? host.possibleCpus : 1;
    this.storage = [];
    for (let c = 0; c < this.cpus; c++)
      this.storage.push(new PagedValues(def.valueSize, def.maxEntries, host.memory, def.name));
    const init = opts.initial;
    if (init) {
      const n = Math.min(def.maxEntries, Math.ceil(init.length / def.valueSize));
      for (let i = 0; i < n; i++) {
        const v = this.slot(i);
        v.set(init.subarray(i * def.valueSize, Math.min(init.length, (i + 1) * def.valueSize)));
      }
    }
    this.regionsKept = def.maxEntries * this.cpus <= REGION_CACHE_LIMIT;
    this.regions = new ValueRegions(host, this.regionsKept);
  }

  /**
   * Value regions live as long as the map (never swept): a lookup's answer may be remembered, as
   * the wasm tier's inline lookups do (wasmTier.ts, the kernel's array_map_gen_lookup).
   */
  readonly regionsKept: boolean;

  /** The bytes of one slot (user-space view; shared with the program's region). */
  slot(index: number, cpu = 0): Uint8Array {
    return (this.storage[this.percpu ? cpu : 0] as PagedValues).view(index);
  }

  private region(index: number, c: number): Region {
    const label = `map '${this.name}' value [${index}]${this.percpu ? ` cpu ${c}` : ''}`;
    const r = this.host.allocRegion(
      this.readOnlyProg ? 'rodata' : 'mapValue',
      this.slot(index, c),
      !this.readOnlyProg,
      label,
      this,
    );
    this.regions.set(index * this.cpus + c, r);
    return r;
  }

  lookup(key: Uint8Array, cpu: number): Region | undefined {
    return this.lookupU32(u32At(key), cpu);
  }

  override lookupAt(key: MemView, off: number, cpu: number): Region | undefined {
    return this.lookupU32(key.dv.getUint32(off, true), cpu);
  }

  override lookupU32(key: number, cpu: number): Region | undefined {
    const i = key >>> 0;
    if (i >= this.def.maxEntries) return undefined;
    const c = this.percpu ? cpu : 0;
    return this.regions.get(i * this.cpus + c) ?? this.region(i, c);
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    return this.set(u32At(key), value, 0, flags, cpu);
  }

  override updateAt(
    key: MemView,
    koff: number,
    value: MemView,
    voff: number,
    flags: number,
    cpu: number,
  ): number {
    return this.set(key.dv.getUint32(koff, true), value.u8, voff, flags, cpu);
  }

  private set(i: number, vbuf: Uint8Array, voff: number, flags: number, cpu: number): number {
    const bad = checkUpdateFlags(flags, true);
    if (bad) return bad;
    if (i >= this.def.maxEntries) return -E2BIG;
    if ((flags & 3) === BPF_NOEXIST) return -EEXIST;
    try {
      (this.storage[this.percpu ? cpu : 0] as PagedValues).write(i, vbuf, voff);
    } catch (e) {
      if (e instanceof MapMemoryError) return -ENOMEM;
      throw e;
    }
    return 0;
  }

  override delete(): number {
    return -EINVAL;
  }

  override deleteAt(): number {
    return -EINVAL;
  }

  userLookup(key: Uint8Array): Uint8Array | number {
    const i = u32At(key);
    if (key.length < 4 || i >= this.def.maxEntries) return -ENOENT;
    if (!this.percpu) {
      const out = new Uint8Array(this.def.valueSize);
      (this.storage[0] as PagedValues).readInto(i, out, 0);
      return out;
    }
    const stride = percpuStride(this.def.valueSize);
    const out = new Uint8Array(stride * this.cpus);
    for (let c = 0; c < this.cpus; c++) (this.storage[c] as PagedValues).readInto(i, out, c * stride);
    return out;
  }

  userUpdate(key: Uint8Array, value: unknown, flags: number): number {
    try {
      return this.userWrite(key, value, flags);
    } catch (e) {
      if (e instanceof MapMemoryError) return -ENOMEM;
      throw e;
    }
  }

  private userWrite(key: Uint8Array, value: unknown, flags: number): number {
    if (!(value instanceof Uint8Array)) return -EINVAL;
    const bad = checkUpdateFlags(flags, true);
    if (bad) return bad;
    const i = u32At(key);
    if (i >= this.def.maxEntries) return -E2BIG;
    if ((flags & 3) === BPF_NOEXIST) return -EEXIST;
    const vs = this.def.valueSize;
    const padded = (v: Uint8Array): Uint8Array => {
      if (v.length >= vs) return v;
      const b = new Uint8Array(vs);
      b.set(v);
      return b;
    };
    if (!this.percpu) {
      (this.storage[0] as PagedValues).write(i, padded(value), 0);
      return 0;
    }
    const stride = percpuStride(vs);
    const all = value.length >= stride * this.cpus;
    for (let c = 0; c < this.cpus; c++)
      (this.storage[c] as PagedValues).write(i, padded(value), all ? c * stride : 0);
    return 0;
  }

  userDelete(): number {
    return -EINVAL;
  }

  private entry(i: number): MapEntryDump {
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, i, true);
    const read = (c: number): Uint8Array => {
      const v = new Uint8Array(this.def.valueSize);
      (this.storage[c] as PagedValues).readInto(i, v, 0);
      return v;
    };
    if (!this.percpu) return { key, value: read(0) };
    const values: Uint8Array[] = [];
    for (let c = 0; c < this.cpus; c++) values.push(read(c));
    return { key, value: values[0] as Uint8Array, values };
  }

  dump(): MapEntryDump[] {
    const out: MapEntryDump[] = [];
    const n = this.def.maxEntries;
    if (n <= DUMP_ALL_LIMIT) {
      for (let i = 0; i < n; i++) out.push(this.entry(i));
      return out;
    }
    // Huge arrays: only the non-zero entries of the pages ever touched, in index order.
    const touched = new Set<number>();
    for (const s of this.storage) for (const first of s.touchedPages()) touched.add(first);
    const per = (this.storage[0] as PagedValues).valuesPerPage;
    for (const first of [...touched].sort((a, b) => a - b))
      for (let i = first; i < Math.min(n, first + per); i++)
        if (this.storage.some((s) => !s.isZero(i))) out.push(this.entry(i));
    return out;
  }

  /** Bytes of storage allocated so far (all CPUs). */
  get bytesAllocated(): number {
    let pages = 0;
    for (const s of this.storage) pages += s.pagesAllocated;
    return pages * (this.storage[0] as PagedValues).valuesPerPage * this.def.valueSize;
  }
}
