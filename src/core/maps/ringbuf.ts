// BPF_MAP_TYPE_RINGBUF (kernel/bpf/ringbuf.c) and PERF_EVENT_ARRAY: the records a program emits,
// kept in order for the caller to read (the CLI prints them; the visualizer shows them).
import type { Region } from '../vm/memory';
import { BpfMap } from './bpfMap';
import type { MapDef, MapEntryDump, MapHost } from './bpfMap';
import { EINVAL } from './errno';

/** One emitted record. */
export interface RingRecord {
  data: Uint8Array;
  cpu: number;
}

/** Space taken by a record: 8-byte header, data rounded up to 8 (ringbuf.c). */
const recordSpace = (n: number): number => 8 + ((n + 7) & ~7);

export class RingBufMap extends BpfMap {
  readonly records: RingRecord[] = [];
  /** Reserved-but-unsubmitted samples by region id. */
  private readonly pending = new Map<number, Region>();
  private used = 0;

  constructor(def: MapDef, host: MapHost) {
    super(def, host);
  }

  lookup(): undefined {
    return undefined;
  }

  /** bpf_ringbuf_reserve: a writable region of `size` bytes, or undefined when full. */
  reserve(size: number): Region | undefined {
    if (this.used + recordSpace(size) > this.def.maxEntries) return undefined;
    this.used += recordSpace(size);
    const r = this.host.allocRegion(
      'mapValue',
      new Uint8Array(size),
      true,
      `ringbuf '${this.name}' sample`,
      this,
    );
    this.pending.set(r.id, r);
    return r;
  }

  /** bpf_ringbuf_submit / discard. */
  commit(regionId: number, keep: boolean, cpu: number): boolean {
    const r = this.pending.get(regionId);
    if (!r) return false;
    this.pending.delete(regionId);
    if (keep) this.records.push({ data: r.u8.slice(), cpu });
    else this.used -= recordSpace(r.u8.length);
    this.host.freeRegion(r);
    return true;
  }

  /** bpf_ringbuf_output: 0 or -ENOSPC-like failure (-EAGAIN in the kernel when full). */
  output(data: Uint8Array, cpu: number): number {
    if (this.used + recordSpace(data.length) > this.def.maxEntries) return -11; // EAGAIN
    this.used += recordSpace(data.length);
    this.records.push({ data: data.slice(), cpu });
    return 0;
  }

  /** A consumer read everything: frees the space. */
  drain(): RingRecord[] {
    const out = this.records.splice(0);
    this.used = 0;
    return out;
  }

  userLookup(): number {
    return -EINVAL;
  }
  userUpdate(): number {
    return -EINVAL;
  }
  userDelete(): number {
    return -EINVAL;
  }
  dump(): MapEntryDump[] {
    return [];
  }
}

export class PerfEventArrayMap extends BpfMap {
  readonly records: RingRecord[] = [];
  constructor(def: MapDef, host: MapHost) {
    super(def, host);
  }
  lookup(): undefined {
    return undefined;
  }
  output(data: Uint8Array, cpu: number): number {
    this.records.push({ data: data.slice(), cpu });
    return 0;
  }
  userLookup(): number {
    return -EINVAL;
  }
  userUpdate(): number {
    return -EINVAL;
  }
  userDelete(): number {
    return -EINVAL;
  }
  dump(): MapEntryDump[] {
    return [];
  }
}
