// Production-sized maps and the flow counter, VM against kernel (issue 13.1, 16.1): bigmaps.bpf.c
// (a 32 M-entry ARRAY, a 16 M-entry HASH, a 2 M LRU, a 1 M PERCPU_ARRAY, a 64 k DEVMAP_HASH) and
// flowcount.bpf.c are loaded by the kernel and by the VM, their maps filled the same way (bpftool
// map update / userUpdate), and a few frames run through `bpftool prog run` and testRun: the same
// retval, output bytes and map contents. No netns (test runs need none): pins under xlmaps-.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadObject } from '../../src/core/elf/loadObject';
import type { LoadedObject } from '../../src/core/elf/loadObject';
import { buildFrame } from '../../src/core/packet/frameBuilder';
import { loadAll, mapDump, mapUpdate, progRun, u32le } from './lib/bpftool';
import { compileBpf } from './lib/compile';
import { run } from './lib/exec';
import { withLab } from './lib/lab';
import { probe } from './lib/probe';

const root = path.resolve(import.meta.dirname, '../..');
const RING_SIZE = 33_554_944;
const CPUS = Number(fs.readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split('-').pop()) + 1;
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const fromBpftool = (bytes: string[]): string => bytes.map((x) => x.replace(/^0x/, '')).join('');

/** The ring slot bigmaps.bpf.c computes for a frame. */
function slotOf(frame: Uint8Array): number {
  const dv = new DataView(frame.buffer, frame.byteOffset);
  const x =
    dv.getUint32(26, true) ^
    dv.getUint32(30, true) ^
    ((dv.getUint16(34, true) << 16) | dv.getUint16(36, true));
  return (x >>> 0) % RING_SIZE;
}

/** Hash-like dump of both sides as sorted "key=value" lines. */
function kernelEntries(pin: string): string[] {
  return (mapDump(pin) as { key: string[]; value: string[] }[])
    .map((e) => `${fromBpftool(e.key)}=${fromBpftool(e.value)}`)
    .sort();
}
function vmEntries(obj: LoadedObject, name: string): string[] {
  return obj
    .map(name)!
    .dump()
    .map((e) => `${hex(e.key)}=${hex(e.value)}`)
    .sort();
}

/** `bpftool map lookup` of one key: the value's hex (per-CPU maps: every CPU's, joined by '|'). */
function kernelLookup(pin: string, key: Uint8Array): string | undefined {
  const r = run(
    [
      'bpftool',
      '-j',
      'map',
      'lookup',
      'pinned',
      pin,
      'key',
      'hex',
      ...Array.from(key, (b) => b.toString(16).padStart(2, '0')),
    ],
    {
      allowFailure: true,
    },
  );
  if (r.status !== 0) return undefined;
  const v = JSON.parse(r.stdout) as { value?: string[]; values?: { value: string[] }[] };
  return v.values ? v.values.map((c) => fromBpftool(c.value)).join('|') : fromBpftool(v.value!);
}
function vmLookup(obj: LoadedObject, name: string, key: Uint8Array): string | undefined {
  const m = obj.map(name)!;
  const v = m.userLookup(key);
  if (typeof v === 'number') return undefined;
  const per = m.type === 6 || m.type === 5 || m.type === 10;
  if (!per) return hex(v);
  const stride = (m.def.valueSize + 7) & ~7;
  return Array.from({ length: CPUS }, (_, c) =>
    hex(v.subarray(c * stride, c * stride + m.def.valueSize)),
  ).join('|');
}

const frames = {
  hit: buildFrame({ udp: { src: '10.0.0.1', dst: '10.0.0.2', sport: 4096, dport: 80 } }),
  miss: buildFrame({ udp: { src: '192.168.7.9', dst: '10.0.0.2', sport: 5353, dport: 53 } }),
  tcp: buildFrame({ tcp: { src: '10.0.0.1', dst: '10.0.0.2', sport: 1, dport: 2 } }),
  runt: buildFrame({ udp: {} }).slice(0, 30),
};

