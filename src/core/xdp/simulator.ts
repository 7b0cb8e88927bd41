// The simulated host running a scenario: its devices and their lookups, the bpf net contexts, the
// fates of frames and the counters, events and timeline they feed, and the injection of traffic.
// The mechanisms are in their own files along the kernel's seams — softirqs and kthreads
// (netRxAction.ts: net_rx_action, napi_schedule, the backlog), receive and NAPI poll (napiPoll.ts,
// liveTestRun.ts), program runs (progRun.ts: bpf_prog_run_xdp), veth transmit (vethXmit.ts), step 2
// (doRedirect.ts, genericRedirect.ts and a file per target kind), flush (xdpFlush.ts), frames and
// pages (framePool.ts) — and see this class only through SimHost (simHost.ts).
// Per frame the path allocates nothing: frame objects and their pages are pooled, rings and bulk
// queues have fixed slots, and events are counted but built only when asked for (simTrace.ts).
// Deterministic: no clocks, no randomness.
import { describeFrame } from '../packet/frameDecoder';
import { errnoName } from '../trace/errnos';
import { addAction, emptySummary } from '../trace/summary';
import type { CpumapEntry } from '../maps/cpumap';
import type { SimEntry } from '../vm/simEntry';
import type { XdpProgramHandle } from '../vm/xdpRun';
import { constantVerdict } from './constantVerdict';
import { CpumapTarget } from './cpumapTarget';
import { DevBulkQueue } from './devBulkQueue';
import { FramePool } from './framePool';
import { testRunBatch } from './liveTestRun';
import { NetContext } from './netContext';
import { NetRxAction } from './netRxAction';
import { objectArray } from './objectArray';
import { ProgramRunner, SimulationLimit } from './progRun';
import type { SimDevice, VethRxQueue } from './simDevice';
import { type BufferPool, frameBytes, type SimFrame } from './simFrame';
import type { ProgramHook, SimHost } from './simHost';
import { SimTrace, type Where } from './simTrace';
import type { DropReason, FrameInfo, SimEvent, SimStep, SimSummary, Topology } from './simulationResult';
import { vethXmitBurst, type VethTxBulk } from './vethXmit';
import type { NativeVerdict } from './rxPoll';
import { xdpDoFlush } from './xdpFlush';
import type { XskSocket } from './xskRedirect';
import { dispatcherCounts } from './dispatcherSetup';
import { XdpDispatcher } from './xdpDispatcher';

/** Ifindexes below this are looked up in an array (a scenario's are small; imported hosts' may not be). */
const DENSE_IFINDEX = 1 << 16;

export interface SimulatorOptions {
  /** Events kept in the result (all are counted). Default 200000. */
  maxEvents?: number;
  /** Timeline steps kept (0 disables the timeline, which is faster). Default 0. */
  maxSteps?: number;
  /** Every event as it happens (e.g. written to an --events file). */
  onEvent?: (ev: SimEvent) => void;
  /** Every frame a device transmits (for per-device pcap output). */
  onTransmit?: (device: string, frame: Uint8Array) => void;
  /**
   * onTransmit sees each device's first `transmitLimit` frames only (default: all); later ones are
   * counted (txFrames) without their bytes being gathered. The visualizer keeps 65,536 per device:
   * gathering the bytes of the other frames of a 1 M-frame run for nothing was 10 % of its CPU.
   */
  transmitLimit?: number;
  /** Stops a run whose frames keep circulating (XDP_TX ping-pong, redirect loops): program runs
   *  allowed per injected frame. Default 1000. */
  maxRunsPerFrame?: number;
}

export interface SimPrograms {
  /** The scenario's name of a loaded program (handles are keyed by identity). */
  nameOf(prog: XdpProgramHandle): string;
}

export class Simulator implements SimHost {
  readonly summary: SimSummary;
  readonly trace: SimTrace;
  readonly timeline: SimStep[] = [];
  timelineDropped = 0;
  readonly frameInfos: FrameInfo[] = [];
  /** Steps are being made (maxSteps > 0, timeline not full yet): callers build step objects only then. */
  recording: boolean;

