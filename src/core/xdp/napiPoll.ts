// Receive and NAPI poll (§3.1, §3.7): veth_poll / veth_xdp_rcv on a veth rx queue, a NIC driver's
// poll of one rx queue, the per-CPU backlog (process_backlog → __netif_receive_skb), the native
// verdict handling of bpf_prog_run_xdp's callers and do_xdp_generic. Each poll runs inside the
// softirq run's bpf net context (§1.2) and ends with xdp_do_flush if a redirect succeeded.
import type { XdpProgramHandle } from '../vm/xdpRun';
import { xdpDoGenericRedirect } from './genericRedirect';
import { xdpDoRedirectFast } from './doRedirect';
import type { NetContext } from './netContext';
import type { SimDevice, VethRxQueue } from './simDevice';
import { FAULT, type SimHost } from './simHost';
import { POLL_REDIRECTED, POLL_TX_QUEUED } from './rxPoll';
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

/** What runNative / nativeVerdict did with a frame, for the poll's end (rxPoll.ts's POLL_* flags, or 0). */
const CONSUMED = 0;
const REDIRECTED = POLL_REDIRECTED;
const TX_QUEUED = POLL_TX_QUEUED;

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

/** veth_poll → veth_xdp_rcv (§3.1): up to NAPI_WEIGHT frames off the ring, then the rx loop. */
function vethPoll(host: SimHost, ctx: NetContext, rq: VethRxQueue): number {
  const dev = rq.dev;
  if (constantQuiet(host, dev, false)) {
    // constantPoll's counts, with the frames freed straight off the ring (no batch to copy into).
    const m = Math.min(NAPI_WEIGHT, rq.ring.length);
    if (m > 0 && host.takeRuns(m)) {
      countConstant(host, dev, m, dev.constVerdict);
      rq.ring.consumeInto(m, host);
      return m;
    }
  }
  const n = rq.ring.takeInto(rq.batch, NAPI_WEIGHT);
  recordPoll(host, ctx, rq.dev.name, n, 'native');
  rxLoop(host, ctx, rq.dev, rq.batch, 0, n, rq.index, rq.txBulk, false);
  return n;
}

/** A NIC driver's NAPI poll of one rx queue: up to its weight of the burst through the rx loop. */
function nicPoll(host: SimHost, ctx: NetContext, item: NicPoll): number {
  const start = item.pos;
  const end = Math.min(item.frames.length, start + item.weight);
  item.pos = end;
  recordPoll(host, ctx, item.dev.name, end - start, 'native');
  rxLoop(host, ctx, item.dev, item.frames, start, end, item.queue, NO_BULK, !item.dev.up);
  return end - start;
}

/**
 * The driver's receive loop over one poll's frames[start..end) (veth_xdp_rcv, a NIC's rx handler):
 * the native program on each frame and its verdict before the next frame runs — as the kernel
 * does: a full bulk queue transmits (and runs its egress program) inside a later frame's
 * redirect, so that program's map writes are seen by the frames after it — then one xdp_do_flush
 * for the whole poll if a redirect succeeded, and veth's XDP_TX bulk. `down`: a NIC burst that
 * arrived on a down device (dropped; a veth ring only fills while its device is up).
 */
function rxLoop(
  host: SimHost,
  ctx: NetContext,
  dev: SimDevice,
  frames: readonly SimFrame[],
  start: number,
  end: number,
  rxQueue: number,
  txBulk: VethTxBulk,
  down: boolean,
): void {
  const prog = dev.nativeProg;
  const counters = dev.counters;
  const ifindex = dev.ifindex;
  if (constantQuiet(host, dev, down) && constantPoll(host, dev, frames, start, end, dev.constVerdict)) return;
  let redirects = 0;
  let tx = 0;
  // A program that runs in the VM while no timeline is recorded (a timeline, once stopped, does not
  // start again): each frame through the program's own entry, without the per-kind dispatch.
  const entry = prog !== undefined && !down && !host.recording ? host.nativeEntry(dev) : undefined;
  if (entry !== undefined) {
    // Each frame's run and verdict in the program's own loop (rxPoll.ts).
    const done = host.rxPoll(
      entry,
      ctx,
      dev,
      frames,
      start,
      end,
      rxQueue,
      txBulk,
      dev.progName ?? entry.prog.name,
      nativeVerdict,
    );
    redirects = done & POLL_REDIRECTED;
    tx = done & POLL_TX_QUEUED;
  } else
    for (let i = start; i < end; i++) {
      const f = frames[i] as SimFrame;
      counters.rxFrames++;
      f.rxIfindex = ifindex;
      f.rxQueue = rxQueue;
      if (down) host.drop(ctx, dev, f, 'device_down');
      else if (prog) {
        const r = runNative(host, ctx, dev, prog, f, rxQueue, txBulk);
        if (r === REDIRECTED) redirects++;
        else if (r === TX_QUEUED) tx++;
      } else receiveSkb(host, ctx, dev, f);
    }
  if (redirects > 0) xdpDoFlush(host, ctx, dev.name);
  if (tx > 0) vethXdpFlushBq(host, ctx, dev, txBulk, true);
}

