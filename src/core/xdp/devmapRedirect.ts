// Native step 2 into devices and the device bulk queues (kernel/bpf/devmap.c, §3.3 "Ifindex" checks
// 2–6, "DEVMAP / DEVMAP_HASH unicast" and "BROADCAST", §4.1): __xdp_enqueue's checks,
// dev_map_enqueue / dev_map_enqueue_multi, then bq_enqueue into the per-(device, CPU) queue of
// devBulkQueue.ts, bq_xmit_all (egress program, ndo_xdp_xmit, one xdp:xdp_devmap_xmit with
// drops = frames queued − frames the driver accepted) and __dev_flush.
import { errnoName } from '../trace/errnos';
import type { DevmapEntry } from '../maps/devmap';
import type { XdpProgramHandle } from '../vm/xdpRun';
import { DEV_MAP_BULK_SIZE, type DevBulkQueue } from './devBulkQueue';
import { XDP_FEATURE } from './driverProfiles';
import type { NetContext } from './netContext';
import type { SimDevice } from './simDevice';
import type { SimHost } from './simHost';
import { frameLength, hasFrags, type SimFrame } from './simFrame';
import { ndoXdpXmit } from './vethXmit';
import {
  EMSGSIZE,
  ENETDOWN,
  EOPNOTSUPP,
  MAP_TYPE_DEVMAP_HASH,
  XDP_ABORTED,
  XDP_DROP,
  XDP_PASS,
} from './xdpAction';

/** A DEVMAP or DEVMAP_HASH as broadcast walks it (maps/devmap.ts, maps/devmapHash.ts). */
export interface DevmapLike {
  readonly id: number;
  readonly type: number;
  readonly def: { maxEntries: number };
  entries(): DevmapEntry[];
}

/** __xdp_enqueue's checks (§3.3): 0 when `target` may take the frame, else the negative errno. */
export function checkNativeTarget(target: SimDevice, frame: SimFrame): number {
  const feats = target.xdpFeatures;
  if (!(feats & XDP_FEATURE.NDO_XMIT)) return -EOPNOTSUPP;
  if (hasFrags(frame) && !(feats & XDP_FEATURE.NDO_XMIT_SG)) return -EOPNOTSUPP;
  if (!target.up) return -ENETDOWN;
  if (frameLength(frame) > target.maxFrameLength) return -EMSGSIZE;
  return 0;
}

/**
 * The longest linear frame __xdp_enqueue's checks let `target` take (checkNativeTarget without a
 * frame: NDO_XMIT, up, the MTU), -1 when it takes none — for a receive loop that checks many frames
 * against one target (rxPoll.ts); a frame with frags still needs checkNativeTarget (NDO_XMIT_SG).
 */
export function linearLimit(target: SimDevice): number {
  return (target.xdpFeatures & XDP_FEATURE.NDO_XMIT) !== 0 && target.up ? target.maxFrameLength : -1;
}

/** dev_xdp_enqueue / dev_map_enqueue: unicast to one device with the entry's egress program. */
export function devEnqueue(
  host: SimHost,
  ctx: NetContext,
  target: SimDevice,
  frame: SimFrame,
  devRx: SimDevice,
  prog: XdpProgramHandle | undefined,
): number {
  const err = checkNativeTarget(target, frame);
  if (err) return err;
  bqEnqueue(host, ctx, target, frame, devRx, prog);
  return 0;
}

/**
 * The order broadcast visits entries (§3.3 step 3): DEVMAP by slot; DEVMAP_HASH by bucket
 * (key & (n_buckets − 1), n_buckets = next power of two ≥ max_entries), newest first in a bucket
 * (hlist_add_head).
 */
export function broadcastOrder(map: DevmapLike): DevmapEntry[] {
  const entries = map.entries();
  if (map.type !== MAP_TYPE_DEVMAP_HASH) return entries;
  let buckets = 1;
  while (buckets < map.def.maxEntries) buckets *= 2;
  const indexed = entries.map((e, i) => ({ e, i, b: (e.key >>> 0) & (buckets - 1) }));
  indexed.sort((x, y) => x.b - y.b || y.i - x.i);
  return indexed.map((x) => x.e);
}

/**
 * dev_map_enqueue_multi (§3.3 BROADCAST): invalid, down, too-small and excluded entries are skipped
 * silently; every valid destination but the last gets a copy of the linear part, the last gets
 * the frame; success even with no destination.
 */
export function devEnqueueMulti(
  host: SimHost,
  ctx: NetContext,
  frame: SimFrame,
  devRx: SimDevice,
  map: DevmapLike,
  excludeIngress: boolean,
): number {
  let lastDev: SimDevice | undefined;
  let lastEntry: DevmapEntry | undefined;
  for (const entry of broadcastOrder(map)) {
    const dev = host.findDevice(entry.ifindex);
    if (!dev || checkNativeTarget(dev, frame) !== 0) continue;
    if (excludeIngress && dev.ifindex === devRx.ifindex) continue;
    if (lastDev && lastEntry) bqEnqueue(host, ctx, lastDev, host.cloneFrame(frame), devRx, lastEntry.prog);
    lastDev = dev;
    lastEntry = entry;
  }
  if (lastDev && lastEntry) bqEnqueue(host, ctx, lastDev, frame, devRx, lastEntry.prog);
  else host.drop(ctx, devRx, frame, 'no_destination');
  return 0;
}

