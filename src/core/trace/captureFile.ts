// The saved capture (`*.xdpcapture.json`): what a remote capture produced, reopened offline by the
// results panel and compared with a simulation. Also the CSV export of its summary.
import { errnoInfo, errnoNumber } from './errnos';
import type { ProgramTable } from './programCounts';
import { checkSummary, type XdpSummary } from './summary';

export interface CaptureFile {
  readonly format: 'xdp-lab-capture';
  readonly version: 1;
  /** As the user named it (alias or user@host:port); never a secret. */
  readonly host: string;
  readonly tool: 'bpftrace' | 'perf';
  readonly kernel: string;
  /** ISO date of the start. */
  readonly startedAt: string;
  readonly durationSeconds: number;
  readonly status: string;
  readonly message?: string;
  readonly summary: XdpSummary;
  /** ifindex → device name on the host at probe time. */
  readonly devices: Record<string, string>;
  /** prog_id → redirects, errors by errno, exceptions by verdict. */
  readonly programs?: ProgramTable;
  /** prog_id → program name on the host at probe time (bpftool). */
  readonly programNames?: Record<string, string>;
  /** perf captures: every event in its `xdp:NAME: fields` text form (parsePerfScript reads it back). */
  readonly events?: readonly string[];
}

/** Validates parsed JSON as a capture file; returns a reason naming the bad field otherwise. */
export function checkCaptureFile(value: unknown): CaptureFile | string {
  if (typeof value !== 'object' || value === null) return 'not a JSON object';
  const v = value as Record<string, unknown>;
  if (v.format !== 'xdp-lab-capture')
    return 'format: expected "xdp-lab-capture" (not an XDP Lab capture file)';
  if (v.version !== 1) return `version: ${JSON.stringify(v.version)} is not supported (expected 1)`;
  for (const k of ['host', 'tool', 'kernel', 'startedAt', 'status'] as const)
    if (typeof v[k] !== 'string') return `${k}: expected a string`;
  if (v.tool !== 'bpftrace' && v.tool !== 'perf') return 'tool: expected "bpftrace" or "perf"';
  if (typeof v.durationSeconds !== 'number') return 'durationSeconds: expected a number';
  const s = checkSummary(v.summary);
  if (typeof s === 'string') return `summary.${s}`;
  if (typeof v.devices !== 'object' || v.devices === null) return 'devices: expected an object';
  for (const [k, n] of Object.entries(v.devices))
    if (typeof n !== 'string') return `devices.${k}: expected a string`;
  if (v.programs !== undefined) {
    if (typeof v.programs !== 'object' || v.programs === null) return 'programs: expected an object';
    for (const [id, p] of Object.entries(v.programs as Record<string, unknown>)) {
      const e = p as Record<string, unknown> | null;
      if (
        typeof e !== 'object' ||
        e === null ||
        typeof e.redirects !== 'number' ||
        typeof e.errors !== 'object' ||
        typeof e.exceptions !== 'object'
      )
        return `programs.${id}: expected {redirects, errors, exceptions}`;
    }
  }
  if (v.programNames !== undefined && (typeof v.programNames !== 'object' || v.programNames === null))
    return 'programNames: expected an object';
  if (v.events !== undefined && (!Array.isArray(v.events) || v.events.some((e) => typeof e !== 'string')))
    return 'events: expected an array of strings';
  return { ...(v as unknown as CaptureFile), summary: s };
}

function csvCell(text: string | number): string {
  const s = String(text);
  // Quote, and neutralise leading = + - @ so a spreadsheet never evaluates a device name.
  const safe = /^[=+\-@]/.test(s) && typeof text === 'string' ? `'${s}` : s;
  return /[",\n\r]/.test(safe) || safe !== s ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** One row per figure: section,key,subkey,value,explanation. */
export function captureCsv(c: CaptureFile): string {
  const rows: Array<Array<string | number>> = [['section', 'key', 'subkey', 'value', 'explanation']];
  const s = c.summary;
  for (const [k, n] of Object.entries(s.tracepoints)) rows.push(['tracepoint', k, '', n, '']);
  for (const [tp, hist] of Object.entries(s.errno))
    for (const [name, n] of Object.entries(hist)) {
      const num = errnoNumber(name);
      const info = num === undefined ? undefined : errnoInfo(num);
      rows.push(['errno', tp, name, n, info ? `${info.meaning}; fix: ${info.fix}` : '']);
    }
  rows.push(
    ['devmapXmit', 'sent', '', s.devmapXmit.sent, ''],
    ['devmapXmit', 'drops', '', s.devmapXmit.drops, ''],
  );
  rows.push(
    ['cpumap', 'enqueue', 'processed', s.cpumap.enqueue.processed, ''],
    ['cpumap', 'enqueue', 'drops', s.cpumap.enqueue.drops, ''],
    ['cpumap', 'kthread', 'processed', s.cpumap.kthread.processed, ''],
    ['cpumap', 'kthread', 'drops', s.cpumap.kthread.drops, ''],
  );
  for (const fl of Object.values(s.flows)) {
    const from = c.devices[fl.ifindex] ?? String(fl.ifindex);
    const to = c.devices[fl.to_ifindex] ?? String(fl.to_ifindex);
    const key = `${from} -> ${to}`;
    rows.push(
      ['flow', key, 'redirects', fl.redirects, ''],
      ['flow', key, 'sent', fl.sent, ''],
      ['flow', key, 'drops', fl.drops, ''],
    );
    for (const [e, n] of Object.entries(fl.errors)) rows.push(['flow', key, e, n, '']);
  }
  for (const [id, p] of Object.entries(c.programs ?? {})) {
    const key = `${c.programNames?.[id] ?? '?'} (id ${id})`;
    rows.push(['program', key, 'redirects', p.redirects, '']);
    for (const [e, n] of Object.entries(p.errors)) rows.push(['program', key, e, n, '']);
    for (const [a, n] of Object.entries(p.exceptions)) rows.push(['program', key, a, n, '']);
  }
  return rows.map((r) => r.map(csvCell).join(',')).join('\n') + '\n';
}
