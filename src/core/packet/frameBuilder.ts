// Builds Ethernet frames from the structured description a scenario gives (scenario.md "traffic":
// every field not given is defaulted: Ethernet/IPv4/UDP, 64 bytes) and from hex strings.
// Checksums are computed so a frame built here is accepted by a real stack as well.

/** A structured frame as written in a scenario; every field is optional. */
export interface FrameSpec {
  eth?: { src?: string; dst?: string; type?: number | string };
  vlan?: number;
  /** IPv4 header fields shared by the l4 choices below (src/dst may also be given inside udp/tcp/icmp). */
  ipv4?: { src?: string; dst?: string; ttl?: number; tos?: number; id?: number; proto?: number };
  ipv6?: { src?: string; dst?: string; hopLimit?: number };
  udp?: { src?: string; dst?: string; sport?: number; dport?: number };
  tcp?: { src?: string; dst?: string; sport?: number; dport?: number; flags?: string };
  icmp?: { src?: string; dst?: string; type?: number; code?: number };
  arp?: { op?: number; sha?: string; spa?: string; tha?: string; tpa?: string };
  /** Total frame length in bytes including the Ethernet header (padded with `payload` then zeros). */
  length?: number;
  /** Payload bytes (hex) placed after the l4 header. */
  payload?: string;
}

export const DEFAULT_SRC_MAC = '02:00:00:00:00:01';
export const DEFAULT_DST_MAC = '02:00:00:00:00:02';
export const DEFAULT_SRC_IP = '10.0.0.1';
export const DEFAULT_DST_IP = '10.0.0.2';
/** Largest frame a scenario may build (a 64 KiB skb is the kernel's own ceiling). */
export const MAX_FRAME_LENGTH = 65535;
export const MIN_FRAME_LENGTH = 14;

export class FrameError extends Error {}

export function parseMac(text: string, what: string): Uint8Array {
  const m =
    /^([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})[:-]([0-9a-fA-F]{2})$/.exec(
      text,
    );
  if (!m) throw new FrameError(`${what}: '${text}' is not a MAC address (aa:bb:cc:dd:ee:ff)`);
  return Uint8Array.from(m.slice(1).map((h) => parseInt(h, 16)));
}

export function parseIpv4(text: string, what: string): Uint8Array {
  const parts = text.split('.');
  if (parts.length !== 4 || parts.some((p) => !/^\d{1,3}$/.test(p) || Number(p) > 255))
    throw new FrameError(`${what}: '${text}' is not an IPv4 address`);
  return Uint8Array.from(parts.map(Number));
}

export function parseIpv6(text: string, what: string): Uint8Array {
  const bad = (): FrameError => new FrameError(`${what}: '${text}' is not an IPv6 address`);
  const halves = text.split('::');
  if (halves.length > 2) throw bad();
  const group = (s: string): number[] =>
    s === ''
      ? []
      : s.split(':').map((g) => {
          if (!/^[0-9a-fA-F]{1,4}$/.test(g)) throw bad();
          return parseInt(g, 16);
        });
  const head = group(halves[0] as string);
  const tail = halves.length === 2 ? group(halves[1] as string) : [];
  const fill = 8 - head.length - tail.length;
  if ((halves.length === 1 && fill !== 0) || fill < 0) throw bad();
  const words = [...head, ...new Array<number>(fill).fill(0), ...tail];
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >> 8;
    out[2 * i + 1] = w & 0xff;
  });
  return out;
}

