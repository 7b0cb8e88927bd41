// The per-(device, CPU) bulk queue of devmap, devmap_hash and ifindex redirects (§4.1, kernel
// bq_enqueue / bq_xmit_all / __dev_flush): 16 frames; the first frame of a flush cycle fixes the
// rx device and the egress program for every later frame until the flush; one
// xdp:xdp_devmap_xmit per transmit with drops = frames queued − frames the driver accepted.
import { XDP_ABORTED, XDP_DROP, XDP_PASS } from './xdpAction';
import type { NetContext } from './netContext';
import type { SimDevice } from './simDevice';
import type { SimFrame } from './simFrame';
import type { Simulator } from './simulator';
import type { XdpProgramHandle } from '../vm/xdpRun';

export const DEV_MAP_BULK_SIZE = 16;

export class DevBulkQueue {
  frames: SimFrame[] = [];
  devRx: SimDevice | undefined;
  prog: XdpProgramHandle | undefined;
  progName: string | undefined;
  onFlushList = false;

  constructor(
    readonly dev: SimDevice,
    readonly cpu: number,
  ) {}

  get name(): string {
    return `dev:${this.dev.name}@cpu${this.cpu}`;
  }
}

/** bq_enqueue: transmit a full queue first (no flush flag), then record rx dev/program on first use. */
export function bqEnqueue(
  sim: Simulator,
  ctx: NetContext,
  dev: SimDevice,
  frame: SimFrame,
  devRx: SimDevice,
  prog: XdpProgramHandle | undefined,
  progName: string | undefined,
): void {
  const bq = sim.devBulkQueue(dev, ctx.cpu);
  if (bq.frames.length === DEV_MAP_BULK_SIZE) bqXmitAll(sim, ctx, bq, false);
  if (!bq.onFlushList) {
    bq.devRx = devRx;
    bq.prog = prog;
    bq.progName = progName;
    bq.onFlushList = true;
    ctx.devFlush.unshift(bq);
  }
  bq.frames.push(frame);
  if (sim.recording)
    sim.step({
      k: 'enqueue',
      cpu: ctx.cpu,
      context: ctx.id,
      frame: frame.id,
      queue: bq.name,
      fill: bq.frames.length,
      capacity: DEV_MAP_BULK_SIZE,
    });
}

/** bq_xmit_all: egress program per frame, then the driver's ndo_xdp_xmit, then the tracepoint. */
export function bqXmitAll(sim: Simulator, ctx: NetContext, bq: DevBulkQueue, flush: boolean): void {
  const cnt = bq.frames.length;
  if (cnt === 0) return;
  const queued = bq.frames;
  bq.frames = [];
  const devRx = bq.devRx as SimDevice;
  let toSend = queued;
  if (bq.prog) toSend = runEgressProgram(sim, ctx, bq, queued, devRx);
  let sent = 0;
  let err = 0;
  if (toSend.length > 0) {
    const r = sim.ndoXdpXmit(ctx, bq.dev, toSend, flush);
    sent = r.sent;
    err = r.err;
  }
  const seq = sim.emit(
    ctx,
    {
      name: 'xdp:xdp_devmap_xmit',
      from_ifindex: devRx.ifindex,
      act: 4,
      to_ifindex: bq.dev.ifindex,
      drops: cnt - sent,
      sent,
      err,
    },
    queued,
  );
  if (sim.recording)
    sim.step({
      k: 'xmit',
      cpu: ctx.cpu,
      context: ctx.id,
      queue: bq.name,
      sent,
      drops: cnt - sent,
      ...(err ? { err: sim.errnoName(err) } : {}),
      flush,
      frames: queued.map((f) => f.id),
      event: seq,
    });
}

/** dev_map_bpf_prog_run (§4.1): PASS keeps, DROP drops, anything else → xdp_exception + drop. */
function runEgressProgram(
  sim: Simulator,
  ctx: NetContext,
  bq: DevBulkQueue,
  frames: SimFrame[],
  devRx: SimDevice,
): SimFrame[] {
  const prog = bq.prog as XdpProgramHandle;
  const kept: SimFrame[] = [];
  for (const f of frames) {
    const act = sim.runProgram(ctx, prog, bq.progName ?? prog.name, 'devmap', bq.dev, f, {
      ingressIfindex: devRx.ifindex,
      rxQueueIndex: 0,
      egressIfindex: bq.dev.ifindex,
    });
    if (act === XDP_PASS) {
      kept.push(f);
      continue;
    }
    if (act !== XDP_DROP)
      sim.emit(ctx, { name: 'xdp:xdp_exception', prog_id: prog.id, act, ifindex: bq.dev.ifindex }, f.id);
    sim.drop(ctx, bq.dev, f, act === XDP_DROP || act === XDP_ABORTED ? 'egress_prog_drop' : 'invalid_action');
  }
  return kept;
}

/** __dev_flush: transmit every listed queue with the flush flag, then forget rx dev and program. */
export function devFlush(sim: Simulator, ctx: NetContext): void {
  while (ctx.devFlush.length) {
    const bq = ctx.devFlush.shift() as DevBulkQueue;
    bqXmitAll(sim, ctx, bq, true);
    bq.devRx = undefined;
    bq.prog = undefined;
    bq.progName = undefined;
    bq.onFlushList = false;
  }
}
