// bpf_fib_lookup against a route table the caller provides (the VM has no kernel FIB). Without a
// table it answers as Linux does on a host that does not forward (net.*.forwarding=0, the default):
// BPF_FIB_LKUP_RET_FWD_DISABLED, and records why, so the result is never a silent guess.
import type { HelperFn } from '../vm/machine';

export interface Route {
  family: 'ipv4' | 'ipv6';
  /** Destination prefix, e.g. "10.0.0.0/24" or "fd00::/64". */
  dst: string;
  /** Egress device. */
  ifindex: number;
  smac: string;
  dmac: string;
}

export type RouteTable = readonly Route[];

const AF_INET = 2;
const AF_INET6 = 10;
export const BPF_FIB_LKUP_RET_SUCCESS = 0;
export const BPF_FIB_LKUP_RET_NOT_FWDED = 4;
export const BPF_FIB_LKUP_RET_FWD_DISABLED = 5;

/** rt6_need_strict: multicast, link-local or loopback addresses are never forwarded. */
function ipv6NeedStrict(a: Uint8Array): boolean {
  if (a[0] === 0xff) return true;
  if (a[0] === 0xfe && ((a[1] as number) & 0xc0) === 0x80) return true;
  return a.subarray(0, 15).every((b) => b === 0) && a[15] === 1;
}

function prefixBytes(text: string, family: 'ipv4' | 'ipv6'): { bytes: Uint8Array; len: number } | undefined {
  const [addr, lenText] = text.split('/');
  if (addr === undefined) return undefined;
  if (family === 'ipv4') {
    const parts = addr.split('.').map(Number);
    if (parts.length !== 4 || parts.some((p) => !(p >= 0 && p <= 255))) return undefined;
    return { bytes: Uint8Array.from(parts), len: lenText === undefined ? 32 : Number(lenText) };
  }
  const halves = addr.split('::');
  const words = (s: string | undefined): number[] => (s ? s.split(':').map((w) => parseInt(w, 16)) : []);
  const head = words(halves[0]);
  const tail = words(halves[1]);
  const all = [...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail];
  const bytes = new Uint8Array(16);
  all.forEach((w, i) => {
    bytes[2 * i] = w >> 8;
    bytes[2 * i + 1] = w & 0xff;
  });
  return { bytes, len: lenText === undefined ? 128 : Number(lenText) };
}

const macBytes = (mac: string): number[] => mac.split(':').map((h) => parseInt(h, 16));

function matches(addr: Uint8Array, prefix: Uint8Array, len: number): boolean {
  for (let bit = 0; bit < len; bit++) {
    const m = 0x80 >> (bit & 7);
    if (((addr[bit >> 3] as number) & m) !== ((prefix[bit >> 3] as number) & m)) return false;
  }
  return true;
}

export const bpf_fib_lookup: HelperFn = (M, pc) => {
  const plen = M.argLo(3) >>> 0;
  if (plen < 64) return M.ret(-22);
  const p = M.argMem(pc, 2, 64, true, 'struct bpf_fib_lookup');
  const family = p[0] === AF_INET ? 'ipv4' : p[0] === AF_INET6 ? 'ipv6' : undefined;
  if (!family) return M.ret(-97); // bpf_xdp_fib_lookup: -EAFNOSUPPORT
  const routes = M.system.routes;
  if (!routes) {
    // bpf_ipv6_fib_lookup refuses link-local/multicast first; then both families check the ingress
    // device's forwarding (IN_DEV_FORWARD / idev->cnf.forwarding), off on a default host.
    if (family === 'ipv6' && (ipv6NeedStrict(p.subarray(16, 32)) || ipv6NeedStrict(p.subarray(32, 48))))
      return M.ret(BPF_FIB_LKUP_RET_NOT_FWDED);
    M.system.notes.push(
      `bpf_fib_lookup at pc ${pc}: no route table was given, answered BPF_FIB_LKUP_RET_FWD_DISABLED (a host that does not forward)`,
    );
    return M.ret(BPF_FIB_LKUP_RET_FWD_DISABLED);
  }
  const dst = family === 'ipv4' ? p.subarray(32, 36) : p.subarray(32, 48);
  let best: { r: Route; len: number } | undefined;
  for (const r of routes) {
    if (r.family !== family) continue;
    const pre = prefixBytes(r.dst, family);
    if (pre && matches(dst, pre.bytes, pre.len) && (!best || pre.len > best.len)) best = { r, len: pre.len };
  }
  if (!best) return M.ret(BPF_FIB_LKUP_RET_NOT_FWDED);
  const dv = new DataView(p.buffer, p.byteOffset, 64);
  dv.setUint32(8, best.r.ifindex, true);
  p.set(macBytes(best.r.smac), 52);
  p.set(macBytes(best.r.dmac), 58);
  return M.ret(BPF_FIB_LKUP_RET_SUCCESS);
};
