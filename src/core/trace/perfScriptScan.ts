// The fast path of the perf-script parser (perfScriptParse.ts parsePerfScript): reads one line in
// place — offsets into the whole text, char codes, no regex, no per-field substrings, no builtin
// calls per field — for the lines a capture is made of (perf's default header, or the bare
// `xdp:NAME: …` form, with d/u/act fields). It only ever accepts what the regex path accepts, with
// the same result; anything else (odd spacing, unknown names, out-of-range numbers, other field
// kinds) returns undefined and the regex path decides, so error messages stay where they are.

/** One tracepoint as the table gives it (tracepoints.ts TracepointInfo, read through this shape). */
export interface ScanSource {
  readonly name: string;
  /** Literal word(s) printed before the items, or ''. */
  readonly prefix: string;
  readonly items: ReadonlyArray<{ readonly label: string; readonly field: string; readonly print: string }>;
}

/** One tracepoint compiled for the scanner: its text as char codes, its fields' kinds, its builder. */
interface ScanEvent {
  readonly name: string;
  readonly nameCodes: readonly number[];
  /** `prefix ` as char codes when the print format starts with a literal word, else empty. */
  readonly prefixCodes: readonly number[];
  /** Per item, `label=` as char codes, and its kind: D, U or ACT (other kinds are never scanned). */
  readonly labelCodes: ReadonlyArray<readonly number[]>;
  readonly kinds: readonly number[];
  /** Reads the fields after `name: `; undefined when an item is neither d, u nor act (the regex path reads those). */
  readonly read: FieldReader | undefined;
}

/** Reads text[p, end) as one tracepoint's fields: its event, or undefined when the regex path must decide. */
type FieldReader = (text: string, p: number, end: number) => Record<string, unknown> | undefined;

/** The whole table compiled once (perfScriptParse.ts builds it from tracepoints.ts). */
export interface ScanTable {
  /** Tracepoints by the length of their `group:event` name (a line's name token picks its row). */
  readonly byLength: ReadonlyArray<readonly ScanEvent[] | undefined>;
  /** The act symbols (enum xdp_action order) by first letter - 'A': value and char codes. */
  readonly actByFirst: ReadonlyArray<
    ReadonlyArray<{ readonly value: number; readonly codes: readonly number[] }>
  >;
}

const D = 0;
const U = 1;
const ACT = 2;

const codesOf = (s: string): number[] => Array.from(s, (ch) => ch.charCodeAt(0));

/**
 * Compiles the tracepoint table and the act symbols for scanPerfLine. Each tracepoint's fields get
 * a reader generated from its row (its labels and symbols as constants: no table walk per line);
 * where code cannot be generated (a page whose CSP forbids eval, or `generate` false in tests) the
 * table-driven reader reads them, with the same results.
 */
export function scanTable(
  sources: readonly ScanSource[],
  actNames: readonly string[],
  generate = true,
): ScanTable {
  const byLength: ScanEvent[][] = [];
  const actByFirst: { value: number; codes: number[] }[][] = [];
  for (let a = 0; a < 26; a++) actByFirst.push([]);
  // Only upper-case symbols are read in place (the regex's [A-Z]+); any other is left to it.
  const acts = actNames.flatMap((n, value) => (/^[A-Z]+$/.test(n) ? [{ value, codes: codesOf(n) }] : []));
  for (const a of acts) actByFirst[(a.codes[0] as number) - 65]?.push(a);
  const table: ScanTable = { byLength, actByFirst };
  for (const t of sources) {
    const scannable = t.items.every((i) => i.print === 'd' || i.print === 'u' || i.print === 'act');
    const rows = {
      name: t.name,
      nameCodes: codesOf(t.name),
      prefixCodes: t.prefix ? codesOf(`${t.prefix} `) : [],
      labelCodes: t.items.map((i) => codesOf(`${i.label}=`)),
      kinds: t.items.map((i) => (i.print === 'act' ? ACT : i.print === 'u' ? U : D)),
    };
    const e: ScanEvent = { ...rows, read: undefined };
    const build = slowBuilder(t);
    const read = !scannable
      ? undefined
      : ((generate ? generatedReader(t, e, acts) : undefined) ??
        ((text: string, p: number, end: number) => scanFields(text, p, end, e, table, build)));
    (byLength[t.name.length] ??= []).push({ ...rows, read });
  }
  for (let i = 0; i < byLength.length; i++) byLength[i] ??= [];
  return table;
}

