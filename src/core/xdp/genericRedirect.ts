// Step 2 in generic (skb) mode (xdp_do_generic_redirect, net/core/filter.c, §3.7): no NDO_XMIT
// check, synchronous transmit (generic_xdp_tx), devmap egress programs run per packet
// (dev_map_generic_redirect), broadcast aborts on the first failing destination
// (dev_map_redirect_multi), cpumap pushes one skb into the ring (cpu_map_generic_redirect), XSK
// copies and flushes at once.
import type { CpumapEntry } from '../maps/cpumap';
import type { DevmapEntry } from '../maps/devmap';
import type { XskmapEntry } from '../maps/xskmap';
import type { XdpProgramHandle } from '../vm/xdpRun';
import { cpuMapGenericEnqueue } from './cpumapRedirect';
import { broadcastOrder, type DevmapLike } from './devmapRedirect';
import type { NetContext } from './netContext';
import { traceRedirect } from './redirectTrace';
import { IFINDEX_MAP_ID } from './redirectInfo';
import type { SimDevice } from './simDevice';
import { frameLength, type SimFrame } from './simFrame';
import type { SimHost } from './simHost';
import { genericXdpTx } from './vethXmit';
import {
  BPF_F_EXCLUDE_INGRESS,
  EBADRQC,
  EINVAL,
  EMSGSIZE,
  ENETDOWN,
  MAP_TYPE_CPUMAP,
  MAP_TYPE_DEVMAP,
  MAP_TYPE_DEVMAP_HASH,
  MAP_TYPE_XSKMAP,
  XDP_DROP,
  XDP_PASS,
} from './xdpAction';

/** xdp_ok_fwd_dev on skb->len (which includes the L2 header here, §3.7). */
function okFwdDev(target: SimDevice, frame: SimFrame): number {
  if (!target.up) return -ENETDOWN;
  if (frameLength(frame) > target.maxFrameLength) return -EMSGSIZE;
  return 0;
}

/** dev_map_generic_redirect: checks, the egress program per packet, then generic_xdp_tx. */
function devmapGeneric(
  host: SimHost,
  ctx: NetContext,
  entry: DevmapEntry,
  target: SimDevice,
  frame: SimFrame,
  devRx: SimDevice,
  prog: XdpProgramHandle,
): number {
  const err = okFwdDev(target, frame);
  if (err) return err;
  if (entry.prog) {
    const egress = entry.prog;
    const act = host.runProgram(
      ctx,
      egress,
      host.programName(egress),
      'devmap',
      target,
      frame,
      devRx.ifindex,
      frame.rxQueue,
      target.ifindex,
    );
    // "Redirect has already succeeded semantically": anything but PASS frees the skb, still success.
    if (act !== XDP_PASS) {
      if (act !== XDP_DROP)
        host.trace.emit(
          ctx,
          { name: 'xdp:xdp_exception', prog_id: egress.id, act, ifindex: target.ifindex },
          frame.id,
        );
      host.drop(
        ctx,
        target,
        frame,
        act === XDP_DROP ? 'egress_prog_drop' : act === 0 ? 'egress_prog_drop' : 'invalid_action',
      );
      return 0;
    }
  }
  genericXdpTx(host, ctx, target, frame, prog);
  return 0;
}

/** xdp_do_generic_redirect: 0 or a negative errno (the caller frees the skb, no xdp_exception). */
export function xdpDoGenericRedirect(
  host: SimHost,
  ctx: NetContext,
  dev: SimDevice,
  frame: SimFrame,
  prog: XdpProgramHandle,
): number {
  const ri = ctx.ri.touch();
  const mapType = ri.mapType;
  const mapId = ri.mapId;
  const tgtValue = ri.tgtValue;
  const flags = ri.flags;
  ri.mapId = 0;
  ri.flags = 0;
  ri.mapType = 0;
  let err: number;
  let target: string;
  if (mapType === 0 && mapId === IFINDEX_MAP_ID) {
    const ifindex = Number(BigInt.asIntN(32, ri.tgtIndex));
    const fwd = host.findDevice(ifindex);
    target = fwd ? fwd.name : `ifindex ${ifindex}`;
    err = fwd ? okFwdDev(fwd, frame) : -EINVAL;
    if (!err && fwd) {
      // The trace fires before the transmit here (_trace_xdp_redirect, then generic_xdp_tx).
      traceRedirect(host, ctx, dev, frame, prog, mapType, mapId, tgtValue, 0, target);
      genericXdpTx(host, ctx, fwd, frame, prog);
      return 0;
    }
  } else if (mapType === MAP_TYPE_DEVMAP || mapType === MAP_TYPE_DEVMAP_HASH) {
    const map = ri.map as DevmapLike | undefined;
    if (map) {
      ri.map = undefined;
      target = `broadcast ${host.mapName(map.id)}`;
      err = devmapGenericMulti(host, ctx, dev, frame, prog, map, (flags & BPF_F_EXCLUDE_INGRESS) !== 0);
    } else {
      const entry = tgtValue as DevmapEntry;
      const to = host.findDevice(entry.ifindex);
      target = to ? to.name : `ifindex ${entry.ifindex}`;
      err = to ? devmapGeneric(host, ctx, entry, to, frame, dev, prog) : -EINVAL;
    }
  } else if (mapType === MAP_TYPE_XSKMAP) {
    const entry = tgtValue as XskmapEntry;
    const sock = host.xsk(entry.xsk);
    target = `xsk:${entry.xsk}`;
    err = sock ? sock.receive(frame, dev, frame.rxQueue) : -EINVAL;
    if (!err && sock) host.toXsk(ctx, sock, frame);
  } else if (mapType === MAP_TYPE_CPUMAP) {
    const entry = tgtValue as CpumapEntry;
    target = `cpu ${entry.cpu}`;
    err = cpuMapGenericEnqueue(host, ctx, host.cpumapTarget(entry, mapId), frame);
  } else {
    err = -EBADRQC;
    target = 'no pending target';
  }
  traceRedirect(host, ctx, dev, frame, prog, mapType, mapId, tgtValue, err, target);
  return err;
}

/**
 * dev_map_redirect_multi (§3.7): every non-empty, non-excluded entry (no feature checks); copies for
 * all but the last; the first failing destination aborts with its errno (copies already sent stay).
 */
function devmapGenericMulti(
  host: SimHost,
  ctx: NetContext,
  dev: SimDevice,
  frame: SimFrame,
  prog: XdpProgramHandle,
  map: DevmapLike,
  excludeIngress: boolean,
): number {
  let last: { entry: DevmapEntry; to: SimDevice } | undefined;
  for (const entry of broadcastOrder(map)) {
    const to = host.findDevice(entry.ifindex);
    if (!to) continue;
    if (excludeIngress && to.ifindex === dev.ifindex) continue;
    if (!last) {
      last = { entry, to };
      continue;
    }
    const copy = host.cloneFrame(frame);
    const err = devmapGeneric(host, ctx, last.entry, last.to, copy, dev, prog);
    if (err) {
      host.drop(ctx, dev, copy, 'redirect_error', err);
      return err;
    }
    last = { entry, to };
  }
  if (last) return devmapGeneric(host, ctx, last.entry, last.to, frame, dev, prog);
  host.drop(ctx, dev, frame, 'no_destination');
  return 0;
}
