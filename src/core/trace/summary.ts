// The summary of a tracepoint stream, in the one shape `xdp-lab simulate --json` and `xdp-lab trace
// --json` share (../shared/specs/cli.md), and the fold that builds it from events. The simulator and
// the remote capture both call `addEvent`, so a prediction and an observation compare key by key.
import { errnoName } from './errnos';
import { tracepoints, xdpActionNames, type XdpEvent } from './tracepoints';

export interface DevmapXmitTotals {
  sent: number;
  drops: number;
}

export interface ProcessedDrops {
  processed: number;
  drops: number;
}

export interface DeviceCounts {
  rxFrames: number;
  xdpRx: number;
  stack: number;
  drops: number;
}

/**
 * One redirect path `ifindex → to_ifindex` as the redirect tracepoints and devmap_xmit report it.
 * `redirects` counts xdp_redirect, `errors` xdp_redirect_err by errno name; `sent`/`drops` sum the
 * xdp_devmap_xmit events whose from_ifindex/to_ifindex match.
 */
export interface FlowCounts {
  ifindex: number;
  to_ifindex: number;
  redirects: number;
  errors: Record<string, number>;
  sent: number;
  drops: number;
}

export interface XdpSummary {
  /** `xdp:NAME` → number of events (a tracepoint that did not fire may be absent). */
  tracepoints: Record<string, number>;
  /** Per tracepoint, events with err ≠ 0 by symbolic errno name (EOPNOTSUPP, …; E<n> if unknown). */
  errno: Record<string, Record<string, number>>;
  /** Sums of xdp_devmap_xmit sent/drops (how batches split varies; the sums do not). */
  devmapXmit: DevmapXmitTotals;
  cpumap: { enqueue: ProcessedDrops; kthread: ProcessedDrops };
  /** Per program or device (the simulator's key: the device name), verdict name → count. */
  actions: Record<string, Record<string, number>>;
  /** Per device name; filled by the simulator (a capture cannot see these from tracepoints). */
  devices: Record<string, DeviceCounts>;
  /** Redirect paths keyed `"<ifindex>><to_ifindex>"`; see FlowCounts. */
  flows: Record<string, FlowCounts>;
  /** Kernel release (`uname -r`) of a capture; absent for a simulation. */
  kernel?: string;
}

/** Tracepoints whose `err` field is counted in `errno`. */
export const errnoTracepoints: readonly string[] = [
  'xdp:xdp_redirect_err',
  'xdp:xdp_devmap_xmit',
  'xdp:xdp_bulk_tx',
];

export function emptySummary(): XdpSummary {
  return {
    tracepoints: {},
    errno: {},
    devmapXmit: { sent: 0, drops: 0 },
    cpumap: { enqueue: { processed: 0, drops: 0 }, kthread: { processed: 0, drops: 0 } },
    actions: {},
    devices: {},
    flows: {},
  };
}

export function flowKey(ifindex: number, toIfindex: number): string {
  return `${ifindex}>${toIfindex}`;
}

// The simulator folds one event per frame (~1 M/s): building the "a>b" key string for every event
// cost a fifth of its time, so flows are also found through numeric maps keyed by the `flows`
// object (entries are only ever added to it, never removed, so the cache cannot go stale).
const flowCache = new WeakMap<Record<string, FlowCounts>, Map<number, Map<number, FlowCounts>>>();

function flow(s: XdpSummary, ifindex: number, toIfindex: number): FlowCounts {
  let byIf = flowCache.get(s.flows);
  if (!byIf) flowCache.set(s.flows, (byIf = new Map<number, Map<number, FlowCounts>>()));
  let byTo = byIf.get(ifindex);
  if (!byTo) byIf.set(ifindex, (byTo = new Map<number, FlowCounts>()));
  const hit = byTo.get(toIfindex);
  if (hit) return hit;
  const key = flowKey(ifindex, toIfindex);
  let f = s.flows[key];
  if (!f) {
    f = { ifindex, to_ifindex: toIfindex, redirects: 0, errors: {}, sent: 0, drops: 0 };
    s.flows[key] = f;
  }
  byTo.set(toIfindex, f);
  return f;
}

function bump(rec: Record<string, number>, key: string, n = 1): void {
  rec[key] = (rec[key] ?? 0) + n;
}

/** Adds `n` events of tracepoint `name` that reported errno `err` (negative or positive). */
export function addErrno(s: XdpSummary, name: string, err: number, n = 1): void {
  if (err === 0 || n === 0) return;
  const hist = (s.errno[name] ??= {});
  bump(hist, errnoName(err), n);
}

/** Adds `n` to the count of a tracepoint (for captures that only count, e.g. bpftrace). */
export function addCount(s: XdpSummary, name: string, n: number): void {
  if (n !== 0) bump(s.tracepoints, name, n);
}

/** Adds a verdict for a program/device key (simulator; captures add exceptions' actions). */
export function addAction(s: XdpSummary, key: string, action: number, n = 1): void {
  const per = (s.actions[key] ??= {});
  bump(per, `XDP_${xdpActionNames[action] ?? `ACTION_${action}`}`, n);
}

