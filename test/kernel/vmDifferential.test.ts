// Differential corpus: every XDP C program of test/fixtures/programs (and the shipped example) ×
// a set of frames (IPv4/IPv6/UDP/TCP/ARP/VLAN, runts, jumbo, adjust ops) runs in the kernel
// (`bpftool prog run`, pinned to CPU 0) and in the VM, in the same order, with the same preloaded
// map entries. After every frame the retval, data_out and every map's entries must be equal.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { loadObject } from '../../src/core/elf/loadObject';
import type { LoadedObject } from '../../src/core/elf/loadObject';
import { buildFrame } from '../../src/core/packet/frameBuilder';
import type { FrameSpec } from '../../src/core/packet/frameBuilder';
import { BpfSystem } from '../../src/core/vm/bpfSystem';
import { mapDump, mapUpdate, loadAll } from './lib/bpftool';
import type { LoadedObject as KernelObject } from './lib/bpftool';
import { compileBpf } from './lib/compile';
import { run } from './lib/exec';
import { withLab } from './lib/lab';
import { probe } from './lib/probe';
import { kernelRun, vmRun } from './lib/testRuns';

const root = path.resolve(__dirname, '../..');
const corpus = path.join(root, 'test/fixtures/programs');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const possibleCpus = (): number => {
  const text = fs.readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
  return text.split(',').reduce((n, part) => {
    const [a, b] = part.split('-').map(Number);
    return n + (b === undefined ? 1 : b - (a as number) + 1);
  }, 0);
};

const udp = (dport: number, extra: FrameSpec = {}): FrameSpec => ({ udp: { sport: 4000, dport }, ...extra });
/** An Ethernet frame of an experimental EtherType whose first payload byte is `first`. */
const raw = (first: number, length = 80): Uint8Array => {
  const f = buildFrame({ eth: { type: 0x88b5 }, length: Math.max(length, 60) }).slice(0, length);
  f[14] = first;
  for (let i = 15; i < f.length; i++) f[i] = i & 0xff;
  return f;
};
const FRAMES: [string, Uint8Array][] = [
  ['ipv4 udp 7', buildFrame(udp(7))],
  ['ipv4 udp 53', buildFrame(udp(53))],
  ['ipv4 udp 9 (from 10.0.0.1)', buildFrame(udp(9, { ipv4: { src: '10.0.0.1' } }))],
  ['ipv4 udp from 10.9.9.9', buildFrame(udp(9, { ipv4: { src: '10.9.9.9' } }))],
  ['ipv4 udp from 192.168.3.4', buildFrame(udp(9, { ipv4: { src: '192.168.3.4', ttl: 1 } }))],
  ['ipv4 tcp 23', buildFrame({ tcp: { sport: 5555, dport: 23 } })],
  ['ipv4 tcp 80', buildFrame({ tcp: { sport: 5555, dport: 80 }, length: 200 })],
  ['ipv6 udp', buildFrame({ ipv6: {}, udp: { sport: 1, dport: 7 } })],
  ['ipv6 tcp', buildFrame({ ipv6: {}, tcp: { sport: 1, dport: 23 } })],
  ['arp', buildFrame({ arp: {} })],
  ['vlan ipv4 udp', buildFrame(udp(7, { vlan: 100 }))],
  ['icmp', buildFrame({ icmp: {} })],
  ['runt 14', buildFrame(udp(9)).slice(0, 14)],
  ['runt 20', buildFrame(udp(9)).slice(0, 20)],
  ['runt 13 (refused)', new Uint8Array(13)],
  ['jumbo 9000', buildFrame(udp(80, { length: 9000 }))],
  ...Array.from({ length: 13 }, (_, i): [string, Uint8Array] => [
    `redirect case ${i + 1}`,
    buildFrame(udp(i + 1)),
  ]),
  ...[1, 2, 3, 4, 5, 6, 7].map((op): [string, Uint8Array] => [`adjust op ${op}`, raw(op)]),
  ['adjust op 1 on a 20-byte frame', raw(1, 20)],
  ['big 3000', buildFrame(udp(9, { length: 3000 }))],
  ['jumbo 5000', buildFrame(udp(9, { length: 5000 }))],
  ['jumbo 7000', buildFrame(udp(9, { length: 7000 }))],
  ['jumbo 3600', buildFrame(udp(9, { length: 3600 }))],
];

interface Program {
  file: string;
  /** The program to run (default: xdp_dispatch if present, else the first). */
  prog?: string;
  /** Map entries written through the user-space path before the first frame (key, value hex). */
  preload?: Record<string, [string, string][]>;
}

