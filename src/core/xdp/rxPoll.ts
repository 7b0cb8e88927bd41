// The receive loop of a device whose native program runs in the VM (veth_xdp_rcv, a NIC's rx
// handler: napiPoll.ts rxLoop's common case, no timeline), made once per program as one function:
// the frame's rx counts and layout, the run (bpf_prog_run_xdp: simEntry.ts's run, in line), its
// counts, and the verdict — a DEVMAP unicast redirect while no event is wanted enqueued at once —
// each frame's before the next frame runs, as the kernel does (issue #16 goal 4).
import type { loopTexts, SimEntry } from '../vm/simEntry';
import { DEFAULT_BUDGET } from '../vm/machineMemory';
import type { Machine } from '../vm/machine';
import { VmFault } from '../vm/vmFault';
import type { ModuleRun } from '../vm/wasm/wasmTier';
import type { XdpProgram } from '../vm/xdpProgram';
import type { CompiledProgram } from '../vm/compiler';
import { DEV_MAP_BULK_SIZE } from './devBulkQueue';
import { enqueueBq, linearLimit } from './devmapRedirect';
import type { NetContext } from './netContext';
import type { ProgramRunner } from './progRun';
import type { SimDevice } from './simDevice';
import { FAULT, type SimHost } from './simHost';
import { canConvertToFrame, frameWritten, keepsLayout, relayout, type SimFrame } from './simFrame';
import type { VethTxBulk } from './vethXmit';
import { MAP_TYPE_DEVMAP, MAP_TYPE_DEVMAP_HASH, XDP_REDIRECT } from './xdpAction';

/**
 * What the poll did, for its end (rxLoop): a redirect succeeded (flush), a frame went to the TX
 * bulk. nativeVerdict (napiPoll.ts) returns one of them for its frame, or 0.
 */
export const POLL_REDIRECTED = 1;
export const POLL_TX_QUEUED = 2;

/** napiPoll.ts nativeVerdict: what the driver does with a verdict other than a quiet DEVMAP hit. */
export type NativeVerdict = (
  host: SimHost,
  ctx: NetContext,
  dev: SimDevice,
  prog: XdpProgram,
  f: SimFrame,
  rxQueue: number,
  txBulk: VethTxBulk,
  act: number,
) => number;

type RxPollFn = (
  M: Machine,
  prog: XdpProgram,
  fast: CompiledProgram,
  mem: SimEntry['mem'],
  budget: number,
  w: ModuleRun | undefined,
  R: ProgramRunner,
  host: SimHost,
  nctx: NetContext,
  dev: SimDevice,
  frames: readonly SimFrame[],
  start: number,
  end: number,
  rxQueue: number,
  txBulk: VethTxBulk,
  name: string,
  verdict: NativeVerdict,
) => number;

/**
 * The loop's text around SimEntry's (loopTexts: the machine held for the poll, one run per frame):
 * per frame what rxLoop did through ProgramRunner and SimEntry — rx counts and relayout, the run cap, the run
 * context, the run, its fault (warned once, the verdict FAULT) and whether it wrote its frame, the
 * xdp rx and verdict counts, a redirect-map miss — then the verdict: a DEVMAP unicast hit while no
 * event is wanted enqueued in line (nobody asks for events now, so nobody will in this poll:
 * SimTrace.wanted only turns false), anything else through nativeVerdict. The per-poll facts
 * (the device's fields, the run context and miss slot, the CPU's redirect record) are read once.
 */
