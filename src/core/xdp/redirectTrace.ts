// The tracepoint of step 2 (§3.4; trace_xdp_redirect / trace_xdp_redirect_err, include/trace/events/
// xdp.h): exactly one per xdp_do_redirect / xdp_do_generic_redirect call, emitted after the
// enqueue, with the field rules of the snapshot the kernel took — plus the timeline step.
import { errnoName } from '../trace/errnos';
import type { XdpProgramHandle } from '../vm/xdpRun';
import type { NetContext } from './netContext';
import { IFINDEX_MAP_ID } from './redirectInfo';
import type { SimDevice } from './simDevice';
import type { SimHost } from './simHost';
import type { SimFrame } from './simFrame';
import { MAP_TYPE_DEVMAP, MAP_TYPE_DEVMAP_HASH } from './xdpAction';

/** The tracepoint's `u32 index` argument printed as int: the low 32 bits, signed. */
export function index32(tgtIndex: bigint): number {
  // One BigInt → Number conversion on the common path (exact whenever the result is in range).
  const n = Number(tgtIndex);
  return n >= 0 && n <= 0x7fffffff ? n : Number(BigInt.asIntN(32, tgtIndex));
}

/**
 * §3.4: one xdp_redirect / xdp_redirect_err per step-2 call (native, generic, cpumap-prog), emitted
 * after the enqueue, plus the timeline step the visualizer draws. `tgtValue` is the snapshot's
 * looked-up entry (a devmap entry names its device).
 */
export function traceRedirect(
  host: SimHost,
  ctx: NetContext,
  dev: SimDevice,
  frame: SimFrame,
  prog: XdpProgramHandle,
  mapType: number,
  mapId: number,
  tgtValue: unknown,
  err: number,
  target: string,
): void {
  const trace = host.trace;
  if (err === 0 && !host.recording && !trace.wanted) {
    // Counted only (the per-frame path of a long run): the summary keeps the two ifindexes, so
    // the 64-bit index is converted only for an ifindex redirect, whose to_ifindex it is.
    const to =
      mapType === MAP_TYPE_DEVMAP || mapType === MAP_TYPE_DEVMAP_HASH
        ? ((tgtValue as { ifindex: number } | undefined)?.ifindex ?? 0)
        : mapType === 0 && mapId === IFINDEX_MAP_ID
          ? index32(ctx.ri.tgtIndex)
          : 0;
    trace.countRedirect(dev.ifindex, to);
    return;
  }
  const idx = index32(ctx.ri.tgtIndex);
  let toIfindex = 0;
  let mapIndex = idx;
  if (mapType === MAP_TYPE_DEVMAP || mapType === MAP_TYPE_DEVMAP_HASH) {
    const e = tgtValue as { ifindex: number } | undefined;
    toIfindex = e ? e.ifindex : 0;
  } else if (mapType === 0 && mapId === IFINDEX_MAP_ID) {
    toIfindex = idx;
    mapIndex = 0;
  }
  const seq = trace.redirect(ctx, prog.id, dev.ifindex, err, toIfindex, mapId, mapIndex, frame.id);
  if (host.recording)
    host.step({
      k: 'redirect',
      cpu: ctx.cpu,
      context: ctx.id,
      frame: frame.id,
      device: dev.name,
      err,
      ...(err ? { errno: errnoName(err) } : {}),
      target,
      event: seq,
    });
}
