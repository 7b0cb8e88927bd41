// The simulated host running a scenario: CPUs with their NAPI poll lists, softirq runs (one bpf net
// context each, §1.2), the native / generic receive paths and verdict handling (§3.1, §3.7), veth's
// transmit paths (§1.4, §4.1) and the cpumap kthreads (§4.2). Mechanisms live in their own files
// (devBulkQueue, devmapRedirect, cpumapRedirect, xskRedirect, doRedirect, genericRedirect); this
// file wires them to devices, counts, events and the timeline. Deterministic: no clocks, no randomness.
import { describeFrame } from '../packet/frameDecoder';
import { errnoName } from '../trace/errnos';
import { addAction, addEvent, emptySummary } from '../trace/summary';
import type { XdpEvent } from '../trace/tracepoints';
import type { CpumapEntry } from '../maps/cpumap';
import type { XdpProgramHandle, XdpRunContext } from '../vm/xdpRun';
import { CpumapTarget, cpuMapFlush, runKthread } from './cpumapRedirect';
import { DevBulkQueue, devFlush } from './devBulkQueue';
import { xdpDoRedirect } from './doRedirect';
import { xdpDoGenericRedirect } from './genericRedirect';
import { NetContext } from './netContext';
import { VETH_RING_SIZE, type SimDevice, type VethRxQueue } from './simDevice';
import {
  BufferPool,
  RELEASED,
  canConvertToFrame,
  frameBytes,
  frameLength,
  makeBuffer,
  relayout,
  type SimFrame,
} from './simFrame';
import { IFINDEX_MAP_ID, RedirectInfo } from './redirectInfo';
import type { DropReason, FrameInfo, SimEvent, SimStep, SimSummary, Topology } from './simulationResult';
import type { XskSocket } from './xskRedirect';
import { XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_REDIRECT, XDP_TX, ENXIO } from './xdpAction';

/** veth's XDP_TX bulk (VETH_XDP_TX_BULK_SIZE) and the NAPI weight / netdev_budget of a softirq run. */
export const VETH_XDP_TX_BULK_SIZE = 16;
export const NAPI_WEIGHT = 64;
export const NETDEV_BUDGET = 300;
/** A program run that faults (the verifier would have refused the program): dropped, no event. */
const FAULT = -1;

export interface SimulatorOptions {
  /** Events kept in the result (all are counted). Default 200000. */
  maxEvents?: number;
  /** Timeline steps kept (0 disables the timeline, which is faster). Default 0. */
  maxSteps?: number;
  /** Every event as it happens (e.g. written to an --events file). */
  onEvent?: (ev: SimEvent) => void;
  /** Every frame a device transmits (for per-device pcap output). */
  onTransmit?: (device: string, frame: Uint8Array) => void;
  /** Stops a run whose frames keep circulating (XDP_TX ping-pong, redirect loops): program runs
   *  allowed per injected frame. Default 1000. */
  maxRunsPerFrame?: number;
}

/** Thrown inside a run when the work cap is hit; the run stops with a warning. */
class SimulationLimit extends Error {}

type PollItem =
  | { kind: 'veth'; rq: VethRxQueue }
  | { kind: 'nic'; dev: SimDevice; queue: number; frames: SimFrame[]; weight: number; scheduled: boolean }
  | { kind: 'backlog'; cpu: number };

/** Where a step happens when no context is installed (process context sending from a socket). */
export interface Where {
  id: number;
  cpu: number;
}

export interface SimPrograms {
  /** The scenario's name of a loaded program (handles are keyed by identity). */
  nameOf(prog: XdpProgramHandle): string;
}

export class Simulator {
  readonly summary: SimSummary;
  readonly events: SimEvent[] = [];
  eventsDropped = 0;
  readonly timeline: SimStep[] = [];
  timelineDropped = 0;
  readonly frameInfos: FrameInfo[] = [];

