// BPF_MAP_TYPE_ARRAY and PERCPU_ARRAY (kernel/bpf/arraymap.c): max_entries zero-filled slots that
// always exist; also the global-data maps (.rodata/.data/.bss) libbpf makes of an object's sections.
import type { Region } from '../vm/memory';
import { BPF_NOEXIST, BpfMap, checkUpdateFlags, percpuStride, u32At } from './bpfMap';
import type { MapDef, MapEntryDump, MapHost } from './bpfMap';
import { E2BIG, EEXIST, EINVAL, ENOENT } from './errno';

export class ArrayMap extends BpfMap {
  readonly percpu: boolean;
  /** storage[cpu] holds max_entries values back to back. */
  private readonly storage: Uint8Array[];
  private readonly regions: (Region | undefined)[];
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
    const cpus = this.percpu ? host.possibleCpus : 1;
    this.storage = Array.from({ length: cpus }, () => new Uint8Array(def.valueSize * def.maxEntries));
    if (opts.initial)
      (this.storage[0] as Uint8Array).set(opts.initial.subarray(0, def.valueSize * def.maxEntries));
    this.regions = new Array<Region | undefined>(cpus * def.maxEntries);
  }

  /** The bytes of one slot (user-space view; shared with the program's region). */
  slot(index: number, cpu = 0): Uint8Array {
    const v = this.def.valueSize;
    return (this.storage[this.percpu ? cpu : 0] as Uint8Array).subarray(index * v, index * v + v);
  }

  private region(index: number, cpu: number): Region {
    const c = this.percpu ? cpu : 0;
    const at = c * this.def.maxEntries + index;
    let r = this.regions[at];
    if (!r) {
      const label = `map '${this.name}' value [${index}]${this.percpu ? ` cpu ${c}` : ''}`;
      r = this.host.allocRegion(
        this.readOnlyProg ? 'rodata' : 'mapValue',
        this.slot(index, c),
        !this.readOnlyProg,
        label,
        this,
      );
      this.regions[at] = r;
    }
    return r;
  }

  lookup(key: Uint8Array, cpu: number): Region | undefined {
    const i = u32At(key);
    return i < this.def.maxEntries ? this.region(i, cpu) : undefined;
  }

  override lookupU32(key: number, cpu: number): Region | undefined {
    const i = key >>> 0;
    if (i >= this.def.maxEntries) return undefined;
    return this.regions[(this.percpu ? cpu : 0) * this.def.maxEntries + i] ?? this.region(i, cpu);
  }

  override update(key: Uint8Array, value: Uint8Array, flags: number, cpu: number): number {
    const bad = checkUpdateFlags(flags, true);
    if (bad) return bad;
    const i = u32At(key);
    if (i >= this.def.maxEntries) return -E2BIG;
    if ((flags & 3) === BPF_NOEXIST) return -EEXIST;
    this.slot(i, cpu).set(value.subarray(0, this.def.valueSize));
    return 0;
  }

  override delete(): number {
    return -EINVAL;
  }

  userLookup(key: Uint8Array): Uint8Array | number {
    const i = u32At(key);
    if (key.length < 4 || i >= this.def.maxEntries) return -ENOENT;
    if (!this.percpu) return this.slot(i).slice();
    const stride = percpuStride(this.def.valueSize);
    const out = new Uint8Array(stride * this.host.possibleCpus);
    for (let c = 0; c < this.host.possibleCpus; c++) out.set(this.slot(i, c), c * stride);
    return out;
  }

  userUpdate(key: Uint8Array, value: unknown, flags: number): number {
    if (!(value instanceof Uint8Array)) return -EINVAL;
    const bad = checkUpdateFlags(flags, true);
    if (bad) return bad;
    const i = u32At(key);
    if (i >= this.def.maxEntries) return -E2BIG;
    if ((flags & 3) === BPF_NOEXIST) return -EEXIST;
    if (!this.percpu) {
      this.slot(i).set(value.subarray(0, this.def.valueSize));
      return 0;
    }
    const stride = percpuStride(this.def.valueSize);
    const all = value.length >= stride * this.host.possibleCpus;
    for (let c = 0; c < this.host.possibleCpus; c++)
      this.slot(i, c).set(
        all
          ? value.subarray(c * stride, c * stride + this.def.valueSize)
          : value.subarray(0, this.def.valueSize),
      );
    return 0;
  }

  userDelete(): number {
    return -EINVAL;
  }

  dump(): MapEntryDump[] {
    const out: MapEntryDump[] = [];
    for (let i = 0; i < this.def.maxEntries; i++) {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, i, true);
      if (this.percpu) {
        const values = Array.from({ length: this.host.possibleCpus }, (_, c) => this.slot(i, c).slice());
        out.push({ key, value: values[0] as Uint8Array, values });
      } else out.push({ key, value: this.slot(i).slice() });
    }
    return out;
  }
}