  private readonly devices: SimDevice[];
  private readonly byIfindex = new Map<number, SimDevice>();
  /** The same for ifindexes below DENSE_IFINDEX: an array read instead of a Map lookup per redirect. */
  private readonly denseIfindex: (SimDevice | undefined)[] = [];
  private readonly xsks = new Map<string, XskSocket>();
  private readonly cpumapTargets = new Map<CpumapEntry, CpumapTarget>();
  /** Device bulk queues at [device slot × cpus + CPU] (one flat array: no second lookup per frame). */
  private readonly devQueues: DevBulkQueue[];
  private readonly cpus: number;
  private readonly extraQueues = new Map<string, DevBulkQueue>();
  /** Devices in the order they first got a verdict (the order finish() folds them in). */
  private readonly verdictOrder = objectArray<SimDevice>();
  private readonly frames: FramePool;
  /** The pages of frames re-laid out go back here (relayout). */
  readonly pool: BufferPool;
  /** summary.frames, read once (bumped per frame). */
  private readonly frameCounts: { injected: number; total: number };
  private readonly runner: ProgramRunner;
  private readonly rx: NetRxAction;
  private readonly maxRunsPerFrame: number;
  /** Where an injected burst's drops and transmits happen (outside any context); used at once, never kept. */
  private readonly injectWhere: Where = { id: 0, cpu: 0 };
  private nextContext = 1;
  /** Closed contexts, reused by openContext. */
  private readonly freeContexts = objectArray<NetContext>();
  private nextFrame = 1;
  private readonly maxSteps: number;
  private readonly onTransmit: ((device: string, frame: Uint8Array) => void) | undefined;
  private readonly transmitLimit: number;
  readonly watchesTransmit: boolean;

  constructor(
    readonly topology: Topology,
    devices: SimDevice[],
    xsks: XskSocket[],
    private readonly programs: SimPrograms,
    private readonly mapNames: Map<number, string>,
    options: SimulatorOptions = {},
  ) {
    this.devices = devices;
    devices.forEach((d, i) => {
      d.slot = i;
      d.constVerdict = d.prog ? constantVerdict(d.prog) : -1;
      this.byIfindex.set(d.ifindex, d);
    });
    const top = Math.min(DENSE_IFINDEX, 1 + Math.max(0, ...devices.map((d) => d.ifindex)));
    for (let i = 0; i < top; i++) this.denseIfindex.push(this.byIfindex.get(i));
    for (const x of xsks) this.xsks.set(x.name, x);
    const cpus = topology.cpus;
    this.cpus = cpus;
    // Every (device, CPU) bulk queue made now, not on a device's first redirect: a path a run takes
    // only at its start is one V8's optimised code of an earlier run never saw (it allocates
    // feedback lazily), and taking it deoptimises the whole per-frame path.
    this.devQueues = [];
    for (const d of devices)
      for (let cpu = 0; cpu < cpus; cpu++) this.devQueues.push(new DevBulkQueue(d, cpu));
    this.rx = new NetRxAction(this, cpus);
    this.runner = new ProgramRunner(this, mapNames);
    this.frames = new FramePool(this.runner.pageAllocator(devices));
    this.pool = this.frames.pages;
    this.runner.prepare(devices);
    this.maxRunsPerFrame = options.maxRunsPerFrame ?? 1000;
    this.maxSteps = options.maxSteps ?? 0;
    this.recording = this.maxSteps > 0;
    this.onTransmit = options.onTransmit;
    this.transmitLimit = options.transmitLimit ?? Number.POSITIVE_INFINITY;
    this.watchesTransmit = options.onTransmit !== undefined;
    this.summary = {
      ...emptySummary(),
      devices: {},
      bulkTx: { sent: 0, drops: 0 },
      xsks: {},
      frames: { injected: 0, total: 0 },
      warnings: [],
    };
    this.frameCounts = this.summary.frames;
    for (const d of devices) this.summary.devices[d.name] = d.counters;
    for (const x of xsks) this.summary.xsks[x.name] = x.counters;
    this.trace = new SimTrace(this.summary, options.maxEvents ?? 200_000, options.onEvent);
  }

  // ---- lookups ------------------------------------------------------------------------------------

  findDevice(ifindex: number): SimDevice | undefined {
    const dense = this.denseIfindex;
    return ifindex >= 0 && ifindex < dense.length ? dense[ifindex] : this.byIfindex.get(ifindex);
  }

