// The scrubbable timeline: the state of every CPU after event t (which poll runs, the redirect info
// the helper last wrote, each bulk queue's fill, the last transmit, whether the poll flushed, the
// cpumap rings its kthreads drain and their batches), folded from the model's event list
// (redirect-semantics.md §2 step 1, §3 step 2, §4 step 3, §4.2 cpumap ring and kthread). Checkpoints
// every CHECKPOINT events keep scrubbing through 200 000 events O(CHECKPOINT), not O(t).
import type { VisEvent, VisRingLevel } from '../../protocol/visualizer';

export interface QueueState {
  readonly id: string;
  fill: number;
  capacity: number;
  /** Frames transmitted from it during this poll, and how many of those were dropped. */
  sent: number;
  drops: number;
  lastErr?: string;
}

/**
 * A cpumap entry's ptr_ring, kept on the card of the CPU its kthread runs on (§4.2): the bulk queues
 * of every CPU push into it, the kthread drains it in batches of at most 8. Rings outlive polls.
 */
export interface RingState {
  readonly id: string;
  fill: number;
  size: number;
  /** Frames the pushes put in, and frames a push found no room for (xdp_cpumap_enqueue.drops). */
  pushed: number;
  ringFullDrops: number;
  batches: number;
  processed: number;
  /** The latest kthread iteration, with the cpumap program's verdicts when the entry has one. */
  lastBatch?: { processed: number; verdicts?: { pass: number; drop: number; redirect: number } };
  /** Verdict totals over every batch (only when the entry has a program). */
  verdicts?: { pass: number; drop: number; redirect: number };
}

export interface CpuState {
  readonly cpu: number;
  /** The rx device of the current (or last) NAPI poll and its frame count. */
  poll?: { device: string; frames: number; start: number };
  /** The latest `run` event of this poll: program, verdict and the redirect info it wrote. */
  run?: Extract<VisEvent, { k: 'run' }>;
  /** Bulk queues touched in this poll, in first-use order. */
  queues: QueueState[];
  lastXmit?: Extract<VisEvent, { k: 'xmit' }>;
  /** The cpumap rings whose kthread runs on this CPU, in first-use order. */
  rings: RingState[];
  /** True once the poll's xdp_do_flush ran. */
  flushed: boolean;
  totals: { polls: number; runs: number; enqueued: number; sent: number; dropped: number; flushes: number };
}

export const CHECKPOINT = 2048;

function clone(states: readonly CpuState[]): CpuState[] {
  return states.map((c) => ({
    ...c,
    queues: c.queues.map((q) => ({ ...q })),
    rings: c.rings.map((r) => ({
      ...r,
      ...(r.verdicts ? { verdicts: { ...r.verdicts } } : {}),
    })),
    totals: { ...c.totals },
  }));
}

function cpuOf(states: CpuState[], cpu: number): CpuState {
  let st = states[cpu];
  while (states.length <= cpu) {
    states.push({
      cpu: states.length,
      queues: [],
      rings: [],
      flushed: false,
      totals: { polls: 0, runs: 0, enqueued: 0, sent: 0, dropped: 0, flushes: 0 },
    });
    st = states[cpu];
  }
  return st as CpuState;
}

function queueOf(c: CpuState, id: string, capacity: number): QueueState {
  let q = c.queues.find((x) => x.id === id);
  if (!q) {
    q = { id, fill: 0, capacity, sent: 0, drops: 0 };
    c.queues.push(q);
  }
  return q;
}

function ringOf(states: CpuState[], level: VisRingLevel): RingState {
  const c = cpuOf(states, level.cpu);
  let r = c.rings.find((x) => x.id === level.name);
  if (!r) {
    r = { id: level.name, fill: 0, size: level.size, pushed: 0, ringFullDrops: 0, batches: 0, processed: 0 };
    c.rings.push(r);
  }
  r.fill = level.fill;
  r.size = level.size;
  return r;
}

/** Applies one event (index t) to the per-CPU states. */
export function applyEvent(states: CpuState[], ev: VisEvent, t: number): void {
  const c = cpuOf(states, ev.cpu);
  switch (ev.k) {
    case 'poll':
      // A new bpf net context: the redirect info and the flush list start empty (§1.2, §10).
      c.poll = { device: ev.device, frames: ev.frames, start: t };
      delete c.run;
      delete c.lastXmit;
      c.queues = [];
      c.flushed = false;
      c.totals.polls++;
      break;
    case 'run':
      c.run = ev;
      c.totals.runs++;
      break;
    case 'enqueue': {
      const q = queueOf(c, ev.queue, ev.capacity);
      q.fill = ev.fill;
      q.capacity = ev.capacity;
      c.totals.enqueued++;
      break;
    }
    case 'xmit': {
      // A generic-mode skb goes into the ring with no bulk queue: only the ring changes.
      if (!ev.skb) {
        const q = queueOf(c, ev.queue, ev.ring ? 8 : 16);
        q.fill = 0;
        q.sent += ev.sent;
        q.drops += ev.drops;
        if (ev.err) q.lastErr = ev.err;
      }
      if (ev.ring) {
        // A cpumap bulk queue pushed into its entry's ring: its drops are ring-full drops.
        const r = ringOf(states, ev.ring);
        r.pushed += ev.sent;
        r.ringFullDrops += ev.drops;
      }
      c.lastXmit = ev;
      c.totals.sent += ev.sent;
      c.totals.dropped += ev.drops;
      break;
    }
    case 'flush':
      c.flushed = true;
      c.totals.flushes++;
      break;
    case 'drop':
      c.totals.dropped++;
      break;
    case 'kthread':
      if (ev.ring) {
        const r = ringOf(states, { ...ev.ring, cpu: ev.cpu });
        r.batches++;
        r.processed += ev.processed;
        r.lastBatch = { processed: ev.processed, ...(ev.verdicts ? { verdicts: { ...ev.verdicts } } : {}) };
        if (ev.verdicts) {
          const v = (r.verdicts ??= { pass: 0, drop: 0, redirect: 0 });
          v.pass += ev.verdicts.pass;
          v.drop += ev.verdicts.drop;
          v.redirect += ev.verdicts.redirect;
        }
      }
      break;
    case 'deliver':
      break;
  }
}