/** bq_enqueue: transmit a full queue first (no flush flag), then record rx dev/program on first use. */
export function bqEnqueue(
  host: SimHost,
  ctx: NetContext,
  dev: SimDevice,
  frame: SimFrame,
  devRx: SimDevice,
  prog: XdpProgramHandle | undefined,
): void {
  enqueueBq(host, ctx, host.devBulkQueue(dev, ctx.cpu), frame, devRx, prog, frameLength(frame));
}

/** bq_enqueue into `bq`, the per-(device, CPU) queue of the context's CPU (bqEnqueue's second half); `len`: the frame's frameLength. */
export function enqueueBq(
  host: SimHost,
  ctx: NetContext,
  bq: DevBulkQueue,
  frame: SimFrame,
  devRx: SimDevice,
  prog: XdpProgramHandle | undefined,
  len: number,
): void {
  if (bq.count === DEV_MAP_BULK_SIZE) bqXmitAll(host, ctx, bq, false);
  // Explicit comparisons, not truthiness: a tagged field's `!x` is a full ToBoolean per frame.
  if (bq.onFlushList === false) {
    bq.devRx = devRx;
    bq.prog = prog;
    bq.progName = prog ? host.programName(prog) : undefined;
    bq.onFlushList = true;
    ctx.devFlush.push(bq); // list_add: the newest is flushed first (devFlush pops from the end)
  }
  bq.q[bq.count++] = frame;
  if (len > bq.maxLen) bq.maxLen = len;
  if (host.recording === true)
    host.step({
      k: 'enqueue',
      cpu: ctx.cpu,
      context: ctx.id,
      frame: frame.id,
      queue: bq.name,
      fill: bq.count,
      capacity: DEV_MAP_BULK_SIZE,
    });
}

/** bq_xmit_all: egress program per frame, then the driver's ndo_xdp_xmit, then the tracepoint. */
export function bqXmitAll(host: SimHost, ctx: NetContext, bq: DevBulkQueue, flush: boolean): void {
  const cnt = bq.count;
  if (cnt === 0) return;
  bq.count = 0;
  const q = bq.q;
  // The ids the event and the timeline name are those of every queued frame, egress drops too.
  let ids: number[] | undefined;
  if (host.recording || host.trace.wanted) {
    ids = [];
    for (let i = 0; i < cnt; i++) ids.push((q[i] as SimFrame).id);
  }
  const devRx = bq.devRx as SimDevice;
  // The queued frames' longest length, unless an egress program ran on them (it may move data_end).
  const maxLen = bq.prog ? -1 : bq.maxLen;
  bq.maxLen = 0;
  const toSend = bq.prog ? runEgressProgram(host, ctx, bq, cnt, devRx) : cnt;
  let sent = 0;
  let err = 0;
  if (toSend > 0) {
    const r = ndoXdpXmit(host, ctx, bq.dev, q, toSend, flush, maxLen);
    if (r < 0) err = r;
    else sent = r;
  }
  const seq = host.trace.devmapXmit(ctx, devRx.ifindex, bq.dev.ifindex, cnt - sent, sent, err, ids);
  if (host.recording)
    host.step({
      k: 'xmit',
      cpu: ctx.cpu,
      context: ctx.id,
      queue: bq.name,
      sent,
      drops: cnt - sent,
      ...(err ? { err: errnoName(err) } : {}),
      flush,
      frames: ids as number[],
      event: seq,
    });
}

/**
 * dev_map_bpf_prog_run (§4.1): PASS keeps, DROP drops, anything else → xdp_exception + drop. The
 * kept frames move to the front of the queue's slots; returns how many.
 */
function runEgressProgram(
  host: SimHost,
  ctx: NetContext,
  bq: DevBulkQueue,
  cnt: number,
  devRx: SimDevice,
): number {
  const prog = bq.prog as XdpProgramHandle;
  const name = bq.progName ?? prog.name;
  const q = bq.q;
  let kept = 0;
  for (let i = 0; i < cnt; i++) {
    const f = q[i] as SimFrame;
    const act = host.runProgram(ctx, prog, name, 'devmap', bq.dev, f, devRx.ifindex, 0, bq.dev.ifindex);
    if (act === XDP_PASS) {
      q[kept++] = f;
      continue;
    }
    if (act !== XDP_DROP)
      host.trace.emit(
        ctx,
        { name: 'xdp:xdp_exception', prog_id: prog.id, act, ifindex: bq.dev.ifindex },
        f.id,
      );
    host.drop(
      ctx,
      bq.dev,
      f,
      act === XDP_DROP || act === XDP_ABORTED ? 'egress_prog_drop' : 'invalid_action',
    );
  }
  return kept;
}

/** __dev_flush: transmit every listed queue with the flush flag, then forget rx dev and program. */
export function devFlush(host: SimHost, ctx: NetContext): void {
  const list = ctx.devFlush;
  while (list.length) {
    const bq = list.pop() as DevBulkQueue;
    bqXmitAll(host, ctx, bq, true);
    bq.devRx = undefined;
    bq.prog = undefined;
    bq.progName = undefined;
    bq.onFlushList = false;
  }
}
