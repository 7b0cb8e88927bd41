// Step 2 of XDP_REDIRECT for native programs, cpumap programs on frames (xdp_do_redirect,
// §3.2–§3.4): read the redirect info, clear it as the kernel does, dispatch per target kind in the
// kernel's check order, then emit exactly one xdp_redirect / xdp_redirect_err — after the enqueue.
import type { CpumapEntry } from '../maps/cpumap';
import type { DevmapEntry } from '../maps/devmap';
import type { XskmapEntry } from '../maps/xskmap';
import type { XdpProgramHandle } from '../vm/xdpRun';
import { cpuMapEnqueue } from './cpumapRedirect';
import { devEnqueue, devEnqueueMulti, type DevmapLike } from './devmapRedirect';
import type { NetContext } from './netContext';
import { IFINDEX_MAP_ID } from './redirectInfo';
import type { SimDevice } from './simDevice';
import { canConvertToFrame, type SimFrame } from './simFrame';
import type { Simulator } from './simulator';
import {
  BPF_F_EXCLUDE_INGRESS,
  EBADRQC,
  EINVAL,
  EOVERFLOW,
  MAP_TYPE_CPUMAP,
  MAP_TYPE_DEVMAP,
  MAP_TYPE_DEVMAP_HASH,
  MAP_TYPE_XSKMAP,
} from './xdpAction';

/** What the tracepoint of step 2 reports (§3.4), computed from the snapshot the kernel took. */
function redirectTraceFields(
  mapType: number,
  mapId: number,
  tgtValue: unknown,
  tgtIndex: bigint,
): { to_ifindex: number; map_id: number; map_index: number } {
  // The tracepoint's `u32 index` argument printed as int: the low 32 bits, signed.
  const index32 =
    tgtIndex >= 0n && tgtIndex <= 0x7fffffffn ? Number(tgtIndex) : Number(BigInt.asIntN(32, tgtIndex));
  if (mapType === MAP_TYPE_DEVMAP || mapType === MAP_TYPE_DEVMAP_HASH) {
    const e = tgtValue as DevmapEntry | undefined;
    return { to_ifindex: e ? e.ifindex : 0, map_id: mapId, map_index: index32 };
  }
  if (mapType === 0 && mapId === IFINDEX_MAP_ID) return { to_ifindex: index32, map_id: mapId, map_index: 0 };
  return { to_ifindex: 0, map_id: mapId, map_index: index32 };
}

/** xdp_do_redirect (native): returns 0 or a negative errno; the caller drops the frame on error. */
export function xdpDoRedirect(
  sim: Simulator,
  ctx: NetContext,
  dev: SimDevice,
  frame: SimFrame,
  prog: XdpProgramHandle,
  rxQueue: number,
): number {
  const ri = ctx.ri.touch();
  const mapType = ri.mapType;
  const mapId = ri.mapId;
  const tgtValue = ri.tgtValue;
  let err: number;
  let target: string;
  if (mapType === MAP_TYPE_XSKMAP) {
    // §3.2 step 1: the XSK path needs no frame conversion and clears only map_id and map_type.
    ri.mapId = 0;
    ri.mapType = 0;
    const entry = tgtValue as XskmapEntry;
    const sock = sim.xsk(entry.xsk);
    target = `xsk:${entry.xsk}`;
    err = sock ? sock.receive(frame, dev, rxQueue) : -EINVAL;
    if (!err && sock) {
      if (!ctx.xskFlush.includes(sock)) ctx.xskFlush.push(sock);
      if (sim.recording)
        sim.step({
          k: 'enqueue',
          cpu: ctx.cpu,
          context: ctx.id,
          frame: frame.id,
          queue: target,
          fill: sock.rxUsed,
          capacity: sock.spec.rxRing,
        });
      sim.toXsk(ctx, sock, frame);
    }
  } else {
    const flags = ri.flags;
    ri.mapId = 0;
    ri.flags = 0;
    ri.mapType = 0;
    if (!canConvertToFrame(frame)) {
      err = -EOVERFLOW;
      target = 'frame conversion';
    } else if (mapType === MAP_TYPE_DEVMAP || mapType === MAP_TYPE_DEVMAP_HASH) {
      const map = ri.map as DevmapLike | undefined;
      if (map) {
        ri.map = undefined;
        target = `broadcast ${sim.mapName(map.id)}`;
        err = devEnqueueMulti(sim, ctx, frame, dev, map, (flags & BPF_F_EXCLUDE_INGRESS) !== 0);
      } else {
        const entry = tgtValue as DevmapEntry;
        const to = sim.findDevice(entry.ifindex);
        target = to ? to.name : `ifindex ${entry.ifindex}`;
        err = to ? devEnqueue(sim, ctx, to, frame, dev, entry.prog) : -EINVAL;
      }
    } else if (mapType === MAP_TYPE_CPUMAP) {
      const entry = tgtValue as CpumapEntry;
      const t = sim.cpumapTarget(entry, mapId);
      target = `cpu ${entry.cpu}`;
      cpuMapEnqueue(sim, ctx, t, frame, dev);
      err = 0;
    } else if (mapType === 0 && mapId === IFINDEX_MAP_ID) {
      const t = ri.tgtIndex;
      const ifindex = t >= 0n && t <= 0x7fffffffn ? Number(t) : Number(BigInt.asIntN(32, t));
      const to = sim.findDevice(ifindex);
      target = to ? to.name : `ifindex ${ifindex}`;
      err = to ? devEnqueue(sim, ctx, to, frame, dev, undefined) : -EINVAL;
    } else {
      err = -EBADRQC;
      target = 'no pending target';
    }
  }
  traceRedirect(sim, ctx, dev, frame, prog, mapType, mapId, tgtValue, err, target);
  return err;
}

/**
 * §3.4: exactly one xdp_redirect / xdp_redirect_err per step-2 call (native, generic, cpumap-prog),
 * emitted after the enqueue, plus the timeline step the visualizer draws.
 */
export function traceRedirect(
  sim: Simulator,
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
  const f = redirectTraceFields(mapType, mapId, tgtValue, ctx.ri.tgtIndex);
  const seq = sim.emit(
    ctx,
    {
      name: err ? 'xdp:xdp_redirect_err' : 'xdp:xdp_redirect',
      prog_id: prog.id,
      act: 4,
      ifindex: dev.ifindex,
      err,
      ...f,
    },
    frame.id,
  );
  if (sim.recording)
    sim.step({
      k: 'redirect',
      cpu: ctx.cpu,
      context: ctx.id,
      frame: frame.id,
      device: dev.name,
      err,
      ...(err ? { errno: sim.errnoName(err) } : {}),
      target,
      event: seq,
    });
}
