// Reads `perf script` text of the xdp:* tracepoints back into typed events: the inverse of
// tracepoints.ts's formatter, derived from the same table (print formats of Linux 6.18); the common
// line is scanned in place (perfScriptScan.ts), every other and every bad line by regular expression.
import { newAsciiView, viewLine } from './asciiView';
import { newCommCache, scanPerfLine, scanTable } from './perfScriptScan';
import { removedTracepoints, tracepoints, xdpActionNames, xdpMemTypeNames } from './tracepoints';
import type { FieldPrint, PrintItem, TracepointInfo, XdpEvent } from './tracepoints';

/** What `perf script` prints before the event by default: `comm pid [cpu] secs.usecs:`. */
export interface PerfSampleHeader {
  comm: string;
  pid: number;
  cpu: number;
  /** Seconds as printed (microsecond text kept exact by the string). */
  time: string;
}

export interface ParsedPerfLine {
  event: XdpEvent;
  /** Absent for the bare `xdp:NAME: …` form (the simulator's --events file). */
  header?: PerfSampleHeader;
}

// ---- parsing -----------------------------------------------------------------------------------

/** A line that is not what the parser expected; `line` is 1-based, `text` the offending line (cut). */
export class TraceParseError extends Error {
  constructor(
    readonly line: number,
    readonly why: string,
    readonly text: string,
  ) {
    super(`line ${line}: ${why}: ${text.length > 120 ? text.slice(0, 117) + '...' : text}`);
  }
}

const numberPattern: Record<FieldPrint, string> = {
  d: '(-?\\d+)',
  u: '(\\d+)',
  act: '([A-Z]+|0x[0-9a-f]+)',
  memType: '([A-Z_0-9]+|0x[0-9a-f]+)',
  p: '(\\S+)',
  s: '(.*)',
};

interface CompiledEvent {
  info: TracepointInfo;
  re: RegExp;
}

function compile(info: TracepointInfo): CompiledEvent {
  const parts = info.items.map((i) => `${i.label}=${numberPattern[i.print]}`);
  const body = (info.prefix ? [info.prefix, ...parts] : parts).join(' ');
  return { info, re: new RegExp(`^${body}\\s*$`) };
}

const compiled = new Map<string, CompiledEvent>(tracepoints.map((t) => [t.name, compile(t)]));

/** The table as the in-place scanner reads it (compiled once from the same rows). */
const scanned = scanTable(tracepoints, xdpActionNames);

/** A field's text as a reason quotes it: whole when short, its start when huge (a 1 MB field stays one line). */
const quoted = (raw: string): string => (raw.length > 40 ? `${raw.slice(0, 37)}...` : raw);

function parseSymbol(table: readonly string[], text: string): number | undefined {
  if (text.startsWith('0x')) return parseInt(text.slice(2), 16);
  const i = table.indexOf(text);
  return i < 0 ? undefined : i;
}

/**
 * Parses the text after `xdp:NAME: ` into an event. Returns a reason string when it does not match
 * the 6.18 print format (so callers can name the line).
 */
export function parseEventFields(name: string, text: string): XdpEvent | string {
  const c = compiled.get(name);
  if (!c) {
    if (removedTracepoints.includes(name)) return `${name} was removed from the kernel in 6.16`;
    return `unknown tracepoint ${name}`;
  }
  const m = c.re.exec(text);
  if (!m)
    return `fields of ${name} do not match its 6.18 format "${c.info.prefix ? c.info.prefix + ' ' : ''}${c.info.items.map((i) => i.label + '=…').join(' ')}"`;
  const ev: Record<string, unknown> = { name };
  for (let k = 0; k < c.info.items.length; k++) {
    const item = c.info.items[k] as PrintItem;
    const raw = m[k + 1] as string;
    switch (item.print) {
      case 'd':
      case 'u': {
        const n = Number(raw);
        if (!Number.isSafeInteger(n) || n > 0xffffffff || n < -0x80000000)
          return `${item.label}=${quoted(raw)} is out of range`;
        ev[item.field] = n;
        break;
      }
      case 'act':
      case 'memType': {
        const n = parseSymbol(item.print === 'act' ? xdpActionNames : xdpMemTypeNames, raw);
        if (n === undefined) return `${item.label}=${quoted(raw)} is not a known value`;
        ev[item.field] = n;
        break;
      }
      case 'p':
      case 's':
        ev[item.field] = raw;
        break;
    }
  }
  return ev as unknown as XdpEvent;
}

