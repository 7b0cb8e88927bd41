// Benchmarks of the engine VM (issue #3 "Performance"): (a) instructions per second on a tight
// 30 M-iteration add/sub/branch loop (target ≥ 200 M insn/s); (b) ns per run of an XDP parser
// (Ethernet → IPv4 → UDP, one map lookup, bpf_redirect_map: examples/redirect.bpf.c) next to the
// kernel's own figure for the same object and frame (`bpftool prog run … repeat`), as a ratio
// (target ≤ 5×, issue 16.2) — the median of paired rounds (bench/lib/pairedRounds.ts); (c) ns per
// run of a flow counter (test/fixtures/programs/flowcount.bpf.c: parse + hash lookup/update)
// against the kernel's (target ≤ 3×, issue 16.1), paired alike; (d) load + first run
// and RSS of bigmaps.bpf.c (32 M-entry array …) beside the kernel's load time (issue 13.1). The
// kernel figures need root, clang and bpftool; without them they are omitted.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundledEngine as bundleCore } from './lib/bundledEngine';
import type * as LoadObjectModule from '../src/core/elf/loadObject';
import type * as FrameBuilderModule from '../src/core/packet/frameBuilder';
import type * as AsmModule from '../src/core/vm/asm';
import type * as IsaModule from '../src/core/vm/isa';
import type * as RawRunModule from '../src/core/vm/rawRun';
import type { BenchRow } from './lib/benchRow';
import { pairedTestRun } from './lib/kernelTestRun';
import { oursInFreshProcesses } from './lib/oursProcess';
import { pairsField, type PairStats } from './lib/pairedRounds';

/**
 * The engine as it ships: bundled by esbuild (running the sources through tsx would measure tsx's
 * live-binding getters on every imported constant, not the VM).
 */
type Engine = typeof LoadObjectModule &
  typeof FrameBuilderModule &
  typeof RawRunModule & { A: typeof AsmModule; I: typeof IsaModule };
const bundledEngine = (dir: string): Engine =>
  bundleCore<Engine>(dir, ['core/elf/loadObject', 'core/packet/frameBuilder', 'core/vm/rawRun'], {
    A: 'core/vm/asm',
    I: 'core/vm/isa',
  });

export type { BenchRow };

const ITERATIONS = 30_000_000;

/**
 * The process's CPU time in ns: the machines are shared, and wall time would charge the VM for the
 * time other processes held the CPU (the kernel's figure is measured with preemption off).
 */
const cpuNow = (): bigint => {
  const u = process.cpuUsage();
  return BigInt(u.user + u.system) * 1000n;
};
const REPEAT = 1_000_000;

function aluLoop({ A, I, runRaw }: Engine): BenchRow {
  const code = A.assemble(
    A.mov64(0, 0),
    A.lddw(1, BigInt(ITERATIONS)),
    A.mov64(2, 7),
    // loop: 5 instructions per iteration
    A.aluX(true, I.ALU_ADD, 0, 1),
    A.aluK(true, I.ALU_SUB, 2, 3),
    A.aluX(true, I.ALU_ADD, 0, 2),
    A.aluK(true, I.ALU_SUB, 1, 1),
    A.jmpK(true, I.JMP_JNE, 1, 0, -5),
    A.exit(),
  );
  runRaw(code, undefined, { budget: 1e12 }); // warm-up (compile + JIT)
  const t0 = cpuNow();
  const r = runRaw(code, undefined, { budget: 1e12 });
  const ns = Number(cpuNow() - t0);
  return {
    name: `tight ALU loop (${ITERATIONS / 1e6} M iterations, ${r.insns} insns)`,
    value: (r.insns / ns) * 1e3,
    unit: 'M insn/s',
    target: 200,
  };
}

/**
 * `prog` of `obj` on `frame`, the kernel's `bpftool prog run … repeat` beside our `ours(repeat)`, in
 * pairs (bench/lib/kernelTestRun.ts pairedTestRun), or undefined without root/bpftool.
 */