type EventBuilder = (vals: readonly number[]) => Record<string, unknown>;

/** The table-driven reader's event: fields added in print order, as the regex path adds them. */
const slowBuilder =
  (t: ScanSource): EventBuilder =>
  (vals) => {
    const ev: Record<string, unknown> = { name: t.name };
    for (let k = 0; k < t.items.length; k++) ev[(t.items[k] as ScanSource['items'][number]).field] = vals[k];
    return ev;
  };

/** `text.charCodeAt(p + i) === code && …` for each code of `codes`. */
const matchCodes = (codes: readonly number[]): string =>
  codes.map((c, i) => `text.charCodeAt(p + ${i}) === ${c}`).join(' && ');

/**
 * The reader of one tracepoint's fields as code: scanFields unrolled for its row (labels and act
 * symbols compared as constants, values in locals, the event one object literal in print order, as
 * the regex path builds it; a literal gets its final shape in one allocation). Everything in the
 * code comes from the tracepoint table (names JSON.stringify'd, codes as numbers). Undefined when
 * the host forbids generated code.
 */
function generatedReader(
  t: ScanSource,
  e: ScanEvent,
  acts: readonly { value: number; codes: readonly number[] }[],
): FieldReader | undefined {
  const out: string[] = ['let c = 0, n = 0, s = 0, neg = false;'];
  if (e.prefixCodes.length)
    out.push(`if (!(${matchCodes(e.prefixCodes)})) return undefined;`, `p += ${e.prefixCodes.length};`);
  e.labelCodes.forEach((label, k) => {
    if (k > 0) out.push('if (text.charCodeAt(p) !== 32) return undefined;', 'p++;');
    out.push(`if (!(${matchCodes(label)})) return undefined;`, `p += ${label.length};`);
    if (e.kinds[k] === ACT) {
      // __print_symbolic: one of the names, whole (the regex's [A-Z]+ then a non-letter).
      out.push(`let v${k} = -1;`);
      acts.forEach((a, i) => {
        const n = a.codes.length;
        out.push(
          `${i ? 'else ' : ''}if (${matchCodes(a.codes)} && !((c = text.charCodeAt(p + ${n})) >= 65 && c <= 90)) { v${k} = ${a.value}; p += ${n}; }`,
        );
      });
      out.push(`if (v${k} < 0) return undefined;`);
      return;
    }
    out.push(
      'neg = false;',
      `if (text.charCodeAt(p) === 45) { ${e.kinds[k] === D ? 'neg = true; p++;' : 'return undefined;'} }`,
      's = p;',
      'n = 0;',
      'while (p < end && (c = text.charCodeAt(p)) >= 48 && c <= 57) { n = n * 10 + (c - 48); p++; }',
      'if (p === s || p - s > 10) return undefined;',
      `const v${k} = neg ? -n : n;`,
      `if (v${k} > 4294967295 || v${k} < -2147483648) return undefined;`,
    );
  });
  out.push(
    'while (p < end && ((c = text.charCodeAt(p)) === 32 || c === 9)) p++;',
    'if (p !== end) return undefined;',
    `return { name: ${JSON.stringify(t.name)}, ${t.items.map((it, k) => `${JSON.stringify(it.field)}: v${k}`).join(', ')} };`,
  );
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    return new Function('text', 'p', 'end', out.join('\n')) as FieldReader;
  } catch {
    return undefined; // a page whose CSP forbids eval
  }
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
const LBRACKET = 91;
const RBRACKET = 93;
const HASH = 35;

const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isNameChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isBlank = (c: number): boolean => c === SP || c === TAB;
const isUpper = (c: number): boolean => c >= 65 && c <= 90;

/** True when text[p, p + codes.length) is `codes` (char by char: no builtin call, no substring). */
function codesAt(text: string, p: number, codes: readonly number[]): boolean {
  for (let i = 0; i < codes.length; i++) if (text.charCodeAt(p + i) !== codes[i]) return false;
  return true;
}