void test(
  'bigmaps: VM and kernel agree on retval, output bytes and map contents',
  { skip: probe() },
  async () => {
    await withLab('xlmaps-', (lab) => {
      const objFile = compileBpf(
        path.join(root, 'test/fixtures/programs/bigmaps.bpf.c'),
        path.join(lab.tmp, 'bigmaps.o'),
      );
      const k = loadAll(objFile, lab.pinDir('big'));
      const vm = loadObject(new Uint8Array(fs.readFileSync(objFile)), {
        name: 'bigmaps',
        systemOptions: { possibleCpus: CPUS },
      });
      // The same contents on both sides: the hit frame's ring slot names server 7777 on ifindex 1.
      const slot = slotOf(frames.hit);
      const server = new Uint8Array([1, 0, 0, 0, 2, 0, 0, 0, 0, 0x2a, 3, 0]);
      const fill: [string, Uint8Array, Uint8Array][] = [
        ['ring', u32le(slot), u32le(7777)],
        ['ring', u32le(RING_SIZE - 1), u32le(9)],
        ['servers', u32le(7777), server],
        ['tx', u32le(1), u32le(1)],
      ];
      for (const [name, key, value] of fill) {
        mapUpdate(k.maps[name]!.pin, key, value);
        assert.equal(vm.map(name)!.userUpdate(key, value, 0), 0, name);
      }
      const prog = vm.program('xdp_bigmaps')!;
      const retvals: Record<string, number> = {};
      for (const [what, frame] of Object.entries(frames)) {
        const kr = progRun(k.progs.xdp_bigmaps!.pin, frame, lab.tmp);
        const vr = prog.testRun(frame, { cpu: 0 });
        assert.equal(vr.fault, undefined, what);
        assert.equal(vr.retval, kr.retval, `${what}: retval`);
        assert.equal(hex(vr.dataOut), hex(kr.dataOut), `${what}: output bytes`);
        retvals[what] = kr.retval;
      }
      assert.deepEqual(retvals, { hit: 4, miss: 2, tcp: 2, runt: 1 }, 'redirect, two passes, a drop');
      assert.deepEqual(vmEntries(vm, 'flows'), kernelEntries(k.maps.flows!.pin), 'flows (LRU)');
      assert.deepEqual(vmEntries(vm, 'servers'), kernelEntries(k.maps.servers!.pin), 'servers (16 M HASH)');
      for (const key of [slot, RING_SIZE - 1, 0, 12_345_678])
        assert.equal(
          vmLookup(vm, 'ring', u32le(key)),
          kernelLookup(k.maps.ring!.pin, u32le(key)),
          `ring[${key}]`,
        );
      assert.equal(vmLookup(vm, 'ring', u32le(RING_SIZE)), kernelLookup(k.maps.ring!.pin, u32le(RING_SIZE)));
      // hits[] counts per CPU; compare the sums (the kernel ran on whichever CPU bpftool was on).
      const sum = (s: string | undefined): number =>
        (s ?? '')
          .split('|')
          .reduce((a, v) => a + (v ? Number(BigInt(`0x${v.match(/../g)!.reverse().join('')}`)) : 0), 0);
      for (const f of [frames.hit, frames.miss]) {
        const key = u32le(slotOf(f));
        assert.equal(sum(vmLookup(vm, 'hits', key)), sum(kernelLookup(k.maps.hits!.pin, key)));
      }
    });
  },
);

void test('flowcount: VM and kernel count the same flows', { skip: probe() }, async () => {
  await withLab('xlmaps-', (lab) => {
    const objFile = compileBpf(
      path.join(root, 'test/fixtures/programs/flowcount.bpf.c'),
      path.join(lab.tmp, 'flowcount.o'),
    );
    const k = loadAll(objFile, lab.pinDir('flow'));
    const vm = loadObject(new Uint8Array(fs.readFileSync(objFile)), { name: 'flowcount' });
    const prog = vm.program('xdp_flowcount')!;
    for (const [what, frame, repeat] of [
      ['hit', frames.hit, 5],
      ['miss', frames.miss, 1],
      ['tcp', frames.tcp, 2],
      ['runt', frames.runt, 1],
      ['hit again', frames.hit, 1],
    ] as const) {
      const kr = progRun(k.progs.xdp_flowcount!.pin, frame, lab.tmp, { repeat });
      const vr = prog.testRun(frame, { repeat });
      assert.equal(vr.retval, kr.retval, `${what}: retval`);
      assert.equal(hex(vr.dataOut), hex(kr.dataOut), `${what}: output bytes`);
    }
    const entries = vmEntries(vm, 'flow_stats');
    assert.equal(entries.length, 2);
    assert.deepEqual(entries, kernelEntries(k.maps.flow_stats!.pin));
  });
});