  private readonly byIfindex = new Map<number, SimDevice>();
  private readonly byName = new Map<string, SimDevice>();
  private readonly xsks = new Map<string, XskSocket>();
  private readonly cpumapTargets = new Map<CpumapEntry, CpumapTarget>();
  private readonly devQueues = new Map<SimDevice, DevBulkQueue[]>();
  private readonly pollLists: PollItem[][];
  private readonly backlogs: Array<Array<{ dev: SimDevice; frame: SimFrame }>>;
  private readonly backlogScheduled: boolean[];
  private readonly woken: CpumapTarget[] = [];
  private readonly warnedFaults = new Set<number>();
  private seq = 0;
  private nextContext = 1;
  private nextFrame = 1;
  private runs = 0;
  private runLimit = 0;
  private readonly maxEvents: number;
  private readonly onEvent: ((ev: SimEvent) => void) | undefined;
  private readonly maxSteps: number;
  /** Steps are being made (maxSteps > 0, timeline not full yet): callers build step objects only then. */
  recording: boolean;
  private readonly pool = new BufferPool();
  /** One run context object reused for every program run (programs never keep it). */
  private readonly runCtx: XdpRunContext = {
    ingressIfindex: 0,
    rxQueueIndex: 0,
    egressIfindex: 0,
    cpu: 0,
    redirect: new RedirectInfo(),
  };

  constructor(
    readonly topology: Topology,
    devices: SimDevice[],
    xsks: XskSocket[],
    private readonly programs: SimPrograms,
    private readonly mapNames: Map<number, string>,
    private readonly options: SimulatorOptions = {},
  ) {
    for (const d of devices) {
      this.byIfindex.set(d.ifindex, d);
      this.byName.set(d.name, d);
    }
    for (const x of xsks) this.xsks.set(x.name, x);
    this.pollLists = Array.from({ length: topology.cpus }, () => []);
    this.backlogs = Array.from({ length: topology.cpus }, () => []);
    this.backlogScheduled = new Array<boolean>(topology.cpus).fill(false);
    this.maxEvents = options.maxEvents ?? 200_000;
    this.onEvent = options.onEvent;
    this.maxSteps = options.maxSteps ?? 0;
    this.recording = this.maxSteps > 0;
    const s = emptySummary();
    this.summary = {
      ...s,
      devices: {},
      bulkTx: { sent: 0, drops: 0 },
      xsks: {},
      frames: { injected: 0, total: 0 },
      warnings: [],
    };
    for (const d of devices) this.summary.devices[d.name] = d.counters;
    for (const x of xsks) this.summary.xsks[x.name] = x.counters;
  }

  // ---- lookups used by the mechanisms --------------------------------------------------------

  findDevice(ifindex: number): SimDevice | undefined {
    return this.byIfindex.get(ifindex);
  }

  deviceByIfindex(ifindex: number): SimDevice {
    const d = this.byIfindex.get(ifindex);
    if (!d) throw new Error(`internal: no device with ifindex ${ifindex}`);
    return d;
  }

  device(name: string): SimDevice | undefined {
    return this.byName.get(name);
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

  errnoName(err: number): string {
    return errnoName(err);
  }

  devBulkQueue(dev: SimDevice, cpu: number): DevBulkQueue {
    let qs = this.devQueues.get(dev);
    if (!qs) {
      qs = [];
      this.devQueues.set(dev, qs);
    }
    let q = qs[cpu];
    if (!q) {
      q = new DevBulkQueue(dev, cpu);
      qs[cpu] = q;
    }
    return q;
  }

  /** The simulator state of a CPUMAP entry (a replaced entry is a new object: new ring, §1.3). */
  cpumapTarget(entry: CpumapEntry, mapId: number): CpumapTarget {
    let t = this.cpumapTargets.get(entry);
    if (!t) {
      const label = `${this.mapName(mapId)}[${entry.cpu}]`;
      t = new CpumapTarget(entry, mapId, label, entry.prog ? this.programName(entry.prog) : undefined);
      this.cpumapTargets.set(entry, t);
    }
    return t;
  }

  /** Verdict counts per device, folded into `summary.actions` by finish() (one fold, not one per run). */
  private readonly verdicts = new Map<SimDevice, number[]>();

  private countAction(dev: SimDevice, action: number): void {
    let v = this.verdicts.get(dev);
    if (!v) this.verdicts.set(dev, (v = []));
    v[action] = (v[action] ?? 0) + 1;
  }

  /** A copy of the summary as it stands, with the verdicts not yet folded in (a run's progress). */
  summarySoFar(): SimSummary {
    const copy = JSON.parse(JSON.stringify(this.summary)) as SimSummary;
    for (const [dev, counts] of this.verdicts)
      counts.forEach((n, action) => n && addAction(copy, dev.name, action, n));
    return copy;
  }

  /** Folds what is counted locally into the summary; call once after the last traffic. */
  finish(): void {
    for (const [dev, counts] of this.verdicts)
      counts.forEach((n, action) => n && addAction(this.summary, dev.name, action, n));
    this.verdicts.clear();
  }

  // ---- events, steps, fates ---------------------------------------------------------------------

  /** Records one tracepoint event; `frames` is the frame (or batch) it is about. */
  emit(where: Where, event: XdpEvent, frames: number | readonly SimFrame[]): number {
    const seq = ++this.seq;
    addEvent(this.summary, event);
    if (event.name === 'xdp:xdp_bulk_tx') {
      this.summary.bulkTx.sent += event.sent;
      this.summary.bulkTx.drops += event.drops;
    }
    const keep = this.events.length < this.maxEvents;
    if (!keep) this.eventsDropped++;
    if (keep || this.onEvent) {
      const ids = typeof frames === 'number' ? [frames] : frames.map((f) => f.id);
      const ev: SimEvent = { seq, context: where.id, cpu: where.cpu, event, frames: ids };
      if (keep) this.events.push(ev);
      this.onEvent?.(ev);
    }
    return seq;
  }

  step(s: SimStep): void {
    if (this.timeline.length < this.maxSteps) return void this.timeline.push(s);
    // Full: stop making steps at all. A long run kept building (and collecting) a step object per
    // mechanism per frame after the cap — most of a 1 M-frame visualizer run's time.
    this.timelineDropped++;
    this.recording = false;
  }

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
    if (this.recording)
      this.step({
        k: 'deliver',
        cpu: where.cpu,
        context: where.id,
        frame: frame.id,
        device: dev.name,
        fate: 'stack',
      });
  }

