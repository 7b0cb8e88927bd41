// Fields of struct xdp_md, the context an XDP program receives (uapi). Completion after `ctx->`,
// hover, and the analyzer's packet-pointer tracking (data/data_end/data_meta) read this table.

export interface XdpMdField {
  readonly name: string;
  /** Byte offset in struct xdp_md (all fields are __u32). */
  readonly offset: number;
  readonly since: string;
  /** The verifier turns a load of this field into a packet pointer (needs bounds checks before use). */
  readonly packetPointer: boolean;
  /** One line, ours. */
  readonly summary: string;
}

export const xdpMdFields: readonly XdpMdField[] = [
  {
    name: 'data',
    offset: 0,
    since: '4.8',
    packetPointer: true,
    summary: 'Start of the frame (its linear part); cast (void *)(long)ctx->data.',
  },
  {
    name: 'data_end',
    offset: 4,
    since: '4.8',
    packetPointer: true,
    summary: 'One past the last byte of the linear part: compare every packet access against it.',
  },
  {
    name: 'data_meta',
    offset: 8,
    since: '4.15',
    packetPointer: true,
    summary: 'Start of the metadata area in front of data (grown with bpf_xdp_adjust_meta).',
  },
  {
    name: 'ingress_ifindex',
    offset: 12,
    since: '4.16',
    packetPointer: false,
    summary: 'ifindex of the device the frame arrived on.',
  },
  {
    name: 'rx_queue_index',
    offset: 16,
    since: '4.16',
    packetPointer: false,
    summary: 'Receive queue the frame arrived on (the key an XSKMAP is usually indexed by).',
  },
  {
    name: 'egress_ifindex',
    offset: 20,
    since: '5.8',
    packetPointer: false,
    summary: 'Target device; only set for programs running in a DEVMAP entry (SEC("xdp/devmap")).',
  },
];

export function xdpMdField(name: string): XdpMdField | undefined {
  return xdpMdFields.find((f) => f.name === name);
}
