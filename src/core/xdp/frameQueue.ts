// Fixed-capacity FIFO rings of frames, allocation-free once built: veth's per-queue ptr_ring of
// 256 slots (veth_xdp_xmit / veth_xdp_rcv, §4.1), a cpumap entry's ptr_ring of qsize slots (§4.2)
// and the per-CPU backlog (enqueue_to_backlog, with the device each skb arrived on beside it).
import type { SimFrame } from './simFrame';

/** A ring of references: push at the tail, take from the head (ptr_ring_produce/consume). */
export class FrameQueue<T = SimFrame> {
  private slots: Array<T | undefined>;
  private head = 0;
  /** Frames in the ring. */
  length = 0;

  /** `capacity` slots; `grow`: double when full instead of refusing (the unbounded backlog). */
  constructor(
    capacity: number,
    private readonly grow = false,
  ) {
    this.slots = new Array<T | undefined>(Math.max(1, capacity)).fill(undefined);
  }

  get capacity(): number {
    return this.slots.length;
  }

  /** ptr_ring_produce: false when the ring is full (a growing ring never is). */
  push(f: T): boolean {
    const cap = this.slots.length;
    if (this.length === cap) {
      if (!this.grow) return false;
      this.resize(cap * 2);
    }
    const slots = this.slots;
    let i = this.head + this.length;
    if (i >= slots.length) i -= slots.length;
    slots[i] = f;
    this.length++;
    return true;
  }

  /**
   * ptr_ring_produce of items[from..to) in order until the ring is full (a growing ring takes them
   * all); returns how many went in. One capacity check and one tail for the run instead of push()'s
   * per item.
   */
  pushAll(items: readonly T[], from: number, to: number): number {
    const want = to - from;
    if (want <= 0) return 0;
    if (this.grow && this.length + want > this.slots.length) {
      let cap = this.slots.length * 2;
      while (cap < this.length + want) cap *= 2;
      this.resize(cap);
    }
    const slots = this.slots;
    const cap = slots.length;
    const n = Math.min(want, cap - this.length);
    let t = this.head + this.length;
    if (t >= cap) t -= cap;
    for (let k = 0; k < n; k++) {
      slots[t] = items[from + k];
      if (++t === cap) t = 0;
    }
    this.length += n;
    return n;
  }

  /** ptr_ring_consume: the oldest frame (the caller checked length > 0). */
  shift(): T {
    const slots = this.slots;
    const f = slots[this.head] as T;
    slots[this.head] = undefined;
    if (++this.head === slots.length) this.head = 0;
    this.length--;
    return f;
  }

  /** Moves up to `max` frames into `out[0..n)` (a NAPI poll's or kthread's batch); returns n. */
  takeInto(out: T[], max: number): number {
    const n = Math.min(max, this.length);
    const slots = this.slots;
    const cap = slots.length;
    let h = this.head;
    for (let k = 0; k < n; k++) {
      out[k] = slots[h] as T;
      slots[h] = undefined;
      if (++h === cap) h = 0;
    }
    this.head = h;
    this.length -= n;
    return n;
  }

  /**
   * Takes the `n` oldest items off the ring (0 < n ≤ length) and hands them, in order, to
   * `sink.releaseAll` as at most two runs of the ring's own slots: a poll whose frames are only
   * freed (a constant verdict) needs no batch copy first.
   */
  consumeInto(n: number, sink: { releaseAll(items: readonly T[], start: number, end: number): void }): void {
    const slots = this.slots;
    const cap = slots.length;
    const h = this.head;
    const first = Math.min(n, cap - h);
    sink.releaseAll(slots as readonly T[], h, h + first);
    slots.fill(undefined, h, h + first);
    if (n > first) {
      sink.releaseAll(slots as readonly T[], 0, n - first);
      slots.fill(undefined, 0, n - first);
    }
    this.head = h + n >= cap ? h + n - cap : h + n;
    this.length -= n;
  }

  private resize(cap: number): void {
    const next = new Array<T | undefined>(cap).fill(undefined);
    for (let k = 0; k < this.length; k++) next[k] = this.slots[(this.head + k) % this.slots.length];
    this.slots = next;
    this.head = 0;
  }
}
