// Runs a scenario for the visualizer: reads the file, applies the panel's traffic edits to its JSON,
// loads it the way `xdp-lab simulate` does (core's loadScenario, C compiled by the node clang
// wrapper), runs the redirect simulator with the timeline recorded, keeps what each device sent as
// pcap, and turns the result into the view model (src/protocol/visualizerFromSimulation.ts).
// The panel runs it in a worker thread (simWorker.ts, started by workerRun.ts); in the extension
// host itself only when that worker cannot start. Its slices keep whichever loop runs it answering
// (Stop, progress, requests).
import { readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { parseJsonText } from '../../core/jsonText';
import { PcapWriter } from '../../core/packet/pcap';
import { loadScenario } from '../../core/scenario/scenarioLoad';
import { formatEvent } from '../../core/trace/tracepoints';
import type { XdpProgram } from '../../core/vm/xdpProgram';
import { Simulation } from '../../core/xdp/simulation';
import { performance } from 'node:perf_hooks';
import type { SimulationResult } from '../../core/xdp/simulationResult';
import type { TraceReply, VisModel } from '../../protocol/visualizer';
import { compileBpfC } from '../../node/clang';
import { createNodeHost } from '../../node/nodeHost';
import { traceFrame } from './frameTrace';
import {
  simulationToViewModel,
  simulationToViewModelSteps,
  type ViewModelInput,
} from '../../protocol/visualizerFromSimulation';
import { prepareSnapshotSteps } from '../../protocol/visualizerTimelinePack';
import { inHostSlices } from './hostSlices';
import { applyTrafficEdits } from '../../protocol/visualizerTrafficEdits';
import type { SimStartParams } from '../../protocol/simWorkerMessages';

/** A run's progress becomes a view model at most this often (the panel redraws at most every 250 ms). */
const PROGRESS_VIEW_MS = 100;

/** What to run (the fields the worker's `start` message carries), and how to hear from the run. */
export interface ScenarioRunRequest extends SimStartParams {
  log?: (level: 'debug' | 'info' | 'warn' | 'error', message: string) => void;
  signal?: AbortSignal;
  /**
   * A run longer than a slice (~25 ms) reports its counts so far, as a view model without timeline,
   * between slices (at most every 100 ms); the extension host keeps serving everything else meanwhile.
   */
  onProgress?: (partial: VisModel, progress: { framesInjected: number; framesTotal: number }) => void;
}

export interface ScenarioRunOutput {
  model: VisModel;
  /** What each device transmitted, as pcap files (device name → bytes): the first PANEL_PCAP_FRAMES. */
  pcaps: ReadonlyMap<string, Uint8Array>;
  /** Frames each device transmitted in all (more than its pcap holds when the run was long). */
  transmitted: ReadonlyMap<string, number>;
  /** Files the run read (scenario, program sources/objects): saving one of them re-runs. */
  inputs: readonly string[];
  /** Runs a frame's first program again in the VM's trace mode (the frame stepper). */
  trace(frame: number): TraceReply;
  /**
   * The scenario traffic's frame number (1-based, as the debugger's launch `frame.index` takes it)
   * of frame `id` — a broadcast copy or a redirected clone counts as its original — or undefined
   * when the run kept no record of it.
   */
  trafficFrameNumber(id: number): number | undefined;
  /** The kept tracepoint events in the text `perf script` prints (what `simulate --events` writes). */
  eventsText(): string;
}

const MAX_SCENARIO_BYTES = 16 << 20;

/**
 * Frames per device the panel keeps for its pcap export, like `tcpdump -c`: a 1 M-frame run kept
 * whole was 160 MB in the extension host and most of the run's time. `xdp-lab simulate --pcap-dir`
 * streams every frame to disk.
 */
export const PANEL_PCAP_FRAMES = 65_536;

export async function runScenarioForView(req: ScenarioRunRequest): Promise<ScenarioRunOutput> {
  const file = req.scenarioPath;
  if ((await stat(file)).size > MAX_SCENARIO_BYTES)
    throw new Error(`${file}: larger than 16 MiB, not a scenario`);
  let text = await readFile(file, 'utf8');
  let raw: unknown;
  try {
    raw = parseJsonText(text);
  } catch (e) {
    throw new Error(`${path.basename(file)}: not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (req.edits?.length) {
    raw = applyTrafficEdits(raw, req.edits);
    text = JSON.stringify(raw);
  }
  const host = createNodeHost(req.log);
  const compiled: string[] = [];
  const input = await loadScenario(file, text, {
    host,
    compileC: async (c: string) => {
      compiled.push(c);
      const r = await compileBpfC(c, {
        clang: req.clangPath,
        includePaths: req.includePaths,
        extraArgs: req.clangArgs,
        ...(req.signal ? { signal: req.signal } : {}),
      });
      return r.object;
    },
  });
  req.signal?.throwIfAborted();
  // Each program's source and the line of its first instruction (BTF line info), for the links.
  const programSources = new Map<string, { file: string; line?: number; redirectLine?: number }>();
  for (const p of input.scenario.programs) {
    if (p.file === undefined) continue;
    const abs = host.resolvePath(file, p.file);
    const obj = input.objects.get(p.file) as { programs: readonly XdpProgram[] } | undefined;
    const prog = obj?.programs.find((h) => h.name === (p.function ?? h.name));
    if (!prog) continue;
    const first = prog.sourceOf(0);
    const call = prog.redirectCallSource();
    const srcFile = /\.c$/i.test(p.file) ? abs : first?.file ? host.resolvePath(abs, first.file) : undefined;
    if (srcFile)
      programSources.set(p.name, {
        file: srcFile,
        ...(first ? { line: first.line } : {}),
        ...(call ? { redirectLine: call.line } : {}),
      });
  }

  const writers = new Map<string, PcapWriter>();
  const simulation = new Simulation(input, {
    maxEvents: Math.max(1, req.maxEvents),
    maxSteps: Math.max(1, req.maxEvents),
    // A device's first PANEL_PCAP_FRAMES frames are kept; the others are only counted (txFrames).
    transmitLimit: PANEL_PCAP_FRAMES,
    onTransmit: (device, frame) => {
      let w = writers.get(device);
      if (!w) writers.set(device, (w = new PcapWriter()));
      w.add(frame);
    },
  });
  const rawTraffic = (raw as { traffic?: unknown }).traffic;
  const stepping = {
    available: true,
    note: '“Step instructions” runs the frame’s first program again in the VM’s trace mode (maps as the simulation left them); the journey above follows it through enqueue and flush.',
  };
  // The same view for a run's progress reports (no timeline: stepping offered once it ends) and its end.
  const viewInput = (result: SimulationResult, withStepping: boolean): ViewModelInput => ({
    result,
    scenario: input.scenario,
    ...(Array.isArray(rawTraffic) ? { rawTraffic } : {}),
    title: path.basename(file).replace(/\.xdpscenario\.json$/, ''),
    scenarioPath: file,
    programSources,
    ...(withStepping ? { stepping } : {}),
    warnings: input.verifierWarnings,
  });
  // Slices of 25 ms and a progress view at most every 100 ms: the extension host's longest stall
  // while a 1 M-frame run streams stays well under the 250 ms target (issue 16 item 5); the panel
  // shows at most 4 reports a second anyway.
  let lastView = Number.NEGATIVE_INFINITY;
  // The loop goes round once between loading (ELF, verifier: 30-80 ms cold) and the first slice: a
  // setImmediate from the I/O callback that ended the compile would run that slice in the same turn.
  await new Promise<void>((resolve) => setTimeout(resolve, 0));
  req.signal?.throwIfAborted();
  const result = await simulation.runInSlices({
    sliceMs: 25,
    now: () => performance.now(),
    pause: () => new Promise<void>((resolve) => setImmediate(resolve)),
    ...(req.signal ? { signal: req.signal } : {}),
    ...(req.onProgress
      ? {
          onProgress: (p) => {
            const now = performance.now();
            if (now - lastView < PROGRESS_VIEW_MS) return;
            lastView = now;
            req.onProgress?.(simulationToViewModel(viewInput(p.partial, false)), {
              framesInjected: p.framesInjected,
              framesTotal: p.framesTotal,
            });
          },
        }
      : {}),
  });
  // The run's end in slices too: its view model (100 000 timeline steps) and that model's timeline
  // packed for the snapshot the panel sends next (snapshotParams then finds it packed) were 105-250
  // and 125-365 ms of one task in the extension host; each device's pcap is joined when it is exported.
  const model = await inHostSlices(simulationToViewModelSteps(viewInput(result, true)), req.signal);
  await inHostSlices(prepareSnapshotSteps(model), req.signal);
  let pcaps: Map<string, Uint8Array> | undefined;
  let index: { byId: Map<number, SimulationResult['frames'][number]>; originals: number[] } | undefined;
  const inputs = [
    file,
    ...input.scenario.programs.flatMap((p) => (p.file !== undefined ? [host.resolvePath(file, p.file)] : [])),
    ...compiled,
  ];
  return {
    model,
    get pcaps() {
      // 65 536 frames per device joined into one file: 10-100 ms, paid by an export, not by each run.
      pcaps ??= new Map([...writers].map(([d, w]) => [d, w.bytes()]));
      return pcaps;
    },
    // Every frame a device transmitted is counted in txFrames (each one onTransmit saw, or would
    // have seen past the limit): more than its pcap holds when the run was long.
    transmitted: new Map(
      Object.entries(result.summary.devices)
        .filter(([, d]) => d.txFrames > 0)
        .map(([name, d]) => [name, d.txFrames]),
    ),
    inputs: [...new Set(inputs)],
    trace: (frame) => traceFrame(input, result, frame, (f) => host.resolvePath(file, f)),
    trafficFrameNumber: (id) => {
      // Indexed once per run, not per question (a 1 M-frame run's frame list is a long walk).
      index ??= {
        byId: new Map(result.frames.map((f) => [f.id, f])),
        originals: result.frames
          .filter((x) => x.parent === undefined)
          .map((x) => x.id)
          .sort((a, b) => a - b),
      };
      const { byId, originals } = index;
      let f = byId.get(id);
      for (let hops = 0; f?.parent !== undefined && hops < 64; hops++) f = byId.get(f.parent);
      if (!f) return undefined;
      // Originals are made in traffic order: the frame's place among them is its traffic number
      // (the count of original ids up to its root's, found by bisection: the ids only grow).
      let lo = 0;
      let hi = originals.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((originals[mid] as number) <= f.id) lo = mid + 1;
        else hi = mid;
      }
      return lo;
    },
    eventsText: () => result.events.map((e) => formatEvent(e.event) + '\n').join(''),
  };
}