export async function kernelPairs(
  obj: string,
  frame: Uint8Array,
  dir: string,
  prog: string,
  ours: Record<string, (repeat: number) => number>,
): Promise<Record<string, PairStats> | undefined> {
  if (process.getuid?.() !== 0) return undefined;
  const pin = path.join('/sys/fs/bpf', `xlvm-bench-${process.pid}`);
  const dataIn = path.join(dir, 'frame.bin');
  fs.writeFileSync(dataIn, frame);
  const flock = (argv: string[]): ReturnType<typeof spawnSync> =>
    spawnSync('flock', ['/tmp/xdp-lab-kernel.lock', ...argv], { encoding: 'utf8' });
  try {
    const load = flock(['bpftool', 'prog', 'loadall', obj, pin]);
    if (load.status !== 0) {
      process.stderr.write(`bench: bpftool prog loadall ${obj} failed: ${String(load.stderr)}\n`);
      return undefined;
    }
    return await pairedTestRun({ pin: path.join(pin, prog), dataIn, ours });
  } finally {
    fs.rmSync(pin, { recursive: true, force: true });
  }
}

/**
 * A per-run row: our best round as `value`, the kernel's best as `kernel`, and the ratio from the
 * pairs (their median; pairs.min–max its spread). Without a kernel figure: the best of five rounds.
 */
function perRunRow(name: string, unit: string, pairs: PairStats | undefined, ours: () => number): BenchRow {
  if (!pairs) {
    let value = Infinity;
    for (let i = 0; i < 5; i++) value = Math.min(value, ours());
    return { name, value, unit };
  }
  return {
    name,
    value: Math.min(...pairs.ours),
    unit,
    kernel: Math.min(...pairs.kernel),
    ratio: pairs.median,
    pairs: pairsField(pairs),
  };
}

async function xdpParser({ loadObject, buildFrame }: Engine, dir: string): Promise<BenchRow> {
  const obj = clangBpf('examples/redirect.bpf.c', path.join(dir, 'redirect.o'));
  const frame = buildFrame({ udp: { sport: 4000, dport: 9 } });
  const key = [1, 0, 0, 0];
  const loaded = loadObject(new Uint8Array(fs.readFileSync(obj)), { name: 'redirect' });
  loaded.map('tx_port')!.userUpdate(new Uint8Array(key), new Uint8Array(key), 0);
  // The verdict our rounds must reproduce (the fresh processes load the same object and entry).
  const expect = loaded.program('xdp_redirect_udp')!.testRun(frame).retval;
  const ours = oursInFreshProcesses(
    path.join(dir, 'engine.cjs'),
    {
      object: obj,
      name: 'redirect',
      program: 'xdp_redirect_udp',
      frame,
      updates: [{ map: 'tx_port', key, value: key }],
      expect,
    },
    dir,
  );
  const pairs = (await kernelPairs(obj, frame, dir, 'xdp_redirect_udp', { ours }))?.ours;
  return perRunRow(
    `XDP parser run (eth/ipv4/udp, 1 lookup, redirect_map; ${pairs ? `${pairs.ratios.length} pairs with the kernel, best` : `best of 5 × ${REPEAT / 2e6} M repeats`}; each round a fresh process)`,
    'ns/run',
    pairs,
    () => ours(REPEAT / 2),
  );
}

/** clang -O2 -g -target bpf of one of test/fixtures/programs. */
function buildFixture(name: string, dir: string): string {
  return clangBpf(`test/fixtures/programs/${name}.bpf.c`, path.join(dir, `${name}.o`));
}

/** clang -O2 -g -target bpf of `src` (relative to the repository) into `obj`. */
function clangBpf(src: string, obj: string): string {
  const cc = spawnSync(
    'clang',
    ['-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu', '-c', src, '-o', obj],
    { encoding: 'utf8' },
  );
  if (cc.status !== 0) throw new Error(`clang failed: ${cc.stderr}`);
  return obj;
}