/**
 * The fold's checkpoints, made as far as the cursor has been and no further: a snapshot of 100 000
 * events costs nothing until the timeline is looked at (issue 16 goal 5), and playing from the start
 * extends them a few events at a time.
 */
export class TimelineIndex {
  private readonly checkpoints: CpuState[][] = [];
  /** The state after events 0..next-1 (the fold so far). */
  private folded: CpuState[] | undefined;
  private next = 0;

  constructor(
    readonly events: readonly VisEvent[],
    readonly cpus: number,
  ) {}

  /** Folds until checkpoint k (the state before event k·CHECKPOINT) exists, or the events end. */
  private extend(k: number): void {
    const st = (this.folded ??= this.initial());
    while (this.checkpoints.length <= k && this.next < this.events.length) {
      if (this.next % CHECKPOINT === 0) this.checkpoints.push(clone(st));
      applyEvent(st, this.events[this.next] as VisEvent, this.next);
      this.next++;
    }
  }

  private initial(): CpuState[] {
    const st: CpuState[] = [];
    for (let i = 0; i < this.cpus; i++) cpuOf(st, i);
    return st;
  }

  /** The CPUs' state after applying events 0..t (t = -1: before anything). */
  stateAt(t: number): CpuState[] {
    const last = Math.min(t, this.events.length - 1);
    if (last < 0) return this.initial();
    const k = Math.floor(last / CHECKPOINT);
    this.extend(k);
    const st = clone(this.checkpoints[k] ?? this.initial());
    for (let i = k * CHECKPOINT; i <= last; i++) applyEvent(st, this.events[i] as VisEvent, i);
    return st;
  }
}

export interface FrameJourney {
  readonly frame: number;
  /** Indices into the timeline of every event that concerns the frame, in order. */
  readonly events: readonly number[];
  readonly fate: 'delivered' | 'dropped' | 'in flight';
  readonly where?: string;
  readonly errno?: string;
}

/**
 * Every frame's journey. A transmit event belongs to the frames it lists, or — when the model does
 * not list them — to the frames enqueued on that CPU's queue since its previous transmit (a bulk
 * transmit always drains the whole queue, §4.1).
 */
export function frameJourneys(events: readonly VisEvent[]): Map<number, FrameJourney> {
  const lists = new Map<number, number[]>();
  const ends = new Map<number, { fate: FrameJourney['fate']; where: string; errno?: string }>();
  const pending = new Map<string, number[]>();
  const push = (frame: number, t: number): void => {
    let l = lists.get(frame);
    if (!l) lists.set(frame, (l = []));
    l.push(t);
  };
  events.forEach((ev, t) => {
    switch (ev.k) {
      case 'run':
        push(ev.frame, t);
        break;
      case 'enqueue': {
        push(ev.frame, t);
        const key = `${ev.cpu}|${ev.queue}`;
        let p = pending.get(key);
        if (!p) pending.set(key, (p = []));
        p.push(ev.frame);
        break;
      }
      case 'xmit': {
        const key = `${ev.cpu}|${ev.queue}`;
        const frames = ev.frames ?? pending.get(key) ?? [];
        pending.set(key, []);
        for (const f of frames) push(f, t);
        break;
      }
      case 'drop':
        push(ev.frame, t);
        ends.set(ev.frame, { fate: 'dropped', where: ev.device, ...(ev.errno ? { errno: ev.errno } : {}) });
        break;
      case 'deliver':
        push(ev.frame, t);
        // A frame put on the wire continues at the peer; only the other fates end the journey.
        ends.set(
          ev.frame,
          ev.fate === 'wire'
            ? { fate: 'in flight', where: ev.device }
            : { fate: 'delivered', where: `${ev.device} ${ev.fate}` },
        );
        break;
      default:
        break;
    }
  });
  const out = new Map<number, FrameJourney>();
  for (const [frame, evs] of lists) {
    const end = ends.get(frame);
    out.set(frame, {
      frame,
      events: evs,
      fate: end?.fate ?? 'in flight',
      ...(end ? { where: end.where } : {}),
      ...(end?.errno ? { errno: end.errno } : {}),
    });
  }
  return out;
}