  deviceByIfindex(ifindex: number): SimDevice {
    const d = this.byIfindex.get(ifindex);
    if (!d) throw new Error(`internal: no device with ifindex ${ifindex}`);
    return d;
  }

  xsk(name: string): XskSocket | undefined {
    return this.xsks.get(name);
  }

  programName(prog: XdpProgramHandle): string {
    return this.programs.nameOf(prog);
  }

  mapName(id: number): string {
    return this.mapNames.get(id) ?? `map ${id}`;
  }

  devBulkQueue(dev: SimDevice, cpu: number): DevBulkQueue {
    const q = cpu < this.cpus ? this.devQueues[dev.slot * this.cpus + cpu] : undefined;
    return q !== undefined ? q : this.newDevBulkQueue(dev, cpu);
  }

  private newDevBulkQueue(dev: SimDevice, cpu: number): DevBulkQueue {
    // A CPU past the topology's (a cpumap entry's kthread CPU is the scenario's to give) has its
    // queues in a map of its own.
    const key = `${dev.slot}@${cpu}`;
    let q = cpu < this.cpus ? undefined : this.extraQueues.get(key);
    if (q) return q;
    q = new DevBulkQueue(dev, cpu);
    if (cpu < this.cpus) this.devQueues[dev.slot * this.cpus + cpu] = q;
    else this.extraQueues.set(key, q);
    return q;
  }

  cpumapTarget(entry: CpumapEntry, mapId: number): CpumapTarget {
    let t = this.cpumapTargets.get(entry);
    if (!t) {
      const label = `${this.mapName(mapId)}[${entry.cpu}]`;
      t = new CpumapTarget(entry, mapId, label, entry.prog ? this.programName(entry.prog) : undefined);
      this.cpumapTargets.set(entry, t);
    }
    return t;
  }

  // ---- counters, timeline ---------------------------------------------------------------------------

  countAction(dev: SimDevice, action: number, n = 1): void {
    let v = dev.verdicts;
    if (!v) {
      v = dev.verdicts = [0, 0, 0, 0, 0];
      this.verdictOrder.push(dev);
    }
    v[action] = (v[action] ?? 0) + n;
  }

  /** A copy of the summary as it stands, with the verdicts not yet folded in (a run's progress). */
  summarySoFar(): SimSummary {
    this.trace.fold();
    const copy = JSON.parse(JSON.stringify(this.summary)) as SimSummary;
    this.foldVerdicts(copy);
    return copy;
  }

  /** Folds what is counted locally into the summary; call once after the last traffic. */
  finish(): void {
    this.trace.fold();
    this.foldVerdicts(this.summary);
    for (const d of this.verdictOrder) d.verdicts = undefined;
    this.verdictOrder.length = 0;
  }

  private foldVerdicts(s: SimSummary): void {
    for (const dev of this.verdictOrder)
      (dev.verdicts as number[]).forEach((n, action) => n && addAction(s, dev.name, action, n));
    // libxdp dispatchers: each component's counts as they stand (assigned, never added).
    for (const dev of this.devices)
      if (dev.prog instanceof XdpDispatcher) (s.dispatchers ??= {})[dev.name] = dispatcherCounts(dev.prog);
  }

  step(s: SimStep): void {
    if (this.timeline.length < this.maxSteps) return void this.timeline.push(s);
    // Full: stop making steps at all. A long run kept building (and collecting) a step object per
    // mechanism per frame after the cap — most of a 1 M-frame visualizer run's time.
    this.timelineDropped++;
    this.recording = false;
  }

  // ---- fates ------------------------------------------------------------------------------------------

  drop(where: Where, dev: SimDevice, frame: SimFrame, reason: DropReason, err?: number): void {
    dev.countDrop(reason);
    this.release(frame);
    if (this.recording)
      this.step({
        k: 'drop',
        cpu: where.cpu,
        context: where.id,
        frame: frame.id,
        device: dev.name,
        reason,
        ...(err ? { errno: errnoName(err) } : {}),
      });
  }

  toStack(where: Where, dev: SimDevice, frame: SimFrame): void {
    dev.counters.stack++;
    this.release(frame);
    if (this.recording) this.deliverStep(where, frame, dev.name, 'stack');
  }

  toWire(where: Where, dev: SimDevice, frame: SimFrame): void {
    dev.counters.txFrames++;
    this.transmitted(dev, frame);
    this.release(frame);
    if (this.recording) this.deliverStep(where, frame, dev.name, 'wire');
  }

