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
  /** Key words per slot: ceil(key_size / 4), of which floor(key_size / 4) are whole. */
  private readonly words: number;
  private readonly fullWords: number;
  /** The words of the key being looked up or inserted (no allocation per lookup). */
  private readonly probe: Int32Array;
  /** Keys as little-endian words, `words` per slot, the last zero-padded. */
  private keys = new Int32Array(0);
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
  ) {
    this.words = Math.max(1, Math.ceil(keySize / 4));
    this.fullWords = keySize >> 2;
    this.probe = new Int32Array(this.words);
  }

  /**
   * Reads the key at dv[off .. off+keySize) into `probe` as little-endian 32-bit words (the last one
   * zero-padded; a partial word is read byte by byte, never past the key) and returns its hash.
   */
  private readKey(dv: DataView, off: number): number {
    const p = this.probe;
    const full = this.fullWords;
    let h = 0x811c9dc5 ^ this.keySize;
    for (let w = 0; w < full; w++) {
      const v = dv.getInt32(off + 4 * w, true);
      p[w] = v;
      h = Math.imul(h ^ v, 0x01000193);
    }
    if (full < this.words) {
      const o = off + 4 * full;
      let v = 0;
      for (let k = this.keySize - 4 * full - 1; k >= 0; k--) v = (v << 8) | dv.getUint8(o + k);
      p[full] = v;
      h = Math.imul(h ^ v, 0x01000193);
    }
    return this.words === 1 ? fmix(p[0] as number) : fmix(h);
  }

  /** The slot holding the key at dv[off .. off+keySize), or -1. */
  find(dv: DataView, off: number): number {
    if (this.count === 0) return -1;
    // Keys of 1–4 whole words (flow tuples, addresses, ids: the common keys) are read into locals
    // and compared there, straight-line: readKey's loop and the probe array cost ~170 instructions
    // per lookup of a 12-byte key, this ~60 (callgrind). Same hash as readKey's.
    const nw = this.words;
    if (nw <= 4 && this.fullWords === nw) {
      const w0 = dv.getInt32(off, true);
      if (nw === 1) return this.findU32(w0);
      const w1 = dv.getInt32(off + 4, true);
      const w2 = nw > 2 ? dv.getInt32(off + 8, true) : 0;
      const w3 = nw > 3 ? dv.getInt32(off + 12, true) : 0;
      let h = Math.imul(0x811c9dc5 ^ this.keySize ^ w0, 0x01000193);
      h = Math.imul(h ^ w1, 0x01000193);
      if (nw > 2) h = Math.imul(h ^ w2, 0x01000193);
      if (nw > 3) h = Math.imul(h ^ w3, 0x01000193);
      return this.findWords(fmix(h), nw, w0, w1, w2, w3);
    }
    const h = this.readKey(dv, off);
    return this.findProbe(h);
  }

  /** findProbe for a key of nw (2–4) whole words given as w0..w3 (hash h). */
  private findWords(h: number, nw: number, w0: number, w1: number, w2: number, w3: number): number {
    const t = this.table;
    const m = this.tmask;
    const keys = this.keys;
    const hashes = this.hashes;
    for (let i = h & m; ; i = (i + 1) & m) {
      const s = (t[i] as number) - 1;
      if (s < 0) return -1;
      if (hashes[s] !== h) continue;
      const ko = s * nw;
      if (
        keys[ko] === w0 &&
        keys[ko + 1] === w1 &&
        (nw < 3 || keys[ko + 2] === w2) &&
        (nw < 4 || keys[ko + 3] === w3)
      )
        return s;
    }
  }

  /** The slot holding the key in `probe` (hash h), or -1. */
  private findProbe(h: number): number {
    const t = this.table;
    const m = this.tmask;
    const nw = this.words;
    const keys = this.keys;
    const p = this.probe;
    for (let i = h & m; ; i = (i + 1) & m) {
      const s = (t[i] as number) - 1;
      if (s < 0) return -1;
      if (this.hashes[s] === h) {
        const ko = s * nw;
        let w = 0;
        while (w < nw && keys[ko + w] === p[w]) w++;
        if (w === nw) return s;
      }
    }
  }

  /** find() for a 4-byte key given as its little-endian int32 value. */
  findU32(v: number): number {
    if (this.count === 0) return -1;
    const h = fmix(v | 0);
    const t = this.table;
    const m = this.tmask;
    for (let i = h & m; ; i = (i + 1) & m) {
      const s = (t[i] as number) - 1;
      if (s < 0) return -1;
      if (this.hashes[s] === h && this.keys[s] === (v | 0)) return s;
    }
  }

  /** Inserts a key known to be absent (count < maxEntries); returns its slot, newest in order. */
  insert(dv: DataView, off: number): number {
    let s = this.freeHead;
    if (s >= 0) this.freeHead = this.next[s] as number;
    else {
      if (this.used === this.capacity) this.grow();
      s = this.used++;
    }
    const nw = this.words;
    const h = this.readKey(dv, off);
    for (let w = 0; w < nw; w++) this.keys[s * nw + w] = this.probe[w] as number;
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
    const out = new Uint8Array(this.keySize);
    const dv = new DataView(out.buffer);
    for (let k = 0; k < this.keySize; k++)
      dv.setUint8(k, ((this.keys[s * this.words + (k >> 2)] as number) >>> (8 * (k & 3))) & 0xff);
    return out;
  }

  private grow(): void {
    const cap = Math.min(this.maxEntries, Math.max(INITIAL_SLOTS, this.capacity * 2));
    let size = 2;
    while (size < cap * 2) size *= 2;
    const bytes = (cap - this.capacity) * (4 * this.words + 12) + (size - this.table.length) * 4;
    this.memory.charge(bytes, this.mapName);
    const keys = new Int32Array(cap * this.words);
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
