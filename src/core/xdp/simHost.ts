// What the redirect machinery (doRedirect, genericRedirect, devmapRedirect, cpumapRedirect,
// cpumapKthread, xskRedirect), the NAPI polls (napiPoll.ts) and veth's transmit paths
// (vethXmit.ts) may ask of the simulated host — a narrow interface instead of the whole Simulator,
// so those files depend on this one and never on simulator.ts (no import cycle).
import type { CpumapEntry } from '../maps/cpumap';
import type { SimEntry } from '../vm/simEntry';
import type { XdpProgramHandle } from '../vm/xdpRun';
import type { CpumapTarget } from './cpumapTarget';
import type { DevBulkQueue } from './devBulkQueue';
import type { NetContext } from './netContext';
import type { SimDevice, VethRxQueue } from './simDevice';
import type { BufferPool, SimFrame } from './simFrame';
import type { SimTrace, Where } from './simTrace';
import type { DropReason, SimStep, SimSummary } from './simulationResult';
import type { NativeVerdict } from './rxPoll';
import type { VethTxBulk } from './vethXmit';
import type { XskSocket } from './xskRedirect';

/** Where a program runs (hook) — what the timeline and the verdict counts distinguish. */
export type ProgramHook = 'native' | 'generic' | 'devmap' | 'cpumap';

/** A program run that faults (the verifier would have refused the program): dropped, no event. */
export const FAULT = -1;

export interface SimHost {
  // ---- lookups ----
  findDevice(ifindex: number): SimDevice | undefined;
  /** The device of an ifindex the simulator itself recorded (throws on an internal error). */
  deviceByIfindex(ifindex: number): SimDevice;
  xsk(name: string): XskSocket | undefined;
  programName(prog: XdpProgramHandle): string;
  mapName(id: number): string;
  /** The per-(device, CPU) bulk queue (net_device->xdp_bulkq, this_cpu_ptr). */
  devBulkQueue(dev: SimDevice, cpu: number): DevBulkQueue;
  /** The simulator state of a CPUMAP entry (a replaced entry is a new object: new ring, §1.3). */
  cpumapTarget(entry: CpumapEntry, mapId: number): CpumapTarget;

  // ---- tracepoints, timeline, counters ----
  readonly trace: SimTrace;
  readonly summary: SimSummary;
  /** Steps are being made (maxSteps > 0, timeline not full yet): build step objects only then. */
  readonly recording: boolean;
  step(s: SimStep): void;
  /** `n` verdicts of a program on its device (native/generic hooks), folded into summary.actions at the end. */
  countAction(dev: SimDevice, action: number, n?: number): void;
  /** Counts `n` program runs against the run cap at once; false (none counted) when they would cross it. */
  takeRuns(n: number): boolean;

  // ---- a frame's fate (each ends its journey but `tx`) ----
  drop(where: Where, dev: SimDevice, frame: SimFrame, reason: DropReason, err?: number): void;
  toStack(where: Where, dev: SimDevice, frame: SimFrame): void;
  toWire(where: Where, dev: SimDevice, frame: SimFrame): void;
  toXsk(where: Where, sock: XskSocket, frame: SimFrame): void;
  /** Ends a frame's journey without a fate of its own (the caller counted it): frees it for reuse. */
  release(frame: SimFrame): void;
  /** release() of frames[start..end), in order. */
  releaseAll(frames: readonly SimFrame[], start: number, end: number): void;
  /** onTransmit of the options: what `dev` sends (bytes valid during the call only). */
  transmitted(dev: SimDevice, frame: SimFrame): void;
  /** Whether transmitted() does anything (onTransmit given): transmit loops skip the call when not. */
  readonly watchesTransmit: boolean;

  // ---- frames and programs ----
  readonly pool: BufferPool;
  /** A broadcast copy: xdpf_clone copies the linear part only (§3.3 step 4). */
  cloneFrame(f: SimFrame): SimFrame;
  /** Runs `prog` on `frame` in `ctx`; the verdict, or FAULT. */
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
  ): number;

  /** The VM entry of `dev`'s native program when it runs in the VM (progRun.ts nativeEntry). */
  nativeEntry(dev: SimDevice): SimEntry | undefined;
  /**
   * A poll's frames[start..end) through `entry`'s program on `dev`, no timeline recorded: each
   * run and its verdict (`verdict` for all but a quiet DEVMAP hit) in the program's own loop
   * (rxPoll.ts); the POLL_* flags of what the poll's end owes.
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
  ): number;

  // ---- contexts and scheduling (net_rx_action, kthreads) ----
  openContext(cpu: number, kind: 'softirq' | 'kthread'): NetContext;
  closeContext(ctx: NetContext): void;
  /** napi_schedule of a veth rx queue with frames on `cpu`. */
  scheduleVeth(rq: VethRxQueue, cpu: number): void;
  /** netif_rx → enqueue_to_backlog: `frame` reaches `dev`'s stack through `cpu`'s backlog. */
  enqueueBacklog(cpu: number, dev: SimDevice, frame: SimFrame): void;
  wakeKthread(t: CpumapTarget): void;
  /** Runs `cpu`'s pending softirqs now (local_bh_enable at the end of a kthread batch). */
  runSoftirqs(cpu: number): void;
}
