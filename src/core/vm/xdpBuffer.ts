// Builds the xdp_buff that BPF_PROG_TEST_RUN gives an XDP program (net/bpf/test_run.c): one 4 KiB
// page with XDP_PACKET_HEADROOM (256) before the data and skb_shared_info (320) reserved at its end,
// so at most 3520 linear bytes; the rest of a longer frame goes into page-sized frags.

export const XDP_PACKET_HEADROOM = 256;
export const PAGE_SIZE = 4096;
/** SKB_DATA_ALIGN(sizeof(struct skb_shared_info)) on x86_64. */
export const SHINFO_SIZE = 320;
export const MAX_LINEAR = PAGE_SIZE - XDP_PACKET_HEADROOM - SHINFO_SIZE;
export const ETH_HLEN = 14;
/** MAX_SKB_FRAGS (17 on a 4 KiB-page kernel). */
export const MAX_SKB_FRAGS = 17;

import type { XdpBuffer } from './xdpRun';

export class TestRunError extends Error {
  constructor(
    readonly errno: number,
    message: string,
  ) {
    super(message);
  }
}

/** The buffer for one test run of `frame`, as the kernel lays it out. */
export function testRunBuffer(frame: Uint8Array): XdpBuffer {
  if (frame.length < ETH_HLEN)
    throw new TestRunError(
      22,
      `the frame is ${frame.length} bytes; BPF_PROG_TEST_RUN refuses frames shorter than ${ETH_HLEN} (EINVAL)`,
    );
  const bytes = new Uint8Array(PAGE_SIZE);
  const linear = Math.min(frame.length, MAX_LINEAR);
  bytes.set(frame.subarray(0, linear), XDP_PACKET_HEADROOM);
  const frags: Uint8Array[] = [];
  for (let o = linear; o < frame.length; o += PAGE_SIZE) {
    if (frags.length === MAX_SKB_FRAGS)
      throw new TestRunError(
        12,
        `the frame is ${frame.length} bytes: more than ${MAX_SKB_FRAGS} frags (ENOMEM)`,
      );
    frags.push(frame.slice(o, Math.min(frame.length, o + PAGE_SIZE)));
  }
  return {
    bytes,
    dataMeta: XDP_PACKET_HEADROOM,
    data: XDP_PACKET_HEADROOM,
    dataEnd: XDP_PACKET_HEADROOM + linear,
    frags,
  };
}

/** What the test run copies out (data_out): from data_meta to data_end, then every frag. */
export function testRunOutput(b: XdpBuffer): Uint8Array {
  const lin = b.bytes.subarray(b.dataMeta, b.dataEnd);
  const total = lin.length + b.frags.reduce((s, f) => s + f.length, 0);
  const out = new Uint8Array(total);
  out.set(lin, 0);
  let o = lin.length;
  for (const f of b.frags) {
    out.set(f, o);
    o += f.length;
  }
  return out;
}

/** bpf_xdp_get_buff_len: linear + frags. */
export const bufferLength = (b: XdpBuffer): number =>
  b.dataEnd - b.data + b.frags.reduce((s, f) => s + f.length, 0);
