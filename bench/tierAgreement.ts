// Tier agreement on real programs (issue 16): every XDP program of the objects named on the command
// line runs 35 frames on the js and the wasm tier, each tier in its own freshly loaded copy of
// the object, and every observable is compared after every run. Prints one table row per program.
// Usage: node --import tsx bench/tierAgreement.ts [--json] [--seed N] [--maps FILE.json] OBJ.o… (third-party objects
// are read from where they are; nothing of theirs is committed).
import fs from 'node:fs';
import path from 'node:path';
import { loadObject } from '../src/core/elf/loadObject';
import type { LoadedObject } from '../src/core/elf/loadObject';
import { buildFrame } from '../src/core/packet/frameBuilder';
import type { FrameSpec } from '../src/core/packet/frameBuilder';
import { dumpMaps, preloadMaps, toHex } from '../src/core/maps/mapPreload';
import { PerfEventArrayMap, RingBufMap } from '../src/core/maps/ringbuf';
import type { BpfMap } from '../src/core/maps/bpfMap';
import type { VmTier } from '../src/core/vm/compiler';
import type { XdpProgram } from '../src/core/vm/xdpProgram';
import { kernelBtfOptions } from '../src/node/kernelBtf';

const argv = process.argv.slice(2);
const json = argv.includes('--json');
const seedAt = argv.indexOf('--seed');
const seed = seedAt >= 0 ? Number(argv[seedAt + 1]) : 16;
const mapsAt = argv.indexOf('--maps');
/** `--maps FILE.json` (run --maps's format): preloaded into every object that has all its maps. */
const preload =
  mapsAt >= 0 ? (JSON.parse(fs.readFileSync(argv[mapsAt + 1] ?? '', 'utf8')) as object) : undefined;
const files = argv.filter(
  (a, i) => !a.startsWith('--') && !(seedAt >= 0 && i === seedAt + 1) && !(mapsAt >= 0 && i === mapsAt + 1),
);
if (!files.length) {
  console.error(
    'usage: node --import tsx bench/tierAgreement.ts [--json] [--seed N] [--maps FILE.json] OBJ.o…',
  );
  process.exit(2);
}

/** A small deterministic PRNG (mulberry32): both tiers see the same random frames and map values. */
function rng(s: number): () => number {
  let a = s >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

const rand = rng(seed);
const randomBytes = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => (rand() * 256) | 0);
const b = (spec: FrameSpec): Uint8Array => buildFrame(spec);
const ip6 = { src: 'fc00::1', dst: 'fc00::2' };
/** A valid IPv4/UDP frame whose bytes after the Ethernet header are random (parsers' deep paths). */
const randomTail = (len: number): Uint8Array => {
  const f = b({ udp: { sport: 1, dport: 2 }, length: len });
  f.set(randomBytes(len - 14), 14);
  return f;
};

/** A valid frame (IPv4/IPv6, TCP/UDP, VLAN or not) with 1–4 of its first 64 bytes randomised. */
const mutated = (i: number): Uint8Array => {
  const l4 =
    i % 2 ? { tcp: { sport: 1000 + i, dport: 80, flags: 'S' } } : { udp: { sport: 1000 + i, dport: 53 } };
  const f = b({ ...(i % 4 >= 2 ? { ipv6: ip6 } : {}), ...(i >= 4 ? { vlan: 7 } : {}), ...l4, length: 128 });
  for (let k = 0, n = 1 + ((rand() * 4) | 0); k < n; k++) f[(rand() * 64) | 0] = (rand() * 256) | 0;
  return f;
};

const FRAMES: [string, Uint8Array][] = [
  ['ipv4 udp', b({ udp: { sport: 4000, dport: 53 } })],
  ['ipv4 udp 80 len 600', b({ udp: { sport: 4000, dport: 80 }, length: 600 })],
  ['ipv4 tcp syn', b({ tcp: { sport: 5555, dport: 80, flags: 'S' } })],
  ['ipv4 tcp ack 443', b({ tcp: { sport: 5555, dport: 443, flags: 'A' }, length: 200 })],
  ['ipv4 icmp echo', b({ icmp: { type: 8 } })],
  ['ipv4 ttl 1', b({ ipv4: { ttl: 1 }, udp: { dport: 9 } })],
  ['ipv4 proto 47 (gre)', b({ ipv4: { proto: 47 }, length: 80 })],
  ['ipv6 udp', b({ ipv6: ip6, udp: { sport: 1, dport: 7 } })],
  ['ipv6 tcp', b({ ipv6: ip6, tcp: { sport: 1, dport: 443, flags: 'S' } })],
  ['ipv6 icmpv6', b({ ipv6: ip6, icmp: { type: 128 } })],
  ['arp', b({ arp: {} })],
  ['vlan ipv4 udp', b({ vlan: 100, udp: { dport: 7 } })],
  ['vlan ipv6 tcp', b({ vlan: 5, ipv6: ip6, tcp: { dport: 22 } })],
  ['runt 14', b({ udp: { dport: 9 } }).slice(0, 14)],
  ['truncated ipv4 20', b({ udp: { dport: 9 } }).slice(0, 20)],
  ['truncated ipv4 34', b({ tcp: { dport: 9 } }).slice(0, 34)],
  ['truncated tcp 40', b({ tcp: { dport: 9 } }).slice(0, 40)],
  ['truncated ipv6 54', b({ ipv6: ip6, tcp: { dport: 9 } }).slice(0, 54)],
  ['jumbo 3000', b({ udp: { dport: 9 }, length: 3000 })],
  ...Array.from({ length: 4 }, (_, i): [string, Uint8Array] => [
    `random ${i}`,
    randomBytes(14 + ((rand() * 200) | 0)),
  ]),
  ...Array.from({ length: 4 }, (_, i): [string, Uint8Array] => [
    `random ipv4 tail ${i}`,
    randomTail(60 + i * 40),
  ]),
  ...Array.from({ length: 8 }, (_, i): [string, Uint8Array] => [`mutated ${i}`, mutated(i)]),
];

