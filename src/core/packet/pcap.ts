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

/**
 * Incremental pcap writer: frames are appended as chunks so a long simulation never holds one big
 * buffer. Timestamps are the simulated frame order (1 µs apart), so output is deterministic.
 */
export class PcapWriter {
  private readonly chunks: Uint8Array[] = [];
  private count = 0;

  constructor() {
    const h = new Uint8Array(24);
    const v = new DataView(h.buffer);
    v.setUint32(0, MAGIC_US, true);
    v.setUint16(4, 2, true);
    v.setUint16(6, 4, true);
    v.setUint32(16, SNAPLEN, true);
    v.setUint32(20, LINKTYPE_ETHERNET, true);
    this.chunks.push(h);
  }

  get frames(): number {
    return this.count;
  }

  add(frame: Uint8Array): void {
    const rec = new Uint8Array(16 + frame.length);
    const v = new DataView(rec.buffer);
    const t = this.count++;
    v.setUint32(0, Math.floor(t / 1_000_000), true);
    v.setUint32(4, t % 1_000_000, true);
    v.setUint32(8, frame.length, true);
    v.setUint32(12, frame.length, true);
    rec.set(frame, 16);
    this.chunks.push(rec);
  }

  /** Takes the bytes written so far (header included on the first call). */
  drain(): Uint8Array[] {
    return this.chunks.splice(0, this.chunks.length);
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
