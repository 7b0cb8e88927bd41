// Cilium's loader constructs (issue 13, bpf_xdp.c): `.rodata.config` constants inlined as Cilium's
// inlineGlobalData does, CILIUM_PIN_REPLACE tail-call maps made afresh on every load, and programs in
// "ID/KEY" sections filling the PROG_ARRAY of that id — run and verified on the cil_config_tail fixture.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { tailCallSlot } from './legacyMaps';
import { loadObject } from './loadObject';
import { pinnedMaps } from './pinnedMaps';
import { buildFrame } from '../packet/frameBuilder';
import { verifyObject } from '../verifier/verifyObject';
import { BpfSystem } from '../vm/bpfSystem';

const objFile = path.resolve(__dirname, '../../../test/fixtures/programs/obj/cil_config_tail.bpf.o');
const bytes = (): Uint8Array => new Uint8Array(fs.readFileSync(objFile));
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

void test('ID/KEY section names parse as sscanf %i does', () => {
  assert.deepEqual(tailCallSlot('2/1'), { id: 2, key: 1 });
  assert.deepEqual(tailCallSlot('0x2/0x10'), { id: 2, key: 16 });
  assert.deepEqual(tailCallSlot('2/010'), { id: 2, key: 8 });
  for (const s of ['xdp', '2/', '/1', '2/1/3', '2/x', 'prog']) assert.equal(tailCallSlot(s), undefined, s);
});

void test('.rodata.config constants are inlined: no map, the values in the frame', () => {
  const o = loadObject(bytes(), { name: 'cil' });
  assert.deepEqual(
    o.maps.map((m) => m.name),
    ['cil_calls'],
    'no global-data map for .rodata.config (Cilium deletes it)',
  );
  const entry = o.program('cil_entry');
  assert.ok(entry);
  const v4 = buildFrame({ ipv4: { ttl: 64 }, udp: { sport: 1, dport: 9 } });
  const r = entry.testRun(v4, {});
  assert.equal(r.retval, 3, 'IPv4: slot 1 of cil_calls (section 2/1) → XDP_TX');
  // hi word 0x0a000002 stored little-endian, then the u16 0x1f90.
  assert.equal(hex(r.dataOut.subarray(6, 12)), '0200000a901f');
  assert.equal(r.dataOut[22], 63, 'TTL - 1 by the tail program');
  assert.equal(entry.testRun(buildFrame({ ipv6: {}, udp: { sport: 1, dport: 9 } }), {}).retval, 1);
  assert.equal(
    entry.testRun(buildFrame({ arp: {} }), {}).retval,
    0,
    'slot 9 is empty: the miss falls through',
  );
});

void test('CILIUM_PIN_REPLACE: every load makes its own map and takes over the pin', () => {
  const system = new BpfSystem();
  const a = loadObject(bytes(), { name: 'a', system });
  const b = loadObject(bytes(), { name: 'b', system });
  assert.notEqual(a.map('cil_calls'), b.map('cil_calls'), 'never reused');
  assert.equal(pinnedMaps(system).get('/sys/fs/bpf/tc/globals/cil_calls'), b.map('cil_calls'));
  const frame = buildFrame({ udp: { sport: 1, dport: 9 } });
  assert.equal(a.program('cil_entry')?.testRun(frame, {}).retval, 3, "a's calls hold a's programs");
});

void test('the verifier sees the constants: every program accepted, the tail programs as XDP', () => {
  const report = verifyObject(bytes());
  assert.deepEqual(
    report.programs.map((p) => [p.name, p.section, p.verdict]),
    [
      ['cil_tail_v4', '2/1', 'accepted'],
      ['cil_tail_v6', '2/5', 'accepted'],
      ['cil_entry', 'xdp', 'accepted'],
    ],
  );
});

void test("Cilium ≥ 1.16's objects: a BTF calls map with CILIUM_PIN_REPLACE, a 16-byte config variable kept as a map", () => {
  const file = path.resolve(__dirname, '../../../test/fixtures/programs/obj/cil_btf_config.bpf.o');
  const system = new BpfSystem();
  const load = (): ReturnType<typeof loadObject> =>
    loadObject(new Uint8Array(fs.readFileSync(file)), { name: 'cbc', system });
  const a = load();
  const b = load();
  assert.notEqual(a.map('cilium_calls'), b.map('cilium_calls'), 'a new calls map on every load');
  assert.equal(pinnedMaps(system).get('/sys/fs/bpf/tc/globals/cilium_calls'), b.map('cilium_calls'));
  assert.deepEqual(
    a.maps.map((m) => m.name),
    ['cilium_calls', '.rodata.config'],
    'the section with an IPv6 address stays a read-only map',
  );
  const r = a
    .program('cil_entry')!
    .testRun(buildFrame({ ipv4: { ttl: 9 }, udp: { sport: 1, dport: 9 } }), {});
  assert.equal(r.retval, 3, 'IPv4: slot 1 → XDP_TX');
  assert.equal(
    hex(r.dataOut.subarray(6, 12)),
    '0a0b0c0d4433',
    "the address's last 4 bytes, the knob's low 2",
  );
  assert.equal(r.dataOut[22], 8, 'TTL - 1 by the tail program');
  assert.equal(
    a.program('cil_entry')!.testRun(buildFrame({ arp: {} }), {}).retval,
    2,
    'slot 2 empty: XDP_PASS',
  );
});