/** The flow counter (issue 16.1): IPv4/UDP parse + a HASH lookup/update per run, VM vs kernel. */
async function flowCounter({ loadObject, buildFrame }: Engine, dir: string): Promise<BenchRow[]> {
  const obj = buildFixture('flowcount', dir);
  const frame = buildFrame({ udp: { src: '10.0.0.1', dst: '10.0.0.2', sport: 4096, dport: 80 } });
  const expect = loadObject(new Uint8Array(fs.readFileSync(obj)), { name: 'flowcount' })
    .program('xdp_flowcount')!
    .testRun(frame).retval;
  const ours = oursInFreshProcesses(
    path.join(dir, 'engine.cjs'),
    { object: obj, name: 'flowcount', program: 'xdp_flowcount', frame, expect },
    dir,
  );
  const pairs = (await kernelPairs(obj, frame, dir, 'xdp_flowcount', { ours }))?.ours;
  const row = perRunRow(
    `flow counter run (ipv4/udp parse, hash lookup + atomic add; ${pairs ? `${pairs.ratios.length} pairs with the kernel, best` : `best of 5 × ${REPEAT / 2e6} M repeats`}; each round a fresh process)`,
    'ns/run',
    pairs,
    () => ours(REPEAT / 2),
  );
  return pairs
    ? [
        row,
        {
          name: 'flow counter: VM / kernel (median of pairs)',
          value: pairs.median,
          unit: '×',
          target: 3,
          pairs: pairsField(pairs),
        },
      ]
    : [row];
}

/**
 * Load + one run of bigmaps.bpf.c (a 32 M-entry ARRAY, a 16 M-entry HASH, a 2 M LRU, …) in a fresh
 * process (so its RSS is the object's alone), beside the kernel's `bpftool prog loadall` of the
 * same object (issue 13.1: < 2 s, < 300 MB).
 */
function bigMaps(dir: string): BenchRow[] {
  const obj = buildFixture('bigmaps', dir);
  const script = `
    const t0 = process.hrtime.bigint();
    const E = require(${JSON.stringify(path.join(dir, 'engine.cjs'))});
    const obj = E.loadObject(new Uint8Array(require('fs').readFileSync(${JSON.stringify(obj)})), { name: 'bigmaps' });
    const t1 = process.hrtime.bigint();
    const r = obj.program('xdp_bigmaps').testRun(E.buildFrame({ udp: { sport: 4096, dport: 80 } }));
    const t2 = process.hrtime.bigint();
    console.log(JSON.stringify({ load: Number(t1 - t0) / 1e6, run: Number(t2 - t1) / 1e6, rss: process.memoryUsage().rss / 2 ** 20, retval: r.retval }));`;
  const child = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  if (child.status !== 0) throw new Error(`bigmaps child failed: ${child.stderr}`);
  const m = JSON.parse(child.stdout) as { load: number; run: number; rss: number };
  let kernel: number | undefined;
  if (process.getuid?.() === 0) {
    const pin = path.join('/sys/fs/bpf', `xlvm-bench-big-${process.pid}`);
    try {
      // Timed inside the lock: waiting for another engineer's kernel test is not load time.
      const load = spawnSync(
        'flock',
        [
          '/tmp/xdp-lab-kernel.lock',
          'sh',
          '-c',
          's=$(date +%s%N); bpftool prog loadall "$0" "$1" >/dev/null 2>&1 || exit 1; echo $(($(date +%s%N) - s))',
          obj,
          pin,
        ],
        { encoding: 'utf8' },
      );
      if (load.status === 0) kernel = Number(load.stdout.trim()) / 1e6;
    } finally {
      fs.rmSync(pin, { recursive: true, force: true });
    }
  }
  return [
    {
      name: 'big maps: load (32 M ARRAY, 16 M HASH, 2 M LRU, 1 M PERCPU_ARRAY, 64 k DEVMAP_HASH)',
      value: m.load,
      unit: 'ms',
      target: 2000,
      ...(kernel ? { kernel, ratio: m.load / kernel } : {}),
    },
    { name: 'big maps: first run after load', value: m.run, unit: 'ms', target: 50 },
    { name: 'big maps: RSS after load + run', value: m.rss, unit: 'MB', target: 300 },
  ];
}

export async function runBench(): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xlvm-bench-'));
  try {
    const engine = bundledEngine(dir);
    const parser = await xdpParser(engine, dir);
    const rows: BenchRow[] = [aluLoop(engine), parser];
    if (parser.ratio !== undefined)
      rows.push({
        name: 'XDP parser: VM / kernel (median of pairs)',
        value: parser.ratio,
        unit: '×',
        target: 5,
        ...(parser.pairs ? { pairs: parser.pairs } : {}),
      });
    rows.push(...(await flowCounter(engine, dir)), ...bigMaps(dir));
    return rows;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
