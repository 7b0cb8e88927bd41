// The scrubbable timeline: the state of every CPU after event t (which poll runs, the redirect info
// the helper last wrote, each bulk queue's fill, the last transmit, whether the poll flushed), folded
// from the model's event list (redirect-semantics.md §2 step 1, §3 step 2, §4 step 3). Checkpoints
// every CHECKPOINT events keep scrubbing through 200 000 events O(CHECKPOINT), not O(t).
import type { VisEvent } from '../../protocol/visualizer';

export interface QueueState {
  readonly id: string;
  fill: number;
  capacity: number;
  /** Frames transmitted from it during this poll, and how many of those were dropped. */
  sent: number;
  drops: number;
  lastErr?: string;
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
  /** True once the poll's xdp_do_flush ran. */
  flushed: boolean;
  totals: { polls: number; runs: number; enqueued: number; sent: number; dropped: number; flushes: number };
}

export const CHECKPOINT = 2048;

function clone(states: readonly CpuState[]): CpuState[] {
  return states.map((c) => ({ ...c, queues: c.queues.map((q) => ({ ...q })), totals: { ...c.totals } }));
}

function cpuOf(states: CpuState[], cpu: number): CpuState {
  let st = states[cpu];
  while (states.length <= cpu) {
    states.push({
      cpu: states.length,
      queues: [],
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
      const q = queueOf(c, ev.queue, 16);
      q.fill = 0;
      q.sent += ev.sent;
      q.drops += ev.drops;
      if (ev.err) q.lastErr = ev.err;
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
    case 'deliver':
    case 'kthread':
      break;
  }
}

export class TimelineIndex {
  private readonly checkpoints: CpuState[][] = [];

  constructor(
    readonly events: readonly VisEvent[],
    readonly cpus: number,
  ) {
    let st = this.initial();
    for (let t = 0; t < events.length; t++) {
      if (t % CHECKPOINT === 0) this.checkpoints.push(clone(st));
      applyEvent(st, events[t] as VisEvent, t);
    }
    st = [];
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
