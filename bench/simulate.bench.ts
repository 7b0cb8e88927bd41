// Benchmarks of the redirect simulator (issue #4 "Performance"): frames per second through the
// whole pipeline — the example DEVMAP redirect program (examples/redirect.bpf.c, compiled by clang
// and run in the engine VM), step 2, device bulk queues, veth ndo_xdp_xmit and the peer's XDP_PASS
// program — for 1 M frames in bursts of 64, against the kernel's own rate for the same pipeline
// (live-frames BPF_PROG_TEST_RUN, issue #16: target ≥ 1×), and peak memory with every event
// streamed to a file as perf-script text, which must not grow with the frame count. The frame-rate
// rows count events without asking for them (as `xdp-lab simulate` without --events does).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { createRequire } from 'node:module';
import * as esbuild from 'esbuild';
import type { loadScenario as LoadScenario } from '../src/core/scenario/scenarioLoad';
import type { formatEvent as FormatEvent } from '../src/core/trace/tracepoints';
import type { Simulation as SimulationClass } from '../src/core/xdp/simulation';
import type { SimEvent } from '../src/core/xdp/simulationResult';
import { compileBpfC } from '../src/node/clang';
import { createNodeHost } from '../src/node/nodeHost';
import { attachXdp, loadAll, mapUpdate } from '../test/kernel/lib/bpftool';
import { compileBpf } from '../test/kernel/lib/compile';
import { run as runTool } from '../test/kernel/lib/exec';
import { withLab } from '../test/kernel/lib/lab';
import { probe } from '../test/kernel/lib/probe';
import { udpFrame } from '../test/kernel/lib/traffic';
import type { BenchRow } from './lib/benchRow';
import { devmapPipeline } from './lib/devmapPipeline';

export type { BenchRow };

const root = path.resolve(import.meta.dirname, '..');

interface Engine {
  loadScenario: typeof LoadScenario;
  Simulation: typeof SimulationClass;
  formatEvent: typeof FormatEvent;
}

/**
 * The engine as it ships: bundled by esbuild like dist/cli.js (running the TypeScript through tsx
 * would measure the loader's module getters, not the simulator).
 */
async function bundledEngine(dir: string): Promise<Engine> {
  const entry = path.join(dir, 'entry.ts');
  fs.writeFileSync(
    entry,
    [
      `export { loadScenario } from ${JSON.stringify(path.join(root, 'src/core/scenario/scenarioLoad'))};`,
      `export { Simulation } from ${JSON.stringify(path.join(root, 'src/core/xdp/simulation'))};`,
      `export { formatEvent } from ${JSON.stringify(path.join(root, 'src/core/trace/tracepoints'))};`,
    ].join('\n'),
  );
  const out = path.join(dir, 'engine.cjs');
  await esbuild.build({
    entryPoints: [entry],
    bundle: true,
    platform: 'neutral',
    format: 'cjs',
    target: 'es2022',
    outfile: out,
    logLevel: 'error',
  });
  return createRequire(import.meta.url)(out) as Engine;
}

let engine: Engine;

function scenario(frames: number, peerProgram: boolean): string {
  return devmapPipeline({ root, frames, peer: peerProgram ? 'pass' : 'gro' });
}

let object: Uint8Array | undefined;

async function run(
  frames: number,
  peerProgram: boolean,
  eventsFile?: string,
  tier?: 'js' | 'wasm',
): Promise<{ seconds: number; cpuSeconds: number; peakRss: number; events: number }> {
  object ??= (await compileBpfC(path.join(root, 'examples/redirect.bpf.c'))).object;
  const bytes = object;
  const input = await engine.loadScenario(
    path.join(root, 'bench/simulate.xdpscenario.json'),
    scenario(frames, peerProgram),
    {
      host: createNodeHost(() => undefined),
      compileC: () => Promise.resolve(bytes),
      ...(tier !== undefined ? { tier } : {}),
    },
  );
  const fd = eventsFile ? fs.openSync(eventsFile, 'w') : undefined;
  let buf: string[] = [];
  let events = 0;
  let peakRss = process.memoryUsage().rss;
  const sim = new engine.Simulation(input, {
    maxEvents: 0,
    ...(fd === undefined
      ? {}
      : {
          onEvent: (ev: SimEvent) => {
            buf.push(engine.formatEvent(ev.event));
            if (++events % 4096 === 0) {
              fs.writeSync(fd, buf.join('\n') + '\n');
              buf = [];
              if (events % 65536 === 0) peakRss = Math.max(peakRss, process.memoryUsage().rss);
            }
          },
        }),
  });
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  sim.run();
  const seconds = (performance.now() - t0) / 1000;
  const cpu = process.cpuUsage(c0);
  const cpuSeconds = (cpu.user + cpu.system) / 1e6;
  if (fd !== undefined) {
    if (buf.length) fs.writeSync(fd, buf.join('\n') + '\n');
    fs.closeSync(fd);
  }
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  return { seconds, cpuSeconds, peakRss, events };
}

