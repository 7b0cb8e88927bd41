// veth's transmit paths (drivers/net/veth.c, §1.4, §4.1) and generic_xdp_tx: an skb sent by one end
// (veth_xmit), a batch of xdp_frames given to ndo_xdp_xmit (veth_xdp_xmit, called by bq_xmit_all
// and by veth's own XDP_TX bulk, veth_xdp_flush_bq), and an skb transmitted by generic XDP.
import { errnoName } from '../trace/errnos';
import type { XdpProgramHandle } from '../vm/xdpRun';
import type { NetContext } from './netContext';
import type { SimHost } from './simHost';
import { VETH_RING_SIZE, type SimDevice, type VethRxQueue } from './simDevice';
import { frameLength, type SimFrame } from './simFrame';
import type { Where } from './simTrace';
import type { DropReason } from './simulationResult';
import { ENXIO, XDP_TX } from './xdpAction';

/** VETH_XDP_TX_BULK_SIZE: XDP_TX frames veth collects before it transmits them to the peer. */
export const VETH_XDP_TX_BULK_SIZE = 16;

/**
 * veth_xmit (an skb sent by `x`, arriving at its peer): the peer must be up and the frame fit the
 * peer's MTU (__dev_forward_skb); with a native program on the peer it goes to the peer's ring
 * and NAPI, otherwise through netif_rx to the CPU's backlog. Always reported as transmitted.
 */
export function vethXmitSkb(host: SimHost, where: Where, x: SimDevice, f: SimFrame): void {
  const p = x.peer;
  if (x.peerOutside) {
    host.toWire(where, x, f);
    return;
  }
  if (!p || !p.up) {
    host.drop(where, x, f, 'peer_down');
    return;
  }
  if (frameLength(f) > p.maxFrameLength) {
    host.drop(where, x, f, 'peer_mtu');
    return;
  }
  x.counters.txFrames++;
  host.transmitted(x, f);
  if (host.recording)
    host.step({ k: 'deliver', cpu: where.cpu, context: where.id, frame: f.id, device: x.name, fate: 'wire' });
  f.redirected = false;
  if (p.nativeProg && p.napiPresent) {
    const rq = p.rxQueues[0] as VethRxQueue;
    if (!rq.ring.push(f)) {
      host.drop(where, x, f, 'peer_ring_full');
      return;
    }
    host.scheduleVeth(rq, where.cpu);
    return;
  }
  host.enqueueBacklog(where.cpu, p, f);
}

/**
 * An AF_PACKET-like sender's burst out of veth end `x` (up): each frame that fits x's MTU goes
 * through veth_xmit in order; the peer's NAPI is scheduled once, after the burst, as the frames
 * only wait in its ring until the host drains (the per-frame checks are those of vethXmitSkb).
 * `maxLen` ≥ 0: the frames are new (Simulator.newFrames: linear, not redirected) and none is
 * longer — when both MTUs take that length, no frame needs its own check.
 */
export function vethXmitBurst(
  host: SimHost,
  where: Where,
  x: SimDevice,
  frames: readonly SimFrame[],
  maxLen = -1,
): void {
  const p = x.peer;
  const n = frames.length;
  const txLimit = x.mtu + x.hardHeaderLen;
  if (x.peerOutside || !p || !p.up || !(p.nativeProg && p.napiPresent)) {
    for (let i = 0; i < n; i++) {
      const f = frames[i] as SimFrame;
      if (frameLength(f) > txLimit) host.drop(where, x, f, 'tx_mtu');
      else vethXmitSkb(host, where, x, f);
    }
    return;
  }
  const rq = p.rxQueues[0] as VethRxQueue;
  const ring = rq.ring;
  const peerLimit = p.maxFrameLength;
  const counters = x.counters;
  // Nobody watching (no timeline, no onTransmit): no per-frame call that would do nothing.
  const watched = host.recording || host.watchesTransmit;
  if (!watched) {
    // Every frame within both MTUs (the common burst): counted once and pushed in one run; the
    // ring refuses the same frames, in the same order, as frame-by-frame pushes would.
    let ok = maxLen >= 0 && maxLen <= txLimit && maxLen <= peerLimit ? n : 0;
    while (ok < n) {
      const len = frameLength(frames[ok] as SimFrame);
      if (len > txLimit || len > peerLimit) break;
      (frames[ok] as SimFrame).redirected = false;
      ok++;
    }
    if (ok === n) {
      counters.txFrames += n;
      const pushed = ring.pushAll(frames, 0, n);
      for (let i = pushed; i < n; i++) host.drop(where, x, frames[i] as SimFrame, 'peer_ring_full');
      host.scheduleVeth(rq, where.cpu);
      return;
    }
  }
  for (let i = 0; i < n; i++) {
    const f = frames[i] as SimFrame;
    const len = frameLength(f);
    if (len > txLimit) {
      host.drop(where, x, f, 'tx_mtu');
      continue;
    }
    if (len > peerLimit) {
      host.drop(where, x, f, 'peer_mtu');
      continue;
    }
    counters.txFrames++;
    if (watched) {
      host.transmitted(x, f);
      if (host.recording)
        host.step({
          k: 'deliver',
          cpu: where.cpu,
          context: where.id,
          frame: f.id,
          device: x.name,
          fate: 'wire',
        });
    }
    f.redirected = false;
    if (!ring.push(f)) host.drop(where, x, f, 'peer_ring_full');
  }
  host.scheduleVeth(rq, where.cpu);
}

