// Frames for the kernel lab: a small Ethernet/IPv4/UDP builder and a sender that writes raw
// frames with an AF_PACKET socket inside a namespace (python3 — on every machine of this kind).
import { inNetns, run } from './exec';

export interface UdpFrameOptions {
  srcMac?: string;
  dstMac?: string;
  srcIp?: string;
  dstIp?: string;
  srcPort?: number;
  dstPort?: number;
  ttl?: number;
  payload?: Uint8Array;
}

/** '02:00:00:00:00:01' → 6 bytes. */
export function mac(text: string): Uint8Array {
  const parts = text.split(':');
  if (parts.length !== 6 || parts.some((p) => !/^[0-9a-fA-F]{1,2}$/.test(p)))
    throw new Error(`bad MAC address "${text}"`);
  return Uint8Array.from(parts, (p) => parseInt(p, 16));
}

/** '10.0.0.1' → 4 bytes. */
export function ipv4(text: string): Uint8Array {
  const parts = text.split('.').map(Number);
  if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255))
    throw new Error(`bad IPv4 address "${text}"`);
  return Uint8Array.from(parts);
}

function checksum(bytes: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < bytes.length; i += 2) sum += (bytes[i]! << 8) | (bytes[i + 1] ?? 0);
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

/** An Ethernet II + IPv4 + UDP frame with valid IPv4 and UDP checksums. */
export function udpFrame(o: UdpFrameOptions = {}): Uint8Array {
  const payload = o.payload ?? new TextEncoder().encode('xdp-lab');
  const src = ipv4(o.srcIp ?? '10.99.0.1');
  const dst = ipv4(o.dstIp ?? '10.99.0.2');
  const udpLen = 8 + payload.length;
  const ipLen = 20 + udpLen;
  const f = new Uint8Array(14 + ipLen);
  const v = new DataView(f.buffer);
  f.set(mac(o.dstMac ?? '02:00:00:00:00:02'), 0);
  f.set(mac(o.srcMac ?? '02:00:00:00:00:01'), 6);
  v.setUint16(12, 0x0800);
  const ip = 14;
  f[ip] = 0x45;
  v.setUint16(ip + 2, ipLen);
  v.setUint16(ip + 6, 0x4000); // DF
  f[ip + 8] = o.ttl ?? 64;
  f[ip + 9] = 17;
  f.set(src, ip + 12);
  f.set(dst, ip + 16);
  v.setUint16(ip + 10, checksum(f.subarray(ip, ip + 20)));
  const udp = ip + 20;
  v.setUint16(udp, o.srcPort ?? 40000);
  v.setUint16(udp + 2, o.dstPort ?? 9);
  v.setUint16(udp + 4, udpLen);
  f.set(payload, udp + 8);
  const pseudo = new Uint8Array(12 + udpLen);
  pseudo.set(src, 0);
  pseudo.set(dst, 4);
  pseudo[9] = 17;
  new DataView(pseudo.buffer).setUint16(10, udpLen);
  pseudo.set(f.subarray(udp, udp + udpLen), 12);
  v.setUint16(udp + 6, checksum(pseudo) || 0xffff);
  return f;
}

const SENDER = `
import socket, sys
dev, count = sys.argv[1], int(sys.argv[2])
frames = [bytes.fromhex(l) for l in sys.stdin.read().split()]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
s.bind((dev, 0))
n = 0
for _ in range(count):
    for f in frames:
        n += 1 if s.send(f) == len(f) else 0
print(n)
`;

/** Sends each frame `count` times (default 1) out of `dev` in netns `ns` (full name; undefined =
 * root) through an AF_PACKET socket; returns the number of frames the socket accepted. With `cpu`
 * the sender is pinned there (taskset): a veth peer's NAPI poll runs on the sending CPU, so per-CPU
 * maps and cpumap round robins see the CPU a scenario names. */
export function sendFrames(
  ns: string | undefined,
  dev: string,
  frames: Uint8Array | readonly Uint8Array[],
  count = 1,
  cpu?: number,
): number {
  const list = frames instanceof Uint8Array ? [frames] : frames;
  const hex = list.map((f) => Array.from(f, (b) => b.toString(16).padStart(2, '0')).join('')).join('\n');
  const pin = cpu === undefined ? [] : ['taskset', '-c', String(cpu)];
  const r = run(inNetns(ns, [...pin, 'python3', '-c', SENDER, dev, String(count)]), { input: hex });
  return Number(r.stdout.trim());
}
