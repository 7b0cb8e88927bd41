// bpf_prog_run_xdp as the simulator calls it (include/net/xdp.h; §3.1): one program run on one frame
// in a context — the run context the rewrite of struct xdp_md exposes, the verdict or FAULT, the
// per-device verdict counts, a redirect-map miss whose fallback became the verdict (issue 13
// item 8), the timeline's run step — and the run cap that turns an XDP_TX/redirect loop into a
// warning instead of a hang.
import type { Machine } from '../vm/machine';
import type { VmFault } from '../vm/vmFault';
import type { ProgramFault, XdpProgramHandle, XdpRunContext } from '../vm/xdpRun';
import { faultOf, SimEntry } from '../vm/simEntry';
import { XdpProgram } from '../vm/xdpProgram';
import type { NetContext } from './netContext';
import { RedirectInfo } from './redirectInfo';
import { RedirectMissCounter, RedirectMissSlot } from './redirectMiss';
import { type NativeVerdict, rxPoll } from './rxPoll';
import type { SimDevice } from './simDevice';
import type { VethTxBulk } from './vethXmit';
import { frameWritten, type SimFrame } from './simFrame';
import { FAULT, type ProgramHook, type SimHost } from './simHost';
import { XDP_REDIRECT } from './xdpAction';
import { XdpDispatcher } from './xdpDispatcher';

/** Thrown inside a run when the work cap is hit; the run stops with a warning. */
export class SimulationLimit extends Error {}

export class ProgramRunner {
  /** Program runs so far, and how many the injected frames allow (maxRunsPerFrame each). */
  runs = 0;
  runLimit = 0;
  private readonly warnedFaults = new Set<number>();
  /** bpf_redirect_map's misses in the current run (read by rxPoll's loop), and their counts (redirectMiss.ts). */
  readonly missSlot = new RedirectMissSlot();
  private readonly misses = new RedirectMissCounter();
  /** One run context object reused for every program run (programs never keep it; rxPoll's loop fills it). */
  readonly runCtx: XdpRunContext = {
    ingressIfindex: 0,
    rxQueueIndex: 0,
    egressIfindex: 0,
    cpu: 0,
    redirect: new RedirectInfo(),
    miss: this.missSlot,
  };

  /** Each program's own VM entry (simEntry.ts), and the last one used (most runs repeat it). */
  private readonly entries = new Map<XdpProgram, SimEntry>();
  private lastEntry: SimEntry | undefined;

  constructor(
    private readonly host: SimHost,
    private readonly mapNames: Map<number, string>,
  ) {}

  /** Makes the entries of the devices' programs before the first frame (see Simulator's constructor). */
  prepare(devices: readonly SimDevice[]): void {
    for (const d of devices)
      if (d.prog instanceof XdpProgram && d.constVerdict < 0 && !this.entries.has(d.prog))
        this.entries.set(d.prog, this.newEntry(d.prog));
  }

  /**
   * Where the simulator's frame pages come from: the linear memory of the devices' programs'
   * system when it has one (a system whose tier is not js, with a shared memory: allocBytes), so
   * that those programs' wasm code runs on a frame where it lies (SimEntry, XdpBuffer.at).
   */
  pageAllocator(devices: readonly SimDevice[]): ((n: number) => Uint8Array) | undefined {
    for (const d of devices)
      if (d.prog instanceof XdpProgram) {
        const alloc = d.prog.system.machine.allocBytes;
        if (alloc !== undefined) this.pageSystem = d.prog.system;
        return alloc;
      }
    return undefined;
  }
  /** The system whose linear memory holds the frame pages (pageAllocator). */
  private pageSystem: unknown = undefined;

  private newEntry(prog: XdpProgram): SimEntry {
    return new SimEntry(prog, prog.system === this.pageSystem);
  }

  private entryOf(prog: XdpProgram): SimEntry {
    let e = this.entries.get(prog);
    if (e === undefined) this.entries.set(prog, (e = this.newEntry(prog)));
    return (this.lastEntry = e);
  }

  /**
   * The entry of `dev`'s native program when it runs in the VM (an XdpProgram that is not a constant
   * verdict): the receive loop then runs its frames through rxPoll instead of run.
   */
  nativeEntry(dev: SimDevice): SimEntry | undefined {
    const p = dev.prog;
    return p instanceof XdpProgram && p === dev.nativeProg && dev.constVerdict < 0
      ? this.entries.get(p)
      : undefined;
  }

