// The memory budget of one simulated kernel's maps: lazily allocated storage (array pages, hash
// slots, index tables) is charged here, so a map whose real use would exceed what the process can
// hold fails with a clear error naming it instead of a V8 heap abort (the kernel charges the memcg).
// It also schedules the sweep of cached value regions between runs (valueRegions.ts).

/** Default budget of all maps of one system: 1 GiB of typed storage. */
export const DEFAULT_MAP_MEMORY_BUDGET = 1 << 30;

/** Thrown by map storage when an allocation would exceed the budget. */
export class MapMemoryError extends Error {
  constructor(
    readonly mapName: string,
    readonly bytes: number,
    readonly budget: number,
  ) {
    super(
      `map '${mapName}': ${formatBytes(bytes)} more would exceed the VM's map memory budget of ${formatBytes(budget)} (the kernel would fail with ENOMEM)`,
    );
  }
}

export function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(1)} KiB`;
  return `${n} bytes`;
}

/** Something that holds regions it can drop between runs (no pointer outlives a run). */
export interface Sweepable {
  sweep(): void;
}

export class MapMemory {
  used = 0;
  /** Region caches that grew past their limit: swept before the next run starts. */
  readonly pending: Sweepable[] = [];
  /**
   * Where storage pages come from: the JS heap, or the wasm tier's linear memory (BpfSystem sets
   * it), so compiled code reaches map values inline. Fresh bytes are zero either way.
   */
  allocBytes: (n: number) => Uint8Array = (n) => new Uint8Array(n);
  constructor(readonly budget: number = DEFAULT_MAP_MEMORY_BUDGET) {}

  /** Charges `bytes` to `mapName`; throws MapMemoryError when the budget would be exceeded. */
  charge(bytes: number, mapName: string): void {
    if (this.used + bytes > this.budget) throw new MapMemoryError(mapName, bytes, this.budget);
    this.used += bytes;
  }

  release(bytes: number): void {
    this.used = Math.max(0, this.used - bytes);
  }

  /** Called between runs: drops the cached regions of every cache that asked for it. */
  sweep(): void {
    for (const s of this.pending) s.sweep();
    this.pending.length = 0;
  }
}
