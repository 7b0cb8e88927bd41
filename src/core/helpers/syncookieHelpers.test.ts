// SYN cookies from raw headers: the MSS the kernel's table encodes (option parsed or default), a
// cookie the check accepts on the handshake's ACK and refuses when changed, and -EINVAL for a
// th_len that is not the header's doff.
import assert from 'node:assert/strict';
import test from 'node:test';
import { BpfSystem } from '../vm/bpfSystem';
import { ADDR_BASE } from '../vm/memory';
import {
  bpf_tcp_raw_check_syncookie_ipv4,
  bpf_tcp_raw_gen_syncookie_ipv4,
  bpf_tcp_raw_gen_syncookie_ipv6,
} from './syncookieHelpers';

/** An IPv4 header (20 B) and a TCP header with `opts` option bytes. */
function headers(seq: number, ack: number, opts: number[] = []): { ip: Uint8Array; th: Uint8Array } {
  const ip = new Uint8Array(20);
  ip.set([0x45, 0, 0, 0, 0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 9, 10, 0, 0, 2]);
  const th = new Uint8Array(20 + opts.length);
  const dv = new DataView(th.buffer);
  dv.setUint16(0, 1234);
  dv.setUint16(2, 80);
  dv.setUint32(4, seq);
  dv.setUint32(8, ack);
  th[12] = (th.length / 4) << 4;
  th.set(opts, 20);
  return { ip, th };
}

function call(fn: typeof bpf_tcp_raw_gen_syncookie_ipv4, ip: Uint8Array, th: Uint8Array, thLen?: number) {
  const sys = new BpfSystem();
  const M = sys.machine;
  const a = M.allocRegion('memory', ip, false, 'iph');
  const b = M.allocRegion('memory', th, false, 'th');
  M.A.set([a.id, ADDR_BASE, b.id, ADDR_BASE, 0, thLen ?? th.length, 0, 0, 0, 0]);
  const lo = fn(M, 0);
  return { lo: lo >>> 0, hi: M.rh, notes: sys.notes };
}

void test("gen encodes the MSS of the kernel's table (the option, or 536 / 1220 without one)", () => {
  const mssOpt = [2, 4, 0x05, 0x78]; // MSS 1400 → the table's 1300
  const { ip, th } = headers(1000, 0, mssOpt);
  assert.equal(call(bpf_tcp_raw_gen_syncookie_ipv4, ip, th).hi, 1300);
  const bare = headers(1000, 0);
  const r = call(bpf_tcp_raw_gen_syncookie_ipv4, bare.ip, bare.th);
  assert.equal(r.hi, 536);
  assert.match(r.notes[0] ?? '', /secret is not the kernel's/);
  const ip6 = new Uint8Array(40);
  ip6[0] = 0x60;
  assert.equal(call(bpf_tcp_raw_gen_syncookie_ipv6, ip6, bare.th).hi, 1220);
});

void test('check accepts the cookie on the ACK (ack_seq - 1, seq - 1) and refuses a changed one', () => {
  const syn = headers(5000, 0);
  const cookie = call(bpf_tcp_raw_gen_syncookie_ipv4, syn.ip, syn.th).lo;
  const ack = headers(5001, (cookie + 1) >>> 0);
  assert.equal(call(bpf_tcp_raw_check_syncookie_ipv4, ack.ip, ack.th).lo, 0);
  // The low bits carry the MSS index: one beyond the table is refused.
  const bad = headers(5001, (cookie + 1 + 16) >>> 0);
  assert.equal(call(bpf_tcp_raw_check_syncookie_ipv4, bad.ip, bad.th).lo | 0, -13);
});

void test('gen refuses a th_len that is not the header length (-EINVAL)', () => {
  const { ip, th } = headers(1, 0, [1, 1, 1, 1]);
  assert.equal(call(bpf_tcp_raw_gen_syncookie_ipv4, ip, th, 20).lo | 0, -22);
});