/**
 * The tracepoint whose `group:event:` starts at `p` (the regex's [A-Za-z0-9_]+:[A-Za-z0-9_]+ token,
 * then ':'), or undefined. The token is measured first, so only the names of its length are
 * compared, from their last char (the names share their `xdp:xdp_` start).
 */
function eventAt(text: string, p: number, end: number, table: ScanTable): ScanEvent | undefined {
  let q = p;
  while (q < end && isNameChar(text.charCodeAt(q))) q++;
  if (q === p || text.charCodeAt(q) !== COLON) return undefined;
  const s2 = ++q;
  while (q < end && isNameChar(text.charCodeAt(q))) q++;
  if (q === s2 || text.charCodeAt(q) !== COLON) return undefined;
  const row = table.byLength[q - p];
  if (row === undefined) return undefined;
  for (let r = 0; r < row.length; r++) {
    const e = row[r] as ScanEvent;
    const codes = e.nameCodes;
    let i = codes.length - 1;
    while (i >= 0 && text.charCodeAt(p + i) === codes[i]) i--;
    if (i < 0) return e;
  }
  return undefined;
}

// Values go into a reused array first: the object is built only for a line that scanned, with its
// properties added in one go in print order (as the regex path adds them).
const scratch: number[] = [];

/** The table-driven reader: text[p, end) as `e`'s fields; undefined when the regex path must decide. */
function scanFields(
  text: string,
  p: number,
  end: number,
  e: ScanEvent,
  table: ScanTable,
  build: EventBuilder,
): Record<string, unknown> | undefined {
  const prefix = e.prefixCodes;
  if (prefix.length) {
    if (!codesAt(text, p, prefix)) return undefined;
    p += prefix.length;
  }
  const labels = e.labelCodes;
  const kinds = e.kinds;
  const vals = scratch;
  for (let k = 0; k < labels.length; k++) {
    if (k > 0) {
      if (text.charCodeAt(p) !== SP) return undefined;
      p++;
    }
    const label = labels[k] as readonly number[];
    if (!codesAt(text, p, label)) return undefined;
    p += label.length;
    const kind = kinds[k];
    if (kind === ACT) {
      // __print_symbolic: one of the names, whole (the regex's [A-Z]+ then a non-letter).
      const row = table.actByFirst[text.charCodeAt(p) - 65];
      if (row === undefined) return undefined;
      let hit = -1;
      for (let a = 0; a < row.length; a++) {
        const sym = row[a] as { value: number; codes: readonly number[] };
        if (codesAt(text, p, sym.codes) && !isUpper(text.charCodeAt(p + sym.codes.length))) {
          hit = sym.value;
          p += sym.codes.length;
          break;
        }
      }
      if (hit < 0) return undefined;
      vals[k] = hit;
      continue;
    }
    let neg = false;
    if (text.charCodeAt(p) === MINUS) {
      if (kind !== D) return undefined;
      neg = true;
      p++;
    }
    const s = p;
    let n = 0;
    let c = 0;
    while (p < end && (c = text.charCodeAt(p)) >= 48 && c <= 57) {
      n = n * 10 + (c - 48);
      p++;
    }
    if (p === s || p - s > 10) return undefined;
    const v = neg ? -n : n;
    if (v > 0xffffffff || v < -0x80000000) return undefined;
    vals[k] = v;
  }
  while (p < end && isBlank(text.charCodeAt(p))) p++;
  if (p !== end) return undefined;
  return build(vals);
}

/**
 * A capture repeats a handful of comms: where the last one's column was read in this text is kept,
 * so a line with the same comm column (compared char by char in place) reuses its string instead
 * of slicing and trimming a new one (a 1 M-event parse keeps every header: fewer strings, less to
 * collect). One per parse of one text (offsets are into it), so nothing outlives the parse.
 */
export interface CommCache {
  start: number;
  length: number;
  comm: string;
}

export const newCommCache = (): CommCache => ({ start: 0, length: -1, comm: '' });

