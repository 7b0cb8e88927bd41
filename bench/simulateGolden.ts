// Writes what the simulator makes of every scenario in examples/ and test/kernel/scenarios/ (plus the
// bench's devmap pipeline at a few sizes) into OUTDIR, one file per scenario and output — the
// summary (--json and text), the events as perf-script lines with seq/context/cpu/frames, the
// bytes each device transmitted, the full result with its timeline — so that a change meant to be
// a pure speed-up can be checked byte for byte: run it before and after, then `diff -r A B`.
// Usage: node --import tsx bench/simulateGolden.ts OUTDIR [js|wasm] (the VM tier; default: the simulator's)
import fs from 'node:fs';
import path from 'node:path';
import { loadScenario } from '../src/core/scenario/scenarioLoad';
import { formatEvent } from '../src/core/trace/tracepoints';
import { Simulation } from '../src/core/xdp/simulation';
import type { SimEvent } from '../src/core/xdp/simulationResult';
import { summaryText } from '../src/core/xdp/summaryText';
import { compileBpfC } from '../src/node/clang';
import { kernelBtfOptions } from '../src/node/kernelBtf';
import { createNodeHost } from '../src/node/nodeHost';
import { devmapPipeline } from './lib/devmapPipeline';

const root = path.resolve(import.meta.dirname, '..');
const out = process.argv[2] ?? '';
const tierArg = process.argv[3];
const tier = tierArg === 'js' || tierArg === 'wasm' ? tierArg : undefined;
if (!out) {
  console.error('usage: node --import tsx bench/simulateGolden.ts OUTDIR');
  process.exit(2);
}
fs.mkdirSync(out, { recursive: true });

/** The bench's pipeline (bench/simulate.bench.ts): a0 → r1 (DEVMAP redirect) → r2 → c0. */
function pipeline(frames: number, burst: number, peer: 'pass' | 'gro', cpus: number): string {
  return devmapPipeline({
    root,
    frames,
    burst,
    peer,
    cpus,
    moreTraffic: [
      { from: 'a0', count: 7, burst: 3, frame: { udp: { dst: '10.0.0.2', dport: 9 } } },
      { from: 'r2', count: 5, burst: 5, frame: { udp: { dst: '10.0.0.3', dport: 8 } } },
    ],
  });
}

const scenarios: { name: string; file: string; text: string }[] = [];
for (const dir of ['examples', 'test/kernel/scenarios'])
  for (const f of fs.readdirSync(path.join(root, dir)).sort())
    if (f.endsWith('.xdpscenario.json')) {
      const file = path.join(root, dir, f);
      scenarios.push({ name: `${dir.replace(/\//g, '_')}_${f}`, file, text: fs.readFileSync(file, 'utf8') });
    }
for (const [frames, burst, peer, cpus] of [
  [5000, 64, 'pass', 2],
  [5000, 64, 'gro', 1],
  [3000, 17, 'pass', 1],
  [700, 256, 'pass', 2],
] as const)
  scenarios.push({
    name: `pipeline_${frames}_${burst}_${peer}_${cpus}`,
    file: path.join(root, 'bench/pipeline.xdpscenario.json'),
    text: pipeline(frames, burst, peer, cpus),
  });

const objects = new Map<string, Promise<Uint8Array>>();
const host = createNodeHost(() => undefined);
const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

async function main(): Promise<void> {
  for (const sc of scenarios) {
    const load = () =>
      loadScenario(sc.file, sc.text, {
        host,
        compileC: (c: string) => {
          let p = objects.get(c);
          if (!p) objects.set(c, (p = compileBpfC(c).then((r) => r.object)));
          return p;
        },
        ...kernelBtfOptions(),
        ...(tier !== undefined ? { tier } : {}),
      });
    const base = path.join(out, sc.name);
    try {
      // 1. Nothing asked for (the fast path): the summary only.
      const fast = new Simulation(await load(), { maxEvents: 0 }).run();
      fs.writeFileSync(`${base}.fast.json`, JSON.stringify(fast.summary, null, 2) + '\n');
      fs.writeFileSync(`${base}.fast.txt`, summaryText(fast.summary));
      // 2. Events streamed and transmitted bytes (what --events and --pcap-dir write).
      const lines: string[] = [];
      const onEvent = (ev: SimEvent): void => {
        lines.push(
          `${ev.seq} ctx${ev.context} cpu${ev.cpu} [${ev.frames.join(',')}] ${formatEvent(ev.event)}`,
        );
      };
      const onTransmit = (device: string, bytes: Uint8Array): void =>
        void lines.push(`tx ${device} ${hex(bytes)}`);
      const streamed = new Simulation(await load(), { maxEvents: 0, onEvent, onTransmit }).run();
      fs.writeFileSync(`${base}.events.txt`, lines.join('\n') + '\n');
      fs.writeFileSync(`${base}.streamed.json`, JSON.stringify(streamed.summary, null, 2) + '\n');
      // 3. Everything kept: events and the timeline (what --result and the visualizer get).
      const full = new Simulation(await load(), { maxEvents: 200_000, maxSteps: 200_000 }).run();
      fs.writeFileSync(`${base}.result.json`, JSON.stringify(full, null, 1) + '\n');
      // 4. A timeline cut short part-way (recording stops mid-run).
      const cut = new Simulation(await load(), { maxEvents: 50, maxSteps: 40 }).run();
      fs.writeFileSync(`${base}.cut.json`, JSON.stringify(cut, null, 1) + '\n');
    } catch (e) {
      fs.writeFileSync(`${base}.error.txt`, `${e instanceof Error ? e.message : String(e)}\n`);
    }
  }
  console.log(`${scenarios.length} scenarios → ${out}`);
}

void main();