  /**
   * A poll's frames through `entry`'s program on `dev` (rxPoll.ts: each run — run()'s work at the
   * native hook — and its verdict in one function made for the program); the POLL_* flags the poll's end acts on.
   */
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
    return rxPoll(this, this.host, entry, ctx, dev, frames, start, end, rxQueue, txBulk, name, verdict);
  }

  /** The run cap was hit in rxPoll's loop: what it throws (run() throws the same). */
  limit(): SimulationLimit {
    return new SimulationLimit();
  }

  /** A run of rxPoll's loop faulted with `e`: warned once, as run() does. */
  faulted(prog: XdpProgram, name: string, M: Machine, e: VmFault): void {
    this.warnFault(prog, name, faultOf(M, prog, e));
  }

  /** A redirect-map miss whose fallback became the verdict in rxPoll's loop (as run() counts it). */
  countMiss(dev: SimDevice, name: string): void {
    this.host.summary.redirectMisses ??= this.misses.summary;
    this.misses.count(dev.name, name, this.missSlot);
  }

  /** The run's warning, once per program: a fault the verifier would have refused the program for. */
  private warnFault(prog: XdpProgramHandle, name: string, fault: ProgramFault): void {
    if (this.warnedFaults.has(prog.id)) return;
    this.warnedFaults.add(prog.id);
    this.host.summary.warnings.push(
      `program '${name}' faulted (pc ${fault.pc}${fault.line ? `, ${fault.line}` : ''}: ${fault.message}); the kernel's verifier would refuse it — such frames are dropped`,
    );
  }

  /** `n` runs at once (a constant-verdict poll): false, counting none, when they would cross the cap. */
  takeRuns(n: number): boolean {
    if (this.runs + n > this.runLimit) return false;
    this.runs += n;
    return true;
  }

  /** Runs `prog` on `frame` in `ctx`; the verdict, or FAULT. Throws SimulationLimit past the cap. */
  run(
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
    if (++this.runs > this.runLimit) throw new SimulationLimit();
    const host = this.host;
    const rc = this.runCtx;
    rc.ingressIfindex = ingressIfindex;
    rc.rxQueueIndex = rxQueueIndex;
    rc.egressIfindex = egressIfindex;
    rc.cpu = ctx.cpu;
    rc.redirect = ctx.ri;
    const miss = this.missSlot;
    miss.missed = false;
    let action: number;
    let fault: ProgramFault | undefined;
    // A device's `return XDP_PASS;` placeholder (what a veth peer needs for NAPI): the kernel's JIT
    // makes it two instructions; here its verdict is known without entering the VM — same counts,
    // no map, packet or redirect-info access to miss, and it cannot fault.
    if (prog === dev.prog && dev.constVerdict >= 0) action = dev.constVerdict;
    else if (prog instanceof XdpProgram) {
      const last = this.lastEntry;
      const entry = last !== undefined && last.prog === prog ? last : this.entryOf(prog);
      action = entry.run(frame.buf, rc);
      fault = entry.fault;
      // A run that wrote its frame (or moved its window): a recycled frame's page is refilled.
      if (entry.wrote) frameWritten(frame);
    } else if (prog instanceof XdpDispatcher) {
      action = prog.runAction(frame.buf, rc) >>> 0;
      fault = prog.takeFault();
      frameWritten(frame);
    } else {
      const r = prog.run(frame.buf, rc);
      action = r.action >>> 0;
      fault = r.fault;
      frameWritten(frame);
    }
    if (fault) {
      this.warnFault(prog, name, fault);
      action = FAULT;
    }
    if (hook === 'native' || hook === 'generic') {
      dev.counters.xdpRx++;
      if (action !== FAULT) host.countAction(dev, action);
    }
    // A redirect-map miss whose fallback became the verdict: counted always, a timeline step's
    // explanation only while recording (issue 13 item 8).
    const missed = miss.missed && action === miss.fallback;
    if (missed) {
      host.summary.redirectMisses ??= this.misses.summary;
      this.misses.count(dev.name, name, miss);
    }
    if (host.recording) this.runStep(ctx, prog, name, hook, dev, frame, action, fault?.message, missed);
    return action;
  }

  private runStep(
    ctx: NetContext,
    prog: XdpProgramHandle,
    name: string,
    hook: ProgramHook,
    dev: SimDevice,
    frame: SimFrame,
    action: number,
    fault: string | undefined,
    missed: boolean,
  ): void {
    const ri = ctx.ri;
    const miss = this.missSlot;
    this.host.step({
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
              ...(this.mapNames.has(ri.mapId) ? { map: this.host.mapName(ri.mapId) } : {}),
            },
          }
        : {}),
      ...(fault !== undefined ? { fault } : {}),
      ...(missed
        ? { miss: { mapType: miss.mapType, map: miss.map, key: miss.key, fallback: miss.fallback } }
        : {}),
      ...(prog instanceof XdpDispatcher ? prog.lastChain() : {}),
    });
  }
}
