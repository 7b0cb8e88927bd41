// Step 2 of XDP_REDIRECT for native programs and cpumap programs on frames (xdp_do_redirect,
// net/core/filter.c, §3.2–§3.4): read the redirect info, clear it as the kernel does, dispatch per
// target kind in the kernel's check order — dev_map_enqueue / dev_map_enqueue_multi
// (devmapRedirect.ts), cpu_map_enqueue (cpumapRedirect.ts), __xsk_map_redirect (xskRedirect.ts),
// ifindex — then exactly one xdp_redirect / xdp_redirect_err, after the enqueue (redirectTrace.ts).
import type { CpumapEntry } from '../maps/cpumap';
import type { DevmapEntry } from '../maps/devmap';
import type { XskmapEntry } from '../maps/xskmap';
import type { XdpProgramHandle } from '../vm/xdpRun';
import { cpuMapEnqueue } from './cpumapRedirect';
import { bqEnqueue, checkNativeTarget, devEnqueue, devEnqueueMulti, type DevmapLike } from './devmapRedirect';
import type { NetContext } from './netContext';
import { IFINDEX_MAP_ID } from './redirectInfo';
import { index32, traceRedirect } from './redirectTrace';
import type { SimDevice } from './simDevice';
import type { SimHost } from './simHost';
import { canConvertToFrame, type SimFrame } from './simFrame';
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

/**
 * xdp_do_redirect for a native program's frame, its commonest case first — a DEVMAP / DEVMAP_HASH
 * unicast hit on a device that takes the frame, no timeline, events only counted (the per-frame
 * path of a long run): the same steps as xdpDoRedirect (the record's map fields cleared,
 * bq_enqueue, xdp_redirect counted after the enqueue) without its general dispatch. Anything else
 * — checked before anything is changed — goes to xdpDoRedirect.
 */
export function xdpDoRedirectFast(
  host: SimHost,
  ctx: NetContext,
  dev: SimDevice,
  frame: SimFrame,
  prog: XdpProgramHandle,
  rxQueue: number,
): number {
  const ri = ctx.ri.touch();
  const mapType = ri.mapType;
  if (
    (mapType === MAP_TYPE_DEVMAP || mapType === MAP_TYPE_DEVMAP_HASH) &&
    ri.map === undefined &&
    !host.recording &&
    !host.trace.wanted &&
    canConvertToFrame(frame)
  ) {
    const entry = ri.tgtValue as DevmapEntry;
    const to = host.findDevice(entry.ifindex);
    if (to !== undefined && checkNativeTarget(to, frame) === 0) {
      ri.mapId = 0;
      ri.flags = 0;
      ri.mapType = 0;
      bqEnqueue(host, ctx, to, frame, dev, entry.prog);
      host.trace.countRedirect(dev.ifindex, entry.ifindex);
      return 0;
    }
  }
  return xdpDoRedirect(host, ctx, dev, frame, prog, rxQueue);
}

/** xdp_do_redirect (native): returns 0 or a negative errno; the caller drops the frame on error. */
export function xdpDoRedirect(
  host: SimHost,
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
    const sock = host.xsk(entry.xsk);
    target = `xsk:${entry.xsk}`;
    err = sock ? sock.receive(frame, dev, rxQueue) : -EINVAL;
    if (!err && sock) {
      if (!ctx.xskFlush.includes(sock)) ctx.xskFlush.push(sock);
      if (host.recording)
        host.step({
          k: 'enqueue',
          cpu: ctx.cpu,
          context: ctx.id,
          frame: frame.id,
          queue: target,
          fill: sock.rxUsed,
          capacity: sock.spec.rxRing,
        });
      host.toXsk(ctx, sock, frame);
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
        target = `broadcast ${host.mapName(map.id)}`;
        err = devEnqueueMulti(host, ctx, frame, dev, map, (flags & BPF_F_EXCLUDE_INGRESS) !== 0);
      } else {
        const entry = tgtValue as DevmapEntry;
        const to = host.findDevice(entry.ifindex);
        target = to ? to.name : `ifindex ${entry.ifindex}`;
        err = to ? devEnqueue(host, ctx, to, frame, dev, entry.prog) : -EINVAL;
      }
    } else if (mapType === MAP_TYPE_CPUMAP) {
      const entry = tgtValue as CpumapEntry;
      const t = host.cpumapTarget(entry, mapId);
      target = `cpu ${entry.cpu}`;
      cpuMapEnqueue(host, ctx, t, frame, dev);
      err = 0;
    } else if (mapType === 0 && mapId === IFINDEX_MAP_ID) {
      const ifindex = index32(ri.tgtIndex);
      const to = host.findDevice(ifindex);
      target = to ? to.name : `ifindex ${ifindex}`;
      err = to ? devEnqueue(host, ctx, to, frame, dev, undefined) : -EINVAL;
    } else {
      err = -EBADRQC;
      target = 'no pending target';
    }
  }
  traceRedirect(host, ctx, dev, frame, prog, mapType, mapId, tgtValue, err, target);
  return err;
}
