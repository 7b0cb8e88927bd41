// Classic libpcap files (not pcapng): reading the frames of a capture a scenario names, and writing
// what each simulated device transmitted. Link type 1 (Ethernet) only, as XDP sees Ethernet frames.

const MAGIC_US = 0xa1b2c3d4;
const MAGIC_NS = 0xa1b23c4d;
const PCAPNG_MAGIC = 0x0a0d0d0a;
const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 262144;

export class PcapError extends Error {}

export interface PcapReadOptions {
  /** Refuse captures with more frames than this (hostile input must not exhaust memory). */
  maxFrames: number;
}

/** Reads every frame of a classic pcap file (either byte order, µs or ns timestamps). */
export function readPcap(bytes: Uint8Array, what: string, options: PcapReadOptions): Uint8Array[] {
  if (bytes.length < 24) throw new PcapError(`${what}: too short to be a pcap file (${bytes.length} bytes)`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const le = view.getUint32(0, true);
  const be = view.getUint32(0, false);
  let little: boolean;
  if (le === MAGIC_US || le === MAGIC_NS) little = true;
  else if (be === MAGIC_US || be === MAGIC_NS) little = false;
  else if (le === PCAPNG_MAGIC)
    throw new PcapError(`${what}: pcapng is not supported; convert with 'editcap -F pcap'`);
  else throw new PcapError(`${what}: not a pcap file (magic 0x${le.toString(16)})`);
  const linkType = view.getUint32(20, little) & 0x0fffffff;
  if (linkType !== LINKTYPE_ETHERNET)
    throw new PcapError(`${what}: link type ${linkType} is not Ethernet (1)`);
  const frames: Uint8Array[] = [];
  let o = 24;
  while (o < bytes.length) {
    if (o + 16 > bytes.length) throw new PcapError(`${what}: truncated record header at byte ${o}`);
    const caplen = view.getUint32(o + 8, little);
    if (caplen > SNAPLEN)
      throw new PcapError(`${what}: record at byte ${o} claims ${caplen} bytes (max ${SNAPLEN})`);
    if (o + 16 + caplen > bytes.length) throw new PcapError(`${what}: truncated record at byte ${o}`);
    if (frames.length >= options.maxFrames)
      throw new PcapError(`${what}: more than ${options.maxFrames} frames`);
    frames.push(bytes.slice(o + 16, o + 16 + caplen));
    o += 16 + caplen;
  }
  return frames;
}

/** The writer's blocks grow from 4 KiB (a few frames) by doubling up to 1 MiB. */
const FIRST_BLOCK = 4096;
const MAX_BLOCK = 1 << 20;

/**
 * Incremental pcap writer: records are written into blocks (4 KiB doubling to 1 MiB), so a long
 * simulation never holds one big buffer, and adding a frame allocates nothing: the visualizer's run
 * writes up to 65,536 frames per device, and one Uint8Array + DataView per record was 7-9 % of a
 * 1 M-frame run's CPU and much of its garbage; the CLI's --pcap wrote each record with its own
 * write(2). Timestamps are the simulated frame order (1 µs apart), so output is deterministic.
 */
export class PcapWriter {
  /** Parts already complete, oldest first (drain hands them out). */
  private readonly chunks: Uint8Array[] = [];
  private block = new Uint8Array(0);
  private view = new DataView(this.block.buffer);
  /** Bytes of `block` written, and where its part not yet handed out begins. */
  private used = 0;
  private from = 0;
  private count = 0;

  constructor() {
    const at = this.reserve(24);
    const v = this.view;
    v.setUint32(at, MAGIC_US, true);
    v.setUint16(at + 4, 2, true);
    v.setUint16(at + 6, 4, true);
    v.setUint32(at + 16, SNAPLEN, true);
    v.setUint32(at + 20, LINKTYPE_ETHERNET, true);
  }

  get frames(): number {
    return this.count;
  }

  /** Bytes written and not drained yet. */
  get pending(): number {
    let n = this.used - this.from;
    for (const c of this.chunks) n += c.length;
    return n;
  }

  add(frame: Uint8Array): void {
    const at = this.reserve(16 + frame.length);
    const v = this.view;
    const t = this.count++;
    v.setUint32(at, Math.floor(t / 1_000_000), true);
    v.setUint32(at + 4, t % 1_000_000, true);
    v.setUint32(at + 8, frame.length, true);
    v.setUint32(at + 12, frame.length, true);
    this.block.set(frame, at + 16);
  }

  /** Takes the bytes written since the last call (header included on the first call). */
  drain(): Uint8Array[] {
    this.handOut();
    return this.chunks.splice(0, this.chunks.length);
  }

  /** Where `n` more bytes go in the current block (a new one when they do not fit; zero-filled). */
  private reserve(n: number): number {
    if (this.used + n > this.block.length) {
      this.handOut();
      const size = Math.max(n, Math.min(MAX_BLOCK, this.block.length * 2 || FIRST_BLOCK));
      this.block = new Uint8Array(size);
      this.view = new DataView(this.block.buffer);
      this.used = this.from = 0;
    }
    const at = this.used;
    this.used += n;
    return at;
  }

  /** The block's written part not handed out yet becomes a chunk (later writes go after it). */
  private handOut(): void {
    if (this.used > this.from) this.chunks.push(this.block.subarray(this.from, this.used));
    this.from = this.used;
  }

  bytes(): Uint8Array {
    const parts = this.drain();
    const total = parts.reduce((n, p) => n + p.length, 0);
    const out = new Uint8Array(total);
    let o = 0;
    for (const p of parts) {
      out.set(p, o);
      o += p.length;
    }
    return out;
  }
}