const PROGRAMS: Program[] = [
  { file: 'parser.bpf.c' },
  { file: 'counters.bpf.c' },
  {
    file: 'redirects.bpf.c',
    preload: {
      devs: [['00000000', '01000000']],
      devs_hash: [['01000000', '01000000']],
      cpus: [['00000000', 'c000000000000000']],
    },
  },
  { file: 'adjust.bpf.c' },
  { file: 'loops.bpf.c' },
  { file: 'globals.bpf.c' },
  {
    file: 'lpm.bpf.c',
    preload: {
      rules: [
        ['080000000a000000', '01000000'],
        ['200000000a000001', '02000000'],
        ['10000000c0a80000', '03000000'],
      ],
    },
  },
  { file: 'tailcall.bpf.c' },
  { file: 'csum.bpf.c' },
  { file: 'mapsmix.bpf.c' },
  { file: 'frags.bpf.c' },
  { file: 'helpers.bpf.c' },
  { file: 'tailsub.bpf.c', prog: 'xdp_main' },
  { file: '../../../examples/redirect.bpf.c', preload: { tx_port: [['01000000', '01000000']] } },
  { file: 'sharedvalues.bpf.c', preload: { arr: [['03000000', '2a000000000000000000000000000000']] } },
  // Each run's key comes from a counter: hits, misses, two calls in one run (the wasm tier's inline hits).
  {
    file: 'redirectcycle.bpf.c',
    preload: {
      ports: [
        ['00000000', '01000000'],
        ['01000000', '01000000'],
      ],
    },
  },
];

/** Map types whose values are kernel ids (prog array, map-in-map): compared by key only. */
const ID_VALUES = new Set([3, 12, 13]);
/** QUEUE, STACK, RINGBUF: bpftool cannot dump them. */
const UNDUMPABLE = new Set([22, 23, 27]);

/** Entries as sorted "key=value" strings; per-CPU values joined; empty DEVMAP slots skipped. */
function kernelEntries(dump: unknown[], progArray: boolean): string[] {
  const bytes = (a: unknown): string => (a as string[]).map((x) => x.slice(2)).join('');
  return dump
    .filter((e) => !(e as { error?: string }).error && !(e as { value?: { error?: string } }).value?.error)
    .map((e) => {
      const x = e as { key: string[]; value?: string[]; values?: { cpu: number; value: string[] }[] };
      const v = x.values
        ? x.values.map((c) => bytes(c.value)).join('|')
        : progArray
          ? 'prog'
          : bytes(x.value);
      return `${bytes(x.key)}=${v}`;
    })
    .sort();
}

function vmEntries(obj: LoadedObject, name: string, progArray: boolean): string[] {
  const m = obj.map(name);
  if (!m) return [`no map ${name}`];
  return m
    .dump()
    .map((e) => `${hex(e.key)}=${e.values ? e.values.map(hex).join('|') : progArray ? 'prog' : hex(e.value)}`)
    .sort();
}

for (const prog of PROGRAMS) {
  void test(
    `VM equals kernel (js and wasm tiers): ${path.basename(prog.file)} × ${FRAMES.length} frames`,
    { skip: probe() },
    async () => {
      await withLab('xlvm-', (lab) => {
        const base = path.basename(prog.file).replace(/\.c$/, '');
        const objFile = compileBpf(path.join(corpus, prog.file), path.join(lab.tmp, `${base}.o`));
        const kernel: KernelObject = loadAll(objFile, lab.pinDir(base.replace(/\W/g, '')));
        // Both compilation tiers, each in its own system, see the same frames in the same order.
        const tiers = (['js', 'wasm'] as const).map((tier) => ({
          tier,
          vm: loadObject(new Uint8Array(fs.readFileSync(objFile)), {
            name: base.split('.')[0] as string,
            system: new BpfSystem({ possibleCpus: possibleCpus(), tier }),
          }),
        }));
        const vm = tiers[0]!.vm;
        // Same maps under libbpf's names (bpffs pins turn '.' into '_').
        assert.deepEqual(
          vm.maps.map((m) => m.name.replace(/\./g, '_')).sort(),
          Object.keys(kernel.maps).sort(),
          'map names',
        );
        for (const [map, entries] of Object.entries(prog.preload ?? {})) {
          for (const [k, v] of entries) {
            mapUpdate(kernel.maps[map]!.pin, Buffer.from(k, 'hex'), Buffer.from(v, 'hex'));
            for (const t of tiers)
              assert.equal(
                t.vm.map(map)!.userUpdate(Buffer.from(k, 'hex'), new Uint8Array(Buffer.from(v, 'hex')), 0),
                0,
                `preload ${map}`,
              );
          }
        }
        const progName =
          prog.prog ??
          (Object.keys(kernel.progs).includes('xdp_dispatch') ? 'xdp_dispatch' : vm.programs[0]!.name);
        const diffs: string[] = [];
        const verdicts = new Map<string, number>();
        for (const [frameName, frame] of FRAMES) {
          const k = kernelRun(kernel.progs[progName]!.pin, frame, lab.tmp);
          verdicts.set(frameName, k.retval ?? -1);
          for (const { tier, vm: tvm } of tiers) {
            const v = vmRun(tvm, progName, frame);
            if (JSON.stringify(k) !== JSON.stringify(v))
              diffs.push(`${frameName}: kernel ${JSON.stringify(k)} VM (${tier}) ${JSON.stringify(v)}`);
          }
          for (const m of vm.maps) {
            const pin = kernel.maps[m.name.replace(/\./g, '_')];
            if (!pin) continue;
            if (UNDUMPABLE.has(m.type)) continue;
            const isProgArray = ID_VALUES.has(m.type);
            const ke = kernelEntries(mapDump(pin.pin), isProgArray);
            for (const { tier, vm: tvm } of tiers) {
              const ve = vmEntries(tvm, m.name, isProgArray);
              if (JSON.stringify(ke) !== JSON.stringify(ve))
                diffs.push(
                  `${frameName}: map ${m.name}: kernel ${JSON.stringify(ke)} VM (${tier}) ${JSON.stringify(ve)}`,
                );
            }
          }
          if (diffs.length > 8) break;
        }
        assert.deepEqual(diffs, []);
        // The comparison is only worth something if the kernel ran the frames: all but the 13-byte runt.
        assert.equal(
          [...verdicts.values()].filter((r) => r < 0).length,
          1,
          `kernel verdicts: ${JSON.stringify([...verdicts])}`,
        );
        if (process.env.XDP_LAB_DEBUG) console.log(base, JSON.stringify([...verdicts]));
      });
    },
  );
}

