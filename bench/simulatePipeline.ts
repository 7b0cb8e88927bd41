// A micro harness for the simulator's frame path (issue #16 goal 4): the bench's devmap pipeline
// (a0 → r1 redirect via DEVMAP → r2 → c0 XDP_PASS, bursts of 64) in the bundled engine, run
// several times in one process; prints CPU ns per frame of each run and the best. Quick to rerun
// while profiling (`node --cpu-prof --import tsx bench/simulatePipeline.ts`), where the full
// simulate bench takes minutes. Not a bench row: `npm run bench` runs bench/simulate.bench.ts.
// Usage: node --import tsx bench/simulatePipeline.ts [FRAMES=1000000] [RUNS=5] [pass|gro] [js|wasm]
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { loadScenario as LoadScenario } from '../src/core/scenario/scenarioLoad';
import type { Simulation as SimulationClass } from '../src/core/xdp/simulation';
import { compileBpfC } from '../src/node/clang';
import { createNodeHost } from '../src/node/nodeHost';
import { bundledEngine } from './lib/bundledEngine';
import { devmapPipeline } from './lib/devmapPipeline';

const root = path.resolve(import.meta.dirname, '..');
const frames = Number(process.argv[2] ?? 1_000_000);
const runs = Number(process.argv[3] ?? 5);
const peer = process.argv[4] === 'gro' ? 'gro' : 'pass';
/** The VM tier of the scenario's programs (default: the simulator's, simulationTier.ts). */
const tier = process.argv[5] === 'wasm' || process.argv[5] === 'js' ? process.argv[5] : undefined;

interface Engine {
  loadScenario: typeof LoadScenario;
  Simulation: typeof SimulationClass;
}

function scenario(n: number): string {
  return devmapPipeline({ root, frames: n, peer });
}

async function main(): Promise<void> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-simpipe-'));
  try {
    const engine = bundledEngine<Engine>(dir, ['core/scenario/scenarioLoad', 'core/xdp/simulation']);
    const object = (await compileBpfC(path.join(root, 'examples/redirect.bpf.c'))).object;
    const host = createNodeHost(() => undefined);
    const load = (n: number) =>
      engine.loadScenario(path.join(root, 'bench/pipeline.xdpscenario.json'), scenario(n), {
        host,
        compileC: () => Promise.resolve(object),
        ...(tier !== undefined ? { tier } : {}),
      });
    // Warm-up (JIT), twice, as the simulate bench does (its comment says why).
    for (let w = 0; w < 2; w++) new engine.Simulation(await load(50_000), { maxEvents: 0 }).run();
    let best = Infinity;
    for (let r = 0; r < runs; r++) {
      const sim = new engine.Simulation(await load(frames), { maxEvents: 0 });
      const c0 = process.cpuUsage();
      const res = sim.run();
      const c = process.cpuUsage(c0);
      const ns = ((c.user + c.system) * 1000) / frames;
      best = Math.min(best, ns);
      const stack = res.summary.devices.c0?.stack ?? 0;
      console.log(
        `run ${r + 1}: ${ns.toFixed(1)} ns/frame CPU (${(1e3 / ns).toFixed(2)} M frames/CPU-s), c0 stack ${stack}`,
      );
    }
    console.log(`best: ${best.toFixed(1)} ns/frame CPU (${(1e3 / best).toFixed(2)} M frames/CPU-s)`);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

void main();