/** Rounds of each frame-rate measurement, ours and the kernel's: the best round counts. */
const ROUNDS = 5;

/** The best of ROUNDS runs: the least CPU time and, separately, the least wall time. */
async function bestOf(
  once: () => Promise<{ seconds: number; cpuSeconds: number }>,
): Promise<{ seconds: number; cpuSeconds: number }> {
  let seconds = Infinity;
  let cpuSeconds = Infinity;
  for (let i = 0; i < ROUNDS; i++) {
    const r = await once();
    seconds = Math.min(seconds, r.seconds);
    cpuSeconds = Math.min(cpuSeconds, r.cpuSeconds);
  }
  return { seconds, cpuSeconds };
}

/**
 * The kernel's own figure for the same pipeline on this machine: the example program run by
 * BPF_PROG_TEST_RUN in live-frames mode (3 M frames — CPU time comes in 10 ms steps —, batches of
 * 64) on r1, redirecting through tx_port[0] to veth r2, whose peer c0 runs xdp_pass natively — real xdp_do_redirect, bulk queues,
 * veth_xdp_xmit, the peer's NAPI and its XDP_PASS into the stack. Wall clock of the whole run
 * (process start included) and its CPU time, best of ROUNDS each (as the simulator's rows).
 * Needs root and the kernel lab's tools (probe()); undefined otherwise.
 */
async function kernelFramesPerSecond(dir: string): Promise<{ wall: number; cpu?: number } | undefined> {
  if (probe({ tools: ['gcc'] })) return undefined;
  return withLab('xlbench-', (lab) => {
    lab.netns('r');
    // ifindexes 5301-5304 (test/kernel/lib/README.md: xlbench-).
    lab.veth({ name: 'xlba0', index: 5301, ns: 'r' }, { name: 'xlbr1', index: 5302, ns: 'r' });
    lab.veth({ name: 'xlbr2', index: 5303, ns: 'r' }, { name: 'xlbc0', index: 5304, ns: 'r' });
    const obj = compileBpf(path.join(root, 'examples/redirect.bpf.c'), path.join(dir, 'k', 'redirect.bpf.o'));
    const { progs, maps } = loadAll(obj, lab.pinDir('sim'));
    const redir = progs.xdp_redirect_udp;
    const pass = progs.xdp_pass;
    const txPort = maps.tx_port;
    if (!redir || !pass || !txPort) return undefined;
    attachXdp(lab.ns('r'), 'xlbc0', pass.pin, 'native');
    mapUpdate(txPort.pin, 0, 5303, lab.ns('r'));
    const livetr = path.join(dir, 'livetr');
    runTool(['gcc', '-O1', '-o', livetr, path.join(root, 'test/kernel/scenarios/livetr.c'), '-lbpf']);
    const frame = udpFrame({ dstIp: '10.0.0.2', dstPort: 8 });
    const hex = Array.from(frame, (b) => b.toString(16).padStart(2, '0')).join('');
    const frames = 3_000_000;
    lab.exec('r', [livetr, redir.pin, '5302', '10000', '64', hex]); // warm-up
    // Best of ROUNDS: on a shared machine a neighbour's burst only ever slows a run down. The CPU
    // time is the driver's user + system time (GNU time, from wait4's rusage): the test run, the
    // redirect, veth_xdp_xmit and the peer's NAPI poll — a softirq run at local_bh_enable in the
    // same task, charged to it (this kernel has no IRQ_TIME_ACCOUNTING) — so it compares with the
    // simulator's CPU time where the wall clock, on a loaded machine, measures the neighbours.
    let best = Infinity;
    let bestCpu = Infinity;
    for (let i = 0; i < ROUNDS; i++) {
      const t0 = performance.now();
      const r = lab.exec('r', [
        '/usr/bin/time',
        '-f',
        'cpu %U %S',
        livetr,
        redir.pin,
        '5302',
        String(frames),
        '64',
        hex,
      ]);
      best = Math.min(best, performance.now() - t0);
      const m = /cpu ([\d.]+) ([\d.]+)\s*$/.exec(r.stderr);
      if (m) bestCpu = Math.min(bestCpu, Number(m[1]) + Number(m[2]));
    }
    return {
      wall: frames / (best / 1000),
      ...(bestCpu > 0 && bestCpu < Infinity ? { cpu: frames / bestCpu } : {}),
    };
  });
}

