// The conntrack hash: a tuple and the struct bpf_sock_tuple bytes of the same flow make the same
// key (IPv4 and IPv6), every node stays findable as the slots grow, equal keys are walked oldest
// first, and the timeout copy follows setTimeout.
import assert from 'node:assert/strict';
import test from 'node:test';
import { CtHash, KEY_WORDS } from './ctHash';
import type { CtTuple } from './nfConn';

/** struct bpf_sock_tuple's half for `t`: the addresses, then the big-endian ports. */
function sockTuple(t: CtTuple): DataView {
  const b = new Uint8Array(t.src.length * 2 + 4);
  b.set(t.src);
  b.set(t.dst, t.src.length);
  const v = new DataView(b.buffer);
  v.setUint16(t.src.length * 2, t.sport, false);
  v.setUint16(t.src.length * 2 + 2, t.dport, false);
  return v;
}

const v4 = (i: number): CtTuple => ({
  l3num: 2,
  protonum: 6,
  src: Uint8Array.of(10, (i >> 16) & 255, (i >> 8) & 255, i & 255),
  dst: Uint8Array.of(192, 0, 2, 1),
  sport: 1000 + (i % 50000),
  dport: 80,
});

const v6: CtTuple = {
  l3num: 10,
  protonum: 17,
  src: Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 0xfd : i)),
  dst: Uint8Array.from({ length: 16 }, (_, i) => (i === 0 ? 0xfd : 0x40 + i)),
  sport: 5000,
  dport: 9,
};

void test('a tuple and its struct bpf_sock_tuple bytes give one key; other lengths none', () => {
  const h = new CtHash();
  for (const t of [v4(7), v6]) {
    h.keyFromTuple(t, 5);
    const a = h.key.slice();
    const v = sockTuple(t);
    assert.ok(h.keyFromSockTuple(v, 0, v.byteLength, t.protonum, 5));
    assert.deepEqual(h.key, a, `l3num ${t.l3num}`);
    assert.equal(a.length, KEY_WORDS);
  }
  assert.equal(h.keyFromSockTuple(new DataView(new ArrayBuffer(16)), 0, 16, 6, 0), false);
});

void test('every node is found after the slots grew, and a missing key is not', () => {
  const h = new CtHash();
  const n = 5000;
  for (let i = 0; i < n; i++) {
    h.keyFromTuple(v4(i), 0);
    h.insert(i);
    h.keyFromTuple({ ...v4(i), protonum: 17 }, 0);
    h.insert(i);
  }
  for (let i = 0; i < n; i++) {
    h.keyFromTuple(v4(i), 0);
    const node = h.first();
    assert.equal(node, 2 * i, `entry ${i}, direction 0`);
    assert.equal(h.timeout(node), i);
    assert.equal(h.next(), -1);
  }
  h.keyFromTuple(v4(n), 0);
  assert.equal(h.first(), -1);
  h.keyFromTuple(v4(3), 1);
  assert.equal(h.first(), -1, 'another zone id');
});

void test('equal keys are walked oldest first; setTimeout changes both nodes of an entry', () => {
  const h = new CtHash();
  for (let e = 0; e < 3; e++) {
    h.keyFromTuple(v6, 0);
    h.insert(100 + e);
    h.keyFromTuple(v4(e), 0);
    h.insert(100 + e);
  }
  h.keyFromTuple(v6, 0);
  const walk: number[] = [];
  for (let n = h.first(); n >= 0; n = h.next()) walk.push(n);
  assert.deepEqual(walk, [0, 2, 4]);
  h.setTimeout(1, 7);
  assert.deepEqual([h.timeout(2), h.timeout(3), h.timeout(0)], [7, 7, 100]);
  assert.equal(h.zid(3), 0);
});