interface Outcome {
  tier: string;
  text: string;
}

const BIG = 4096;

/**
 * Every map's entries, arrays' only where they hold a non-zero byte (an array always has all its
 * entries: an all-zero one says nothing). Maps of more than BIG entries only when `all` (each pass's
 * last run: they keep what earlier runs wrote, so a difference stays visible), as dumping a
 * 65536-entry array after every run was most of the script's time.
 */
function mapsOf(obj: LoadedObject, all: boolean): ReturnType<typeof dumpMaps> {
  const out = dumpMaps(all ? obj.maps : obj.maps.filter((m) => m.def.maxEntries <= BIG));
  for (const m of obj.maps)
    if (m.def.type === 2 || m.def.type === 6)
      out[m.name] = (out[m.name] ?? []).filter(
        (e) => /[^0]/.test(e.value) || (e.values ?? []).some((v) => /[^0]/.test(v)),
      );
  return out;
}

/** Everything a run shows: action, retval, bytes out, redirect record, fault, insns, maps, records. */
function observe(obj: LoadedObject, r: ReturnType<XdpProgram['testRun']>, all: boolean): string {
  const red = r.redirect;
  const records: Record<string, string[]> = {};
  for (const m of obj.maps)
    if (m instanceof RingBufMap || m instanceof PerfEventArrayMap)
      records[m.name] = m.records.map((x) => toHex(x.data));
  return JSON.stringify({
    action: r.action,
    retval: r.retval,
    insns: r.insns,
    fault: r.fault ? { pc: r.fault.pc, message: r.fault.message } : null,
    dataOut: toHex(r.dataOut),
    redirect: {
      index: red.tgtIndex.toString(),
      mapId: red.mapId,
      mapType: red.mapType,
      flags: red.flags,
      hasValue: red.tgtValue !== undefined,
    },
    maps: mapsOf(obj, all),
    records,
    printk: obj.system.printk,
  });
}

/** The first differing field of two observations, for the report. */
function firstDiff(a: string, b: string): string {
  const x = JSON.parse(a) as Record<string, unknown>;
  const y = JSON.parse(b) as Record<string, unknown>;
  for (const k of Object.keys(x)) {
    const u = JSON.stringify(x[k]);
    const v = JSON.stringify(y[k]);
    if (u !== v) return `${k}: js ${u.slice(0, 160)} / wasm ${v.slice(0, 160)}`;
  }
  return 'equal';
}

/** Fills every array-like map of plain values with seeded random bytes (config arrays take paths). */
function seedArrays(maps: readonly BpfMap[], r: () => number): void {
  for (const m of maps) {
    const t = m.def.type;
    // ARRAY, PERCPU_ARRAY: value bytes only (prog arrays, devmaps, … hold references).
    if ((t !== 2 && t !== 6) || m.def.maxEntries > 4096) continue;
    for (let i = 0; i < m.def.maxEntries; i++) {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, i, true);
      const value = Uint8Array.from({ length: m.def.valueSize }, () => (r() * 256) | 0);
      try {
        m.update(key, value, 0, 0);
      } catch {
        // a map that refuses user-space updates (frozen .rodata) keeps its contents
      }
    }
  }
}

/**
 * Fills the tail-call map as Cilium's and iproute2's loaders do: a program in section "M/N" goes to
 * slot N of the object's prog array (the one named *calls* when there are several).
 */
function fillTailCalls(obj: LoadedObject): number {
  const arrays = obj.maps.filter((m) => m.def.type === 3);
  const calls = arrays.find((m) => /calls/.test(m.name)) ?? (arrays.length === 1 ? arrays[0] : undefined);
  if (!calls) return 0;
  let n = 0;
  for (const p of obj.programs) {
    const m = /^\d+\/(\d+)$/.exec(p.section);
    if (!m) continue;
    const key = new Uint8Array(4);
    new DataView(key.buffer).setUint32(0, Number(m[1]), true);
    if (calls.userUpdate(key, p, 0) === 0) n++;
  }
  return n;
}

