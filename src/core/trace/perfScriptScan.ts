// The fast path of the perf-script parser (tracepoints.ts parsePerfScript): reads one line in place
// — offsets into the whole text, char codes, no regex, no per-field substrings — for the lines a
// capture is made of (perf's default header, or the bare `xdp:NAME: …` form, with d/u/act fields).
// It only ever accepts what the regex path accepts, with the same result; anything else (odd
// spacing, unknown names, out-of-range numbers, other field kinds) returns undefined and the regex
// path decides, so error messages stay where they are.

/** One tracepoint as the scanner needs it (built by tracepoints.ts from its table). */
export interface ScanEvent {
  readonly name: string;
  /** `prefix ` when the print format starts with a literal word, else ''. */
  readonly prefix: string;
  readonly items: ReadonlyArray<{ readonly labelEq: string; readonly field: string; readonly print: string }>;
  /** True when every item is d, u or act (the only kinds scanned here). */
  readonly scannable: boolean;
}

export interface ScanHeader {
  comm: string;
  pid: number;
  cpu: number;
  time: string;
}

export interface ScanResult {
  event: Record<string, unknown>;
  header?: ScanHeader;
}

const SP = 32;
const TAB = 9;
const COLON = 58;
const DOT = 46;
const MINUS = 45;
const SLASH = 47;
const RBRACKET = 93;
const HASH = 35;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isNameChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isBlank = (c: number): boolean => c === SP || c === TAB;

/** The tracepoint whose `name:` starts at `p` (the whole [A-Za-z0-9_]+:[A-Za-z0-9_]+ token), or undefined. */
function eventAt(text: string, p: number, events: readonly ScanEvent[]): ScanEvent | undefined {
  for (const e of events)
    if (text.startsWith(e.name, p) && text.charCodeAt(p + e.name.length) === COLON) return e;
  return undefined;
}

/** Parses text[p, end) as `e`'s fields; undefined when the regex path must decide. */
function scanFields(
  text: string,
  p: number,
  end: number,
  e: ScanEvent,
  actNames: readonly string[],
): Record<string, unknown> | undefined {
  if (!e.scannable) return undefined;
  if (e.prefix) {
    if (!text.startsWith(e.prefix, p)) return undefined;
    p += e.prefix.length;
  }
  // Values go into a reused array first: the object is built only for a line that scanned, with
  // its properties added in one go in print order (as the regex path adds them).
  const items = e.items;
  const vals = scratch;
  for (let k = 0; k < items.length; k++) {
    const item = items[k] as ScanEvent['items'][number];
    if (k > 0) {
      if (text.charCodeAt(p) !== SP) return undefined;
      p++;
    }
    if (!text.startsWith(item.labelEq, p)) return undefined;
    p += item.labelEq.length;
    if (item.print === 'act') {
      let hit = -1;
      for (let a = 0; a < actNames.length; a++) {
        const n = actNames[a] as string;
        if (text.startsWith(n, p) && !isUpper(text.charCodeAt(p + n.length))) {
          hit = a;
          p += n.length;
          break;
        }
      }
      if (hit < 0) return undefined;
      vals[k] = hit;
      continue;
    }
    let neg = false;
    if (text.charCodeAt(p) === MINUS) {
      if (item.print !== 'd') return undefined;
      neg = true;
      p++;
    }
    const s = p;
    let n = 0;
    while (p < end && isDigit(text.charCodeAt(p))) n = n * 10 + (text.charCodeAt(p++) - 48);
    if (p === s || p - s > 10) return undefined;
    const v = neg ? -n : n;
    if (v > 0xffffffff || v < -0x80000000) return undefined;
    vals[k] = v;
  }
  while (p < end && isBlank(text.charCodeAt(p))) p++;
  if (p !== end) return undefined;
  return builderOf(e)(vals);
}

type EventBuilder = (vals: readonly number[]) => Record<string, unknown>;

const slowBuilder =
  (e: ScanEvent): EventBuilder =>
  (vals) => {
    const ev: Record<string, unknown> = { name: e.name };
    for (let k = 0; k < e.items.length; k++) ev[(e.items[k] as ScanEvent['items'][number]).field] = vals[k];
    return ev;
  };
const builders = new Map<ScanEvent, EventBuilder>();

/**
 * The event object of `e` from its scanned values: one object literal per tracepoint, made once
 * (a literal gets its final shape in one allocation; adding the fields one by one by name was a
 * keyed store per field and a shape transition each). Names come from the tracepoint table only.
 */
function builderOf(e: ScanEvent): EventBuilder {
  let b = builders.get(e);
  if (b === undefined) {
    const fields = e.items.map((it, k) => `${JSON.stringify(it.field)}: v[${k}]`);
    try {
      // eslint-disable-next-line @typescript-eslint/no-implied-eval
      b = new Function(
        'v',
        `return { name: ${JSON.stringify(e.name)}, ${fields.join(', ')} };`,
      ) as EventBuilder;
    } catch {
      b = slowBuilder(e); // a page whose CSP forbids eval
    }
    builders.set(e, b);
  }
  return b;
}

