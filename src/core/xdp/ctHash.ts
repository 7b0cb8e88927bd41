// The conntrack hash (nf_conntrack_hash, net/netfilter/nf_conntrack_core.c): both directions of
// every entry as key words in typed arrays, found by open addressing over a hash of those words —
// no strings, no objects and no BigInt per lookup (issue 16.1).
import type { CtTuple } from './nfConn';

/**
 * The words of one key: struct nf_conntrack_tuple's l3num and protonum, both ports, the zone id
 * hash_conntrack_raw mixes in, then the source and destination addresses (4 words each; an IPv4
 * address fills the first, the rest stay zero).
 */
export const KEY_WORDS = 11;
const SRC = 3;
const DST = 7;

/**
 * The minimum number of slots; the table doubles when a quarter of them are taken. Linear probing
 * at half load left a found key 8 slots into an 18-slot cluster in the bench's 1,001-entry table;
 * at a quarter a lookup probes ~1.2 slots (the kernel's conntrack hash has about a bucket per
 * entry: nf_conntrack_htable_size). 8 bytes a slot: 4 slots per node cost 32 bytes a direction.
 */
const MIN_SLOTS = 64;

/** Four address bytes as one word, little-endian as keyFromSockTuple reads them from a DataView. */
const word = (b: Uint8Array, o: number): number =>
  (b[o] as number) |
  ((b[o + 1] as number) << 8) |
  ((b[o + 2] as number) << 16) |
  ((b[o + 3] as number) << 24) |
  0;

/** Math.imul, read once: a call through it is fewer bytecodes than Math.imul's (V8's inlining budget). */
const imul = Math.imul;

const rotl = (x: number, r: number): number => (x << r) | (x >>> (32 - r));

/**
 * hash_conntrack_raw's role (the kernel's keyed jhash and its bucket order are not observable): the
 * key at `k[at..]` folded into five independent products — the ports, each address's first word,
 * and the rest — then MurmurHash3's finaliser. Independent products, not a chain over the eleven
 * words, because a lookup waits for the hash (a chain took 15 ns here). Equal keys are compared
 * word by word anyway, so the hash only has to spread flows over the slots.
 */
function keyHash(k: Int32Array, at: number): number {
  const w = (i: number): number => k[at + i] as number;
  return mix(
    w(0) ^ w(2) ^ rotl(w(SRC + 1), 5) ^ rotl(w(SRC + 2), 11) ^ rotl(w(SRC + 3), 17),
    w(1),
    w(SRC),
    w(DST),
    w(DST + 1) ^ rotl(w(DST + 2), 7) ^ rotl(w(DST + 3), 13),
  );
}

/** keyHash's products and finaliser, from the folded words (an IPv4 key's `rest`s are its l3/zone word and 0). */
function mix(rest: number, ports: number, src: number, dst: number, dstRest: number): number {
  let h =
    (imul(ports, 0xcc9e2d51 | 0) +
      imul(src, 0x1b873593) +
      imul(dst, 0x85ebca6b | 0) +
      imul(rest, 0xc2b2ae35 | 0) +
      imul(dstRest, 0x27d4eb2f)) |
    0;
  h = imul(h ^ (h >>> 16), 0x85ebca6b | 0);
  h = imul(h ^ (h >>> 13), 0xc2b2ae35 | 0);
  return (h ^ (h >>> 16)) | 0;
}

/** Words of a node: the key, then the owner entry's ct->timeout (a copy: see setTimeout), padding to 64 bytes. */
const NODE_WORDS = 16;
const TIMEOUT = KEY_WORDS;

/**
 * The hash's nodes (struct nf_conntrack_tuple_hash: one per direction of an entry; node 2i + dir
 * is direction dir of entry i) and its slots. A lookup fills `key` (keyFromTuple,
 * keyFromSockTuple), then walks the nodes with that key by first()/next(); insert() adds the next
 * entry's two nodes. Like nf_conn holding its tuple hashes and its timeout in one object, a node
 * holds its key and the entry's timeout in one cache line, and a slot its node and hash in 8 bytes:
 * a lookup in a large table touches two lines. Nodes are never removed: an expired entry stays
 * (the owner skips it), as the table never garbage-collects.
 */
