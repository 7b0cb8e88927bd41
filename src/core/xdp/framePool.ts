// The simulator's frames and their pages, recycled (the page_pool of a driver's rx ring, in spirit):
// a frame whose journey ended is kept with its page and refilled for a later frame, so a long run
// allocates (and collects) no frame object or 4 KiB page per frame.
import { objectArray } from './objectArray';
import { BufferPool, makeBuffer, MAX_LINEAR, refillBuffer, type SimFrame } from './simFrame';

/** Freed frame objects kept for reuse (with their pages). */
const FRAME_POOL_MAX = 4096;

export class FramePool {
  /** Pages of frames re-laid out (relayout, makeBuffer) go back here. */
  readonly pages: BufferPool;
  /** `alloc`: where new pages come from (BufferPool), the JS heap without it. */
  constructor(alloc?: (n: number) => Uint8Array) {
    this.pages = new BufferPool(alloc ? Infinity : 4096, alloc);
  }
  /** Freed frames, a stack in free[0..count): slots are kept, because an array popped empty and
   *  pushed full again per burst has its backing store shrunk and regrown by V8. */
  private readonly free: (SimFrame | undefined)[] = objectArray<SimFrame>();
  private count = 0;

  /** Frame `id` carrying `bytes`: a freed frame object and its page when one is there. */
  take(id: number, traffic: number, bytes: Uint8Array): SimFrame {
    const f = this.count > 0 ? this.free[--this.count] : undefined;
    if (f === undefined) {
      const buf = makeBuffer(bytes, false, this.pages);
      return {
        id,
        traffic,
        buf,
        rxIfindex: 0,
        rxQueue: 0,
        redirected: false,
        skb: false,
        filledFrom: bytes.length <= MAX_LINEAR ? bytes : undefined,
        filledPage: buf.bytes,
      };
    }
    f.id = id;
    f.traffic = traffic;
    f.rxIfindex = 0;
    f.rxQueue = 0;
    f.redirected = false;
    f.skb = false;
    refillBuffer(f, bytes, this.pages);
    return f;
  }

  /** release() of frames[start..end), in order. */
  releaseAll(frames: readonly SimFrame[], start: number, end: number): void {
    const free = this.free;
    let c = this.count;
    let i = start;
    for (; i < end && c < FRAME_POOL_MAX; i++) free[c++] = frames[i];
    this.count = c;
    for (; i < end; i++) this.release(frames[i] as SimFrame);
  }

  /** The frame's journey ended: its object and page are reused by a later frame. */
  release(f: SimFrame): void {
    if (this.count < FRAME_POOL_MAX) this.free[this.count++] = f;
    // A linear-memory page is never freed: it goes back to the page pool (unbounded then), so
    // the pages a run allocates are at most those in use at once.
    else this.pages.give(f.buf.bytes, f.buf.at);
  }
}
