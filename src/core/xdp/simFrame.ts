// A frame travelling through the simulated host: its xdp_buff (256 bytes of headroom before the
// data, like XDP_PACKET_HEADROOM, §1.5), the device it was received on (xdp_frame->dev_rx) and
// its id in the timeline. Buffers are laid out as veth lays them out (§1.4): a page per frame, the
// linear part at most 3520 bytes when the program is frags-aware, the rest in page-sized frags.
import type { XdpBuffer } from '../vm/xdpRun';

export const XDP_PACKET_HEADROOM = 256;
export const PAGE_SIZE = 4096;
/** sizeof(struct skb_shared_info) rounded as the kernel reserves it at the end of a page. */
export const SKB_SHARED_INFO = 320;
/** The largest linear part veth (and generic mode with a frags program) gives a program: 3520. */
export const MAX_LINEAR = PAGE_SIZE - XDP_PACKET_HEADROOM - SKB_SHARED_INFO;
/** sizeof(struct xdp_frame): what step 2 needs in the headroom to convert the buffer (§1.5). */
export const XDP_FRAME_SIZE = 40;

export interface SimFrame {
  id: number;
  /** Index of the scenario traffic entry it came from. */
  traffic: number;
  buf: XdpBuffer;
  /** ifindex of the device it was received on (xdp_frame->dev_rx, skb->dev). */
  rxIfindex: number;
  rxQueue: number;
  /** skb_set_redirected(): generic XDP skips it (cpumap skbs, §3.7). */
  redirected: boolean;
  /** A generic-path skb rather than an xdp_frame (matters only inside the cpumap kthread, §3.5). */
  skb: boolean;
  /**
   * The bytes `buf.bytes` (then `filledPage`) was last filled with, while nothing has written the
   * frame or moved its window since (a program run that did clears both): refillBuffer skips the
   * copy when a recycled frame carries the same bytes again — as the kernel's live-frames test run
   * reuses a page_pool page without rewriting an unchanged frame (net/bpf/test_run.c reset_ctx).
   */
  filledFrom: Uint8Array | undefined;
  filledPage: Uint8Array | undefined;
}

/** Total length (linear + frags), the length every MTU/size check uses (§1.5). */
export function frameLength(f: SimFrame): number {
  const b = f.buf;
  // Small enough to inline into every per-frame check; frames with frags take the loop.
  return b.frags.length === 0 ? b.dataEnd - b.data : withFrags(b);
}

function withFrags(b: XdpBuffer): number {
  let n = b.dataEnd - b.data;
  const frags = b.frags;
  for (let i = 0; i < frags.length; i++) n += (frags[i] as Uint8Array).length;
  return n;
}

export function hasFrags(f: SimFrame): boolean {
  return f.buf.frags.length > 0;
}

/** The frame's bytes from the Ethernet header on (linear + frags), e.g. for a pcap. */
export function frameBytes(f: SimFrame): Uint8Array {
  const linear = f.buf.bytes.subarray(f.buf.data, f.buf.dataEnd);
  if (f.buf.frags.length === 0) return linear;
  const out = new Uint8Array(frameLength(f));
  out.set(linear, 0);
  let o = linear.length;
  for (const frag of f.buf.frags) {
    out.set(frag, o);
    o += frag.length;
  }
  return out;
}

/**
 * Recycles page-sized buffers of frames whose journey ended, so a long run does not allocate (and
 * collect) a 4 KiB page per frame. Bounded: at most `max` pages are kept. With `alloc` (the wasm
 * tier's linear memory, `Machine.allocBytes`) new pages come from it and each page's offset there
 * is kept beside it (XdpBuffer.at): programs on that tier then run on the frame where it lies.
 */
export class BufferPool {
  private readonly pages: Uint8Array[] = [];
  private readonly ats: number[] = [];
  /** Where the page take() last returned sits in linear memory (-1: on the JS heap). */
  takenAt = -1;
  constructor(
    private readonly max = 4096,
    private readonly alloc?: (n: number) => Uint8Array,
  ) {}
  take(): Uint8Array {
    const page = this.pages.pop();
    if (page !== undefined) {
      this.takenAt = this.ats.pop() as number;
      return page;
    }
    if (this.alloc === undefined) {
      this.takenAt = -1;
      return new Uint8Array(PAGE_SIZE);
    }
    const fresh = this.alloc(PAGE_SIZE);
    // Read once per page (a shared memory view's byteOffset is a slow read). A full memory gives
    // ordinary bytes (offset 0; linear memory's heap never starts there): not in linear memory.
    this.takenAt = fresh.byteOffset > 0 ? fresh.byteOffset : -1;
    return fresh;
  }
  /** A page back, with where it sits in linear memory (XdpBuffer.at, -1 when not there). */
  give(page: Uint8Array, at = -1): void {
    if (page.length === PAGE_SIZE && this.pages.length < this.max) {
      this.pages.push(page);
      this.ats.push(at);
    }
  }
}

/**
 * Lays `bytes` out as an xdp_buff. `fragsAware`: the program that will see it was loaded with
 * BPF_F_XDP_HAS_FRAGS, so a frame longer than MAX_LINEAR becomes linear part + page frags (§5);
 * otherwise the whole frame is linear (generic mode linearises the skb for such programs).
 */
