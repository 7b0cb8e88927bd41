// A frame decoded layer by layer, each field with its byte range, so a result view can say which
// fields a program changed (`iph->ttl` 64 → 63, a MAC swap) and a hex view can mark those bytes.
// Ethernet, 802.1Q, ARP, IPv4, IPv6, UDP, TCP, ICMP/ICMPv6; never throws on malformed bytes.

export interface LayerField {
  readonly name: string;
  /** Byte offset in the frame and size in bytes (bit fields: the bytes that hold them). */
  readonly offset: number;
  readonly size: number;
  readonly value: string;
}

export interface FrameLayer {
  readonly name: string;
  readonly offset: number;
  readonly length: number;
  readonly fields: readonly LayerField[];
}

const u8 = (b: Uint8Array, o: number): number => b[o] ?? 0;
const u16 = (b: Uint8Array, o: number): number => (u8(b, o) << 8) | u8(b, o + 1);
const u32 = (b: Uint8Array, o: number): number => ((u16(b, o) << 16) | u16(b, o + 2)) >>> 0;
const mac = (b: Uint8Array, o: number): string =>
  Array.from(b.subarray(o, o + 6), (x) => x.toString(16).padStart(2, '0')).join(':');
const ipv4 = (b: Uint8Array, o: number): string =>
  `${u8(b, o)}.${u8(b, o + 1)}.${u8(b, o + 2)}.${u8(b, o + 3)}`;
function ipv6(b: Uint8Array, o: number): string {
  const words: string[] = [];
  for (let i = 0; i < 8; i++) words.push(u16(b, o + 2 * i).toString(16));
  return words.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}
const hex16 = (n: number): string => `0x${n.toString(16).padStart(4, '0')}`;

const ETHER_TYPES: Record<number, string> = {
  0x0800: 'IPv4',
  0x86dd: 'IPv6',
  0x0806: 'ARP',
  0x8100: '802.1Q',
};
const IP_PROTOS: Record<number, string> = { 1: 'ICMP', 6: 'TCP', 17: 'UDP', 58: 'ICMPv6' };

class Builder {
  readonly layers: FrameLayer[] = [];
  constructor(readonly b: Uint8Array) {}
  /** A layer when its fixed part fits in the frame; else undefined (the rest stays undecoded). */
  layer(
    name: string,
    offset: number,
    length: number,
    fields: Array<[string, number, number, string]>,
  ): boolean {
    if (offset + length > this.b.length) return false;
    this.layers.push({
      name,
      offset,
      length,
      fields: fields.map(([n, o, size, value]) => ({ name: n, offset: o, size, value })),
    });
    return true;
  }
}

function decodeL4(f: Builder, proto: number, o: number): void {
  const b = f.b;
  if (proto === 17)
    f.layer('UDP', o, 8, [
      ['source port', o, 2, String(u16(b, o))],
      ['dest port', o + 2, 2, String(u16(b, o + 2))],
      ['length', o + 4, 2, String(u16(b, o + 4))],
      ['checksum', o + 6, 2, hex16(u16(b, o + 6))],
    ]);
  else if (proto === 6) {
    const flags = u8(b, o + 13);
    const names = ['FIN', 'SYN', 'RST', 'PSH', 'ACK', 'URG', 'ECE', 'CWR'].filter((_, i) => flags & (1 << i));
    f.layer('TCP', o, 20, [
      ['source port', o, 2, String(u16(b, o))],
      ['dest port', o + 2, 2, String(u16(b, o + 2))],
      ['seq', o + 4, 4, String(u32(b, o + 4))],
      ['ack', o + 8, 4, String(u32(b, o + 8))],
      ['header length', o + 12, 1, `${(u8(b, o + 12) >> 4) * 4}`],
      ['flags', o + 13, 1, names.join(' ') || '—'],
      ['window', o + 14, 2, String(u16(b, o + 14))],
      ['checksum', o + 16, 2, hex16(u16(b, o + 16))],
    ]);
  } else if (proto === 1 || proto === 58)
    f.layer(proto === 1 ? 'ICMP' : 'ICMPv6', o, 4, [
      ['type', o, 1, String(u8(b, o))],
      ['code', o + 1, 1, String(u8(b, o + 1))],
      ['checksum', o + 2, 2, hex16(u16(b, o + 2))],
    ]);
}