type Load = { obj: LoadedObject } | { error: string };

function load(bytes: Uint8Array, name: string, tier: VmTier): Load {
  try {
    const obj = loadObject(bytes, { name, systemOptions: { tier, possibleCpus: 2 }, ...kernelBtfOptions() });
    fillTailCalls(obj);
    if (preload && Object.keys(preload).every((m) => obj.map(m))) preloadMaps(preload, obj.maps);
    return { obj };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

interface Row {
  object: string;
  program: string;
  wasm: 'wasm' | 'js (fallback)' | 'load error';
  runs: number;
  equal: number;
  actions: string;
  insns: number;
  diff?: string;
  note?: string;
}

const rows: Row[] = [];
const line = (r: Row): string =>
  `| ${r.object} | ${r.program} | ${r.wasm} | ${r.equal}/${r.runs} | ${r.actions} | ${r.insns} | ${r.diff ?? r.note ?? ''} |`;
if (!json) {
  console.log(
    '| object | program | wasm tier | runs equal | actions (js) | insns | first difference / note |',
  );
  console.log('|---|---|---|---|---|---|---|');
}
for (const file of files) {
  const bytes = new Uint8Array(fs.readFileSync(file));
  const objName = path.basename(file, '.o');
  const probe = load(bytes, objName, 'js');
  if ('error' in probe) {
    const row: Row = {
      object: objName,
      program: '*',
      wasm: 'load error',
      runs: 0,
      equal: 0,
      actions: '',
      insns: 0,
      note: probe.error.slice(0, 120),
    };
    rows.push(row);
    if (!json) console.log(line(row));
    continue;
  }
  for (const p of probe.obj.programs.filter((x) => x.attach === 'xdp')) {
    const row: Row = {
      object: objName,
      program: p.name,
      wasm: 'wasm',
      runs: 0,
      equal: 0,
      actions: '',
      insns: 0,
    };
    rows.push(row);
    // Two passes, each on fresh loads: maps as the object declares them, then array maps seeded.
    const actions = new Map<string, number>();
    for (const seeded of [false, true]) {
      const loads = (['js', 'wasm'] as const).map((t) => load(bytes, objName, t));
      const [js, wasm] = loads as [Load, Load];
      if ('error' in js || 'error' in wasm) {
        row.wasm = 'load error';
        row.note = ('error' in wasm ? `wasm: ${wasm.error}` : `js: ${(js as { error: string }).error}`).slice(
          0,
          160,
        );
        break;
      }
      const progs = [js.obj.program(p.name), wasm.obj.program(p.name)] as [XdpProgram, XdpProgram];
      if (seeded) {
        seedArrays(js.obj.maps, rng(seed + 1));
        seedArrays(wasm.obj.maps, rng(seed + 1));
      }
      // Each frame once, then each frame again with repeat 3 (the in-module repeat loop).
      for (const repeat of [1, 3])
        for (const [f, [label, frame]] of FRAMES.entries()) {
          const all = repeat === 3 && f === FRAMES.length - 1;
          if (frame.length < 14) continue;
          const out: Outcome[] = [];
          for (const [i, tier] of (['js', 'wasm'] as const).entries()) {
            const o = [js, wasm][i] as { obj: LoadedObject };
            const prog = progs[i] as XdpProgram;
            let text: string;
            try {
              text = observe(o.obj, prog.testRun(frame, { repeat, budget: 1_000_000 }), all);
            } catch (e) {
              text = JSON.stringify({ thrown: (e as Error).message });
            }
            if (tier === 'wasm' && prog.compiled(false).name !== 'wasmProgram') row.wasm = 'js (fallback)';
            out.push({ tier, text });
          }
          const [a, c] = out as [Outcome, Outcome];
          row.runs++;
          const parsed = JSON.parse(a.text) as {
            action?: number;
            insns?: number;
            thrown?: string;
            fault?: unknown;
          };
          const key = parsed.thrown ? 'thrown' : parsed.fault ? 'fault' : String(parsed.action);
          actions.set(key, (actions.get(key) ?? 0) + 1);
          row.insns += parsed.insns ?? 0;
          if (a.text === c.text) row.equal++;
          else row.diff ??= `${seeded ? 'seeded ' : ''}${label} ×${repeat}: ${firstDiff(a.text, c.text)}`;
        }
    }
    row.actions = [...actions].map(([k, n]) => `${k}:${n}`).join(' ');
    if (!json) console.log(line(row));
  }
}

if (json) console.log(JSON.stringify(rows, null, 1));
else {
  const ran = rows.filter((r) => r.runs > 0);
  const agree = ran.filter((r) => r.equal === r.runs);
  console.log(
    `\n${rows.length} programs, ${ran.length} ran, ${agree.length} agree on every run (${ran.reduce((n, r) => n + r.runs, 0)} runs), ${ran.filter((r) => r.wasm === 'js (fallback)').length} fell back to js`,
  );
}
