// Receive and NAPI poll (§3.1, §3.7): veth_poll / veth_xdp_rcv on a veth rx queue, a NIC driver's
// poll of one rx queue, the per-CPU backlog (process_backlog → __netif_receive_skb), the native
// verdict handling of bpf_prog_run_xdp's callers and do_xdp_generic. Each poll runs inside the
// softirq run's bpf net context (§1.2) and ends with xdp_do_flush if a redirect succeeded.
import type { XdpProgramHandle } from '../vm/xdpRun';
import { xdpDoGenericRedirect } from './genericRedirect';
import { xdpDoRedirect } from './doRedirect';
import type { NetContext } from './netContext';
import type { SimDevice, VethRxQueue } from './simDevice';
import { FAULT, type SimHost } from './simHost';
import { canConvertToFrame, relayout, type SimFrame } from './simFrame';
import { genericXdpTx, VETH_XDP_TX_BULK_SIZE, vethXdpFlushBq, type VethTxBulk } from './vethXmit';
import { xdpDoFlush } from './xdpFlush';
import { XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_REDIRECT, XDP_TX } from './xdpAction';

/** The NAPI weight: frames one poll may handle. */
export const NAPI_WEIGHT = 64;

/** A NIC rx queue's burst waiting for its poll (one `rx` traffic burst). */
export interface NicPoll {
  readonly kind: 'nic';
  readonly dev: SimDevice;
  readonly queue: number;
  readonly frames: SimFrame[];
  /** Frames handled so far. */
  pos: number;
  readonly weight: number;
}

/** A CPU's backlog (softnet_data.input_pkt_queue): skbs and, beside each, the device it came to. */
export interface Backlog {
  readonly kind: 'backlog';
  readonly cpu: number;
  readonly frames: SimFrame[];
  readonly devs: SimDevice[];
  head: number;
  scheduled: boolean;
}

/** What a softirq run polls: a veth rx queue, a NIC queue or a backlog. */
export type PollItem = VethRxQueue | NicPoll | Backlog;

/** What runNative did with a frame, for the poll's end: flush after a redirect, send the TX bulk. */
const CONSUMED = 0;
const REDIRECTED = 1;
const TX_QUEUED = 2;

/** A NIC's XDP_TX goes straight to the wire: its poll has no bulk (never written). */
const NO_BULK: VethTxBulk = { frames: [], count: 0 };

/** One poll of `item`; returns the frames handled (its share of the softirq budget). */
export function poll(host: SimHost, ctx: NetContext, item: PollItem): number {
  if (item.kind === 'veth') return vethPoll(host, ctx, item);
  if (item.kind === 'nic') return nicPoll(host, ctx, item);
  return backlogPoll(host, ctx, item);
}

/** True when the item still has frames after a poll (it stays on the poll list). */
export function pollPending(item: PollItem): boolean {
  if (item.kind === 'veth') return item.ring.length > 0;
  if (item.kind === 'nic') return item.pos < item.frames.length;
  return item.head < item.frames.length;
}

/** The timeline's "a NAPI poll (or backlog run) started" step, when recording. */
function recordPoll(
  host: SimHost,
  ctx: NetContext,
  device: string,
  frames: number,
  mode: 'native' | 'skb',
): void {
  if (host.recording) host.step({ k: 'poll', cpu: ctx.cpu, context: ctx.id, device, frames, mode });
}