export function makeBuffer(bytes: Uint8Array, fragsAware: boolean, pool?: BufferPool): XdpBuffer {
  if (fragsAware && bytes.length > MAX_LINEAR) {
    const page = pool ? pool.take() : new Uint8Array(PAGE_SIZE);
    const at = pool ? pool.takenAt : -1;
    page.set(bytes.subarray(0, MAX_LINEAR), XDP_PACKET_HEADROOM);
    const frags: Uint8Array[] = [];
    for (let o = MAX_LINEAR; o < bytes.length; o += PAGE_SIZE)
      frags.push(bytes.slice(o, Math.min(bytes.length, o + PAGE_SIZE)));
    return {
      bytes: page,
      dataMeta: XDP_PACKET_HEADROOM,
      data: XDP_PACKET_HEADROOM,
      dataEnd: XDP_PACKET_HEADROOM + MAX_LINEAR,
      frags,
      view: new DataView(page.buffer, page.byteOffset, page.byteLength),
      at,
    };
  }
  const size = Math.max(PAGE_SIZE, XDP_PACKET_HEADROOM + bytes.length + SKB_SHARED_INFO);
  const pooled = size === PAGE_SIZE && pool !== undefined;
  const page = pooled ? pool.take() : new Uint8Array(size);
  const at = pooled ? pool.takenAt : -1;
  page.set(bytes, XDP_PACKET_HEADROOM);
  return {
    bytes: page,
    dataMeta: XDP_PACKET_HEADROOM,
    data: XDP_PACKET_HEADROOM,
    dataEnd: XDP_PACKET_HEADROOM + bytes.length,
    frags: [],
    // The frame keeps its page while it is refilled (refillBuffer): one view for all its runs.
    view: new DataView(page.buffer, page.byteOffset, page.byteLength),
    at,
  };
}

/**
 * A freed frame reused for `bytes` (a new frame): makeBuffer's linear layout written into the
 * frame's own buffer when it is a plain one-page one, else a new buffer (its page to the pool).
 */
export function refillBuffer(f: SimFrame, bytes: Uint8Array, pool: BufferPool): void {
  const b = f.buf;
  const n = bytes.length;
  // The buffer these bytes last filled, untouched since (filledFrom is cleared by any write, window
  // move or re-layout): only the offsets go back, whatever the layout's size.
  if (f.filledFrom === bytes && f.filledPage === b.bytes) {
    b.dataMeta = XDP_PACKET_HEADROOM;
    b.data = XDP_PACKET_HEADROOM;
    b.dataEnd = XDP_PACKET_HEADROOM + n;
    return;
  }
  if (b.frags.length === 0 && b.bytes.length === PAGE_SIZE && n <= MAX_LINEAR) {
    // The page still holds exactly these bytes at the start of its headroom: nothing to copy.
    if (f.filledFrom !== bytes || f.filledPage !== b.bytes) {
      b.bytes.set(bytes, XDP_PACKET_HEADROOM);
      f.filledFrom = bytes;
      f.filledPage = b.bytes;
    }
    b.dataMeta = XDP_PACKET_HEADROOM;
    b.data = XDP_PACKET_HEADROOM;
    b.dataEnd = XDP_PACKET_HEADROOM + n;
    return;
  }
  pool.give(b.bytes, b.at);
  f.buf = makeBuffer(bytes, false, pool);
  f.filledFrom = bytes;
  f.filledPage = f.buf.bytes;
}

/** The frame's bytes or window may have changed (a program wrote it): the next refill copies. */
export function frameWritten(f: SimFrame): void {
  f.filledFrom = undefined;
  f.filledPage = undefined;
}

/**
 * relayout's common case, small enough for V8 to inline into a receive loop (rxPoll.ts) whose
 * budget the run has spent: a linear frame at the start of its headroom that stays linear keeps
 * its layout (relayout does nothing).
 */
export function keepsLayout(b: XdpBuffer, fragsAware: boolean): boolean {
  return (
    b.frags.length === 0 &&
    b.data === XDP_PACKET_HEADROOM &&
    b.dataMeta === XDP_PACKET_HEADROOM &&
    (fragsAware === false || b.dataEnd - b.data <= MAX_LINEAR)
  );
}

/** Re-lays the frame out for a receiver (a new xdp_buff after ndo_xdp_xmit / skb build). */
export function relayout(f: SimFrame, fragsAware: boolean, pool?: BufferPool): void {
  if (keepsLayout(f.buf, fragsAware)) return;
  const wantsFrags = fragsAware && frameLength(f) > MAX_LINEAR;
  if (wantsFrags === hasFrags(f) && f.buf.data === XDP_PACKET_HEADROOM && f.buf.dataMeta === f.buf.data)
    return;
  const old = f.buf.bytes;
  const at = f.buf.at;
  f.buf = makeBuffer(frameBytes(f), fragsAware, pool);
  frameWritten(f);
  pool?.give(old, at);
}

/** The headroom test of xdp_convert_buff_to_frame: headroom minus metadata must hold an xdp_frame. */
export function canConvertToFrame(f: SimFrame): boolean {
  const meta = f.buf.data - f.buf.dataMeta;
  return f.buf.data - (meta > 0 ? meta : 0) >= XDP_FRAME_SIZE;
}
