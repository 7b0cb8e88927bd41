// The conntrack kfuncs' cost (issue 16.1: per run ≤ 3× the kernel, lookups without allocation):
// CPU ns per VM run of test/fixtures/programs/conntrack.bpf.c on a tracked connection beside the
// kernel's own figure for the same object, frame and table (`bpftool prog run … repeat` in a
// namespace that `conntrack -I` filled; the ratio is the median of paired rounds,
// bench/lib/pairedRounds.ts), and ns per table find of struct bpf_sock_tuple bytes in
// tables of 10 and 10,000 entries, hot flows and every flow (cache misses). The engine is the
// bundled one (bench/lib/bundledEngine.ts); the kernel figure needs root, bpftool and conntrack.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundledEngine as bundleCore } from './lib/bundledEngine';
import type * as LoadObjectModule from '../src/core/elf/loadObject';
import type * as FrameBuilderModule from '../src/core/packet/frameBuilder';
import type * as ConntrackModule from '../src/core/xdp/conntrack';
import type { ConntrackSpec } from '../src/core/xdp/conntrack';
import { oursInFreshProcesses } from './lib/oursProcess';
import type { BenchRow } from './lib/benchRow';
import { pairedTestRun } from './lib/kernelTestRun';
import { pairsField, type PairStats } from './lib/pairedRounds';

type Engine = typeof LoadObjectModule & typeof FrameBuilderModule & typeof ConntrackModule;

const OBJ = path.join(__dirname, '../test/fixtures/programs/obj/conntrack.bpf.o');
const REPEAT = 1_000_000;

/** The process's CPU time in ns (the machines are shared: wall time would charge others' time). */
const cpuNow = (): bigint => {
  const u = process.cpuUsage();
  return BigInt(u.user + u.system) * 1000n;
};

/** The table of the tracked-run rows: `entries` other connections, then the one the frame is of. */
function trackedTable(entries: number): ConntrackSpec[] {
  const specs: ConntrackSpec[] = [];
  for (let i = 0; i < entries; i++)
    specs.push({
      proto: 'udp',
      src: `10.9.${(i >> 8) & 255}.${i & 255}`,
      sport: 1000,
      dst: '10.1.0.1',
      dport: 53,
    });
  specs.push({ proto: 'tcp', src: '10.0.0.1', sport: 40000, dst: '10.0.0.2', dport: 80 });
  return specs;
}

/**
 * The kernel's ns per run of the same program on the same frame (`bpftool prog run … repeat`) in a
 * namespace whose conntrack table holds `specs` (the test run's device is the namespace's loopback,
 * so bpf_xdp_ct_lookup sees its table), in pairs with `ours` (bench/lib/kernelTestRun.ts), or
 * undefined without root, bpftool or conntrack.
 */
async function kernelPairs(
  specs: ConntrackSpec[],
  frame: Uint8Array,
  dir: string,
  ours: (repeat: number) => number,
): Promise<PairStats | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const ns = `xlctb-${process.pid}`;
  const pin = path.join('/sys/fs/bpf', `xlctb-${process.pid}`);
  const sh = (argv: string[]): ReturnType<typeof spawnSync> =>
    spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
  const inNs = (argv: string[]): string[] => ['nsenter', `--net=/run/netns/${ns}`, ...argv];
  if (sh(['ip', 'netns', 'add', ns]).status !== 0) return undefined;
  try {
    for (const e of specs) {
      const r = sh(
        inNs([
          'conntrack',
          '-I',
          '-p',
          e.proto,
          '-s',
          e.src,
          '-d',
          e.dst,
          '--sport',
          String(e.sport),
          '--dport',
          String(e.dport),
          // A day: the entries are made before pairedTestRun waits for the kernel-test lock, which
          // another run may hold for half an hour (600 s entries expired there, and the kernel's
          // run then missed its flow).
          '--timeout',
          '86400',
          ...(e.proto === 'tcp' ? ['--state', 'ESTABLISHED'] : []),
          '--status',
          'ASSURED,SEEN_REPLY',
        ]),
      );
      if (r.status !== 0) {
        process.stderr.write(`bench: conntrack -I failed: ${String(r.stderr)}\n`);
        return undefined;
      }
    }
    const dataIn = path.join(dir, 'frame.bin');
    fs.writeFileSync(dataIn, frame);
    const load = sh(['bpftool', 'prog', 'loadall', OBJ, pin]);
    if (load.status !== 0) {
      process.stderr.write(`bench: bpftool prog loadall failed: ${String(load.stderr)}\n`);
      return undefined;
    }
    const pairs = await pairedTestRun({
      pin: path.join(pin, 'xdp_ct'),
      dataIn,
      prefix: inNs([]),
      expect: /Return value: 2\b/,
      ours: { ours },
    });
    return pairs?.ours;
  } finally {
    fs.rmSync(pin, { recursive: true, force: true });
    sh(['ip', 'netns', 'del', ns]);
  }
}