const LOOP = ({ enter, run, leave }: ReturnType<typeof loopTexts>): string => {
  const hold = `
ctx.ingressIfindex = ifindex;
ctx.rxQueueIndex = rxQueue;
ctx.egressIfindex = 0;
ctx.cpu = cpu;
if (ctx.redirect !== ri) ctx.redirect = ri;${enter}`;
  return `"use strict";
return function rxPollLoop(M, prog, fast, mem, budget, w, R, host, nctx, dev, frames, start, end, rxQueue, txBulk, name, verdict) {
const slot = M.xdpSlot;
const ctx = R.runCtx;
const miss = R.missSlot;
const counters = dev.counters;
const ifindex = dev.ifindex;
const frags = prog.frags;
const pool = host.pool;
const cpu = nctx.cpu;
const ri = nctx.ri;
const trace = host.trace;
const quiet = trace.wanted === false;
let done = 0;
// The device's rx and xdp rx counts of the poll, added when it ends (nothing reads them before).
let nrx = 0, nxdp = 0;
// The last DEVMAP entry a quiet redirect went to, its ifindex, the longest frame its device takes
// (-1: none) and its bulk queue on this CPU: devices do not change while traffic runs.
let qEntry = undefined, qIfindex = 0, qLimit = -1, qBq = undefined;
// Its first xdp_redirect of the poll counted as it happened (the summary's rows appear in order),
// the others added when the target changes or the poll ends (countRedirectsMore).
let qCounted = false, qMore = 0;
// The run context (ProgramRunner's one object) and the machine are held for the poll's runs, and
// let go and taken again around what may run a program between two (a full bulk queue's devmap
// egress program, the verdict's general path) — and let go at the end.
${hold}
try {
for (let i = start; i < end; i++) {
  const f = frames[i];
  nrx++;
  f.rxIfindex = ifindex;
  f.rxQueue = rxQueue;
  if (keepsLayout(f.buf, frags) === false) relayout(f, frags, pool);
  if (++R.runs > R.runLimit) throw R.limit();
  miss.missed = false;
  const buffer = f.buf;
  let act = 0;
  let wrote = true;
  try {
    ${run}
    wrote = M.packetDirty;
  } catch (e) {
    if (!(e instanceof VmFault)) throw e;
    R.faulted(prog, name, M, e);
    act = ${FAULT};
  }
  if (wrote === true) frameWritten(f);
  nxdp++;
  const v = dev.verdicts;
  if (v !== undefined && act >= 0 && act < v.length) v[act] = v[act] + 1;
  else if (act !== ${FAULT}) host.countAction(dev, act);
  if (miss.missed === true && act === miss.fallback) R.countMiss(dev, name);
  if (act === ${XDP_REDIRECT} && quiet === true) {
    // xdp_do_redirect's DEVMAP / DEVMAP_HASH unicast case (doRedirect.ts xdpDoRedirect, same steps):
    // the target's checks (linearLimit) made once per entry seen, bq_enqueue into its queue, the
    // record's map fields cleared and xdp_redirect counted after the enqueue. Anything else (another
    // target kind, a broadcast, frags, a refused frame) takes the verdict's general path.
    ri.touch();
    const mapType = ri.mapType;
    if ((mapType === ${MAP_TYPE_DEVMAP} || mapType === ${MAP_TYPE_DEVMAP_HASH}) && ri.map === undefined) {
      const entry = ri.tgtValue;
      if (entry !== qEntry || entry.ifindex !== qIfindex) {
        if (qMore !== 0) trace.countRedirectsMore(ifindex, qIfindex, qMore);
        qMore = 0;
        qCounted = false;
        qEntry = entry;
        qIfindex = entry.ifindex;
        const to = host.findDevice(qIfindex);
        qLimit = to === undefined ? -1 : linearLimit(to);
        if (qLimit >= 0) qBq = host.devBulkQueue(to, cpu);
      }
      const b = f.buf;
      const len = b.dataEnd - b.data;
      if (b.frags.length === 0 && len <= qLimit && canConvertToFrame(f)) {
        ri.mapId = 0;
        ri.flags = 0;
        ri.mapType = 0;
        if (qBq.count === ${DEV_MAP_BULK_SIZE}) {
          ${leave}
          enqueueBq(host, nctx, qBq, f, dev, entry.prog, len);
          ${hold}
        } else enqueueBq(host, nctx, qBq, f, dev, entry.prog, len);
        if (qCounted === true) qMore++;
        else {
          trace.countRedirect(ifindex, qIfindex);
          qCounted = true;
        }
        done |= ${POLL_REDIRECTED};
        continue;
      }
    }
  }
  ${leave}
  done |= verdict(host, nctx, dev, prog, f, rxQueue, txBulk, act);
  ${hold}
}
} finally {${leave}
  counters.rxFrames += nrx;
  counters.xdpRx += nxdp;
  if (qMore !== 0) trace.countRedirectsMore(ifindex, qIfindex, qMore);
}
return done;
};`;
};

/** What the loop's text reads besides its arguments, by the names it uses. */
const FREE = {
  VmFault,
  keepsLayout,
  relayout,
  frameWritten,
  canConvertToFrame,
  linearLimit,
  enqueueBq,
};

function makeRxPoll(texts: ReturnType<typeof loopTexts>): RxPollFn {
  const names = Object.keys(FREE);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function(...names, LOOP(texts)) as (...free: unknown[]) => RxPollFn;
  return factory(...Object.values(FREE));
}

/**
 * One poll's frames[start..end) through `entry`'s program on `dev` (rxLoop with no timeline):
 * POLL_REDIRECTED / POLL_TX_QUEUED set when the poll's end owes a flush / a TX bulk send.
 */
export function rxPoll(
  R: ProgramRunner,
  host: SimHost,
  entry: SimEntry,
  ctx: NetContext,
  dev: SimDevice,
  frames: readonly SimFrame[],
  start: number,
  end: number,
  rxQueue: number,
  txBulk: VethTxBulk,
  name: string,
  verdict: NativeVerdict,
): number {
  const loop = entry.loop('rxPoll', makeRxPoll);
  return loop(
    entry.machine,
    entry.prog,
    entry.compiled(),
    entry.mem,
    DEFAULT_BUDGET,
    entry.module,
    R,
    host,
    ctx,
    dev,
    frames,
    start,
    end,
    rxQueue,
    txBulk,
    name,
    verdict,
  );
}