  toXsk(where: Where, sock: XskSocket, frame: SimFrame): void {
    this.release(frame);
    if (this.recording) this.deliverStep(where, frame, sock.spec.device, 'xsk');
  }

  transmitted(dev: SimDevice, frame: SimFrame): void {
    if (this.onTransmit && dev.transmitsWatched < this.transmitLimit) {
      dev.transmitsWatched++;
      this.onTransmit(dev.name, frameBytes(frame));
    }
  }

  private deliverStep(where: Where, frame: SimFrame, device: string, fate: 'stack' | 'wire' | 'xsk'): void {
    this.step({ k: 'deliver', cpu: where.cpu, context: where.id, frame: frame.id, device, fate });
  }

  // ---- frames -----------------------------------------------------------------------------------------

  /** A new frame carrying `bytes` (a pooled frame object and page when one is free). */
  newFrame(bytes: Uint8Array, traffic: number, parent?: number): SimFrame {
    const id = this.nextFrame++;
    if (this.recording && this.frameInfos.length < this.maxSteps)
      this.frameInfos.push({
        id,
        traffic,
        ...(parent !== undefined ? { parent } : {}),
        length: bytes.length,
        summary: describeFrame(bytes).text,
      });
    this.frameCounts.total++;
    return this.frames.take(id, traffic, bytes);
  }

  /**
   * One traffic burst's frames: out[0..n) made from `list`, cycling from index `next`, as newFrame
   * makes them one by one — with, while no timeline is recorded, one check of it and one count for
   * the burst. Returns the index after the last frame's.
   */
  newFrames(out: SimFrame[], n: number, list: readonly Uint8Array[], next: number, traffic: number): number {
    const len = list.length;
    if (this.recording) {
      for (let k = 0; k < n; k++) {
        out[k] = this.newFrame(list[next] as Uint8Array, traffic);
        if (++next === len) next = 0;
      }
      return next;
    }
    const pool = this.frames;
    let id = this.nextFrame;
    for (let k = 0; k < n; k++) {
      out[k] = pool.take(id++, traffic, list[next] as Uint8Array);
      if (++next === len) next = 0;
    }
    this.nextFrame = id;
    this.frameCounts.total += n;
    return next;
  }

  /** The frame's journey ended (freed): the object and its page are reused by a later frame. */
  release(f: SimFrame): void {
    this.frames.release(f);
  }

  releaseAll(frames: readonly SimFrame[], start: number, end: number): void {
    this.frames.releaseAll(frames, start, end);
  }

  cloneFrame(f: SimFrame): SimFrame {
    const linear = f.buf.bytes.slice(f.buf.data, f.buf.dataEnd);
    const c = this.newFrame(linear, f.traffic, f.id);
    c.rxIfindex = f.rxIfindex;
    c.rxQueue = f.rxQueue;
    c.skb = f.skb;
    return c;
  }

  // ---- programs (progRun.ts) ----------------------------------------------------------------------

  runProgram(
    ctx: NetContext,
    prog: XdpProgramHandle,
    name: string,
    hook: ProgramHook,
    dev: SimDevice,
    frame: SimFrame,
    ingressIfindex: number,
    rxQueueIndex: number,
    egressIfindex: number,
  ): number {
    return this.runner.run(ctx, prog, name, hook, dev, frame, ingressIfindex, rxQueueIndex, egressIfindex);
  }

  nativeEntry(dev: SimDevice): SimEntry | undefined {
    return this.runner.nativeEntry(dev);
  }

  rxPoll(
    entry: SimEntry,
    ctx: NetContext,
    dev: SimDevice,
    frames: readonly SimFrame[],
    start: number,
    end: number,
    rxQueue: number,
    txBulk: VethTxBulk,
    name: string,
    verdict: NativeVerdict,
  ): number {
    return this.runner.rxPoll(entry, ctx, dev, frames, start, end, rxQueue, txBulk, name, verdict);
  }

  takeRuns(n: number): boolean {
    return this.runner.takeRuns(n);
  }

  // ---- contexts, softirqs, kthreads ---------------------------------------------------------------

  openContext(cpu: number, kind: 'softirq' | 'kthread'): NetContext {
    const id = this.nextContext++;
    return this.freeContexts.length
      ? (this.freeContexts.pop() as NetContext).reuse(id, cpu, kind)
      : new NetContext(id, cpu, kind);
  }

