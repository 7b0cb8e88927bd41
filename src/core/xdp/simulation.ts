// Builds the simulated host of a scenario from the loaded objects — devices and attachments
// (deviceSetup.ts), map contents (mapSetup.ts), the topology (topologySetup.ts) — and runs its
// traffic. The entry point of `xdp-lab simulate`, the extension and the bench.
import type { XdpProgramHandle } from '../vm/xdpRun';
import { attachPrograms, buildDevices, resolvePrograms } from './deviceSetup';
import { collectMaps, MapFiller } from './mapSetup';
import type { SimDevice } from './simDevice';
import type { SimFrame } from './simFrame';
import type { SimulationInput } from './simulationInput';
import type { SimulationResult, Topology } from './simulationResult';
import { Simulator, type SimulatorOptions } from './simulator';
import { buildTopology } from './topologySetup';
import { XskSocket } from './xskRedirect';
import { objectArray } from './objectArray';

// Callers import the input types and the setup error from here, as before the setup files split off.
export {
  scenarioIfindexes,
  SimulationSetupError,
  type LoadedObject,
  type SimulationInput,
} from './simulationInput';

export class Simulation {
  readonly sim: Simulator;
  readonly topology: Topology;
  private readonly programs: Map<string, XdpProgramHandle>;
  private readonly devices: Map<string, SimDevice>;

  constructor(
    private readonly input: SimulationInput,
    options: SimulatorOptions = {},
  ) {
    const sc = input.scenario;
    this.programs = resolvePrograms(input);
    const names = new Map<XdpProgramHandle, string>();
    for (const [n, h] of this.programs) if (!names.has(h)) names.set(h, n);
    const warnings: string[] = [];
    this.devices = buildDevices(sc);
    const attachments = attachPrograms(input, this.devices, this.programs, warnings);
    const xsks = sc.xsks.map((x) => new XskSocket(x, this.devices.get(x.device)));
    const { byName, mapNames } = collectMaps(input);
    new MapFiller(input, this.devices, this.programs).fill(byName, warnings);
    this.topology = buildTopology(input, this.devices, this.programs, attachments, byName, names);
    for (const d of this.devices.values()) d.frozen = true;
    this.sim = new Simulator(
      this.topology,
      [...this.devices.values()],
      xsks,
      { nameOf: (h) => names.get(h) ?? h.name },
      mapNames,
      options,
    );
    this.sim.summary.warnings.push(...warnings);
  }

  /** Runs all traffic; returns the result. Call once (run or runInSlices). */
  run(): SimulationResult {
    for (const injected of this.drive()) void injected;
    return this.result();
  }

  /**
   * Runs all traffic in slices of about `sliceMs` of work, handing the thread back between slices
   * (`pause`) and reporting what has been counted so far: a 1 M-frame run in an editor's extension
   * host or a page must neither freeze it nor stay blank until the end. Same frames, same order,
   * same result as run(). Call once.
   */
  async runInSlices(opts: SliceOptions): Promise<SimulationResult> {
    const sliceMs = opts.sliceMs ?? 50;
    const total = this.framesTotal();
    let sliceStart = opts.now();
    let bursts = 0;
    for (const injected of this.drive()) {
      // The clock is read every 16 bursts (≈ 1000 frames), not per burst.
      if ((++bursts & 15) !== 0 || opts.now() - sliceStart < sliceMs) continue;
      if (opts.signal?.aborted) throw new SimulationAborted();
      opts.onProgress?.({ framesInjected: injected, framesTotal: total, partial: this.partialResult() });
      await opts.pause();
      if (opts.signal?.aborted) throw new SimulationAborted();
      sliceStart = opts.now();
    }
    return this.result();
  }

  /** Frames the traffic injects (pcap entries count each of their frames `count` times). */
  framesTotal(): number {
    let n = 0;
    for (const t of this.input.scenario.traffic)
      n += t.count * (t.frame ? 1 : (this.input.pcaps?.get(t.pcap ?? '')?.length ?? 0));
    return n;
  }

  /** Injects the traffic burst by burst, yielding the number of frames injected so far. */
  private *drive(): Generator<number, void> {
    const sc = this.input.scenario;
    const sim = this.sim;
    let injected = 0;
    // One array for every burst: a burst is drained before the next is made (no per-burst garbage).
    const frames: SimFrame[] = objectArray<SimFrame>();
    outer: for (let ti = 0; ti < sc.traffic.length; ti++) {
      const t = sc.traffic[ti] as (typeof sc.traffic)[number];
      const list: readonly Uint8Array[] = t.frame ? [t.frame] : (this.input.pcaps?.get(t.pcap ?? '') ?? []);
      if (!list.length) continue;
      const dev = this.devices.get(t.device) as SimDevice;
      const total = t.count * list.length;
      // Every frame made from the list is as long as its bytes (linear): the burst's longest is
      // known without looking at its frames (vethXmitBurst's MTU checks).
      let maxLen = 0;
      for (const b of list) if (b.length > maxLen) maxLen = b.length;
      // The next frame's index in the list, wrapped by hand: a `%` per frame is an integer division.
      let next = 0;
      for (let i = 0; i < total; i += t.burst) {
        const n = Math.min(t.burst, total - i);
        // Slots written in place: emptying the array (length = 0) would free its backing store and
        // make every burst grow a new one.
        if (frames.length > n) frames.length = n;
        next = sim.newFrames(frames, n, list, next, ti);
        // A testRun entry is one BPF_PROG_TEST_RUN call: its last batch returns to user space.
        if (!sim.guardedBurst(t.kind, dev, t.queue, t.cpu, frames, maxLen, i + n >= total)) break outer;
        injected += n;
        yield injected;
      }
    }
    sim.finish();
  }

  private result(): SimulationResult {
    const sim = this.sim;
    return {
      topology: this.topology,
      summary: sim.summary,
      events: sim.trace.events,
      eventsDropped: sim.trace.eventsDropped,
      timeline: sim.timeline,
      timelineDropped: sim.timelineDropped,
      frames: sim.frameInfos,
    };
  }

  /**
   * The counts so far as a result of their own (a copy of the summary with the pending verdicts
   * folded in; no events, timeline or frames — those belong to the finished run).
   */
  private partialResult(): SimulationResult {
    return {
      topology: this.topology,
      summary: this.sim.summarySoFar(),
      events: [],
      eventsDropped: 0,
      timeline: [],
      timelineDropped: 0,
      frames: [],
    };
  }
}

/** What runInSlices needs from its host (core has no timers or clock of its own). */
export interface SliceOptions {
  /** Milliseconds of work between two pauses. Default 50. */
  sliceMs?: number;
  /** A clock in milliseconds (performance.now in Node and browsers). */
  now: () => number;
  /** Gives the thread back (setImmediate in Node, a MessageChannel or setTimeout in a page). */
  pause: () => Promise<void>;
  /** Checked between slices: an aborted run rejects with SimulationAborted. */
  signal?: { readonly aborted: boolean };
  onProgress?: (progress: SimulationProgress) => void;
}

export interface SimulationProgress {
  framesInjected: number;
  framesTotal: number;
  /** Counts so far (summary, topology); events, timeline and frames stay empty. */
  partial: SimulationResult;
}

/** A sliced run stopped because its signal was aborted. */
export class SimulationAborted extends Error {
  constructor() {
    super('the simulation was cancelled');
    this.name = 'AbortError';
  }
}

export function runSimulation(input: SimulationInput, options: SimulatorOptions = {}): SimulationResult {
  return new Simulation(input, options).run();
}