  toWire(where: Where, dev: SimDevice, frame: SimFrame): void {
    dev.counters.txFrames++;
    this.options.onTransmit?.(dev.name, frameBytes(frame));
    this.release(frame);
    if (this.recording)
      this.step({
        k: 'deliver',
        cpu: where.cpu,
        context: where.id,
        frame: frame.id,
        device: dev.name,
        fate: 'wire',
      });
  }

  toXsk(where: Where, sock: XskSocket, frame: SimFrame): void {
    this.release(frame);
    if (this.recording)
      this.step({
        k: 'deliver',
        cpu: where.cpu,
        context: where.id,
        frame: frame.id,
        device: sock.spec.device,
        fate: 'xsk',
      });
  }

  // ---- frames ----------------------------------------------------------------------------------

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
    this.summary.frames.total++;
    return {
      id,
      traffic,
      buf: makeBuffer(bytes, false, this.pool),
      rxIfindex: 0,
      rxQueue: 0,
      redirected: false,
      skb: false,
    };
  }

  /** The frame's journey ended (freed): its page goes back to the pool (onTransmit consumers copy). */
  private release(f: SimFrame): void {
    this.pool.give(f.buf.bytes);
    f.buf = RELEASED;
  }

  /** A broadcast copy: xdpf_clone copies the linear part only (§3.3 step 4). */
  cloneFrame(f: SimFrame): SimFrame {
    const linear = f.buf.bytes.slice(f.buf.data, f.buf.dataEnd);
    const c = this.newFrame(linear, f.traffic, f.id);
    c.rxIfindex = f.rxIfindex;
    c.rxQueue = f.rxQueue;
    c.skb = f.skb;
    return c;
  }

  // ---- programs ----------------------------------------------------------------------------------

  /** Runs a program on a frame in a context; returns its verdict (FAULT when it faulted). */
  runProgram(
    ctx: NetContext,
    prog: XdpProgramHandle,
    name: string,
    hook: 'native' | 'generic' | 'devmap' | 'cpumap',
    dev: SimDevice,
    frame: SimFrame,
    at: Omit<XdpRunContext, 'cpu' | 'redirect'>,
  ): number {
    if (++this.runs > this.runLimit) throw new SimulationLimit();
    const rc = this.runCtx;
    rc.ingressIfindex = at.ingressIfindex;
    rc.rxQueueIndex = at.rxQueueIndex;
    rc.egressIfindex = at.egressIfindex;
    rc.cpu = ctx.cpu;
    rc.redirect = ctx.ri;
    const r = prog.run(frame.buf, rc);
    let action = r.action >>> 0;
    if (r.fault) {
      if (!this.warnedFaults.has(prog.id)) {
        this.warnedFaults.add(prog.id);
        this.summary.warnings.push(
          `program '${name}' faulted (pc ${r.fault.pc}${r.fault.line ? `, ${r.fault.line}` : ''}: ${r.fault.message}); the kernel's verifier would refuse it — such frames are dropped`,
        );
      }
      action = FAULT;
    }
    if (hook === 'native' || hook === 'generic') {
      dev.counters.xdpRx++;
      if (action !== FAULT) this.countAction(dev, action);
    }
    if (this.recording) {
      const ri = ctx.ri;
      if (this.recording)
        this.step({
          k: 'run',
          cpu: ctx.cpu,
          context: ctx.id,
          frame: frame.id,
          device: dev.name,
          program: name,
          progId: prog.id,
          hook,
          action,
          ...(action === XDP_REDIRECT
            ? {
                redirect: {
                  tgtIndex: ri.tgtIndex.toString(),
                  mapId: ri.mapId,
                  mapType: ri.mapType,
                  flags: ri.flags,
                  ...(this.mapNames.has(ri.mapId) ? { map: this.mapName(ri.mapId) } : {}),
                },
              }
            : {}),
          ...(r.fault ? { fault: r.fault.message } : {}),
        });
    }
    return action;
  }

  doRedirect(
    ctx: NetContext,
    dev: SimDevice,
    frame: SimFrame,
    prog: XdpProgramHandle,
    rxQueue: number,
  ): number {
    return xdpDoRedirect(this, ctx, dev, frame, prog, rxQueue);
  }

  genericRedirect(ctx: NetContext, dev: SimDevice, frame: SimFrame, prog: XdpProgramHandle): number {
    return xdpDoGenericRedirect(this, ctx, dev, frame, prog);
  }

  /** xdp_do_flush: device queues, then cpumap queues, then XSK sockets (§4.1). */
  doFlush(ctx: NetContext, device: string): void {
    if (this.recording) this.step({ k: 'flush', cpu: ctx.cpu, context: ctx.id, device });
    devFlush(this, ctx);
    cpuMapFlush(this, ctx);
    ctx.xskFlush.length = 0;
  }

  // ---- contexts, softirqs, kthreads ------------------------------------------------------------

  openContext(cpu: number, kind: 'softirq' | 'kthread'): NetContext {
    return new NetContext(this.nextContext++, cpu, kind);
  }

  closeContext(ctx: NetContext): void {
    // Nothing is left queued: every enqueue happened with a redirect that also triggers the flush.
    // A queue still listed here would be the "forgotten flush" of §4.4; flush it like a debug kernel.
    if (ctx.devFlush.length || ctx.cpuFlush.length) this.doFlush(ctx, 'end of context');
  }

  wakeKthread(t: CpumapTarget): void {
    if (!t.woken) {
      t.woken = true;
      this.woken.push(t);
    }
  }

  private schedule(cpu: number, item: PollItem): void {
    (this.pollLists[cpu] as PollItem[]).push(item);
  }

  scheduleVeth(rq: VethRxQueue, cpu: number): void {
    if (rq.scheduled || rq.ring.length === 0) return;
    rq.scheduled = true;
    this.schedule(cpu, { kind: 'veth', rq });
  }

  private scheduleBacklog(cpu: number): void {
    if (this.backlogScheduled[cpu]) return;
    this.backlogScheduled[cpu] = true;
    this.schedule(cpu, { kind: 'backlog', cpu });
  }

  /** net_rx_action until this CPU's poll list is empty; each run is one context (§1.2). */
  runSoftirqs(cpu: number): void {
    const list = this.pollLists[cpu] as PollItem[];
    while (list.length) {
      const ctx = this.openContext(cpu, 'softirq');
      let budget = NETDEV_BUDGET;
      while (list.length && budget > 0) {
        const item = list.shift() as PollItem;
        const [done, more] = this.poll(ctx, item);
        budget -= done;
        if (more) list.push(item);
        else if (item.kind === 'veth') item.rq.scheduled = false;
        else if (item.kind === 'backlog') this.backlogScheduled[item.cpu] = false;
      }
      this.closeContext(ctx);
    }
  }

  /** Runs everything pending: softirqs on every CPU, then woken kthreads, until quiet. */
  drain(): void {
    for (;;) {
      let busy = false;
      for (let cpu = 0; cpu < this.pollLists.length; cpu++)
        if ((this.pollLists[cpu] as PollItem[]).length) {
          busy = true;
          this.runSoftirqs(cpu);
        }
      const t = this.woken.shift();
      if (t) {
        busy = true;
        runKthread(this, t);
      }
      if (!busy) return;
    }
  }

  private poll(ctx: NetContext, item: PollItem): [number, boolean] {
    if (item.kind === 'veth') return this.vethPoll(ctx, item.rq);
    if (item.kind === 'nic') return this.nicPoll(ctx, item);
    return this.backlogPoll(ctx, item.cpu);
  }

  /** The timeline's "a NAPI poll (or backlog run) started" step, when recording. */
  private recordPoll(ctx: NetContext, device: string, frames: number, mode: 'native' | 'skb'): void {
    if (this.recording) this.step({ k: 'poll', cpu: ctx.cpu, context: ctx.id, device, frames, mode });
  }

  /** veth_poll (§3.1): native program per frame; flush if a redirect succeeded; XDP_TX bulk flush. */
  private vethPoll(ctx: NetContext, rq: VethRxQueue): [number, boolean] {
    const dev = rq.dev;
    const frames = rq.ring.splice(0, NAPI_WEIGHT);
    this.recordPoll(ctx, dev.name, frames.length, 'native');
    const stats = { redirect: 0, tx: 0 };
    const txBulk: SimFrame[] = [];
    for (const f of frames) {
      dev.counters.rxFrames++;
      f.rxIfindex = dev.ifindex;
      f.rxQueue = rq.index;
      if (dev.nativeProg) this.runNative(ctx, dev, f, rq.index, stats, txBulk);
      else this.receiveSkb(ctx, dev, f);
    }
    if (stats.redirect > 0) this.doFlush(ctx, dev.name);
    if (stats.tx > 0) this.vethXdpFlushBq(ctx, dev, txBulk, true);
    return [frames.length, rq.ring.length > 0];
  }

  private nicPoll(ctx: NetContext, item: Extract<PollItem, { kind: 'nic' }>): [number, boolean] {
    const dev = item.dev;
    const frames = item.frames.splice(0, item.weight);
    this.recordPoll(ctx, dev.name, frames.length, 'native');
    const stats = { redirect: 0, tx: 0 };
    for (const f of frames) {
      dev.counters.rxFrames++;
      f.rxIfindex = dev.ifindex;
      f.rxQueue = item.queue;
      if (!dev.up) this.drop(ctx, dev, f, 'device_down');
      else if (dev.nativeProg) this.runNative(ctx, dev, f, item.queue, stats, []);
      else this.receiveSkb(ctx, dev, f);
    }
    if (stats.redirect > 0) this.doFlush(ctx, dev.name);
    return [frames.length, item.frames.length > 0];
  }

  private backlogPoll(ctx: NetContext, cpu: number): [number, boolean] {
    const q = this.backlogs[cpu] as Array<{ dev: SimDevice; frame: SimFrame }>;
    const items = q.splice(0, NAPI_WEIGHT);
    for (const { dev, frame } of items) {
      this.recordPoll(ctx, dev.name, 1, 'skb');
      dev.counters.rxFrames++;
      this.receiveSkb(ctx, dev, frame);
    }
    return [items.length, q.length > 0];
  }

  /** A native program's verdict (§3.1). */
  private runNative(
    ctx: NetContext,
    dev: SimDevice,
    f: SimFrame,
    rxQueue: number,
    stats: { redirect: number; tx: number },
    txBulk: SimFrame[],
  ): void {
    const prog = dev.nativeProg as XdpProgramHandle;
    relayout(f, prog.frags, this.pool);
    const act = this.runProgram(ctx, prog, dev.progName ?? prog.name, 'native', dev, f, {
      ingressIfindex: dev.ifindex,
      rxQueueIndex: rxQueue,
      egressIfindex: 0,
    });
    switch (act) {
      case XDP_PASS:
        this.toStack(ctx, dev, f);
        return;
      case XDP_DROP:
        this.drop(ctx, dev, f, 'xdp_drop');
        return;
      case XDP_ABORTED:
        this.emit(ctx, { name: 'xdp:xdp_exception', prog_id: prog.id, act, ifindex: dev.ifindex }, f.id);
        this.drop(ctx, dev, f, 'xdp_aborted');
        return;
      case XDP_TX:
        if (dev.kind === 'veth') {
          if (!canConvertToFrame(f)) {
            this.emit(ctx, { name: 'xdp:xdp_exception', prog_id: prog.id, act, ifindex: dev.ifindex }, f.id);
            this.drop(ctx, dev, f, 'xdp_tx_error');
            return;
          }
          if (txBulk.length === VETH_XDP_TX_BULK_SIZE) this.vethXdpFlushBq(ctx, dev, txBulk, false);
          txBulk.push(f);
          stats.tx++;
          if (this.recording)
            this.step({
              k: 'enqueue',
              cpu: ctx.cpu,
              context: ctx.id,
              frame: f.id,
              queue: `bulk_tx:${dev.name}`,
              fill: txBulk.length,
              capacity: VETH_XDP_TX_BULK_SIZE,
            });
        } else this.toWire(ctx, dev, f);
        return;
      case XDP_REDIRECT: {
        const err = this.doRedirect(ctx, dev, f, prog, rxQueue);
        if (err) {
          if (dev.profile.exceptionOnRedirectError)
            this.emit(ctx, { name: 'xdp:xdp_exception', prog_id: prog.id, act, ifindex: dev.ifindex }, f.id);
          this.drop(ctx, dev, f, 'redirect_error', err);
        } else stats.redirect++;
        return;
      }
      case FAULT:
        this.drop(ctx, dev, f, 'program_fault');
        return;
      default:
        // bpf_warn_invalid_xdp_action, then the ABORTED path with the raw value (§3.1).
        this.emit(ctx, { name: 'xdp:xdp_exception', prog_id: prog.id, act, ifindex: dev.ifindex }, f.id);
        this.drop(ctx, dev, f, 'invalid_action');
    }
  }

  /** __netif_receive_skb: generic XDP (unless the skb was redirected there), then the stack. */
  private receiveSkb(ctx: NetContext, dev: SimDevice, f: SimFrame): void {
    f.skb = true;
    const prog = dev.genericProg;
    if (prog && !f.redirected && this.doXdpGeneric(ctx, dev, f, prog)) return;
    this.toStack(ctx, dev, f);
  }

  /** do_xdp_generic (§3.7): returns true when the skb was consumed (not passed on). */
  private doXdpGeneric(ctx: NetContext, dev: SimDevice, f: SimFrame, prog: XdpProgramHandle): boolean {
    // A frags-aware program sees a 3520-byte head + page frags; others a linearised skb (§5).
    relayout(f, prog.frags, this.pool);
    const act = this.runProgram(ctx, prog, dev.progName ?? prog.name, 'generic', dev, f, {
      ingressIfindex: dev.ifindex,
      rxQueueIndex: f.rxQueue,
      egressIfindex: 0,
    });
    switch (act) {
      case XDP_PASS:
        return false;
      case XDP_REDIRECT: {
        const err = this.genericRedirect(ctx, dev, f, prog);
        if (err) this.drop(ctx, dev, f, 'redirect_error', err);
        return true;
      }
      case XDP_TX:
        this.genericXdpTx(ctx, dev, f, prog);
        return true;
      case XDP_DROP:
        this.drop(ctx, dev, f, 'xdp_drop');
        return true;
      case FAULT:
        this.drop(ctx, dev, f, 'program_fault');
        return true;
      default:
        this.emit(ctx, { name: 'xdp:xdp_exception', prog_id: prog.id, act, ifindex: dev.ifindex }, f.id);
        this.drop(ctx, dev, f, act === XDP_ABORTED ? 'xdp_aborted' : 'invalid_action');
        return true;
    }
  }

  /** generic_xdp_tx: transmit the skb directly through `dev`'s driver (qdisc bypassed). */
  genericXdpTx(where: Where, dev: SimDevice, f: SimFrame, prog: XdpProgramHandle): void {
    if (dev.kind === 'veth') {
      this.vethXmitSkb(where, dev, f);
      return;
    }
    if (!dev.up) {
      this.emit(
        where,
        { name: 'xdp:xdp_exception', prog_id: prog.id, act: XDP_TX, ifindex: dev.ifindex },
        f.id,
      );
      this.drop(where, dev, f, 'generic_tx_busy');
      return;
    }
    this.toWire(where, dev, f);
  }

  // ---- veth transmit paths -----------------------------------------------------------------------

  /**
   * veth_xmit (an skb sent by `x`, arriving at its peer): the peer must be up and the frame fit the
   * peer's MTU (__dev_forward_skb); with a native program on the peer it goes to the peer's ring
   * and NAPI, otherwise through netif_rx to the CPU's backlog. Always reported as transmitted.
   */
  vethXmitSkb(where: Where, x: SimDevice, f: SimFrame): void {
    const p = x.peer;
    if (!p || !p.up) {
      this.drop(where, x, f, 'peer_down');
      return;
    }
    if (frameLength(f) > p.maxFrameLength) {
      this.drop(where, x, f, 'peer_mtu');
      return;
    }
    x.counters.txFrames++;
    this.options.onTransmit?.(x.name, frameBytes(f));
    if (this.recording)
      this.step({
        k: 'deliver',
        cpu: where.cpu,
        context: where.id,
        frame: f.id,
        device: x.name,
        fate: 'wire',
      });
    f.redirected = false;
    if (p.nativeProg && p.napiPresent) {
      const rq = p.rxQueues[0] as VethRxQueue;
      if (rq.ring.length >= VETH_RING_SIZE) {
        this.drop(where, x, f, 'peer_ring_full');
        return;
      }
      rq.ring.push(f);
      this.scheduleVeth(rq, where.cpu);
      return;
    }
    (this.backlogs[where.cpu] as Array<{ dev: SimDevice; frame: SimFrame }>).push({ dev: p, frame: f });
    this.scheduleBacklog(where.cpu);
  }

  /**
   * ndo_xdp_xmit of `dev` for a batch of frames: veth's contract of §4.1 (ENXIO without a peer
   * NAPI; accept in order until a frame exceeds the peer's MTU or the 256-slot ring is full;
   * flush schedules the peer's NAPI); a NIC puts every frame on the wire.
   */
  ndoXdpXmit(
    ctx: NetContext,
    dev: SimDevice,
    frames: SimFrame[],
    flush: boolean,
  ): { sent: number; err: number } {
    if (dev.kind !== 'veth') {
      for (const f of frames) this.toWire(ctx, dev, f);
      return { sent: frames.length, err: 0 };
    }
    const p = dev.peer;
    if (!p || !p.napiPresent) {
      for (const f of frames) this.drop(ctx, dev, f, 'ndo_xmit_error', -ENXIO);
      return { sent: 0, err: -ENXIO };
    }
    const rq = p.rxQueues[ctx.cpu % p.queues] as VethRxQueue;
    const maxLen = p.maxFrameLength;
    let sent = 0;
    let stop: DropReason | undefined;
    for (const f of frames) {
      if (!stop) {
        if (frameLength(f) > maxLen) stop = 'peer_mtu';
        else if (rq.ring.length >= VETH_RING_SIZE) stop = 'peer_ring_full';
      }
      if (stop) {
        this.drop(ctx, dev, f, stop);
        continue;
      }
      rq.ring.push(f);
      sent++;
      dev.counters.txFrames++;
      this.options.onTransmit?.(dev.name, frameBytes(f));
      if (this.recording)
        this.step({ k: 'deliver', cpu: ctx.cpu, context: ctx.id, frame: f.id, device: dev.name, fate: 'tx' });
    }
    if (flush) this.scheduleVeth(rq, ctx.cpu);
    return { sent, err: 0 };
  }

  /** veth_xdp_flush_bq: XDP_TX frames go out of `dev` towards its peer; one xdp_bulk_tx per batch. */
  private vethXdpFlushBq(ctx: NetContext, dev: SimDevice, bulk: SimFrame[], flush: boolean): void {
    const frames = bulk.splice(0, bulk.length);
    if (!frames.length) return;
    const { sent, err } = this.ndoXdpXmit(ctx, dev, frames, flush);
    const seq = this.emit(
      ctx,
      { name: 'xdp:xdp_bulk_tx', ifindex: dev.ifindex, act: XDP_TX, drops: frames.length - sent, sent, err },
      frames,
    );
    if (this.recording)
      this.step({
        k: 'xmit',
        cpu: ctx.cpu,
        context: ctx.id,
        queue: `bulk_tx:${dev.name}`,
        sent,
        drops: frames.length - sent,
        ...(err ? { err: errnoName(err) } : {}),
        flush,
        frames: frames.map((f) => f.id),
        event: seq,
      });
  }

  // ---- traffic -------------------------------------------------------------------------------------

  /**
   * Injects `frames` (already built) as one burst of a traffic entry and runs the host until quiet.
   * `from`: each frame is sent by the veth end `dev` (AF_PACKET-like); `rx`: the frames arrive on
   * NIC `dev` queue `queue` and one NAPI poll handles the whole burst.
   */
  injectBurst(kind: 'from' | 'rx', dev: SimDevice, queue: number, cpu: number, frames: SimFrame[]): void {
    this.summary.frames.injected += frames.length;
    this.runLimit += frames.length * (this.options.maxRunsPerFrame ?? 1000);
    const where: Where = { id: 0, cpu };
    if (kind === 'from') {
      for (const f of frames) {
        if (!dev.up) this.drop(where, dev, f, 'device_down');
        else if (frameLength(f) > dev.mtu + dev.hardHeaderLen) this.drop(where, dev, f, 'tx_mtu');
        else this.vethXmitSkb(where, dev, f);
      }
    } else {
      this.schedule(cpu, { kind: 'nic', dev, queue, frames, weight: frames.length, scheduled: true });
    }
    this.drain();
  }

  /**
   * BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES (§1.1, §3.1 "Live test-run"; kernel
   * xdp_test_run_batch): one context per batch with bottom halves off; XDP_TX becomes an ifindex
   * redirect to the ingress device; ABORTED and invalid verdicts drop silently (no xdp_exception);
   * xdp_do_flush after a batch that attempted a redirect; PASS frames reach the ingress device's
   * stack; softirqs scheduled by the flush run after the batch.
   */
  injectTestRun(dev: SimDevice, cpu: number, frames: SimFrame[]): void {
    this.summary.frames.injected += frames.length;
    this.runLimit += frames.length * (this.options.maxRunsPerFrame ?? 1000);
    const prog = dev.nativeProg;
    if (!prog) {
      for (const f of frames) this.drop({ id: 0, cpu }, dev, f, 'device_down');
      return;
    }
    const ctx = this.openContext(cpu, 'softirq');
    this.recordPoll(ctx, dev.name, frames.length, 'native');
    let redirect = false;
    const passed: SimFrame[] = [];
    for (const f of frames) {
      f.rxIfindex = dev.ifindex;
      f.rxQueue = 0;
      relayout(f, prog.frags, this.pool);
      let act = this.runProgram(ctx, prog, dev.progName ?? prog.name, 'native', dev, f, {
        ingressIfindex: dev.ifindex,
        rxQueueIndex: 0,
        egressIfindex: 0,
      });
      if (act === XDP_TX) {
        const ri = ctx.ri.touch();
        ri.tgtIndex = BigInt(dev.ifindex);
        ri.mapId = IFINDEX_MAP_ID;
        ri.mapType = 0;
        act = XDP_REDIRECT;
      }
      if (act === XDP_REDIRECT) {
        redirect = true;
        const err = this.doRedirect(ctx, dev, f, prog, 0);
        if (err) this.drop(ctx, dev, f, 'redirect_error', err);
      } else if (act === XDP_PASS) passed.push(f);
      else
        this.drop(
          ctx,
          dev,
          f,
          act === XDP_DROP
            ? 'xdp_drop'
            : act === FAULT
              ? 'program_fault'
              : act === XDP_ABORTED
                ? 'xdp_aborted'
                : 'invalid_action',
        );
    }
    if (redirect) this.doFlush(ctx, dev.name);
    for (const f of passed) this.toStack(ctx, dev, f);
    this.closeContext(ctx);
    this.drain();
  }

  /** Runs `fn` (one traffic burst) and turns a runaway loop into a warning instead of a hang. */
  guarded(fn: () => void): boolean {
    try {
      fn();
      return true;
    } catch (e) {
      if (!(e instanceof SimulationLimit)) throw e;
      this.summary.warnings.push(
        `stopped after ${this.runs} program runs: frames keep circulating (an XDP_TX or redirect loop); the kernel would forward them until dropped`,
      );
      return false;
    }
  }
}
