// Older map sections and pinning (issue 13 item 5): libbpf's struct bpf_map_def and iproute2's
// struct bpf_elf_map sections load; maps pinned by name (LIBBPF_PIN_BY_NAME, PIN_GLOBAL_NS) are one
// map for every object of a simulated kernel, so a prog array one object fills serves another's
// tail calls; an incompatible redefinition is refused as libbpf refuses it.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { LoadError, loadObject } from './loadObject';
import { pinnedMaps } from './pinnedMaps';
import { dumpMaps } from '../maps/mapPreload';
import { buildFrame } from '../packet/frameBuilder';
import { BpfSystem } from '../vm/bpfSystem';

const objDir = path.resolve(__dirname, '../../../test/fixtures/programs/obj');
const obj = (name: string): Uint8Array => new Uint8Array(fs.readFileSync(path.join(objDir, name)));
const frame = buildFrame({ udp: { sport: 1, dport: 9 } });
const u64At = (hex: string | undefined): number =>
  hex ? Number(Buffer.from(hex, 'hex').readBigUInt64LE()) : -1;

void test('struct bpf_map_def maps load and count (iproute2-style section "prog" is an XDP program)', () => {
  const o = loadObject(obj('legacymaps.bpf.o'), { name: 'legacymaps' });
  assert.deepEqual(
    o.maps.map((m) => [m.name, m.def.type, m.def.keySize, m.def.valueSize, m.def.maxEntries]),
    [
      ['proto_count', 2, 4, 8, 256],
      ['src_count', 1, 4, 8, 64],
    ],
  );
  const prog = o.program('xdp_legacy');
  assert.equal(prog?.section, 'prog');
  prog.testRun(frame, {});
  prog.testRun(frame, {});
  const d = dumpMaps(o.maps);
  assert.equal(u64At(d.proto_count?.[8]?.value), 2, 'EtherType 0x0800: low byte 8 in network order');
  assert.deepEqual(
    d.src_count?.map((e) => [e.key, u64At(e.value)]),
    [['0a000001', 2]],
  );
});

void test('struct bpf_elf_map: PIN_GLOBAL_NS shared across objects, map-in-map by id/inner_id', () => {
  const system = new BpfSystem();
  const a = loadObject(obj('elfmaps.bpf.o'), { name: 'a', system });
  const b = loadObject(obj('elfmaps.bpf.o'), { name: 'b', system });
  assert.equal(a.map('xdplab_elf_cnt'), b.map('xdplab_elf_cnt'), 'one pinned map');
  assert.notEqual(a.map('map_inner'), b.map('map_inner'), 'unpinned maps stay per object');
  assert.ok(pinnedMaps(system).has('/sys/fs/bpf/tc/globals/xdplab_elf_cnt'));
  assert.equal(a.map('map_outer')?.def.inner?.name, 'map_inner', 'inner_id 7 names map_inner (id 7)');
  for (const o of [a, b, a]) assert.equal(o.programs[0]?.testRun(frame, {}).retval, 2);
  const da = dumpMaps(a.maps);
  assert.equal(u64At(da.xdplab_elf_cnt?.[0]?.value), 3, 'both objects counted in the shared map');
  assert.equal(u64At(da.map_inner?.[0]?.value), 2, "a's inner map, reached through a's map_outer slot 0");
  assert.equal(u64At(dumpMaps(b.maps).map_inner?.[0]?.value), 1);
});

void test('LIBBPF_PIN_BY_NAME: a tail call through a prog array another object filled', () => {
  for (const order of [
    ['pinentry', 'pintarget'],
    ['pintarget', 'pinentry'],
  ]) {
    const system = new BpfSystem();
    const objs = Object.fromEntries(
      order.map((n) => [n, loadObject(obj(`${n}.bpf.o`), { name: n, system })]),
    );
    const entry = objs.pinentry?.program('xdp_entry');
    assert.ok(entry);
    const r = entry.testRun(frame, {});
    assert.equal(r.retval, 3, `${order.join(' then ')}: XDP_TX from pintarget's xdp_target`);
    const hits = dumpMaps(objs.pintarget?.maps ?? []).xlpin_hits?.map((e) => u64At(e.value));
    assert.deepEqual(hits, [1, 1, 0, 0]);
  }
  // Alone, the slot is empty: the tail call falls through to XDP_PASS.
  assert.equal(loadObject(obj('pinentry.bpf.o')).program('xdp_entry')?.testRun(frame, {}).retval, 2);
});

void test('a pinned map redefined incompatibly is refused as libbpf refuses the reuse', () => {
  const system = new BpfSystem();
  loadObject(obj('pinentry.bpf.o'), { name: 'pinentry', system });
  // An ARRAY pinned where pintarget expects its PROG_ARRAY xlpin_jmp.
  const hits = loadObject(obj('pinentry.bpf.o'), { system: new BpfSystem() }).map('xlpin_hits');
  assert.ok(hits);
  pinnedMaps(system).set('/sys/fs/bpf/xlpin_jmp', hits);
  assert.throws(
    () => loadObject(obj('pintarget.bpf.o'), { name: 'pintarget', system }),
    (e: unknown) =>
      e instanceof LoadError &&
      /map 'xlpin_jmp': couldn't reuse pinned map at '\/sys\/fs\/bpf\/xlpin_jmp': parameter mismatch \(type 3 != pinned 2\)/.test(
        e.message,
      ),
  );
});