/** Folds one event into the summary. */
export function addEvent(s: XdpSummary, ev: XdpEvent): void {
  bump(s.tracepoints, ev.name);
  switch (ev.name) {
    case 'xdp:xdp_redirect':
      flow(s, ev.ifindex, ev.to_ifindex).redirects++;
      break;
    case 'xdp:xdp_redirect_err': {
      addErrno(s, ev.name, ev.err);
      bump(flow(s, ev.ifindex, ev.to_ifindex).errors, errnoName(ev.err));
      break;
    }
    case 'xdp:xdp_devmap_xmit': {
      s.devmapXmit.sent += ev.sent;
      s.devmapXmit.drops += ev.drops;
      addErrno(s, ev.name, ev.err);
      const fl = flow(s, ev.from_ifindex, ev.to_ifindex);
      fl.sent += ev.sent;
      fl.drops += ev.drops;
      break;
    }
    case 'xdp:xdp_bulk_tx':
      addErrno(s, ev.name, ev.err);
      break;
    case 'xdp:xdp_cpumap_enqueue':
      s.cpumap.enqueue.processed += ev.processed;
      s.cpumap.enqueue.drops += ev.drops;
      break;
    case 'xdp:xdp_cpumap_kthread':
      s.cpumap.kthread.processed += ev.processed;
      s.cpumap.kthread.drops += ev.drops;
      break;
    default:
      break;
  }
}

export function summarize(events: Iterable<XdpEvent>, kernel?: string): XdpSummary {
  const s = emptySummary();
  for (const ev of events) addEvent(s, ev);
  if (kernel !== undefined) s.kernel = kernel;
  return s;
}

/** Adds every count of `b` into `a` (captures arriving in pieces, per-CPU partial summaries). */
export function mergeSummary(a: XdpSummary, b: XdpSummary): XdpSummary {
  for (const [k, v] of Object.entries(b.tracepoints)) bump(a.tracepoints, k, v);
  for (const [tp, hist] of Object.entries(b.errno))
    for (const [k, v] of Object.entries(hist)) bump((a.errno[tp] ??= {}), k, v);
  a.devmapXmit.sent += b.devmapXmit.sent;
  a.devmapXmit.drops += b.devmapXmit.drops;
  a.cpumap.enqueue.processed += b.cpumap.enqueue.processed;
  a.cpumap.enqueue.drops += b.cpumap.enqueue.drops;
  a.cpumap.kthread.processed += b.cpumap.kthread.processed;
  a.cpumap.kthread.drops += b.cpumap.kthread.drops;
  for (const [k, per] of Object.entries(b.actions))
    for (const [act, v] of Object.entries(per)) bump((a.actions[k] ??= {}), act, v);
  for (const [k, d] of Object.entries(b.devices)) {
    const t = (a.devices[k] ??= { rxFrames: 0, xdpRx: 0, stack: 0, drops: 0 });
    t.rxFrames += d.rxFrames;
    t.xdpRx += d.xdpRx;
    t.stack += d.stack;
    t.drops += d.drops;
  }
  for (const fl of Object.values(b.flows)) {
    const t = flow(a, fl.ifindex, fl.to_ifindex);
    t.redirects += fl.redirects;
    t.sent += fl.sent;
    t.drops += fl.drops;
    for (const [k, v] of Object.entries(fl.errors)) bump(t.errors, k, v);
  }
  if (b.kernel !== undefined) a.kernel ??= b.kernel;
  return a;
}

/** Every tracepoint of the table with its count (0 when absent), in table order, for display. */
export function tracepointRows(s: XdpSummary): Array<{ name: string; count: number }> {
  return tracepoints.map((t) => ({ name: t.name, count: s.tracepoints[t.name] ?? 0 }));
}

/**
 * Validates a summary read back from JSON (a saved capture, a simulate --json file); returns a
 * reason naming the first bad path, or the summary.
 */
export function checkSummary(value: unknown): XdpSummary | string {
  const isObj = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
  if (!isObj(value)) return 'summary: not an object';
  const counts = (path: string, v: unknown): string | undefined => {
    if (!isObj(v)) return `${path}: not an object`;
    for (const [k, n] of Object.entries(v)) if (!isCount(n)) return `${path}.${k}: not a number`;
    return undefined;
  };
  let why = counts('tracepoints', value.tracepoints);
  if (why) return why;
  if (value.errno !== undefined) {
    if (!isObj(value.errno)) return 'errno: not an object';
    for (const [k, h] of Object.entries(value.errno)) if ((why = counts(`errno.${k}`, h))) return why;
  }
  if (value.devmapXmit !== undefined && (why = counts('devmapXmit', value.devmapXmit))) return why;
  const s = emptySummary();
  s.tracepoints = value.tracepoints as Record<string, number>;
  s.errno = (value.errno as XdpSummary['errno'] | undefined) ?? {};
  if (value.devmapXmit) s.devmapXmit = { ...s.devmapXmit, ...(value.devmapXmit as DevmapXmitTotals) };
  if (isObj(value.cpumap)) {
    const c = value.cpumap;
    if (c.enqueue !== undefined && (why = counts('cpumap.enqueue', c.enqueue))) return why;
    if (c.kthread !== undefined && (why = counts('cpumap.kthread', c.kthread))) return why;
    s.cpumap = {
      enqueue: { ...s.cpumap.enqueue, ...(c.enqueue as ProcessedDrops | undefined) },
      kthread: { ...s.cpumap.kthread, ...(c.kthread as ProcessedDrops | undefined) },
    };
  }
  if (isObj(value.actions)) s.actions = value.actions as XdpSummary['actions'];
  if (isObj(value.devices)) s.devices = value.devices as XdpSummary['devices'];
  if (isObj(value.flows)) {
    for (const [k, fl] of Object.entries(value.flows)) {
      if (!isObj(fl) || !isCount(fl.ifindex) || !isCount(fl.to_ifindex) || !isCount(fl.redirects))
        return `flows.${k}: not a flow`;
    }
    s.flows = value.flows as XdpSummary['flows'];
  }
  if (typeof value.kernel === 'string') s.kernel = value.kernel;
  return s;
}