/** The layers of an Ethernet frame, outermost first. */
export function decodeLayers(b: Uint8Array): FrameLayer[] {
  const f = new Builder(b);
  if (
    !f.layer('Ethernet', 0, 14, [
      ['destination', 0, 6, mac(b, 0)],
      ['source', 6, 6, mac(b, 6)],
      ['type', 12, 2, `${hex16(u16(b, 12))} ${ETHER_TYPES[u16(b, 12)] ?? ''}`.trim()],
    ])
  )
    return f.layers;
  let o = 14;
  let type = u16(b, 12);
  for (let depth = 0; (type === 0x8100 || type === 0x88a8) && depth < 2; depth++) {
    if (
      !f.layer('802.1Q', o, 4, [
        ['VLAN id', o, 2, String(u16(b, o) & 0xfff)],
        ['type', o + 2, 2, `${hex16(u16(b, o + 2))} ${ETHER_TYPES[u16(b, o + 2)] ?? ''}`.trim()],
      ])
    )
      return f.layers;
    type = u16(b, o + 2);
    o += 4;
  }
  if (type === 0x0800) {
    const ihl = (u8(b, o) & 0xf) * 4;
    const proto = u8(b, o + 9);
    if (
      !f.layer('IPv4', o, Math.max(20, ihl), [
        ['version / IHL', o, 1, `${u8(b, o) >> 4} / ${ihl}`],
        ['TOS', o + 1, 1, String(u8(b, o + 1))],
        ['total length', o + 2, 2, String(u16(b, o + 2))],
        ['id', o + 4, 2, String(u16(b, o + 4))],
        ['TTL', o + 8, 1, String(u8(b, o + 8))],
        ['protocol', o + 9, 1, `${proto} ${IP_PROTOS[proto] ?? ''}`.trim()],
        ['checksum', o + 10, 2, hex16(u16(b, o + 10))],
        ['source', o + 12, 4, ipv4(b, o + 12)],
        ['destination', o + 16, 4, ipv4(b, o + 16)],
      ])
    )
      return f.layers;
    if (ihl >= 20) decodeL4(f, proto, o + ihl);
  } else if (type === 0x86dd) {
    const next = u8(b, o + 6);
    if (
      !f.layer('IPv6', o, 40, [
        ['payload length', o + 4, 2, String(u16(b, o + 4))],
        ['next header', o + 6, 1, `${next} ${IP_PROTOS[next] ?? ''}`.trim()],
        ['hop limit', o + 7, 1, String(u8(b, o + 7))],
        ['source', o + 8, 16, ipv6(b, o + 8)],
        ['destination', o + 24, 16, ipv6(b, o + 24)],
      ])
    )
      return f.layers;
    decodeL4(f, next, o + 40);
  } else if (type === 0x0806)
    f.layer('ARP', o, 28, [
      [
        'operation',
        o + 6,
        2,
        u16(b, o + 6) === 1 ? 'request' : u16(b, o + 6) === 2 ? 'reply' : String(u16(b, o + 6)),
      ],
      ['sender MAC', o + 8, 6, mac(b, o + 8)],
      ['sender IP', o + 14, 4, ipv4(b, o + 14)],
      ['target MAC', o + 18, 6, mac(b, o + 18)],
      ['target IP', o + 24, 4, ipv4(b, o + 24)],
    ]);
  return f.layers;
}

/** Offsets of the bytes that differ between two frames of the same length; all of `after` otherwise. */
export function changedBytes(before: Uint8Array, after: Uint8Array): Set<number> {
  const out = new Set<number>();
  if (before.length !== after.length) {
    for (let i = 0; i < after.length; i++) out.add(i);
    return out;
  }
  for (let i = 0; i < after.length; i++) if (before[i] !== after[i]) out.add(i);
  return out;
}
