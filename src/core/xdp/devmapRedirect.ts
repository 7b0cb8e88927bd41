// Native step 2 into devices (§3.3 "Ifindex" checks 2–6, "DEVMAP / DEVMAP_HASH unicast" and
// "BROADCAST"; kernel __xdp_enqueue / dev_map_enqueue_multi): feature, up and length checks, then
// the per-(device, CPU) bulk queue of devBulkQueue.ts.
import type { DevmapEntry } from '../maps/devmap';
import type { XdpProgramHandle } from '../vm/xdpRun';
import { bqEnqueue } from './devBulkQueue';
import { XDP_FEATURE } from './driverProfiles';
import type { NetContext } from './netContext';
import type { SimDevice } from './simDevice';
import { frameLength, hasFrags, type SimFrame } from './simFrame';
import type { Simulator } from './simulator';
import { EMSGSIZE, ENETDOWN, EOPNOTSUPP, MAP_TYPE_DEVMAP_HASH } from './xdpAction';

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

/** dev_xdp_enqueue / dev_map_enqueue: unicast to one device with the entry's egress program. */
export function devEnqueue(
  sim: Simulator,
  ctx: NetContext,
  target: SimDevice,
  frame: SimFrame,
  devRx: SimDevice,
  prog: XdpProgramHandle | undefined,
): number {
  const err = checkNativeTarget(target, frame);
  if (err) return err;
  bqEnqueue(sim, ctx, target, frame, devRx, prog, prog ? sim.programName(prog) : undefined);
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
  sim: Simulator,
  ctx: NetContext,
  frame: SimFrame,
  devRx: SimDevice,
  map: DevmapLike,
  excludeIngress: boolean,
): number {
  let last: { dev: SimDevice; entry: DevmapEntry } | undefined;
  for (const entry of broadcastOrder(map)) {
    const dev = sim.findDevice(entry.ifindex);
    if (!dev || checkNativeTarget(dev, frame) !== 0) continue;
    if (excludeIngress && dev.ifindex === devRx.ifindex) continue;
    if (!last) {
      last = { dev, entry };
      continue;
    }
    const copy = sim.cloneFrame(frame);
    bqEnqueue(
      sim,
      ctx,
      last.dev,
      copy,
      devRx,
      last.entry.prog,
      last.entry.prog ? sim.programName(last.entry.prog) : undefined,
    );
    last = { dev, entry };
  }
  if (last)
    bqEnqueue(
      sim,
      ctx,
      last.dev,
      frame,
      devRx,
      last.entry.prog,
      last.entry.prog ? sim.programName(last.entry.prog) : undefined,
    );
  else sim.drop(ctx, devRx, frame, 'no_destination');
  return 0;
}