// The "done" check of issue #3: `xdp-lab run OBJ --data F --maps M --json` (the shipped bundle)
// gives the kernel's answer — retval, data_out and every map — for each corpus program on a fresh load.
void test('xdp-lab run --json equals the kernel on every corpus program', { skip: probe() }, async () => {
  await withLab('xlvm-', (lab) => {
    const cli = path.join(root, 'dist/cli.js');
    assert.ok(fs.existsSync(cli), 'dist/cli.js is built (npm run build)');
    const frame = FRAMES.find(([n]) => n === 'ipv4 udp 7')![1];
    const frameFile = path.join(lab.tmp, 'frame.bin');
    fs.writeFileSync(frameFile, frame);
    const diffs: string[] = [];
    for (const prog of PROGRAMS) {
      const base = path.basename(prog.file).replace(/\.c$/, '');
      const objFile = compileBpf(path.join(corpus, prog.file), path.join(lab.tmp, `${base}.o`));
      const kernel = loadAll(objFile, lab.pinDir(`cli${base.replace(/\W/g, '')}`));
      const preload: Record<string, { key: string; value: string }[]> = {};
      for (const [map, entries] of Object.entries(prog.preload ?? {})) {
        preload[map] = entries.map(([key, value]) => ({ key, value }));
        for (const [k, v] of entries)
          mapUpdate(kernel.maps[map]!.pin, Buffer.from(k, 'hex'), Buffer.from(v, 'hex'));
      }
      const mapsFile = path.join(lab.tmp, `${base}.maps.json`);
      fs.writeFileSync(mapsFile, JSON.stringify(preload));
      const progName =
        prog.prog ?? (Object.keys(kernel.progs).includes('xdp_dispatch') ? 'xdp_dispatch' : undefined);
      const r = run(
        [
          process.execPath,
          cli,
          'run',
          objFile,
          '--data',
          frameFile,
          '--maps',
          mapsFile,
          '--json',
          ...(progName ? ['--prog', progName] : []),
        ],
        { allowFailure: true },
      );
      assert.equal(r.status, 0, `${base}: ${r.stderr}`);
      const out = JSON.parse(r.stdout) as {
        program: string;
        retval: number;
        dataOut: string;
        maps: Record<string, { key: string; value: string; values?: string[] }[]>;
      };
      const k = kernelRun(kernel.progs[out.program]!.pin, frame, lab.tmp);
      if (k.retval !== out.retval || k.dataOut !== out.dataOut)
        diffs.push(`${base}: kernel ${JSON.stringify(k)} CLI ${out.retval} ${out.dataOut}`);
      for (const [name, entries] of Object.entries(out.maps)) {
        const pin = kernel.maps[name.replace(/\./g, '_')];
        if (!pin) {
          diffs.push(`${base}: map ${name} not in the kernel`);
          continue;
        }
        const type = vmMapType(objFile, base, name) ?? 0;
        if (UNDUMPABLE.has(type)) continue;
        const isProgArray = ID_VALUES.has(type);
        const ke = kernelEntries(mapDump(pin.pin), isProgArray);
        const ce = entries
          .map((e) => `${e.key}=${e.values ? e.values.join('|') : isProgArray ? 'prog' : e.value}`)
          .sort();
        if (JSON.stringify(ke) !== JSON.stringify(ce))
          diffs.push(`${base}: map ${name}: kernel ${JSON.stringify(ke)} CLI ${JSON.stringify(ce)}`);
      }
    }
    assert.deepEqual(diffs, []);
  });
});

function vmMapType(objFile: string, base: string, name: string): number | undefined {
  return loadObject(new Uint8Array(fs.readFileSync(objFile)), { name: base.split('.')[0] as string }).map(
    name,
  )?.type;
}
