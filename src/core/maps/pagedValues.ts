// Value storage that costs memory in proportion to what is used (the kernel's array maps map zero
// pages until written, kernel/bpf/arraymap.c with BPF_F_MMAPABLE): values live in fixed pages of a
// power-of-two number of values, allocated on first touch and never moved, so a value's bytes stay
// where a program's pointer found them. An untouched value reads as zeros.
import type { MapMemory } from './mapMemory';

/** Bytes of one page (values larger than a page get a page each). */
export const PAGE_BYTES = 4096;

export class PagedValues {
  /** pages[p] holds values [p << shift, (p + 1) << shift). */
  private readonly pages: (Uint8Array | undefined)[] = [];
  readonly shift: number;
  readonly mask: number;
  private readonly pageBytes: number;
  pagesAllocated = 0;

  constructor(
    readonly valueSize: number,
    /** The largest number of values this store will ever hold. */
    readonly capacity: number,
    private readonly memory: MapMemory,
    private readonly mapName: string,
  ) {
    let per = 1;
    const want = Math.min(capacity, Math.floor(PAGE_BYTES / Math.max(1, valueSize)));
    while (per * 2 <= want) per *= 2;
    // Small stores (e.g. global data, a 16-slot table) fit one exact page.
    if (capacity * valueSize <= PAGE_BYTES) while (per < capacity) per *= 2;
    this.shift = Math.log2(per);
    this.mask = per - 1;
    this.pageBytes = Math.min(per, Math.max(capacity, 1)) * valueSize;
  }

  /** The page holding value i, allocated (zeroed) on first touch. */
  page(i: number): Uint8Array {
    const p = i >>> this.shift;
    return this.pages[p] ?? this.allocPage(p);
  }

  private allocPage(p: number): Uint8Array {
    this.memory.charge(this.pageBytes, this.mapName);
    const page = this.memory.allocBytes(this.pageBytes);
    this.pages[p] = page;
    this.pagesAllocated++;
    return page;
  }

  /** The page of value i if it was ever touched. */
  peekPage(i: number): Uint8Array | undefined {
    return this.pages[i >>> this.shift];
  }

  /** Byte offset of value i in its page. */
  offset(i: number): number {
    return (i & this.mask) * this.valueSize;
  }

  /** A view of value i (allocates its page). */
  view(i: number): Uint8Array {
    const o = (i & this.mask) * this.valueSize;
    return this.page(i).subarray(o, o + this.valueSize);
  }

  /** Copies value i into dst at dstOff (zeros when never touched). */
  readInto(i: number, dst: Uint8Array, dstOff: number): void {
    const page = this.peekPage(i);
    if (!page) {
      dst.fill(0, dstOff, dstOff + this.valueSize);
      return;
    }
    const o = (i & this.mask) * this.valueSize;
    dst.set(page.subarray(o, o + this.valueSize), dstOff);
  }

  /** Copies valueSize bytes of src at srcOff into value i. */
  write(i: number, src: Uint8Array, srcOff: number): void {
    const page = this.page(i);
    const o = (i & this.mask) * this.valueSize;
    const n = this.valueSize;
    if (n <= 32) for (let k = 0; k < n; k++) page[o + k] = src[srcOff + k] as number;
    else page.set(src.subarray(srcOff, srcOff + n), o);
  }

  /** Zeroes value i (only if its page exists: absent pages read as zeros). */
  zero(i: number): void {
    const page = this.peekPage(i);
    if (page) {
      const o = (i & this.mask) * this.valueSize;
      page.fill(0, o, o + this.valueSize);
    }
  }

  /** Is value i all zeros? (Dumps of huge arrays list only non-zero values.) */
  isZero(i: number): boolean {
    const page = this.peekPage(i);
    if (!page) return true;
    const o = (i & this.mask) * this.valueSize;
    for (let k = o; k < o + this.valueSize; k++) if (page[k] !== 0) return false;
    return true;
  }

  /** Indices of the first value of every allocated page, ascending. */
  *touchedPages(): Generator<number> {
    for (let p = 0; p < this.pages.length; p++) if (this.pages[p]) yield p * (this.mask + 1);
  }

  get valuesPerPage(): number {
    return this.mask + 1;
  }
}