  closeContext(ctx: NetContext): void {
    // Nothing is left queued: every enqueue happened with a redirect that also triggers the flush.
    // A queue still listed here would be the "forgotten flush" of §4.4; flush it like a debug kernel.
    if (ctx.devFlush.length || ctx.cpuFlush.length) xdpDoFlush(this, ctx, 'end of context');
    // Nothing keeps a context past its end (events and steps copy its id): the object is reused.
    this.freeContexts.push(ctx);
  }

  // ---- softirqs and kthreads (netRxAction.ts) -----------------------------------------------------

  wakeKthread(t: CpumapTarget): void {
    this.rx.wakeKthread(t);
  }

  scheduleVeth(rq: VethRxQueue, cpu: number): void {
    this.rx.scheduleVeth(rq, cpu);
  }

  enqueueBacklog(cpu: number, dev: SimDevice, frame: SimFrame): void {
    this.rx.enqueueBacklog(cpu, dev, frame);
  }

  runSoftirqs(cpu: number): void {
    this.rx.runSoftirqs(cpu);
  }

  // ---- traffic ------------------------------------------------------------------------------------

  /**
   * Injects `frames` (already built) as one burst of a traffic entry and runs the host until quiet.
   * `from`: each frame is sent by the veth end `dev` (AF_PACKET-like); `rx`: the frames arrive on
   * NIC `dev` queue `queue` and one NAPI poll handles the whole burst. `maxLen` ≥ 0: the frames are
   * newFrames' and none is longer (vethXmitBurst).
   */
  injectBurst(
    kind: 'from' | 'rx',
    dev: SimDevice,
    queue: number,
    cpu: number,
    frames: SimFrame[],
    maxLen = -1,
  ): void {
    this.frameCounts.injected += frames.length;
    this.runner.runLimit += frames.length * this.maxRunsPerFrame;
    const where = this.injectWhere;
    where.cpu = cpu;
    if (kind === 'from') {
      if (!dev.up)
        for (let i = 0; i < frames.length; i++) this.drop(where, dev, frames[i] as SimFrame, 'device_down');
      else vethXmitBurst(this, where, dev, frames, maxLen);
    } else {
      this.rx.scheduleNic({ kind: 'nic', dev, queue, frames, pos: 0, weight: frames.length }, cpu);
    }
    this.rx.drain();
  }

  /**
   * A live-frames test-run batch (liveTestRun.ts) in its own context, then whatever it scheduled;
   * until the call's `last` batch, a kthread woken on the call's own CPU waits (NetRxAction.heldCpu).
   */
  injectTestRun(dev: SimDevice, cpu: number, frames: SimFrame[], last = true): void {
    this.rx.heldCpu = last ? -1 : cpu;
    this.frameCounts.injected += frames.length;
    this.runner.runLimit += frames.length * this.maxRunsPerFrame;
    if (!dev.nativeProg) {
      for (const f of frames) this.drop({ id: 0, cpu }, dev, f, 'device_down');
      this.rx.drain();
      return;
    }
    const ctx = this.openContext(cpu, 'softirq');
    testRunBatch(this, ctx, dev, frames);
    this.closeContext(ctx);
    this.rx.drain();
  }

  /**
   * Injects one traffic burst (injectTestRun for 'testRun', else injectBurst) and turns a runaway
   * loop into a warning instead of a hang. No closure per burst: a 1 M-frame run makes 15 k bursts.
   */
  guardedBurst(
    kind: 'from' | 'rx' | 'testRun',
    dev: SimDevice,
    queue: number,
    cpu: number,
    frames: SimFrame[],
    maxLen = -1,
    last = true,
  ): boolean {
    try {
      if (kind === 'testRun') this.injectTestRun(dev, cpu, frames, last);
      else this.injectBurst(kind, dev, queue, cpu, frames, maxLen);
      return true;
    } catch (e) {
      if (!(e instanceof SimulationLimit)) throw e;
      this.rx.heldCpu = -1;
      this.summary.warnings.push(
        `stopped after ${this.runner.runs} program runs: frames keep circulating (an XDP_TX or redirect loop); the kernel would forward them until dropped`,
      );
      return false;
    }
  }
}
