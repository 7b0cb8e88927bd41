// SYN cookies from raw headers (net/core/filter.c bpf_tcp_raw_gen/check_syncookie_ipv4/6, the XDP
// SYN proxy's helpers): the MSS table and option parsing as the kernel's (tcp_parse_mss_option,
// __cookie_v4/v6_init_sequence), the cookie's shape as secure_tcp_syn_cookie's — but the kernel's
// siphash secret is random per boot, so cookie values are the VM's own (said in the run's notes).
import type { HelperFn, Machine } from '../vm/machine';
import { CT_HZ } from '../xdp/conntrack';

const EINVAL = 22;
const EACCES = 13;
/** net/ipv4/syncookies.c msstab and net/ipv6/syncookies.c msstab. */
const MSSTAB4 = [536, 1300, 1440, 1460];
const MSSTAB6 = [1280 - 60, 1480 - 60, 1500 - 60, 9000 - 60];
const COOKIEBITS = 24;
const COOKIEMASK = (1 << COOKIEBITS) - 1;
/** MAX_SYNCOOKIE_AGE: a cookie is good for this many minutes. */
const MAX_SYNCOOKIE_AGE = 2;
const NOTE =
  "SYN cookies: the VM's secret is not the kernel's (random per boot), so cookie values differ from a real host's; their MSS encoding and validity rules are the kernel's";

/** tcp_parse_mss_option(th, 0): the MSS option's value, 0 when absent. */
function parseMss(th: Uint8Array): number {
  const doff = ((th[12] as number) >> 4) * 4;
  let p = 20;
  let length = doff - 20;
  let mss = 0;
  while (length > 0) {
    const opcode = th[p++] ?? 0;
    if (opcode === 0) return mss;
    if (opcode === 1) {
      length--;
      continue;
    }
    if (length < 2) return mss;
    const opsize = th[p++] ?? 0;
    if (opsize < 2 || opsize > length) return mss;
    if (opcode === 2 && opsize === 4) {
      const v = (((th[p] as number) << 8) | (th[p + 1] as number)) >>> 0;
      if (v) mss = v;
    }
    p += opsize - 2;
    length -= opsize;
  }
  return mss;
}

/** A keyed 32-bit hash of the connection (stands in for the kernel's siphash with its secret). */
function cookieHash(addrs: Uint8Array, sport: number, dport: number, count: number, c: number): number {
  let h = (0x9e3779b9 ^ c) >>> 0;
  const mix = (x: number): void => {
    h = Math.imul(h ^ x, 0x01000193) >>> 0;
    h ^= h >>> 15;
  };
  for (const b of addrs) mix(b);
  mix(sport);
  mix(dport);
  mix(count >>> 0);
  return h >>> 0;
}

/** tcp_cookie_time(): jiffies / TCP_SYNCOOKIE_PERIOD (60 * HZ), on the system's virtual clock. */
const cookieTime = (M: Machine): number => Math.floor(M.system.conntrack.jiffies() / (60 * CT_HZ)) >>> 0;

interface Headers {
  addrs: Uint8Array;
  sport: number;
  dport: number;
  seq: number;
  ackSeq: number;
}

function headers(ip: Uint8Array, th: Uint8Array, v6: boolean): Headers {
  const be32 = (b: Uint8Array, o: number): number =>
    (((b[o] as number) << 24) |
      ((b[o + 1] as number) << 16) |
      ((b[o + 2] as number) << 8) |
      (b[o + 3] as number)) >>>
    0;
  return {
    addrs: v6 ? ip.subarray(8, 40) : ip.subarray(12, 20),
    sport: ((th[0] as number) << 8) | (th[1] as number),
    dport: ((th[2] as number) << 8) | (th[3] as number),
    seq: be32(th, 4),
    ackSeq: be32(th, 8),
  };
}

/** secure_tcp_syn_cookie's layout: hash + seq + count in the top 8 bits + (hash + data) below. */
function makeCookie(h: Headers, sseq: number, count: number, data: number): number {
  return (
    (cookieHash(h.addrs, h.sport, h.dport, 0, 0) +
      sseq +
      (count << COOKIEBITS) +
      ((cookieHash(h.addrs, h.sport, h.dport, count, 1) + data) & COOKIEMASK)) >>>
    0
  );
}

/** check_tcp_syn_cookie: the data (MSS index) of a cookie no older than MAX_SYNCOOKIE_AGE, or -1. */
function checkCookie(h: Headers, cookie: number, sseq: number, count: number): number {
  const c = (cookie - (cookieHash(h.addrs, h.sport, h.dport, 0, 0) + sseq)) >>> 0;
  const diff = (count - (c >>> COOKIEBITS)) & (0xffffffff >>> COOKIEBITS);
  if (diff >= MAX_SYNCOOKIE_AGE) return -1;
  return (c - cookieHash(h.addrs, h.sport, h.dport, (count - diff) >>> 0, 1)) & COOKIEMASK;
}

function note(M: Machine): void {
  if (!M.system.notes.includes(NOTE)) M.system.notes.push(NOTE);
}

function gen(v6: boolean): HelperFn {
  const name = `bpf_tcp_raw_gen_syncookie_ipv${v6 ? 6 : 4}`;
  return (M, pc) => {
    const thLen = M.argLo(3) >>> 0;
    const ip = M.argMem(pc, 1, v6 ? 40 : 20, false, `${name} iph`);
    const th = M.argMem(pc, 2, thLen, false, `${name} th`);
    if (thLen < 20 || thLen !== ((th[12] as number) >> 4) * 4) return M.ret(-EINVAL);
    note(M);
    const tab = v6 ? MSSTAB6 : MSSTAB4;
    const mss = parseMss(th) || (v6 ? 1280 - 60 : 536);
    let ind = tab.length - 1;
    for (; ind; ind--) if (mss >= (tab[ind] as number)) break;
    const h = headers(ip, th, v6);
    const cookie = makeCookie(h, h.seq, cookieTime(M), ind);
    M.rh = tab[ind] as number; // cookie | (u64)mss << 32
    return cookie | 0;
  };
}

function check(v6: boolean): HelperFn {
  const name = `bpf_tcp_raw_check_syncookie_ipv${v6 ? 6 : 4}`;
  return (M, pc) => {
    const ip = M.argMem(pc, 1, v6 ? 40 : 20, false, `${name} iph`);
    const th = M.argMem(pc, 2, 20, false, `${name} th`);
    note(M);
    const h = headers(ip, th, v6);
    const ind = checkCookie(h, (h.ackSeq - 1) >>> 0, (h.seq - 1) >>> 0, cookieTime(M));
    return M.ret(ind >= 0 && ind < (v6 ? MSSTAB6 : MSSTAB4).length ? 0 : -EACCES);
  };
}

export const bpf_tcp_raw_gen_syncookie_ipv4 = gen(false);
export const bpf_tcp_raw_gen_syncookie_ipv6 = gen(true);
export const bpf_tcp_raw_check_syncookie_ipv4 = check(false);
export const bpf_tcp_raw_check_syncookie_ipv6 = check(true);