export function parseHex(text: string, what: string): Uint8Array {
  const clean = text.replace(/[\s:]/g, '').replace(/^0x/i, '');
  if (clean.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(clean))
    throw new FrameError(`${what}: not an even-length hex string`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

export function toHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += (b < 16 ? '0' : '') + b.toString(16);
  return s;
}

function checksum(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  for (let i = start; i < end; i += 2)
    sum += ((bytes[i] as number) << 8) | (i + 1 < end ? (bytes[i + 1] as number) : 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function put16(b: Uint8Array, o: number, v: number): void {
  b[o] = (v >> 8) & 0xff;
  b[o + 1] = v & 0xff;
}

const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const ETH_P_ARP = 0x0806;
const ETH_P_8021Q = 0x8100;

/** Builds the frame a structured spec describes. `what` names it in errors (a JSON path). */
export function buildFrame(spec: FrameSpec, what = 'frame'): Uint8Array {
  const l4s = (['udp', 'tcp', 'icmp'] as const).filter((k) => spec[k] !== undefined);
  if (l4s.length > 1) throw new FrameError(`${what}: give only one of udp, tcp, icmp`);
  if (spec.arp && (l4s.length || spec.ipv4 || spec.ipv6))
    throw new FrameError(`${what}: arp cannot be combined with IP`);
  if (spec.ipv4 && spec.ipv6) throw new FrameError(`${what}: give only one of ipv4, ipv6`);
  const l4 = l4s[0] ?? (spec.arp || spec.ipv4 || spec.ipv6 ? undefined : 'udp');
  const l4spec: { src?: string; dst?: string } = l4 ? (spec[l4] ?? {}) : {};
  const src = l4spec.src ?? spec.ipv4?.src ?? spec.ipv6?.src;
  const dst = l4spec.dst ?? spec.ipv4?.dst ?? spec.ipv6?.dst;
  const v6 = spec.ipv6 !== undefined || (src?.includes(':') ?? false) || (dst?.includes(':') ?? false);

  const l2 = 14 + (spec.vlan !== undefined ? 4 : 0);
  const l3 = spec.arp ? 28 : v6 ? 40 : 20;
  const l4len = l4 === 'tcp' ? 20 : l4 === 'udp' || l4 === 'icmp' ? 8 : 0;
  const payload = spec.payload !== undefined ? parseHex(spec.payload, `${what}.payload`) : new Uint8Array(0);
  const minimum = l2 + l3 + l4len + payload.length;
  const length = spec.length ?? Math.max(64, minimum);
  if (!Number.isInteger(length) || length < minimum || length > MAX_FRAME_LENGTH)
    throw new FrameError(
      `${what}.length: ${length} must be an integer in [${minimum}, ${MAX_FRAME_LENGTH}] (headers need ${minimum})`,
    );

  const b = new Uint8Array(length);
  b.set(parseMac(spec.eth?.dst ?? DEFAULT_DST_MAC, `${what}.eth.dst`), 0);
  b.set(parseMac(spec.eth?.src ?? DEFAULT_SRC_MAC, `${what}.eth.src`), 6);
  const etherType =
    spec.eth?.type !== undefined
      ? ethType(spec.eth.type, `${what}.eth.type`)
      : spec.arp
        ? ETH_P_ARP
        : v6
          ? ETH_P_IPV6
          : ETH_P_IP;
  let o = 12;
  if (spec.vlan !== undefined) {
    if (!Number.isInteger(spec.vlan) || spec.vlan < 0 || spec.vlan > 4095)
      throw new FrameError(`${what}.vlan: must be 0..4095`);
    put16(b, o, ETH_P_8021Q);
    put16(b, o + 2, spec.vlan);
    o += 4;
  }
  put16(b, o, etherType);
  o += 2;

  if (spec.arp) {
    const a = spec.arp;
    put16(b, o, 1);
    put16(b, o + 2, ETH_P_IP);
    b[o + 4] = 6;
    b[o + 5] = 4;
    put16(b, o + 6, a.op ?? 1);
    b.set(parseMac(a.sha ?? spec.eth?.src ?? DEFAULT_SRC_MAC, `${what}.arp.sha`), o + 8);
    b.set(parseIpv4(a.spa ?? DEFAULT_SRC_IP, `${what}.arp.spa`), o + 14);
    b.set(parseMac(a.tha ?? '00:00:00:00:00:00', `${what}.arp.tha`), o + 18);
    b.set(parseIpv4(a.tpa ?? DEFAULT_DST_IP, `${what}.arp.tpa`), o + 24);
    b.set(payload, o + 28);
    return b;
  }

  const proto =
    l4 === 'tcp' ? 6 : l4 === 'icmp' ? (v6 ? 58 : 1) : l4 === 'udp' ? 17 : (spec.ipv4?.proto ?? 17);
  const ipStart = o;
  const ipTotal = length - ipStart;
  let srcBytes: Uint8Array;
  let dstBytes: Uint8Array;
  if (v6) {
    srcBytes = parseIpv6(src ?? 'fd00::1', `${what}.src`);
    dstBytes = parseIpv6(dst ?? 'fd00::2', `${what}.dst`);
    b[o] = 0x60;
    put16(b, o + 4, Math.min(0xffff, ipTotal - 40));
    b[o + 6] = proto;
    b[o + 7] = spec.ipv6?.hopLimit ?? 64;
    b.set(srcBytes, o + 8);
    b.set(dstBytes, o + 24);
    o += 40;
  } else {
    srcBytes = parseIpv4(src ?? DEFAULT_SRC_IP, `${what}.src`);
    dstBytes = parseIpv4(dst ?? DEFAULT_DST_IP, `${what}.dst`);
    b[o] = 0x45;
    b[o + 1] = spec.ipv4?.tos ?? 0;
    put16(b, o + 2, Math.min(0xffff, ipTotal));
    put16(b, o + 4, spec.ipv4?.id ?? 0);
    b[o + 8] = spec.ipv4?.ttl ?? 64;
    b[o + 9] = proto;
    b.set(srcBytes, o + 12);
    b.set(dstBytes, o + 16);
    put16(b, o + 10, checksum(b, o, o + 20));
    o += 20;
  }
  const l4Start = o;
  const l4Total = length - l4Start;
  if (l4 === 'udp') {
    put16(b, o, spec.udp?.sport ?? 12345);
    put16(b, o + 2, spec.udp?.dport ?? 9);
    put16(b, o + 4, Math.min(0xffff, l4Total));
  } else if (l4 === 'tcp') {
    put16(b, o, spec.tcp?.sport ?? 12345);
    put16(b, o + 2, spec.tcp?.dport ?? 80);
    b[o + 12] = 0x50;
    b[o + 13] = tcpFlags(spec.tcp?.flags ?? 'S', `${what}.tcp.flags`);
    put16(b, o + 14, 65535);
  } else if (l4 === 'icmp') {
    b[o] = spec.icmp?.type ?? (v6 ? 128 : 8);
    b[o + 1] = spec.icmp?.code ?? 0;
  }
  b.set(payload, o + l4len);
  if (l4) {
    // Pseudo-header checksum for UDP/TCP (and ICMPv6); plain checksum for ICMPv4.
    const csumOff = l4 === 'udp' ? 6 : l4 === 'tcp' ? 16 : 2;
    let initial = 0;
    if (l4 !== 'icmp' || v6) {
      const pseudo = new Uint8Array(srcBytes.length * 2 + 4);
      pseudo.set(srcBytes, 0);
      pseudo.set(dstBytes, srcBytes.length);
      put16(pseudo, pseudo.length - 4, 0);
      pseudo[pseudo.length - 3] = proto;
      put16(pseudo, pseudo.length - 2, Math.min(0xffff, l4Total));
      initial = ~checksum(pseudo, 0, pseudo.length) & 0xffff;
    }
    let c = checksum(b, l4Start, length, initial);
    if (l4 === 'udp' && c === 0) c = 0xffff;
    put16(b, l4Start + csumOff, c);
  }
  return b;
}

function ethType(v: number | string, what: string): number {
  const n = typeof v === 'number' ? v : /^0x[0-9a-f]{1,4}$/i.test(v) ? parseInt(v, 16) : NaN;
  if (!Number.isInteger(n) || n < 0 || n > 0xffff) throw new FrameError(`${what}: must be 0..0xffff`);
  return n;
}

function tcpFlags(text: string, what: string): number {
  const bits: Record<string, number> = { F: 1, S: 2, R: 4, P: 8, A: 16, U: 32 };
  let v = 0;
  for (const ch of text.toUpperCase()) {
    const bit = bits[ch];
    if (bit === undefined) throw new FrameError(`${what}: '${ch}' is not one of F S R P A U`);
    v |= bit;
  }
  return v;
}