const isUpper = (c: number): boolean => c >= 65 && c <= 90;
const scratch: number[] = [];

// A capture repeats a handful of comms: the last one's raw text is kept, so a line with the same
// comm column reuses its string instead of slicing and trimming a new one (a 1 M-event parse
// keeps every header: fewer strings, less to collect).
let lastRaw = '';
let lastComm = '';

function commOf(text: string, start: number, end: number): string {
  if (end - start === lastRaw.length && text.startsWith(lastRaw, start)) return lastComm;
  lastRaw = text.slice(start, end);
  lastComm = lastRaw.trim();
  return lastComm;
}

/**
 * Scans text[start, end) (one line, no line break) as a perf-script or bare event line; undefined
 * when the regex path must decide (including every line it would reject).
 */
export function scanPerfLine(
  text: string,
  start: number,
  end: number,
  events: readonly ScanEvent[],
  actNames: readonly string[],
): ScanResult | undefined {
  const c0 = text.charCodeAt(start);
  if (isNameChar(c0)) {
    // Maybe the bare form; a line starting with a comm is left to the regex path.
    const e = eventAt(text, start, events);
    if (!e) return undefined;
    let p = start + e.name.length + 1;
    if (p < end && isBlank(text.charCodeAt(p))) p++;
    const event = scanFields(text, p, end, e, actNames);
    return event ? { event } : undefined;
  }
  // `comm pid [cpu] secs.usecs: [period ]xdp:name: fields`, found from the first '['. A comment
  // (`#`), a blank line or a line opening with anything but blanks and printable ASCII is left
  // to the regex path.
  let b = start;
  while (b < end && isBlank(text.charCodeAt(b))) b++;
  const first = text.charCodeAt(b);
  if (b === end || first === HASH || first < 33 || first > 126) return undefined;
  const lb = text.indexOf('[', start);
  if (lb < 0 || lb >= end) return undefined;
  let p = lb + 1;
  let cpu = 0;
  const cs = p;
  while (p < end && isDigit(text.charCodeAt(p))) cpu = cpu * 10 + (text.charCodeAt(p++) - 48);
  if (p === cs || p - cs > 15 || text.charCodeAt(p) !== RBRACKET) return undefined;
  p++;
  if (!isBlank(text.charCodeAt(p))) return undefined;
  while (p < end && isBlank(text.charCodeAt(p))) p++;
  const ts = p;
  while (p < end && isDigit(text.charCodeAt(p))) p++;
  if (p === ts || text.charCodeAt(p) !== DOT) return undefined;
  p++;
  const fs = p;
  while (p < end && isDigit(text.charCodeAt(p))) p++;
  if (p === fs || text.charCodeAt(p) !== COLON) return undefined;
  const time = text.slice(ts, p);
  p++;
  if (!isBlank(text.charCodeAt(p))) return undefined;
  while (p < end && isBlank(text.charCodeAt(p))) p++;
  if (isDigit(text.charCodeAt(p))) {
    // perf's optional period column: digits then blanks.
    const ds = p;
    while (p < end && isDigit(text.charCodeAt(p))) p++;
    if (!isBlank(text.charCodeAt(p))) p = ds;
    else while (p < end && isBlank(text.charCodeAt(p))) p++;
  }
  const e = eventAt(text, p, events);
  if (!e) return undefined;
  p += e.name.length + 1;
  if (p < end && isBlank(text.charCodeAt(p))) p++;
  // The head before '[': `comm pid` or `comm pid/tid`, blanks after it.
  let h = lb;
  while (h > start && isBlank(text.charCodeAt(h - 1))) h--;
  let q = h;
  while (q > start && isDigit(text.charCodeAt(q - 1))) q--;
  if (q < h && text.charCodeAt(q - 1) === SLASH) {
    // `pid/tid`: q is at the tid's digits; the pid's are before the slash.
    q--;
    const pe = q;
    while (q > start && isDigit(text.charCodeAt(q - 1))) q--;
    if (q === pe) return undefined;
  }
  if (q === h || q <= start || text.charCodeAt(q - 1) !== SP) return undefined;
  let pid = 0;
  let pidDigits = 0;
  for (let i = q; i < h && isDigit(text.charCodeAt(i)); i++, pidDigits++)
    pid = pid * 10 + (text.charCodeAt(i) - 48);
  if (pidDigits > 15) return undefined;
  const comm = commOf(text, start, q - 1);
  if (!comm) return undefined;
  const event = scanFields(text, p, end, e, actNames);
  return event ? { event, header: { comm, pid, cpu, time } } : undefined;
}