export async function runBench(): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-simbench-'));
  try {
    engine = await bundledEngine(dir);
    // Warm-up (JIT), twice: V8 allocates a function's feedback only after its first calls, so what
    // a run does once at its start (first verdicts, first map lookups) is unseen by the code the
    // first warm-up optimised, and the next run would deoptimise and recompile its whole per-frame
    // path while measured. The second warm-up records that feedback.
    await run(50_000, true);
    await run(50_000, true);
    // Best of ROUNDS, as the kernel's figure is (kernelFramesPerSecond): both sides measured the
    // same way, and a neighbour's burst on a shared machine only ever slows a round down.
    const full = await bestOf(() => run(1_000_000, true));
    const redirectOnly = await bestOf(() => run(1_000_000, false));
    // Each tier's row (the default is one of them: simulationTier.ts), warmed up alike.
    const tiers: Record<string, number> = {};
    for (const tier of ['js', 'wasm'] as const) {
      await run(50_000, true, undefined, tier);
      await run(50_000, true, undefined, tier);
      tiers[tier] = (await bestOf(() => run(1_000_000, true, undefined, tier))).cpuSeconds;
    }
    const small = await run(250_000, true, path.join(dir, 'small.txt'));
    const large = await run(1_000_000, true, path.join(dir, 'large.txt'));
    const measured = await kernelFramesPerSecond(dir).catch((e: unknown) => {
      console.error(`simulate bench: no kernel figure: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    });
    const kernel = measured?.wall;
    const kernelCpu = measured?.cpu;
    const mib = (b: number): number => b / (1 << 20);
    const perCpu = 1_000_000 / full.cpuSeconds;
    const wall = 1_000_000 / full.seconds;
    // On a shared machine wall time mostly measures the neighbours; CPU time (this process, all
    // its threads incl. GC) is the cost of the simulation itself: "per CPU-second" is the one-core
    // rate the target is about, compared with the kernel's own per CPU-second rate.
    return [
      {
        name: 'simulate: 1 M frames, devmap redirect + peer XDP_PASS, bursts of 64 (per CPU-second)',
        value: perCpu,
        unit: 'frames/s',
        // The kernel's live-frames run of the same program and topology, per CPU-second of the
        // driver; ratio = how many times the kernel's rate is the simulator's (issue #16: ≤ 1×).
        ...(kernelCpu ? { kernel: kernelCpu, ratio: kernelCpu / perCpu } : {}),
      },
      ...Object.entries(tiers).map(([tier, cpuSeconds]) => ({
        name: `simulate: 1 M frames, devmap redirect + peer XDP_PASS, programs on the ${tier} tier (per CPU-second)`,
        value: 1_000_000 / cpuSeconds,
        unit: 'frames/s',
        ...(kernelCpu ? { kernel: kernelCpu, ratio: (kernelCpu * cpuSeconds) / 1_000_000 } : {}),
      })),
      {
        name: 'simulate: 1 M frames, devmap redirect, GRO peer (one program run per frame, per CPU-second)',
        value: 1_000_000 / redirectOnly.cpuSeconds,
        unit: 'frames/s',
      },
      {
        name: 'simulate: 1 M frames, devmap redirect + peer XDP_PASS, bursts of 64 (wall clock)',
        value: wall,
        unit: 'frames/s',
        ...(kernel ? { kernel, ratio: kernel / wall } : {}),
      },
      ...(kernelCpu
        ? [
            {
              name: 'simulate: kernel frames/s ÷ simulator frames/s (per CPU-second; devmap redirect + peer XDP_PASS)',
              value: kernelCpu / perCpu,
              unit: '×',
              target: 1,
            },
          ]
        : []),
      ...(kernel
        ? [
            {
              name: 'simulate: kernel frames/s (wall clock) ÷ simulator frames/s (per CPU-second)',
              value: kernel / perCpu,
              unit: '×',
            },
          ]
        : []),
      {
        name: 'simulate: 1 M frames, devmap redirect, GRO peer (wall clock)',
        value: 1_000_000 / redirectOnly.seconds,
        unit: 'frames/s',
      },
      {
        name: 'simulate: 1 M frames with every event streamed to a file',
        value: 1_000_000 / large.seconds,
        unit: 'frames/s',
      },
      {
        name: 'simulate: 1 M frames with every event streamed to a file (per CPU-second)',
        value: 1_000_000 / large.cpuSeconds,
        unit: 'frames/s',
      },
      {
        name: `simulate: peak RSS, 1 M frames, ${large.events} events streamed`,
        value: mib(large.peakRss),
        unit: 'MiB',
      },
      {
        name: 'simulate: peak RSS growth from 250 k to 1 M frames (streamed)',
        value: mib(large.peakRss - small.peakRss),
        unit: 'MiB',
        target: 64,
      },
    ];
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
