// The fast path of the perf-script parser (perfScriptParse.ts parsePerfScript): reads one line in
// place — the text's ASCII bytes (asciiView.ts), no regex, no per-field substrings, no builtin calls
// per field — for the lines a capture is made of (perf's default header, or the bare
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
type FieldReader = (b: Uint8Array, p: number, end: number) => Record<string, unknown> | undefined;

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
        ((b: Uint8Array, p: number, end: number) => scanFields(b, p, end, e, table, build)));
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

/** `at(b, p + i) === code && …` for each code of `codes`. */
const matchCodes = (codes: readonly number[]): string =>
  codes.map((c, i) => `b[p + ${i}] === ${c}`).join(' && ');

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
    if (k > 0) out.push('if (b[p] !== 32) return undefined;', 'p++;');
    out.push(`if (!(${matchCodes(label)})) return undefined;`, `p += ${label.length};`);
    if (e.kinds[k] === ACT) {
      // __print_symbolic: one of the names, whole (the regex's [A-Z]+ then a non-letter).
      out.push(`let v${k} = -1;`);
      acts.forEach((a, i) => {
        const n = a.codes.length;
        out.push(
          `${i ? 'else ' : ''}if (${matchCodes(a.codes)} && !((c = b[p + ${n}]) >= 65 && c <= 90)) { v${k} = ${a.value}; p += ${n}; }`,
        );
      });
      out.push(`if (v${k} < 0) return undefined;`);
      return;
    }
    out.push(
      'neg = false;',
      `if (b[p] === 45) { ${e.kinds[k] === D ? 'neg = true; p++;' : 'return undefined;'} }`,
      's = p;',
      'n = 0;',
      'while (p < end && (c = b[p]) >= 48 && c <= 57) { n = n * 10 + (c - 48); p++; }',
      'if (p === s || p - s > 10) return undefined;',
      `const v${k} = neg ? -n : n;`,
      `if (v${k} > 4294967295 || v${k} < -2147483648) return undefined;`,
    );
  });
  out.push(
    'while (p < end && ((c = b[p]) === 32 || c === 9)) p++;',
    'if (p !== end) return undefined;',
    `return { name: ${JSON.stringify(t.name)}, ${t.items.map((it, k) => `${JSON.stringify(it.field)}: v${k}`).join(', ')} };`,
  );
  try {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval
    return new Function('b', 'p', 'end', out.join('\n')) as FieldReader;
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

/** The byte at i; past the buffer undefined, which compares false with every code as charCodeAt's NaN did. */
const at = (b: Uint8Array, i: number): number => b[i] as number;
const isDigit = (c: number): boolean => c >= 48 && c <= 57;
const isNameChar = (c: number): boolean =>
  (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95;
const isBlank = (c: number): boolean => c === SP || c === TAB;
const isUpper = (c: number): boolean => c >= 65 && c <= 90;

/** True when text[p, p + codes.length) is `codes` (char by char: no builtin call, no substring). */
function codesAt(b: Uint8Array, p: number, codes: readonly number[]): boolean {
  for (let i = 0; i < codes.length; i++) if (at(b, p + i) !== codes[i]) return false;
  return true;
}

/**
 * The tracepoint whose `group:event:` starts at `p` (the regex's [A-Za-z0-9_]+:[A-Za-z0-9_]+ token,
 * then ':'), or undefined. The token is measured first, so only the names of its length are
 * compared, from their last char (the names share their `xdp:xdp_` start).
 */
function eventAt(b: Uint8Array, p: number, end: number, table: ScanTable): ScanEvent | undefined {
  let q = p;
  while (q < end && isNameChar(at(b, q))) q++;
  if (q === p || at(b, q) !== COLON) return undefined;
  const s2 = ++q;
  while (q < end && isNameChar(at(b, q))) q++;
  if (q === s2 || at(b, q) !== COLON) return undefined;
  const row = table.byLength[q - p];
  if (row === undefined) return undefined;
  for (let r = 0; r < row.length; r++) {
    const e = row[r] as ScanEvent;
    const codes = e.nameCodes;
    let i = codes.length - 1;
    while (i >= 0 && at(b, p + i) === codes[i]) i--;
    if (i < 0) return e;
  }
  return undefined;
}

// Values go into a reused array first: the object is built only for a line that scanned, with its
// properties added in one go in print order (as the regex path adds them).
const scratch: number[] = [];

/** The table-driven reader: text[p, end) as `e`'s fields; undefined when the regex path must decide. */
function scanFields(
  b: Uint8Array,
  p: number,
  end: number,
  e: ScanEvent,
  table: ScanTable,
  build: EventBuilder,
): Record<string, unknown> | undefined {
  const prefix = e.prefixCodes;
  if (prefix.length) {
    if (!codesAt(b, p, prefix)) return undefined;
    p += prefix.length;
  }
  const labels = e.labelCodes;
  const kinds = e.kinds;
  const vals = scratch;
  for (let k = 0; k < labels.length; k++) {
    if (k > 0) {
      if (at(b, p) !== SP) return undefined;
      p++;
    }
    const label = labels[k] as readonly number[];
    if (!codesAt(b, p, label)) return undefined;
    p += label.length;
    const kind = kinds[k];
    if (kind === ACT) {
      // __print_symbolic: one of the names, whole (the regex's [A-Z]+ then a non-letter).
      const row = table.actByFirst[at(b, p) - 65];
      if (row === undefined) return undefined;
      let hit = -1;
      for (let a = 0; a < row.length; a++) {
        const sym = row[a] as { value: number; codes: readonly number[] };
        if (codesAt(b, p, sym.codes) && !isUpper(at(b, p + sym.codes.length))) {
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
    if (at(b, p) === MINUS) {
      if (kind !== D) return undefined;
      neg = true;
      p++;
    }
    const s = p;
    let n = 0;
    let c = 0;
    while (p < end && (c = at(b, p)) >= 48 && c <= 57) {
      n = n * 10 + (c - 48);
      p++;
    }
    if (p === s || p - s > 10) return undefined;
    const v = neg ? -n : n;
    if (v > 0xffffffff || v < -0x80000000) return undefined;
    vals[k] = v;
  }
  while (p < end && isBlank(at(b, p))) p++;
  if (p !== end) return undefined;
  return build(vals);
}

/**
 * A capture repeats a handful of comms: the last comm column's bytes are kept, so a line with the
 * same column (compared byte by byte) reuses its string instead of slicing and trimming a new one
 * (a 1 M-event parse keeps every header: fewer strings, less to collect). One per parse.
 */
export interface CommCache {
  raw: Uint8Array;
  length: number;
  comm: string;
}

export const newCommCache = (): CommCache => ({ raw: new Uint8Array(64), length: -1, comm: '' });

function commOf(
  b: Uint8Array,
  start: number,
  end: number,
  text: string,
  base: number,
  cache: CommCache,
): string {
  const n = end - start;
  const raw = cache.raw;
  if (n === cache.length) {
    let i = 0;
    while (i < n && b[start + i] === raw[i]) i++;
    if (i === n) return cache.comm;
  }
  const comm = text.slice(base + start, base + end).trim();
  if (n <= raw.length) {
    raw.set(b.subarray(start, end));
    cache.length = n;
    cache.comm = comm;
  }
  return comm;
}

/**
 * Scans one line as a perf-script or bare event line: text[base + start, base + end) as
 * b[start, end) (an AsciiView's bytes, no line break); undefined when the regex path must decide (including
 * every line it would reject).
 */
export function scanPerfLine(
  b: Uint8Array,
  start: number,
  end: number,
  table: ScanTable,
  comms: CommCache,
  text: string,
  base: number,
): ScanResult | undefined {
  if (start === end) return undefined;
  const c0 = at(b, start);
  if (isNameChar(c0)) {
    // Maybe the bare form; a line starting with a comm is left to the regex path.
    const e = eventAt(b, start, end, table);
    if (!e) return undefined;
    let p = start + e.nameCodes.length + 1;
    if (p < end && isBlank(at(b, p))) p++;
    const event = e.read === undefined ? undefined : e.read(b, p, end);
    return event ? { event } : undefined;
  }
  // `comm pid [cpu] secs.usecs: [period ]xdp:name: fields`, found from the first '['. A comment
  // (`#`), a blank line or a line opening with anything but blanks and printable ASCII is left
  // to the regex path.
  let nb = start;
  while (nb < end && isBlank(at(b, nb))) nb++;
  if (nb === end) return undefined;
  const first = at(b, nb);
  if (first === HASH || first < 33 || first > 126) return undefined;
  // The first '[' (a char loop: comm is short, and an indexOf call costs more than the walk).
  let lb = nb;
  while (lb < end && at(b, lb) !== LBRACKET) lb++;
  if (lb === end) return undefined;
  let p = lb + 1;
  let cpu = 0;
  const cs = p;
  while (p < end && isDigit(at(b, p))) cpu = cpu * 10 + (at(b, p++) - 48);
  if (p === cs || p - cs > 15 || p === end || at(b, p) !== RBRACKET) return undefined;
  p++;
  if (p === end || !isBlank(at(b, p))) return undefined;
  while (p < end && isBlank(at(b, p))) p++;
  const ts = p;
  while (p < end && isDigit(at(b, p))) p++;
  if (p === ts || p === end || at(b, p) !== DOT) return undefined;
  p++;
  const fs = p;
  while (p < end && isDigit(at(b, p))) p++;
  if (p === fs || p === end || at(b, p) !== COLON) return undefined;
  const timeEnd = p;
  p++;
  if (p === end || !isBlank(at(b, p))) return undefined;
  while (p < end && isBlank(at(b, p))) p++;
  if (p < end && isDigit(at(b, p))) {
    // perf's optional period column: digits then blanks.
    const ds = p;
    while (p < end && isDigit(at(b, p))) p++;
    if (p === end || !isBlank(at(b, p))) p = ds;
    else while (p < end && isBlank(at(b, p))) p++;
  }
  const e = eventAt(b, p, end, table);
  if (!e) return undefined;
  p += e.nameCodes.length + 1;
  if (p < end && isBlank(at(b, p))) p++;
  // The head before '[': `comm pid` or `comm pid/tid`, blanks after it.
  let h = lb;
  while (h > start && isBlank(at(b, h - 1))) h--;
  let q = h;
  while (q > start && isDigit(at(b, q - 1))) q--;
  if (q < h && q > start && at(b, q - 1) === SLASH) {
    // `pid/tid`: q is at the tid's digits; the pid's are before the slash.
    q--;
    const pe = q;
    while (q > start && isDigit(at(b, q - 1))) q--;
    if (q === pe) return undefined;
  }
  if (q === h || q <= start || at(b, q - 1) !== SP) return undefined;
  let pid = 0;
  let pidDigits = 0;
  for (let i = q; i < h && isDigit(at(b, i)); i++, pidDigits++) pid = pid * 10 + (at(b, i) - 48);
  if (pidDigits > 15) return undefined;
  const comm = commOf(b, start, q - 1, text, base, comms);
  if (!comm) return undefined;
  const event = e.read === undefined ? undefined : e.read(b, p, end);
  return event
    ? { event, header: { comm, pid, cpu, time: text.slice(base + ts, base + timeEnd) } }
    : undefined;
}