/** veth_poll → veth_xdp_rcv (§3.1): native program per frame; flush if a redirect succeeded; XDP_TX bulk flush. */
function vethPoll(host: SimHost, ctx: NetContext, rq: VethRxQueue): number {
  const dev = rq.dev;
  const batch = rq.batch;
  const n = rq.ring.takeInto(batch, NAPI_WEIGHT);
  recordPoll(host, ctx, dev.name, n, 'native');
  const prog = dev.nativeProg;
  let redirects = 0;
  let tx = 0;
  for (let i = 0; i < n; i++) {
    const f = batch[i] as SimFrame;
    dev.counters.rxFrames++;
    f.rxIfindex = dev.ifindex;
    f.rxQueue = rq.index;
    if (prog) {
      const r = runNative(host, ctx, dev, prog, f, rq.index, rq.txBulk);
      if (r === REDIRECTED) redirects++;
      else if (r === TX_QUEUED) tx++;
    } else receiveSkb(host, ctx, dev, f);
  }
  if (redirects > 0) xdpDoFlush(host, ctx, dev.name);
  if (tx > 0) vethXdpFlushBq(host, ctx, dev, rq.txBulk, true);
  return n;
}

/** A NIC driver's NAPI poll of one rx queue: the burst, native program per frame, flush after redirects. */
function nicPoll(host: SimHost, ctx: NetContext, item: NicPoll): number {
  const dev = item.dev;
  const start = item.pos;
  const end = Math.min(item.frames.length, start + item.weight);
  item.pos = end;
  recordPoll(host, ctx, dev.name, end - start, 'native');
  const prog = dev.nativeProg;
  let redirects = 0;
  for (let i = start; i < end; i++) {
    const f = item.frames[i] as SimFrame;
    dev.counters.rxFrames++;
    f.rxIfindex = dev.ifindex;
    f.rxQueue = item.queue;
    if (!dev.up) host.drop(ctx, dev, f, 'device_down');
    else if (prog) {
      if (runNative(host, ctx, dev, prog, f, item.queue, NO_BULK) === REDIRECTED) redirects++;
    } else receiveSkb(host, ctx, dev, f);
  }
  if (redirects > 0) xdpDoFlush(host, ctx, dev.name);
  return end - start;
}

/** process_backlog: up to NAPI_WEIGHT skbs, each through __netif_receive_skb of its device. */
function backlogPoll(host: SimHost, ctx: NetContext, b: Backlog): number {
  const end = Math.min(b.frames.length, b.head + NAPI_WEIGHT);
  const start = b.head;
  for (let i = start; i < end; i++) {
    const dev = b.devs[i] as SimDevice;
    const frame = b.frames[i] as SimFrame;
    b.head = i + 1;
    recordPoll(host, ctx, dev.name, 1, 'skb');
    dev.counters.rxFrames++;
    receiveSkb(host, ctx, dev, frame);
  }
  if (b.head === b.frames.length) {
    b.frames.length = 0;
    b.devs.length = 0;
    b.head = 0;
  }
  return end - start;
}

/**
 * A native program's verdict (§3.1; veth_xdp_rcv_one, a NIC's rx handler): PASS → stack, DROP,
 * ABORTED / invalid → xdp_exception + drop, TX → veth's bulk (NIC: the wire), REDIRECT → step 2.
 */