// `comm pid [cpu] secs.usecs: xdp:name: rest`; comm is right-aligned to 16 columns and may hold
// spaces, so the header is matched from its end. `pid/tid` (perf script -F +tid) is accepted too.
// Found by its literal '[' (fast to scan for); what precedes it is `comm pid` or `comm pid/tid`.
const perfMarker = /\[(\d+)\]\s+(\d+\.\d+):\s+(?:\d+\s+)?([A-Za-z0-9_]+:[A-Za-z0-9_]+):\s?/;
const bareLine = /^([A-Za-z0-9_]+:[A-Za-z0-9_]+):\s?(.*)$/;
const pidPart = /^\d+(?:\/\d+)?$/;

/**
 * Parses one line of `perf script` output (default fields) or of the bare `xdp:NAME: …` form.
 * Throws TraceParseError naming `lineNo` when the line is neither.
 */
export function parsePerfScriptLine(text: string, lineNo: number): ParsedPerfLine {
  const bare = bareLine.exec(text);
  if (bare) {
    const ev = parseEventFields(bare[1] as string, bare[2] as string);
    if (typeof ev === 'string') throw new TraceParseError(lineNo, ev, text);
    return { event: ev };
  }
  const m = perfMarker.exec(text);
  const head = m ? text.slice(0, m.index).trimEnd() : '';
  const sp = head.lastIndexOf(' ');
  const pid = sp < 0 ? '' : head.slice(sp + 1);
  const comm = sp < 0 ? '' : head.slice(0, sp).trim();
  if (!m || !pidPart.test(pid) || !comm)
    throw new TraceParseError(
      lineNo,
      'not a perf script event line (expected "comm pid [cpu] time: xdp:name: fields")',
      text,
    );
  const ev = parseEventFields(m[3] as string, text.slice(m.index + m[0].length));
  if (typeof ev === 'string') throw new TraceParseError(lineNo, ev, text);
  return {
    event: ev,
    header: { comm, pid: parseInt(pid, 10), cpu: Number(m[1]), time: m[2] as string },
  };
}

export interface PerfScriptParse {
  events: ParsedPerfLine[];
  errors: TraceParseError[];
}

/**
 * Parses a whole `perf script` text. Bad lines are collected (up to `maxErrors`, each naming its
 * line) instead of aborting, so one truncated last line does not lose a capture. Blank lines and
 * perf's own `#` comments are skipped.
 */
export function parsePerfScript(text: string, maxErrors = 100): PerfScriptParse {
  const events: ParsedPerfLine[] = [];
  const errors: TraceParseError[] = [];
  const comms = newCommCache();
  const view = newAsciiView();
  let start = 0;
  let lineNo = 0;
  while (start <= text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    lineNo++;
    const lineStart = start;
    let lineEnd = end;
    start = end + 1;
    if (lineEnd > lineStart && text.charCodeAt(lineEnd - 1) === 13) lineEnd--;
    // The common line is read in place (perfScriptScan.ts); the rest, and every bad line, below.
    const fast = viewLine(view, text, lineStart, lineEnd)
      ? scanPerfLine(view.bytes, lineStart - view.base, lineEnd - view.base, scanned, comms, text, view.base)
      : undefined;
    if (fast) {
      events.push(fast as unknown as ParsedPerfLine);
      continue;
    }
    const line = text.slice(lineStart, lineEnd);
    if (line.length === 0 || line.trimStart().startsWith('#')) continue;
    try {
      events.push(parsePerfScriptLine(line, lineNo));
    } catch (e) {
      if (!(e instanceof TraceParseError)) throw e;
      if (errors.length < maxErrors) errors.push(e);
    }
  }
  return { events, errors };
}
