// The simulator's tracepoints (§6): every event is COUNTED into the summary as it fires, but the
// event object (and its frame-id list) is MATERIALISED only while someone asked for it — kept in
// the result (maxEvents) or streamed (onEvent: --events, timeline, visualizer). The two per-frame
// tracepoints of a redirect pipeline, xdp_redirect and xdp_devmap_xmit, have counted fast paths
// that fold into the same summary `addEvent` (core/trace/summary.ts) builds, key order included.
import { addErrno, addEvent, flowKey, type FlowCounts } from '../trace/summary';
import type { XdpEvent } from '../trace/tracepoints';
import type { SimFrame } from './simFrame';
import type { SimEvent, SimSummary } from './simulationResult';

const REDIRECT = 'xdp:xdp_redirect';
const DEVMAP_XMIT = 'xdp:xdp_devmap_xmit';

/** Where an event fires: its bpf net context (0 outside one) and CPU. */
export interface Where {
  id: number;
  cpu: number;
}

export class SimTrace {
  /** The last event's sequence number (events are numbered whether materialised or not). */
  seq = 0;
  readonly events: SimEvent[] = [];
  eventsDropped = 0;
  /** Counted but not yet added to summary.tracepoints (see fold()). */
  private redirects = 0;
  private devmapXmits = 0;
  /** One-entry cache of the flow the last fast-path event touched (a pipeline has one or two). */
  private lastFrom = -1;
  private lastTo = -1;
  private lastFlow: FlowCounts | undefined;

  constructor(
    private readonly summary: SimSummary,
    private readonly maxEvents: number,
    private readonly onEvent: ((ev: SimEvent) => void) | undefined,
  ) {}

  /** True while events are materialised: kept in the result or streamed to onEvent. */
  get wanted(): boolean {
    return this.onEvent !== undefined || this.events.length < this.maxEvents;
  }

  /**
   * Records one event given as an object (the rarer tracepoints); `frames`: its frame, its batch,
   * or the batch's ids taken earlier (frames freed since may have been reused).
   */
  emit(where: Where, event: XdpEvent, frames: number | readonly SimFrame[] | readonly number[]): number {
    const seq = ++this.seq;
    addEvent(this.summary, event);
    if (event.name === 'xdp:xdp_bulk_tx') {
      this.summary.bulkTx.sent += event.sent;
      this.summary.bulkTx.drops += event.drops;
    }
    if (this.wanted) this.deliver(seq, where, event, frameIds(frames));
    else this.eventsDropped++;
    return seq;
  }

  /**
   * xdp_redirect / xdp_redirect_err (§3.4, trace_xdp_redirect*): one per step-2 call. Success is
   * counted without an object unless events are wanted; errors take the general path.
   */
  redirect(
    where: Where,
    progId: number,
    ifindex: number,
    err: number,
    toIfindex: number,
    mapId: number,
    mapIndex: number,
    frameId: number,
  ): number {
    if (err !== 0 || this.wanted) {
      const event: XdpEvent = {
        name: err ? 'xdp:xdp_redirect_err' : REDIRECT,
        prog_id: progId,
        act: 4,
        ifindex,
        err,
        to_ifindex: toIfindex,
        map_id: mapId,
        map_index: mapIndex,
      };
      return this.emit(where, event, frameId);
    }
    return this.countRedirect(ifindex, toIfindex);
  }

  /**
   * A successful xdp_redirect nobody asked to see (the caller checked `wanted`): counted into the
   * summary's tracepoint and flow rows only — the fields the summary keeps are the two ifindexes.
   */
  countRedirect(ifindex: number, toIfindex: number): number {
    const seq = ++this.seq;
    if (this.redirects++ === 0 && this.summary.tracepoints[REDIRECT] === undefined)
      this.summary.tracepoints[REDIRECT] = 0; // keeps the key where addEvent would have put it
    this.flow(ifindex, toIfindex).redirects++;
    this.eventsDropped++;
    return seq;
  }

  /**
   * `n` more successful xdp_redirect `from → to` nobody asked to see, once countRedirect counted the
   * first of them (its flow and tracepoint rows exist, where they first appeared): the counts `n`
   * more countRedirect calls would add — for a receive loop that adds them when its poll ends
   * (rxPoll.ts; no event is materialised before, so their sequence numbers are seen by no one).
   */
  countRedirectsMore(from: number, to: number, n: number): void {
    this.seq += n;
    this.redirects += n;
    this.flow(from, to).redirects += n;
    this.eventsDropped += n;
  }

  /**
   * xdp_devmap_xmit (§4.1, bq_xmit_all): one per transmit of a device bulk queue. `ids`: the
   * queued frames' ids, needed (and built by the caller) only when events are wanted.
   */
  devmapXmit(
    where: Where,
    fromIfindex: number,
    toIfindex: number,
    drops: number,
    sent: number,
    err: number,
    ids: number[] | undefined,
  ): number {
    if (this.wanted) {
      const event: XdpEvent = {
        name: DEVMAP_XMIT,
        from_ifindex: fromIfindex,
        act: 4,
        to_ifindex: toIfindex,
        drops,
        sent,
        err,
      };
      const seq = ++this.seq;
      addEvent(this.summary, event);
      this.deliver(seq, where, event, ids ?? []);
      return seq;
    }
    const seq = ++this.seq;
    const s = this.summary;
    if (this.devmapXmits++ === 0 && s.tracepoints[DEVMAP_XMIT] === undefined) s.tracepoints[DEVMAP_XMIT] = 0;
    s.devmapXmit.sent += sent;
    s.devmapXmit.drops += drops;
    if (err) addErrno(s, DEVMAP_XMIT, err);
    const fl = this.flow(fromIfindex, toIfindex);
    fl.sent += sent;
    fl.drops += drops;
    this.eventsDropped++;
    return seq;
  }

  /** Adds the counted-only events to summary.tracepoints; call before the summary is read. */
  fold(): void {
    const tp = this.summary.tracepoints;
    if (this.redirects) tp[REDIRECT] = (tp[REDIRECT] ?? 0) + this.redirects;
    if (this.devmapXmits) tp[DEVMAP_XMIT] = (tp[DEVMAP_XMIT] ?? 0) + this.devmapXmits;
    this.redirects = 0;
    this.devmapXmits = 0;
  }

  private deliver(seq: number, where: Where, event: XdpEvent, frames: number[]): void {
    const ev: SimEvent = { seq, context: where.id, cpu: where.cpu, event, frames };
    if (this.events.length < this.maxEvents) this.events.push(ev);
    else this.eventsDropped++;
    this.onEvent?.(ev);
  }

  /** The summary's flow `from → to`, created where addEvent would create it (core/trace/summary.ts). */
  private flow(from: number, to: number): FlowCounts {
    if (from === this.lastFrom && to === this.lastTo) return this.lastFlow as FlowCounts;
    const key = flowKey(from, to);
    let f = this.summary.flows[key];
    if (!f) {
      f = { ifindex: from, to_ifindex: to, redirects: 0, errors: {}, sent: 0, drops: 0 };
      this.summary.flows[key] = f;
    }
    this.lastFrom = from;
    this.lastTo = to;
    this.lastFlow = f;
    return f;
  }
}

function frameIds(frames: number | readonly SimFrame[] | readonly number[]): number[] {
  if (typeof frames === 'number') return [frames];
  return frames.map((f: SimFrame | number) => (typeof f === 'number' ? f : f.id));
}