export class CtHash {
  /** The key of the current lookup or insert, and its hash. */
  readonly key = new Int32Array(KEY_WORDS);
  private keyHash = 0;
  /** Node n at n * NODE_WORDS. */
  private nodes = new Int32Array(MIN_SLOTS * NODE_WORDS);
  /** Slot s: [2s] the key hash of its node, [2s + 1] the node + 1 (0: empty). */
  private slots = new Int32Array(MIN_SLOTS * 4);
  private count = 0;
  /** The walk of first()/next(): the key's hash and the slot to look at next. */
  private walkHash = 0;
  private walkSlot = 0;

  /** `t` (one direction) hashed with zone id `zid`. */
  keyFromTuple(t: CtTuple, zid: number): void {
    const k = this.key;
    k[0] = t.l3num | (t.protonum << 16);
    k[1] = (t.sport << 16) | t.dport;
    k[2] = zid;
    for (let i = 0; i < 4; i++) {
      k[SRC + i] = i * 4 < t.src.length ? word(t.src, i * 4) : 0;
      k[DST + i] = i * 4 < t.dst.length ? word(t.dst, i * 4) : 0;
    }
    this.keyHash = keyHash(k, 0);
  }

  /**
   * struct bpf_sock_tuple's ipv4 (12 bytes) or ipv6 (36) half at `v[off..off+len)` as
   * bpf_nf_ct_tuple_parse reads it (addresses and big-endian ports), protocol `protonum`, zone id
   * `zid`; false for another length. Read as words through the DataView of the program's memory.
   */
  keyFromSockTuple(v: DataView, off: number, len: number, protonum: number, zid: number): boolean {
    const k = this.key;
    k[2] = zid;
    if (len === 12) {
      const l3 = 2 | (protonum << 16);
      const src = v.getInt32(off, true);
      const dst = v.getInt32(off + 4, true);
      const ports = v.getInt32(off + 8, false); // sport << 16 | dport, as keyFromTuple packs them
      k[0] = l3;
      k[1] = ports;
      k[SRC] = src;
      k[DST] = dst;
      k[SRC + 1] = k[SRC + 2] = k[SRC + 3] = k[DST + 1] = k[DST + 2] = k[DST + 3] = 0;
      // keyHash of this key without reading it back (the zero words fold to nothing).
      this.keyHash = mix(l3 ^ zid, ports, src, dst, 0);
      return true;
    }
    if (len !== 36) return false;
    k[0] = 10 | (protonum << 16);
    for (let i = 0; i < 4; i++) {
      k[SRC + i] = v.getInt32(off + i * 4, true);
      k[DST + i] = v.getInt32(off + 16 + i * 4, true);
    }
    k[1] = v.getInt32(off + 32, false);
    this.keyHash = keyHash(k, 0);
    return true;
  }