/**
 * The receive loop of a poll whose program is `r0 = PASS` or `r0 = DROP; exit` (constantVerdict.ts)
 * while no timeline is recorded: each frame would get the same verdict, touch no map, redirect info
 * or packet byte, and fire no event, so the poll's frames are counted at once — the counts the
 * frame-by-frame loop makes (rx, xdp rx, the verdict, stack or xdp_drop) — and freed. False (nothing
 * done) when the runs would cross the run cap: the loop then stops at the exact frame.
 */
function constantPoll(
  host: SimHost,
  dev: SimDevice,
  frames: readonly SimFrame[],
  start: number,
  end: number,
  verdict: number,
): boolean {
  const n = end - start;
  if (n <= 0 || !host.takeRuns(n)) return n <= 0;
  countConstant(host, dev, n, verdict);
  host.releaseAll(frames, start, end);
  return true;
}

/** Whether `dev`'s receive loop may be a constantPoll: its native program is `r0 = PASS / DROP`, no timeline. */
function constantQuiet(host: SimHost, dev: SimDevice, down: boolean): boolean {
  const prog = dev.nativeProg;
  return (
    prog !== undefined &&
    prog === dev.prog &&
    (dev.constVerdict === XDP_PASS || dev.constVerdict === XDP_DROP) &&
    !down &&
    !host.recording
  );
}

/** The counts of `n` runs of a constant-verdict program (constantPoll): rx, xdp rx, the verdict, its fate. */
function countConstant(host: SimHost, dev: SimDevice, n: number, verdict: number): void {
  const counters = dev.counters;
  counters.rxFrames += n;
  counters.xdpRx += n;
  host.countAction(dev, verdict, n);
  if (verdict === XDP_PASS) counters.stack += n;
  else dev.countDrop('xdp_drop', n);
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
 * bpf_prog_run_xdp at a receive hook, native (driver) or generic (do_xdp_generic): the frame laid
 * out for the program — native: veth's page (§1.4); generic: a frags-aware program sees a
 * 3520-byte head + page frags, others a linearised skb (§5) — then the run; the verdict or FAULT.
 */
function runAt(
  host: SimHost,
  ctx: NetContext,
  dev: SimDevice,
  prog: XdpProgramHandle,
  f: SimFrame,
  rxQueue: number,
  hook: 'native' | 'generic',
): number {
  relayout(f, prog.frags, host.pool);
  return host.runProgram(ctx, prog, dev.progName ?? prog.name, hook, dev, f, dev.ifindex, rxQueue, 0);
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
  return nativeVerdict(
    host,
    ctx,
    dev,
    prog,
    f,
    rxQueue,
    txBulk,
    runAt(host, ctx, dev, prog, f, rxQueue, 'native'),
  );
}

/** What the driver does with a native program's verdict `act` on `f` (runNative's second half). */
export function nativeVerdict(
  host: SimHost,
  ctx: NetContext,
  dev: SimDevice,
  prog: XdpProgramHandle,
  f: SimFrame,
  rxQueue: number,
  txBulk: VethTxBulk,
  act: number,
): number {
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
      const err = xdpDoRedirectFast(host, ctx, dev, f, prog, rxQueue);
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
  const act = runAt(host, ctx, dev, prog, f, f.rxQueue, 'generic');
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
