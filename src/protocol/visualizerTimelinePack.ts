// The timeline as it crosses the webview boundary: one flat array of integers plus a table of the
// strings they name, instead of one object per event (issue 16 goal 5: a 100 000-event snapshot was
// 6.5 MB of small objects whose structured clone, parse and validation froze the page for a second).
// `packTimeline` runs in the host, `unpackTimeline` in the view and checks everything it reads; the
// view unpacks in steps (`unpackTimelineSteps`) across tasks, so a 100 000-event snapshot is no long frame.
import type { Schema } from './webviewEndpoint';
import type { VisEvent, VisModel, VisRingLevel, VisStatus } from './visualizer';

/**
 * The packed timeline. Each event is a record in `words`: `kind | flags << 4`, the cpu, then the
 * kind's fields in a fixed order (strings as indices into `strings`), then one group of words per
 * optional field whose flag is set. Words are integers from 0 to 2^31-1.
 */
export interface PackedTimeline {
  /** Number of events. */
  n: number;
  strings: string[];
  /**
   * The words as base64 of their varints (wordsToBase64): one string is the cheapest thing to clone
   * and JSON-parse (900 000 numbers as an array: 180-360 ms to clone in Chromium, a 4.8 MB string 40-65).
   */
  words: string;
}

const KINDS = ['poll', 'run', 'enqueue', 'xmit', 'flush', 'drop', 'deliver', 'kthread'] as const;
const FATES = ['stack', 'xsk', 'tx', 'wire', 'cpumap'] as const;
const KIND_CODE = new Map<string, number>(KINDS.map((k, i) => [k, i]));
const FATE_CODE = new Map<string, number>(FATES.map((f, i) => [f, i]));

// Optional-field flags, per kind.
const RUN_REDIRECT = 1;
const RUN_REDIRECT_MAP = 2;
const RUN_SOURCE = 4;
const RUN_CHAIN = 8;
const RUN_DECIDED = 16;
const RUN_MISS = 32;
const XMIT_ERR = 1;
const XMIT_FRAMES = 2;
const XMIT_RING = 4;
const XMIT_SKB = 8;
const DROP_ERRNO = 1;
const KTHREAD_RING = 1;
const KTHREAD_VERDICTS = 2;

/** The longest string the table may hold (the longest field a VisEvent has: a source file path). */
const MAX_STRING = 4096;
const MAX_EVENTS = 1 << 22;
/** 64 MiB of text: far above 100 000 events (~3.7 MB), far below what would hurt. */
const MAX_WORDS_BASE64 = 64 << 20;
/** Work between two yields of the stepwise pack and unpack: base64 characters, varint bytes, events. */
const STEP_CHARS = 1 << 17;
const STEP_BYTES = 1 << 17;
const STEP_EVENTS = 4096;

const isWord = (x: number): boolean => Number.isInteger(x) && x >= 0 && x <= MAX_WORD;

/**
 * Packs `events`; undefined when a number is negative or past 31 bits (the caller then sends the
 * events as they are — the schema takes both).
 */
export function packTimeline(events: readonly VisEvent[]): PackedTimeline | undefined {
  return finish(packTimelineSteps(events));
}

/**
 * packTimeline in steps: the generator yields after every few thousand events (and every 128 K
 * varint bytes of the base64), so a host spreads a 100 000-event timeline over slices of its event
 * loop (90 909 events packed at once: 125-300 ms in the extension host).
 */