/**
 * ndo_xdp_xmit of `dev` for frames[0..n): veth_xdp_xmit's contract of §4.1 (ENXIO without a peer
 * NAPI; accept in order until a frame exceeds the peer's MTU or the 256-slot ring is full; the
 * flush flag schedules the peer's NAPI); a NIC puts every frame on the wire. Like the driver
 * hook, returns the frames sent or a negative errno (then none was sent); refused frames are
 * dropped here. `maxLen` ≥ 0: no frame is longer (bqXmitAll knows it from bq_enqueue).
 */
export function ndoXdpXmit(
  host: SimHost,
  ctx: NetContext,
  dev: SimDevice,
  frames: readonly SimFrame[],
  n: number,
  flush: boolean,
  maxLen = -1,
): number {
  if (dev.kind !== 'veth' || dev.peerOutside) {
    for (let i = 0; i < n; i++) host.toWire(ctx, dev, frames[i] as SimFrame);
    return n;
  }
  const p = dev.peer;
  if (!p || !p.napiPresent) {
    for (let i = 0; i < n; i++) host.drop(ctx, dev, frames[i] as SimFrame, 'ndo_xmit_error', -ENXIO);
    return -ENXIO;
  }
  const rq = p.rxQueues[ctx.cpu % p.queues] as VethRxQueue;
  if (!host.recording && !host.watchesTransmit)
    return ndoXdpXmitQuiet(host, ctx, dev, rq, frames, n, flush, maxLen);
  const peerLimit = p.maxFrameLength;
  let sent = 0;
  let stop: DropReason | undefined;
  for (let i = 0; i < n; i++) {
    const f = frames[i] as SimFrame;
    if (!stop) {
      if (frameLength(f) > peerLimit) stop = 'peer_mtu';
      else if (rq.ring.length >= VETH_RING_SIZE) stop = 'peer_ring_full';
    }
    if (stop) {
      host.drop(ctx, dev, f, stop);
      continue;
    }
    rq.ring.push(f);
    sent++;
    dev.counters.txFrames++;
    host.transmitted(dev, f);
    if (host.recording)
      host.step({ k: 'deliver', cpu: ctx.cpu, context: ctx.id, frame: f.id, device: dev.name, fate: 'tx' });
  }
  if (flush) host.scheduleVeth(rq, ctx.cpu);
  return sent;
}

/**
 * veth_xdp_xmit's loop while nobody watches transmits (no timeline, no onTransmit): the same frames
 * accepted in order, and the rest dropped for the first refusal's reason — the peer's MTU or the
 * full ring — with the transmit count added once and no per-frame call that would do nothing.
 */
function ndoXdpXmitQuiet(
  host: SimHost,
  ctx: NetContext,
  dev: SimDevice,
  rq: VethRxQueue,
  frames: readonly SimFrame[],
  n: number,
  flush: boolean,
  maxLen: number,
): number {
  const ring = rq.ring;
  const peerLimit = (dev.peer as SimDevice).maxFrameLength;
  // The frames up to the first one over the peer's MTU (all when the longest fits), then as many of
  // them as the ring takes.
  let fit = maxLen >= 0 && maxLen <= peerLimit ? n : 0;
  while (fit < n && frameLength(frames[fit] as SimFrame) <= peerLimit) fit++;
  const sent = ring.pushAll(frames, 0, Math.min(fit, VETH_RING_SIZE - ring.length));
  dev.counters.txFrames += sent;
  if (sent < n) {
    const stop: DropReason =
      frameLength(frames[sent] as SimFrame) > peerLimit ? 'peer_mtu' : 'peer_ring_full';
    for (let i = sent; i < n; i++) host.drop(ctx, dev, frames[i] as SimFrame, stop);
  }
  if (flush) host.scheduleVeth(rq, ctx.cpu);
  return sent;
}

/** veth's XDP_TX bulk of one poll (struct veth_xdp_tx_bq): frames[0..count). */
export interface VethTxBulk {
  readonly frames: SimFrame[];
  count: number;
}

/** veth_xdp_flush_bq: XDP_TX frames go out of `dev` towards its peer; one xdp_bulk_tx per batch. */
export function vethXdpFlushBq(
  host: SimHost,
  ctx: NetContext,
  dev: SimDevice,
  bulk: VethTxBulk,
  flush: boolean,
): void {
  const n = bulk.count;
  if (!n) return;
  bulk.count = 0;
  const frames = bulk.frames.slice(0, n);
  const r = ndoXdpXmit(host, ctx, dev, frames, n, flush);
  const sent = r < 0 ? 0 : r;
  const err = r < 0 ? r : 0;
  const seq = host.trace.emit(
    ctx,
    { name: 'xdp:xdp_bulk_tx', ifindex: dev.ifindex, act: XDP_TX, drops: n - sent, sent, err },
    frames,
  );
  if (host.recording)
    host.step({
      k: 'xmit',
      cpu: ctx.cpu,
      context: ctx.id,
      queue: `bulk_tx:${dev.name}`,
      sent,
      drops: n - sent,
      ...(err ? { err: errnoName(err) } : {}),
      flush,
      frames: frames.map((f) => f.id),
      event: seq,
    });
}

/** generic_xdp_tx: transmit the skb directly through `dev`'s driver (qdisc bypassed). */
export function genericXdpTx(
  host: SimHost,
  where: Where,
  dev: SimDevice,
  f: SimFrame,
  prog: XdpProgramHandle,
): void {
  if (dev.kind === 'veth') {
    vethXmitSkb(host, where, dev, f);
    return;
  }
  if (!dev.up) {
    host.trace.emit(
      where,
      { name: 'xdp:xdp_exception', prog_id: prog.id, act: XDP_TX, ifindex: dev.ifindex },
      f.id,
    );
    host.drop(where, dev, f, 'generic_tx_busy');
    return;
  }
  host.toWire(where, dev, f);
}