/**
 * CPU ns per find of struct bpf_sock_tuple bytes (what bpf_xdp_ct_lookup hands the table) in a
 * table of `entries` connections, `flows` of them looked up in turn, both directions.
 */
function findNs(E: Engine, entries: number, flows: number): number {
  const table = new E.ConntrackTable(() => 0n);
  const tuples = new Uint8Array(entries * 12);
  for (let i = 0; i < entries; i++) {
    const s = [10, (i >> 16) & 255, (i >> 8) & 255, i & 255];
    const sport = 1000 + (i % 50000);
    table.add({ proto: 'tcp', src: s.join('.'), sport, dst: '192.0.2.1', dport: 80 }, `[${i}]`);
    // Alternate directions: the reply tuple is found through its own node.
    const d = [192, 0, 2, 1];
    tuples.set(
      i % 2 ? [...d, ...s, 0, 80, sport >> 8, sport & 255] : [...s, ...d, sport >> 8, sport & 255, 0, 80],
      i * 12,
    );
  }
  const view = new DataView(tuples.buffer);
  const n = 2_000_000;
  let found = 0;
  let best = Infinity;
  for (let round = 0; round < 6; round++) {
    const t0 = cpuNow();
    for (let i = 0, j = 0; i < n; i++) {
      if (table.findSockTuple(view, j * 12, 12, 6, 0, 3)) found++;
      j = (j + 7919) % flows;
    }
    // The first round warms up.
    if (round > 0) best = Math.min(best, Number(cpuNow() - t0) / n);
  }
  if (found !== 6 * n) throw new Error(`conntrack bench: ${6 * n - found} lookups missed`);
  return best;
}

export async function runBench(): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xlct-bench-'));
  try {
    const E = bundledEngine(dir);
    const specs = trackedTable(1000);
    const frame = E.buildFrame({
      ipv4: { src: '10.0.0.1', dst: '10.0.0.2' },
      tcp: { sport: 40000, dport: 80 },
    });
    // Each round in a fresh process, which checks that the first run gives XDP_PASS (a tracked flow).
    const ours = oursInFreshProcesses(
      path.join(dir, 'engine.cjs'),
      { object: OBJ, name: 'conntrack', program: 'xdp_ct', frame, conntrack: specs, expect: 2 },
      dir,
    );
    const pairs = await kernelPairs(specs, frame, dir, ours);
    let value = Infinity;
    if (pairs) value = Math.min(...pairs.ours);
    else for (let i = 0; i < 5; i++) value = Math.min(value, ours(REPEAT / 2));
    const run: BenchRow = {
      name: `VM run with a tracked lookup, 1,000 entries (lookup, change status + timeout, release; ${pairs ? `${pairs.ratios.length} pairs with the kernel, best` : 'best of 5 × 0.5 M'}; each round a fresh process)`,
      value: Number(value.toFixed(1)),
      unit: 'CPU ns/run',
      ...(pairs
        ? {
            kernel: Math.min(...pairs.kernel),
            ratio: Number(pairs.median.toFixed(2)),
            pairs: pairsField(pairs),
          }
        : {}),
    };
    return [
      run,
      ...(pairs
        ? [
            {
              name: 'tracked lookup run: VM / kernel (median of pairs)',
              value: Number(pairs.median.toFixed(2)),
              unit: '×',
              target: 3,
              pairs: pairsField(pairs),
            },
          ]
        : []),
      {
        name: 'conntrack find, 10 entries',
        value: Number(findNs(E, 10, 10).toFixed(1)),
        unit: 'CPU ns/lookup',
      },
      {
        name: 'conntrack find, 10,000 entries, 16 hot flows',
        value: Number(findNs(E, 10_000, 16).toFixed(1)),
        unit: 'CPU ns/lookup',
      },
      {
        name: 'conntrack find, 10,000 entries, every flow (cache misses)',
        value: Number(findNs(E, 10_000, 10_000).toFixed(1)),
        unit: 'CPU ns/lookup',
        target: 200,
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** The engine as it ships (running the sources through tsx would measure tsx's live bindings). */
function bundledEngine(dir: string): Engine {
  return bundleCore<Engine>(dir, ['core/elf/loadObject', 'core/packet/frameBuilder', 'core/xdp/conntrack']);
}