export function* packTimelineSteps(
  events: readonly VisEvent[],
): Generator<undefined, PackedTimeline | undefined> {
  const strings: string[] = [];
  const index = new Map<string, number>();
  const words: number[] = [];
  let ok = true;
  const s = (text: string): void => {
    let i = index.get(text);
    if (i === undefined) {
      i = strings.length;
      strings.push(text);
      index.set(text, i);
    }
    words.push(i);
  };
  const n = (x: number): void => {
    if (!isWord(x)) ok = false;
    words.push(x);
  };
  const ring = (r: VisRingLevel): void => {
    s(r.name);
    n(r.fill);
    n(r.size);
    n(r.cpu);
  };
  for (let e = 0; e < events.length; e++) {
    if (e % STEP_EVENTS === 0 && e) yield;
    const ev = events[e] as VisEvent;
    const head = words.length;
    words.push(KIND_CODE.get(ev.k) ?? 0);
    n(ev.cpu);
    let flags = 0;
    switch (ev.k) {
      case 'poll':
        s(ev.device);
        n(ev.frames);
        break;
      case 'run':
        n(ev.frame);
        s(ev.device);
        s(ev.program);
        s(ev.action);
        if (ev.redirect) {
          flags |= RUN_REDIRECT;
          n(ev.redirect.key);
          s(ev.redirect.target);
          if (ev.redirect.map !== undefined) {
            flags |= RUN_REDIRECT_MAP;
            s(ev.redirect.map);
          }
        }
        if (ev.source) {
          flags |= RUN_SOURCE;
          s(ev.source.file);
          n(ev.source.line);
        }
        if (ev.chain !== undefined) {
          flags |= RUN_CHAIN;
          s(ev.chain);
        }
        if (ev.decidedBy !== undefined) {
          flags |= RUN_DECIDED;
          s(ev.decidedBy);
        }
        if (ev.miss) {
          flags |= RUN_MISS;
          s(ev.miss.text);
          s(ev.miss.why);
        }
        break;
      case 'enqueue':
        n(ev.frame);
        s(ev.queue);
        n(ev.fill);
        n(ev.capacity);
        break;
      case 'xmit':
        s(ev.queue);
        n(ev.sent);
        n(ev.drops);
        words.push(ev.flush ? 1 : 0);
        if (ev.err !== undefined) {
          flags |= XMIT_ERR;
          s(ev.err);
        }
        if (ev.frames) {
          flags |= XMIT_FRAMES;
          words.push(ev.frames.length);
          for (const f of ev.frames) n(f);
        }
        if (ev.ring) {
          flags |= XMIT_RING;
          ring(ev.ring);
        }
        if (ev.skb !== undefined) {
          flags |= XMIT_SKB;
          words.push(ev.skb ? 1 : 0);
        }
        break;
      case 'flush':
        s(ev.device);
        break;
      case 'drop':
        n(ev.frame);
        s(ev.device);
        s(ev.reason);
        if (ev.errno !== undefined) {
          flags |= DROP_ERRNO;
          s(ev.errno);
        }
        break;
      case 'deliver':
        n(ev.frame);
        s(ev.device);
        words.push(FATE_CODE.get(ev.fate) ?? 0);
        break;
      case 'kthread':
        s(ev.queue);
        n(ev.processed);
        n(ev.drops);
        if (ev.ring) {
          flags |= KTHREAD_RING;
          ring(ev.ring);
        }
        if (ev.verdicts) {
          flags |= KTHREAD_VERDICTS;
          n(ev.verdicts.pass);
          n(ev.verdicts.drop);
          n(ev.verdicts.redirect);
        }
        break;
    }
    words[head] = (words[head] as number) | (flags << 4);
  }
  if (!ok) return undefined;
  return { n: events.length, strings, words: yield* wordsToBase64Steps(words) };
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const B64_CODES = Array.from(B64, (c) => c.charCodeAt(0));
const B64_VALUE = new Int32Array(256).fill(-1);
B64_CODES.forEach((c, i) => (B64_VALUE[c] = i));
/** The largest word (values are counts, indices and small codes: never negative). */
const MAX_WORD = 0x7fffffff;

/**
 * The words as base64 of their unsigned LEB128 varints: most words are small (a cpu, an index into
 * the table, a fill), so 100 000 events take ~1.3 MB instead of 3.6 MB of int32s, and the page
 * decodes a third of the characters.
 */
export function wordsToBase64(words: readonly number[]): string {
  return finish(wordsToBase64Steps(words));
}

/** wordsToBase64 in steps (a yield every STEP_BYTES varint bytes or base64 input bytes). */
function* wordsToBase64Steps(words: readonly number[]): Generator<undefined, string> {
  const bytes = new Uint8Array(words.length * 5);
  let o = 0;
  let step = STEP_BYTES;
  for (let i = 0; i < words.length; i++) {
    if (o >= step) {
      step = o + STEP_BYTES;
      yield;
    }
    let x = words[i] as number;
    while (x > 127) {
      bytes[o++] = (x & 127) | 128;
      x >>>= 7;
    }
    bytes[o++] = x;
  }
  return yield* bytesToBase64Steps(bytes.subarray(0, o));
}

function* bytesToBase64Steps(bytes: Uint8Array): Generator<undefined, string> {
  const chunks: string[] = [];
  const codes = new Array<number>(8192);
  let k = 0;
  const n = bytes.length;
  for (let i = 0; i < n; i += 3) {
    if (i % (STEP_BYTES * 3) === 0 && i) yield;
    const b1 = i + 1 < n ? (bytes[i + 1] as number) : -1;
    const b2 = i + 2 < n ? (bytes[i + 2] as number) : -1;
    const v = ((bytes[i] as number) << 16) | (Math.max(0, b1) << 8) | Math.max(0, b2);
    codes[k++] = B64_CODES[v >>> 18] as number;
    codes[k++] = B64_CODES[(v >>> 12) & 63] as number;
    codes[k++] = b1 < 0 ? 61 : (B64_CODES[(v >>> 6) & 63] as number);
    codes[k++] = b2 < 0 ? 61 : (B64_CODES[v & 63] as number);
    if (k === codes.length) {
      chunks.push(String.fromCharCode(...codes));
      k = 0;
    }
  }
  if (k) chunks.push(String.fromCharCode(...codes.slice(0, k)));
  return chunks.join('');
}

/** The words of `text` (base64 of unsigned LEB128 varints), or why it is not that; yields between steps. */
function* base64ToWords(text: string): Generator<undefined, Int32Array | string> {
  const len = text.length;
  if (len % 4) return 'words: base64 length is not a multiple of 4';
  const pad = len && text.charCodeAt(len - 1) === 61 ? (text.charCodeAt(len - 2) === 61 ? 2 : 1) : 0;
  const bytes = new Uint8Array((len / 4) * 3);
  let o = 0;
  let bad = 0;
  for (let i = 0; i < len; i += 4) {
    if (i % STEP_CHARS === 0 && i) yield;
    const c0 = text.charCodeAt(i);
    const c1 = text.charCodeAt(i + 1);
    const c2 = text.charCodeAt(i + 2);
    const c3 = text.charCodeAt(i + 3);
    const last = i + 4 === len;
    const a = B64_VALUE[c0 & 255] as number;
    const b = B64_VALUE[c1 & 255] as number;
    const c = last && pad === 2 ? 0 : (B64_VALUE[c2 & 255] as number);
    const d = last && pad >= 1 ? 0 : (B64_VALUE[c3 & 255] as number);
    // Any character past 255 or outside the alphabet makes `bad` negative or non-zero above 255.
    bad |= a | b | c | d | ((c0 | c1 | c2 | c3) & ~255);
    const v = (a << 18) | (b << 12) | (c << 6) | d;
    bytes[o] = v >>> 16;
    bytes[o + 1] = (v >>> 8) & 255;
    bytes[o + 2] = v & 255;
    o += 3;
  }
  if (bad < 0 || bad > 255) return 'words: not base64';
  const n = o - pad;
  const words = new Int32Array(n);
  let count = 0;
  let nextYield = STEP_BYTES;
  for (let i = 0; i < n;) {
    if (i >= nextYield) {
      nextYield += STEP_BYTES;
      yield;
    }
    let x = 0;
    let shift = 0;
    for (;;) {
      if (i >= n) return 'words: the last varint is cut short';
      const byte = bytes[i++] as number;
      x += (byte & 127) * 2 ** shift;
      if (byte < 128) break;
      shift += 7;
      if (shift > 28) return 'words: a varint longer than 5 bytes';
    }
    if (x > MAX_WORD) return `words: ${x} is past 31 bits`;
    words[count++] = x;
  }
  return words.subarray(0, count);
}

/** The envelope's shape (sizes and types); `unpackTimeline` checks every word as it reads it. */
export const packedTimeline: Schema<PackedTimeline> = {
  check(x, p) {
    if (typeof x !== 'object' || x === null || Array.isArray(x)) return `${p} must be an object`;
    const r = x as Record<string, unknown>;
    for (const k of Object.keys(r))
      if (k !== 'n' && k !== 'strings' && k !== 'words') return `${p}.${k} is not a known field`;
    if (typeof r.n !== 'number' || !Number.isInteger(r.n) || r.n < 0 || r.n > MAX_EVENTS)
      return `${p}.n must be an integer from 0 to ${MAX_EVENTS}`;
    if (!Array.isArray(r.strings) || r.strings.length > MAX_EVENTS)
      return `${p}.strings must be an array of at most ${MAX_EVENTS} strings`;
    for (let i = 0; i < r.strings.length; i++) {
      const t: unknown = r.strings[i];
      if (typeof t !== 'string' || t.length > MAX_STRING)
        return `${p}.strings[${i}] must be a string of at most ${MAX_STRING} characters`;
    }
    if (typeof r.words !== 'string' || r.words.length > MAX_WORDS_BASE64)
      return `${p}.words must be a base64 string of at most ${MAX_WORDS_BASE64} characters`;
    return undefined;
  },
};

/** The events of a packed timeline, or why it is malformed (an index out of range, a bad kind, …). */
export function unpackTimeline(p: PackedTimeline): VisEvent[] | string {
  return finish(unpackTimelineSteps(p));
}

/** Runs a stepwise unpack to its end. */
function finish<T>(steps: Generator<undefined, T>): T {
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/**
 * unpackTimeline in steps: the generator yields after every few thousand events (and every 128 K
 * characters of the words), so a view can spread a large timeline over several tasks and draw
 * frames between them; the value it returns is unpackTimeline's.
 */
export function* unpackTimelineSteps(p: PackedTimeline): Generator<undefined, VisEvent[] | string> {
  const { strings } = p;
  const words = yield* base64ToWords(p.words);
  if (typeof words === 'string') return `timeline ${words}`;
  const out: VisEvent[] = new Array<VisEvent>(p.n);
  let at = 0;
  let bad: string | undefined;
  const fail = (why: string): number => {
    bad ??= `timeline word ${at}: ${why}`;
    return 0;
  };
  const word = (): number => (at < words.length ? (words[at++] as number) : fail('ends early'));
  const nat = (min = 0): number => {
    const x = word();
    return x >= min ? x : fail(`${x} is below ${min}`);
  };
  const str = (): string => {
    const i = word();
    const t = strings[i];
    if (t === undefined) {
      fail(`string ${i} is not in the table`);
      return '';
    }
    return t;
  };
  const ringLevel = (): VisRingLevel => {
    const name = str();
    const fill = nat();
    const size = nat(1);
    const cpu = nat();
    return { name, fill, size, cpu: cpu <= 4096 ? cpu : fail(`cpu ${cpu}`) };
  };
  for (let e = 0; e < p.n && bad === undefined; e++) {
    if (e % STEP_EVENTS === 0 && e) yield;
    const head = word();
    const kind = KINDS[head & 15];
    const flags = head >>> 4;
    const cpu = nat();
    if (cpu > 4096) fail(`cpu ${cpu}`);
    let ev: VisEvent;
    switch (kind) {
      case 'poll':
        ev = { k: 'poll', cpu, device: str(), frames: nat() };
        break;
      case 'run': {
        const run: Extract<VisEvent, { k: 'run' }> = {
          k: 'run',
          cpu,
          frame: nat(),
          device: str(),
          program: str(),
          action: str(),
        };
        if (flags & RUN_REDIRECT) {
          const key = nat();
          const target = str();
          run.redirect = flags & RUN_REDIRECT_MAP ? { map: str(), key, target } : { key, target };
        }
        if (flags & RUN_SOURCE) run.source = { file: str(), line: nat(1) };
        if (flags & RUN_CHAIN) run.chain = str();
        if (flags & RUN_DECIDED) run.decidedBy = str();
        if (flags & RUN_MISS) run.miss = { text: str(), why: str() };
        ev = run;
        break;
      }
      case 'enqueue':
        ev = { k: 'enqueue', cpu, frame: nat(), queue: str(), fill: nat(), capacity: nat(1) };
        break;
      case 'xmit': {
        const x: Extract<VisEvent, { k: 'xmit' }> = {
          k: 'xmit',
          cpu,
          queue: str(),
          sent: nat(),
          drops: nat(),
          flush: word() === 1,
        };
        if (flags & XMIT_ERR) x.err = str();
        if (flags & XMIT_FRAMES) {
          const len = nat();
          if (len > words.length - at) fail(`${len} frames past the end`);
          else {
            const frames = new Array<number>(len);
            for (let i = 0; i < len; i++) frames[i] = nat();
            x.frames = frames;
          }
        }
        if (flags & XMIT_RING) x.ring = ringLevel();
        if (flags & XMIT_SKB) x.skb = word() === 1;
        ev = x;
        break;
      }
      case 'flush':
        ev = { k: 'flush', cpu, device: str() };
        break;
      case 'drop': {
        const d: Extract<VisEvent, { k: 'drop' }> = {
          k: 'drop',
          cpu,
          frame: nat(),
          device: str(),
          reason: str(),
        };
        if (flags & DROP_ERRNO) d.errno = str();
        ev = d;
        break;
      }
      case 'deliver': {
        const frame = nat();
        const device = str();
        const fate = FATES[word()];
        if (!fate) fail('unknown fate');
        ev = { k: 'deliver', cpu, frame, device, fate: fate ?? 'stack' };
        break;
      }
      case 'kthread': {
        const k: Extract<VisEvent, { k: 'kthread' }> = {
          k: 'kthread',
          cpu,
          queue: str(),
          processed: nat(),
          drops: nat(),
        };
        if (flags & KTHREAD_RING) k.ring = ringLevel();
        if (flags & KTHREAD_VERDICTS) k.verdicts = { pass: nat(), drop: nat(), redirect: nat() };
        ev = k;
        break;
      }
      default:
        fail(`unknown event kind ${head & 15}`);
        ev = { k: 'flush', cpu, device: '' };
    }
    out[e] = ev;
  }
  if (bad !== undefined) return bad;
  if (at !== words.length) return `timeline: ${words.length - at} words after the last event`;
  return out;
}

const packedOnce = new WeakMap<readonly VisEvent[], PackedTimeline | null>();

/**
 * A didSnapshot's params as a host sends them: the timeline packed (or as it is, when it cannot be).
 * `packedBefore`: the model's timeline, packed already by whoever made the model (a run in a worker
 * sends its model with `timeline` empty and this beside it).
 */
export function snapshotParams(
  model: VisModel,
  status: VisStatus,
  packedBefore?: PackedTimeline,
): { model: VisModel; status: VisStatus; timeline?: PackedTimeline } {
  if (!model.timeline.length)
    return packedBefore ? { model, status, timeline: packedBefore } : { model, status };
  // A panel sends the same model again when its view reloads: pack each timeline once.
  const packed = finish(packOnceSteps(model.timeline));
  return packed ? { model: { ...model, timeline: [] }, status, timeline: packed } : { model, status };
}

/**
 * Packs the model's timeline in steps for the snapshotParams that follow (which then take no time):
 * a host runs it in slices of its event loop before it sends a large snapshot.
 */
export function* prepareSnapshotSteps(model: VisModel): Generator<undefined, void> {
  if (model.timeline.length) yield* packOnceSteps(model.timeline);
}

function* packOnceSteps(timeline: readonly VisEvent[]): Generator<undefined, PackedTimeline | null> {
  let packed = packedOnce.get(timeline);
  if (packed === undefined) {
    packed = (yield* packTimelineSteps(timeline)) ?? null;
    packedOnce.set(timeline, packed);
  }
  return packed;
}

/** The model a didSnapshot carries, its packed timeline unpacked; a string says why it cannot be. */
export function snapshotModel(params: { model: VisModel; timeline?: PackedTimeline }): VisModel | string {
  return finish(snapshotModelSteps(params));
}

/** snapshotModel in steps (see unpackTimelineSteps). */
export function* snapshotModelSteps(params: {
  model: VisModel;
  timeline?: PackedTimeline;
}): Generator<undefined, VisModel | string> {
  if (!params.timeline) return params.model;
  if (params.model.timeline.length)
    return 'didSnapshot: a packed timeline comes with an empty model.timeline';
  const events = yield* unpackTimelineSteps(params.timeline);
  return typeof events === 'string' ? `didSnapshot: ${events}` : { ...params.model, timeline: events };
}
