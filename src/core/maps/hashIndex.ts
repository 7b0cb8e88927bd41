// The key index of the hash-family maps (kernel/bpf/hashtab.c keeps buckets of elements hashed by
// jhash over the key bytes): here open addressing over typed arrays. Each element owns a slot
// (0..capacity), its key bytes and hash live in slot-indexed arrays that grow by doubling up to
// max_entries, and a doubly linked list over slots keeps insertion order (hash maps) or recency
// order (LRU maps, the oldest evicted first). No JS object and no string per element.
import type { MapMemory } from './mapMemory';

const INITIAL_SLOTS = 16;

/** fmix32 of MurmurHash3: spreads a 32-bit word over all bits. */
function fmix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  return h ^ (h >>> 16);
}

export class HashIndex {
  /** Slots with storage (grows by doubling up to maxEntries). */
  capacity = 0;
  /** Live elements. */
  count = 0;
  private keys = new Uint8Array(0);
  private hashes = new Int32Array(0);
  /** Order list: prev/next slot, -1 at the ends; free slots are chained through next. */
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  /** Open-addressing table of slot + 1 (0 = empty), size a power of two ≥ 2 × capacity. */
  private table = new Int32Array(0);
  private tmask = 0;
  /** Oldest and newest element of the order list. */
  head = -1;
  tail = -1;
  private freeHead = -1;
  /** Slots ever handed out (the next fresh slot when the free list is empty). */
  private used = 0;

  constructor(
    readonly keySize: number,
    readonly maxEntries: number,
    private readonly memory: MapMemory,
    private readonly mapName: string,
  ) {}

  /** Hash of the key bytes buf[off .. off+keySize). */
  hashOf(buf: Uint8Array, off: number): number {
    const n = this.keySize;
    if (n === 4)
      return fmix(
        (buf[off] as number) |
          ((buf[off + 1] as number) << 8) |
          ((buf[off + 2] as number) << 16) |
          ((buf[off + 3] as number) << 24),
      );
    let h = 0x811c9dc5 ^ n;
    let k = off;
    const end = off + n;
    for (; k + 4 <= end; k += 4)
      h = Math.imul(
        h ^
          ((buf[k] as number) |
            ((buf[k + 1] as number) << 8) |
            ((buf[k + 2] as number) << 16) |
            ((buf[k + 3] as number) << 24)),
        0x01000193,
      );
    for (; k < end; k++) h = Math.imul(h ^ (buf[k] as number), 0x01000193);
    return fmix(h);
  }

  /** The slot holding this key, or -1. */
  find(buf: Uint8Array, off: number): number {
    if (this.count === 0) return -1;
    const h = this.hashOf(buf, off);
    const t = this.table;
    const m = this.tmask;
    const n = this.keySize;
    const keys = this.keys;
    for (let i = h & m; ; i = (i + 1) & m) {
      const s = (t[i] as number) - 1;
      if (s < 0) return -1;
      if (this.hashes[s] === h) {
        const ko = s * n;
        let k = 0;
        while (k < n && keys[ko + k] === buf[off + k]) k++;
        if (k === n) return s;
      }
    }
  }

  /** find() for a 4-byte key given as its little-endian int32 value. */
  findU32(v: number): number {
    if (this.count === 0) return -1;
    const h = fmix(v | 0);
    const t = this.table;
    const m = this.tmask;
    const keys = this.keys;
    for (let i = h & m; ; i = (i + 1) & m) {
      const s = (t[i] as number) - 1;
      if (s < 0) return -1;
      if (this.hashes[s] === h) {
        const ko = s * 4;
        if (
          ((keys[ko] as number) |
            ((keys[ko + 1] as number) << 8) |
            ((keys[ko + 2] as number) << 16) |
            ((keys[ko + 3] as number) << 24)) ===
          (v | 0)
        )
          return s;
      }
    }
  }

  /** Inserts a key known to be absent (count < maxEntries); returns its slot, newest in order. */
  insert(buf: Uint8Array, off: number): number {
    let s = this.freeHead;
    if (s >= 0) this.freeHead = this.next[s] as number;
    else {
      if (this.used === this.capacity) this.grow();
      s = this.used++;
    }
    const n = this.keySize;
    for (let k = 0; k < n; k++) this.keys[s * n + k] = buf[off + k] as number;
    const h = this.hashOf(buf, off);
    this.hashes[s] = h;
    this.place(s, h);
    this.prev[s] = this.tail;
    this.next[s] = -1;
    if (this.tail >= 0) this.next[this.tail] = s;
    else this.head = s;
    this.tail = s;
    this.count++;
    return s;
  }

  private place(s: number, h: number): void {
    const t = this.table;
    const m = this.tmask;
    let i = h & m;
    while (t[i] !== 0) i = (i + 1) & m;
    t[i] = s + 1;
  }

  /** Removes the element in slot s (its slot goes to the free list). */
  remove(s: number): void {
    const t = this.table;
    const m = this.tmask;
    let i = (this.hashes[s] as number) & m;
    while (t[i] !== s + 1) i = (i + 1) & m;
    // Backward-shift deletion: move later members of the probe run into the hole.
    t[i] = 0;
    let j = i;
    for (;;) {
      j = (j + 1) & m;
      const o = t[j] as number;
      if (o === 0) break;
      const home = (this.hashes[o - 1] as number) & m;
      const between = i <= j ? i < home && home <= j : i < home || home <= j;
      if (!between) {
        t[i] = o;
        t[j] = 0;
        i = j;
      }
    }
    this.unlink(s);
    this.next[s] = this.freeHead;
    this.freeHead = s;
    this.count--;
  }

  private unlink(s: number): void {
    const p = this.prev[s] as number;
    const nx = this.next[s] as number;
    if (p >= 0) this.next[p] = nx;
    else this.head = nx;
    if (nx >= 0) this.prev[nx] = p;
    else this.tail = p;
  }

  /** Makes slot s the newest (LRU: most recently used). */
  touch(s: number): void {
    if (this.tail === s) return;
    this.unlink(s);
    this.prev[s] = this.tail;
    this.next[s] = -1;
    if (this.tail >= 0) this.next[this.tail] = s;
    else this.head = s;
    this.tail = s;
  }

  /** The slot after s in order, or -1. */
  after(s: number): number {
    return this.next[s] as number;
  }

  /** Key bytes of slot s (a copy). */
  keyOf(s: number): Uint8Array {
    return this.keys.slice(s * this.keySize, (s + 1) * this.keySize);
  }

  private grow(): void {
    const cap = Math.min(this.maxEntries, Math.max(INITIAL_SLOTS, this.capacity * 2));
    let size = 2;
    while (size < cap * 2) size *= 2;
    const n = this.keySize;
    const bytes = (cap - this.capacity) * (n + 12) + (size - this.table.length) * 4;
    this.memory.charge(bytes, this.mapName);
    const keys = new Uint8Array(cap * n);
    keys.set(this.keys);
    const hashes = new Int32Array(cap);
    hashes.set(this.hashes);
    const prev = new Int32Array(cap);
    prev.set(this.prev);
    const next = new Int32Array(cap);
    next.set(this.next);
    this.keys = keys;
    this.hashes = hashes;
    this.prev = prev;
    this.next = next;
    this.capacity = cap;
    if (size !== this.table.length) {
      this.table = new Int32Array(size);
      this.tmask = size - 1;
      for (let s = this.head; s >= 0; s = this.next[s] as number) this.place(s, this.hashes[s] as number);
    }
  }
}