function commOf(text: string, start: number, end: number, cache: CommCache): string {
  const n = end - start;
  if (n === cache.length) {
    const last = cache.start;
    let i = 0;
    while (i < n && text.charCodeAt(start + i) === text.charCodeAt(last + i)) i++;
    if (i === n) return cache.comm;
  }
  cache.start = start;
  cache.length = n;
  cache.comm = text.slice(start, end).trim();
  return cache.comm;
}

/**
 * Scans text[start, end) (one line, no line break) as a perf-script or bare event line; undefined
 * when the regex path must decide (including every line it would reject).
 */
export function scanPerfLine(
  text: string,
  start: number,
  end: number,
  table: ScanTable,
  comms: CommCache,
): ScanResult | undefined {
  if (start === end) return undefined;
  const c0 = text.charCodeAt(start);
  if (isNameChar(c0)) {
    // Maybe the bare form; a line starting with a comm is left to the regex path.
    const e = eventAt(text, start, end, table);
    if (!e) return undefined;
    let p = start + e.nameCodes.length + 1;
    if (p < end && isBlank(text.charCodeAt(p))) p++;
    const event = e.read === undefined ? undefined : e.read(text, p, end);
    return event ? { event } : undefined;
  }
  // `comm pid [cpu] secs.usecs: [period ]xdp:name: fields`, found from the first '['. A comment
  // (`#`), a blank line or a line opening with anything but blanks and printable ASCII is left
  // to the regex path.
  let b = start;
  while (b < end && isBlank(text.charCodeAt(b))) b++;
  if (b === end) return undefined;
  const first = text.charCodeAt(b);
  if (first === HASH || first < 33 || first > 126) return undefined;
  // The first '[' (a char loop: comm is short, and an indexOf call costs more than the walk).
  let lb = b;
  while (lb < end && text.charCodeAt(lb) !== LBRACKET) lb++;
  if (lb === end) return undefined;
  let p = lb + 1;
  let cpu = 0;
  const cs = p;
  while (p < end && isDigit(text.charCodeAt(p))) cpu = cpu * 10 + (text.charCodeAt(p++) - 48);
  if (p === cs || p - cs > 15 || p === end || text.charCodeAt(p) !== RBRACKET) return undefined;
  p++;
  if (p === end || !isBlank(text.charCodeAt(p))) return undefined;
  while (p < end && isBlank(text.charCodeAt(p))) p++;
  const ts = p;
  while (p < end && isDigit(text.charCodeAt(p))) p++;
  if (p === ts || p === end || text.charCodeAt(p) !== DOT) return undefined;
  p++;
  const fs = p;
  while (p < end && isDigit(text.charCodeAt(p))) p++;
  if (p === fs || p === end || text.charCodeAt(p) !== COLON) return undefined;
  const timeEnd = p;
  p++;
  if (p === end || !isBlank(text.charCodeAt(p))) return undefined;
  while (p < end && isBlank(text.charCodeAt(p))) p++;
  if (p < end && isDigit(text.charCodeAt(p))) {
    // perf's optional period column: digits then blanks.
    const ds = p;
    while (p < end && isDigit(text.charCodeAt(p))) p++;
    if (p === end || !isBlank(text.charCodeAt(p))) p = ds;
    else while (p < end && isBlank(text.charCodeAt(p))) p++;
  }
  const e = eventAt(text, p, end, table);
  if (!e) return undefined;
  p += e.nameCodes.length + 1;
  if (p < end && isBlank(text.charCodeAt(p))) p++;
  // The head before '[': `comm pid` or `comm pid/tid`, blanks after it.
  let h = lb;
  while (h > start && isBlank(text.charCodeAt(h - 1))) h--;
  let q = h;
  while (q > start && isDigit(text.charCodeAt(q - 1))) q--;
  if (q < h && q > start && text.charCodeAt(q - 1) === SLASH) {
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
  const comm = commOf(text, start, q - 1, comms);
  if (!comm) return undefined;
  const event = e.read === undefined ? undefined : e.read(text, p, end);
  return event ? { event, header: { comm, pid, cpu, time: text.slice(ts, timeEnd) } } : undefined;
}