  /**
   * ____nf_conntrack_find for an IPv4 key in one pass (the conntrack kfuncs' common lookup), without
   * filling `key`: struct bpf_sock_tuple's ipv4 half at `v[off..off+12)` read as keyFromSockTuple
   * reads it, l3 = l3num | protonum << 16, hashed with the zone's original-direction id. A node
   * counts when its key is equal, the zone applies to its direction (`zoneId` in the directions of
   * `zoneDir`: nf_ct_zone_equal) and its timeout is after `now` (nf_ct_is_expired). The node, or -1.
   * The words are read here, not by the caller: fewer arguments to the call when V8 does not
   * inline it.
   */
  findV4(v: DataView, off: number, l3: number, zoneId: number, zoneDir: number, now: number): number {
    const src = v.getInt32(off, true);
    const dst = v.getInt32(off + 4, true);
    const ports = v.getInt32(off + 8, false); // sport << 16 | dport, as keyFromTuple packs them
    const zid = zoneDir & 1 ? zoneId : 0;
    const slots = this.slots;
    const nodes = this.nodes;
    const mask = (slots.length >> 1) - 1;
    const h = mix(l3 ^ zid, ports, src, dst, 0);
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const n = (slots[2 * s + 1] as number) - 1;
      if (n < 0) return -1;
      if (slots[2 * s] !== h) continue;
      const at = n * NODE_WORDS;
      // Equal l3num and zeroes in both: an IPv4 key's other address words need no compare.
      if (
        nodes[at + 1] !== ports ||
        nodes[at] !== l3 ||
        nodes[at + SRC] !== src ||
        nodes[at + DST] !== dst ||
        nodes[at + 2] !== zid
      )
        continue;
      if (zid !== (zoneDir & (1 << (n & 1)) ? zoneId : 0)) continue;
      if ((((nodes[at + TIMEOUT] as number) - now) | 0) <= 0) continue;
      return n;
    }
  }

  /** The first node whose key is `key`, or -1 (then next() continues the walk). */
  first(): number {
    this.walkHash = this.keyHash;
    this.walkSlot = this.walkHash & ((this.slots.length >> 1) - 1);
    return this.next();
  }

  /** The next node of first()'s key, or -1. */
  next(): number {
    const { slots, nodes, key } = this;
    const mask = (slots.length >> 1) - 1;
    const h = this.walkHash;
    const v6 = ((key[0] as number) & 0xffff) === 10;
    for (let s = this.walkSlot; ; s = (s + 1) & mask) {
      const n = (slots[2 * s + 1] as number) - 1;
      if (n < 0) {
        this.walkSlot = s;
        return -1;
      }
      if (slots[2 * s] !== h) continue;
      const at = n * NODE_WORDS;
      if (
        nodes[at + 1] !== key[1] ||
        nodes[at] !== key[0] ||
        nodes[at + 2] !== key[2] ||
        nodes[at + SRC] !== key[SRC] ||
        nodes[at + DST] !== key[DST]
      )
        continue;
      // The same l3num (word 0): an IPv4 key's other address words are zero in both.
      let i = SRC + 1;
      if (v6) while (i < KEY_WORDS && nodes[at + i] === key[i]) i++;
      if (!v6 || i === KEY_WORDS) {
        this.walkSlot = (s + 1) & mask;
        return n;
      }
    }
  }

  /** The zone id node n was hashed with. */
  zid(n: number): number {
    return this.nodes[n * NODE_WORDS + 2] as number;
  }

  /** The owner entry's ct->timeout as node n keeps it. */
  timeout(n: number): number {
    return this.nodes[n * NODE_WORDS + TIMEOUT] as number;
  }

  /** Entry i's ct->timeout changed: both its nodes keep the new value. */
  setTimeout(entry: number, timeout: number): void {
    const nodes = this.nodes;
    const at = entry * 2 * NODE_WORDS + TIMEOUT;
    nodes[at] = timeout;
    nodes[at + NODE_WORDS] = timeout;
  }

  /**
   * Adds node 2i + dir for `key` (dir 0 then 1 of entry i = the number of entries so far);
   * `timeout`: the entry's ct->timeout.
   */
  insert(timeout: number): void {
    if ((this.count + 1) * 8 > this.slots.length) this.grow();
    const n = this.count++;
    if ((n + 1) * NODE_WORDS > this.nodes.length) {
      const nodes = new Int32Array(this.nodes.length * 2);
      nodes.set(this.nodes);
      this.nodes = nodes;
    }
    this.nodes.set(this.key, n * NODE_WORDS);
    this.nodes[n * NODE_WORDS + TIMEOUT] = timeout;
    this.place(n, this.keyHash);
  }

  private place(n: number, h: number): void {
    const slots = this.slots;
    const mask = (slots.length >> 1) - 1;
    let s = h & mask;
    while (slots[2 * s + 1] !== 0) s = (s + 1) & mask;
    slots[2 * s] = h;
    slots[2 * s + 1] = n + 1;
  }

  /** Doubles the slots and places every node again (in node order: equal keys keep theirs). */
  private grow(): void {
    this.slots = new Int32Array(this.slots.length * 2);
    for (let n = 0; n < this.count; n++) this.place(n, keyHash(this.nodes, n * NODE_WORDS));
  }
}