function runNative(
  host: SimHost,
  ctx: NetContext,
  dev: SimDevice,
  prog: XdpProgramHandle,
  f: SimFrame,
  rxQueue: number,
  txBulk: VethTxBulk,
): number {
  relayout(f, prog.frags, host.pool);
  const act = host.runProgram(
    ctx,
    prog,
    dev.progName ?? prog.name,
    'native',
    dev,
    f,
    dev.ifindex,
    rxQueue,
    0,
  );
  switch (act) {
    case XDP_PASS:
      host.toStack(ctx, dev, f);
      return CONSUMED;
    case XDP_DROP:
      host.drop(ctx, dev, f, 'xdp_drop');
      return CONSUMED;
    case XDP_ABORTED:
      host.trace.emit(ctx, { name: 'xdp:xdp_exception', prog_id: prog.id, act, ifindex: dev.ifindex }, f.id);
      host.drop(ctx, dev, f, 'xdp_aborted');
      return CONSUMED;
    case XDP_TX:
      if (dev.kind !== 'veth') {
        host.toWire(ctx, dev, f);
        return CONSUMED;
      }
      if (!canConvertToFrame(f)) {
        host.trace.emit(
          ctx,
          { name: 'xdp:xdp_exception', prog_id: prog.id, act, ifindex: dev.ifindex },
          f.id,
        );
        host.drop(ctx, dev, f, 'xdp_tx_error');
        return CONSUMED;
      }
      if (txBulk.count === VETH_XDP_TX_BULK_SIZE) vethXdpFlushBq(host, ctx, dev, txBulk, false);
      txBulk.frames[txBulk.count++] = f;
      if (host.recording)
        host.step({
          k: 'enqueue',
          cpu: ctx.cpu,
          context: ctx.id,
          frame: f.id,
          queue: `bulk_tx:${dev.name}`,
          fill: txBulk.count,
          capacity: VETH_XDP_TX_BULK_SIZE,
        });
      return TX_QUEUED;
    case XDP_REDIRECT: {
      const err = xdpDoRedirect(host, ctx, dev, f, prog, rxQueue);
      if (!err) return REDIRECTED;
      if (dev.profile.exceptionOnRedirectError)
        host.trace.emit(
          ctx,
          { name: 'xdp:xdp_exception', prog_id: prog.id, act, ifindex: dev.ifindex },
          f.id,
        );
      host.drop(ctx, dev, f, 'redirect_error', err);
      return CONSUMED;
    }
    case FAULT:
      host.drop(ctx, dev, f, 'program_fault');
      return CONSUMED;
    default:
      // bpf_warn_invalid_xdp_action, then the ABORTED path with the raw value (§3.1).
      host.trace.emit(ctx, { name: 'xdp:xdp_exception', prog_id: prog.id, act, ifindex: dev.ifindex }, f.id);
      host.drop(ctx, dev, f, 'invalid_action');
      return CONSUMED;
  }
}

/** __netif_receive_skb: generic XDP (unless the skb was redirected there), then the stack. */
export function receiveSkb(host: SimHost, ctx: NetContext, dev: SimDevice, f: SimFrame): void {
  f.skb = true;
  if (dev.unknownProg && !f.redirected) {
    host.drop(ctx, dev, f, 'unknown_program');
    return;
  }
  const prog = dev.genericProg;
  if (prog && !f.redirected && doXdpGeneric(host, ctx, dev, f, prog)) return;
  host.toStack(ctx, dev, f);
}

/** do_xdp_generic (§3.7): returns true when the skb was consumed (not passed on). */
function doXdpGeneric(
  host: SimHost,
  ctx: NetContext,
  dev: SimDevice,
  f: SimFrame,
  prog: XdpProgramHandle,
): boolean {
  // A frags-aware program sees a 3520-byte head + page frags; others a linearised skb (§5).
  relayout(f, prog.frags, host.pool);
  const act = host.runProgram(
    ctx,
    prog,
    dev.progName ?? prog.name,
    'generic',
    dev,
    f,
    dev.ifindex,
    f.rxQueue,
    0,
  );
  switch (act) {
    case XDP_PASS:
      return false;
    case XDP_REDIRECT: {
      const err = xdpDoGenericRedirect(host, ctx, dev, f, prog);
      if (err) host.drop(ctx, dev, f, 'redirect_error', err);
      return true;
    }
    case XDP_TX:
      genericXdpTx(host, ctx, dev, f, prog);
      return true;
    case XDP_DROP:
      host.drop(ctx, dev, f, 'xdp_drop');
      return true;
    case FAULT:
      host.drop(ctx, dev, f, 'program_fault');
      return true;
    default:
      host.trace.emit(ctx, { name: 'xdp:xdp_exception', prog_id: prog.id, act, ifindex: dev.ifindex }, f.id);
      host.drop(ctx, dev, f, act === XDP_ABORTED ? 'xdp_aborted' : 'invalid_action');
      return true;
  }
}
