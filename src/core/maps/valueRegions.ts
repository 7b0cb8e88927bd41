// The regions a program's map-value pointers name (vm/memory.ts): made on a value's first lookup and
// cached, never one per element up front. A pointer lives only as long as the run that looked it up
// (the verifier forbids storing it), so a cache that grew past its limit is dropped between runs
// (MapMemory.sweep) and regions are made again when looked up again; small maps keep theirs for good
// (global-data regions are resolved into instructions at load time).
import type { Region } from '../vm/memory';
import type { MapHost } from './bpfMap';
import type { Sweepable } from './mapMemory';

/** Regions a cache holds before it asks to be swept between runs. */
export const REGION_CACHE_LIMIT = 1 << 15;
/** Indices below this are kept in a dense array (faster than a Map). */
const DENSE_LIMIT = 1 << 20;

export class ValueRegions implements Sweepable {
  private dense: (Region | undefined)[] = [];
  private readonly sparse = new Map<number, Region>();
  private count = 0;
  private queued = false;

  constructor(
    private readonly host: MapHost,
    /** Caches that may never be swept (their index space is small). */
    private readonly keep: boolean,
  ) {}

  get(i: number): Region | undefined {
    return i < DENSE_LIMIT ? this.dense[i] : this.sparse.get(i);
  }

  set(i: number, r: Region): void {
    if (i < DENSE_LIMIT) {
      while (this.dense.length < i) this.dense.push(undefined);
      this.dense[i] = r;
    } else this.sparse.set(i, r);
    this.count++;
    if (!this.keep && !this.queued && this.count > REGION_CACHE_LIMIT) {
      this.queued = true;
      this.host.memory.pending.push(this);
    }
  }

  /** Frees the region of index i (its element was deleted: a stale pointer then faults). */
  drop(i: number): void {
    const r = this.get(i);
    if (!r) return;
    this.host.freeRegion(r);
    if (i < DENSE_LIMIT) this.dense[i] = undefined;
    else this.sparse.delete(i);
    this.count--;
  }

  sweep(): void {
    for (const r of this.dense) if (r) this.host.freeRegion(r);
    for (const r of this.sparse.values()) this.host.freeRegion(r);
    this.dense = [];
    this.sparse.clear();
    this.count = 0;
    this.queued = false;
  }
}
