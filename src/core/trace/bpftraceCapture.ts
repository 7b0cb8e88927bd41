// The bpftrace capture: the script (built only from tracepoints the host has) and the parser of
// its `-f json` stream into cumulative snapshots in the summary shape. bpftrace prints one JSON object
// per line; every map is cumulative, so the last value of each map is the state (kernel-lab.md
// "Captures"). A `printf("tick")` after each second's prints delimits one snapshot.
import { addCount, addErrno, emptySummary, flowKey, type XdpSummary } from './summary';
import { errnoName } from './errnos';
import { actionName, addProgramCount, type ProgramTable } from './programCounts';
import { isXdpTracepointName } from './tracepoints';

export interface BpftraceScriptOptions {
  /** `xdp:NAME` tracepoints that exist on the host (from the probe); the script names only these. */
  readonly available: readonly string[];
  /** Only count events whose ifindex/from_ifindex/to_ifindex is one of these (all when empty). */
  readonly ifindexes?: readonly number[];
  /** Seconds between snapshots (default 1). */
  readonly intervalSeconds?: number;
  /** Stop after this many seconds counted from attach (bpftrace's own clock); 0/absent = never. */
  readonly durationSeconds?: number;
}

const tick = 'xdp-lab-tick';

function probes(available: readonly string[], names: readonly string[]): string[] {
  return names.filter((n) => available.includes(n)).map((n) => `tracepoint:${n}`);
}

/** Builds the bpftrace program. Throws when the host has none of the xdp tracepoints. */
export function buildBpftraceScript(o: BpftraceScriptOptions): string {
  const all = o.available.filter(isXdpTracepointName);
  if (all.length === 0) throw new Error('the host reports no xdp:* tracepoints');
  const ids = (o.ifindexes ?? []).filter((n) => Number.isSafeInteger(n));
  const devCond = (fields: readonly string[]): string[] =>
    ids.length && fields.length
      ? [`(${fields.map((f) => ids.map((i) => `args->${f} == ${i}`).join(' || ')).join(' || ')})`]
      : [];
  const lines: string[] = [];
  const used = new Set<string>();
  const add = (names: readonly string[], conds: string[], maps: string[], body: string): void => {
    const p = probes(all, names);
    if (!p.length) return;
    for (const m of maps) used.add(m);
    lines.push(`${p.join(',')}${conds.length ? ` /${conds.join(' && ')}/` : ''} { ${body} }`);
  };
  const counted = '@cnt[probe] = count(); @pcpu[probe, cpu] = count();';
  const base = ['@cnt', '@pcpu'];
  add(
    ['xdp:xdp_redirect', 'xdp:xdp_redirect_err'],
    devCond(['ifindex', 'to_ifindex']),
    [...base, '@flow', '@prog'],
    `${counted} @flow[args->ifindex, args->to_ifindex, -args->err] = count(); @prog[args->prog_id, -args->err] = count();`,
  );
  add(
    ['xdp:xdp_exception'],
    devCond(['ifindex']),
    [...base, '@exc'],
    `${counted} @exc[args->prog_id, args->act] = count();`,
  );
  add(
    ['xdp:xdp_devmap_xmit'],
    devCond(['from_ifindex', 'to_ifindex']),
    [...base, '@xsent', '@xdrops'],
    `${counted} @xsent[args->from_ifindex, args->to_ifindex] = sum(args->sent); @xdrops[args->from_ifindex, args->to_ifindex] = sum(args->drops);`,
  );
  add(['xdp:xdp_bulk_tx'], devCond(['ifindex']), base, counted);
  add(
    ['xdp:xdp_cpumap_enqueue', 'xdp:xdp_cpumap_kthread'],
    [],
    [...base, '@cpq', '@cpd'],
    `${counted} @cpq[probe] = sum(args->processed); @cpd[probe] = sum(args->drops);`,
  );
  add(['xdp:mem_connect', 'xdp:mem_disconnect', 'xdp:bpf_xdp_link_attach_failed'], [], base, counted);
  // Errno histograms: every redirect error, and the batched transmits that reported err != 0.
  add(
    ['xdp:xdp_redirect_err'],
    devCond(['ifindex', 'to_ifindex']),
    ['@err'],
    '@err[probe, -args->err] = count();',
  );
  add(
    ['xdp:xdp_devmap_xmit'],
    ['args->err != 0', ...devCond(['from_ifindex', 'to_ifindex'])],
    ['@err'],
    '@err[probe, -args->err] = count();',
  );
  add(
    ['xdp:xdp_bulk_tx'],
    ['args->err != 0', ...devCond(['ifindex'])],
    ['@err'],
    '@err[probe, -args->err] = count();',
  );
  const every = Math.max(1, Math.floor(o.intervalSeconds ?? 1));
  const prints = [...used].map((m) => `print(${m});`).join(' ');
  lines.push(`interval:s:${every} { ${prints} printf("${tick}\\n"); }`);
  // exit() prints every map once more, so the final state includes the last partial second.
  const d = Math.floor(o.durationSeconds ?? 0);
  if (d > 0) lines.push(`interval:s:${d} { exit(); }`);
  return lines.join('\n') + '\n';
}

/** One cumulative snapshot of a running bpftrace capture. */
export interface BpftraceSnapshot {
  /** 1-based count of interval ticks seen (0 for the final flush at exit without a tick). */
  readonly tick: number;
  readonly summary: XdpSummary;
  /** `xdp:NAME` → cpu → events so far (for per-CPU rates). */
  readonly perCpu: Record<string, Record<string, number>>;
  /** Verdict name → xdp_exception events so far. */
  readonly exceptions: Record<string, number>;
  /** prog_id → its redirects, redirect errors and exceptions so far. */
  readonly programs: ProgramTable;
}

/** A line of the stream that is not what bpftrace -f json prints; names the line. */
export class BpftraceParseError extends Error {
  constructor(
    readonly line: number,
    readonly why: string,
  ) {
    super(`bpftrace output line ${line}: ${why}`);
  }
}

type MapValue = Record<string, number> | number;

const stripProbe = (k: string): string => (k.startsWith('tracepoint:') ? k.slice('tracepoint:'.length) : k);

/**
 * Reads a bpftrace `-f json` stream line by line. `push` returns a snapshot on each tick; `finish`
 * returns the final state (bpftrace prints every map again when it exits on SIGINT).
 */
export class BpftraceStream {
  private readonly maps = new Map<string, MapValue>();
  private ticks = 0;
  private lineNo = 0;
  attached = 0;
  readonly errors: BpftraceParseError[] = [];
  /** Messages bpftrace printed as {"type":"printf"|"warning"|"error", …} besides our ticks. */
  readonly messages: string[] = [];

  /** Feeds one line; returns a snapshot when the line closes an interval. Never throws. */
  push(text: string): BpftraceSnapshot | undefined {
    this.lineNo++;
    const line = text.trim();
    if (!line) return undefined;
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      this.error(`not JSON (truncated or garbage): ${line.length > 80 ? line.slice(0, 77) + '...' : line}`);
      return undefined;
    }
    if (typeof v !== 'object' || v === null || typeof (v as { type?: unknown }).type !== 'string') {
      this.error('a JSON value without a "type"');
      return undefined;
    }
    const { type, data } = v as { type: string; data?: unknown };
    switch (type) {
      case 'attached_probes': {
        const n = (data as { probes?: unknown } | undefined)?.probes;
        if (typeof n === 'number') this.attached = n;
        return undefined;
      }
      case 'map':
        this.readMap(data);
        return undefined;
      case 'printf':
        if (typeof data === 'string' && data.trim() === tick) {
          this.ticks++;
          return this.snapshot(this.ticks);
        }
        if (typeof data === 'string') this.messages.push(data);
        return undefined;
      default:
        // hist/lhist/stats/time and future types are not used by our script: keep going.
        if (typeof data === 'string') this.messages.push(`${type}: ${data}`);
        return undefined;
    }
  }

  finish(): BpftraceSnapshot {
    return this.snapshot(this.ticks);
  }

  private error(why: string): void {
    if (this.errors.length < 100) this.errors.push(new BpftraceParseError(this.lineNo, why));
  }

  private readMap(data: unknown): void {
    if (typeof data !== 'object' || data === null) return this.error('a "map" without data');
    for (const [name, value] of Object.entries(data as Record<string, unknown>)) {
      if (typeof value === 'number') this.maps.set(name, value);
      else if (typeof value === 'object' && value !== null) {
        const rec: Record<string, number> = {};
        for (const [k, n] of Object.entries(value as Record<string, unknown>)) {
          if (typeof n !== 'number') return this.error(`map ${name} key ${k}: not a number`);
          rec[k] = n;
        }
        this.maps.set(name, rec);
      } else return this.error(`map ${name}: unexpected value`);
    }
  }

  private entries(name: string): Array<[string[], number]> {
    const v = this.maps.get(name);
    if (v === undefined || typeof v === 'number') return [];
    return Object.entries(v).map(([k, n]) => [k.split(','), n]);
  }

  private snapshot(tickNo: number): BpftraceSnapshot {
    const s = emptySummary();
    for (const [[probe], n] of this.entries('@cnt'))
      if (probe && probe !== 'none') addCount(s, stripProbe(probe), n);
    for (const [[probe, errno], n] of this.entries('@err'))
      if (probe && probe !== 'none') addErrno(s, stripProbe(probe), Number(errno), n);
    for (const [[a, b, e], n] of this.entries('@flow')) {
      if (n === 0) continue;
      const ifindex = Number(a);
      const to = Number(b);
      const err = Number(e);
      const key = flowKey(ifindex, to);
      const fl = (s.flows[key] ??= { ifindex, to_ifindex: to, redirects: 0, errors: {}, sent: 0, drops: 0 });
      if (err === 0) fl.redirects += n;
      else fl.errors[errnoName(err)] = (fl.errors[errnoName(err)] ?? 0) + n;
    }
    for (const [which, field] of [
      ['@xsent', 'sent'],
      ['@xdrops', 'drops'],
    ] as const) {
      for (const [[a, b], n] of this.entries(which)) {
        if (n === 0) continue;
        const ifindex = Number(a);
        const to = Number(b);
        const fl = (s.flows[flowKey(ifindex, to)] ??= {
          ifindex,
          to_ifindex: to,
          redirects: 0,
          errors: {},
          sent: 0,
          drops: 0,
        });
        fl[field] += n;
        s.devmapXmit[field] += n;
      }
    }
    for (const [which, field] of [
      ['@cpq', 'processed'],
      ['@cpd', 'drops'],
    ] as const) {
      for (const [[probe], n] of this.entries(which)) {
        if (probe === 'tracepoint:xdp:xdp_cpumap_enqueue') s.cpumap.enqueue[field] += n;
        if (probe === 'tracepoint:xdp:xdp_cpumap_kthread') s.cpumap.kthread[field] += n;
      }
    }
    const perCpu: Record<string, Record<string, number>> = {};
    for (const [[probe, cpu], n] of this.entries('@pcpu')) {
      if (!probe || probe === 'none' || cpu === undefined || n === 0) continue;
      (perCpu[stripProbe(probe)] ??= {})[cpu] = n;
    }
    const exceptions: Record<string, number> = {};
    const programs: ProgramTable = {};
    for (const [[prog, act], n] of this.entries('@exc')) {
      if (n === 0 || act === undefined) continue;
      exceptions[actionName(Number(act))] = (exceptions[actionName(Number(act))] ?? 0) + n;
      addProgramCount(programs, Number(prog), 'exception', Number(act), n);
    }
    for (const [[prog, errno], n] of this.entries('@prog'))
      addProgramCount(programs, Number(prog), Number(errno) === 0 ? 'redirect' : 'error', Number(errno), n);
    return { tick: tickNo, summary: s, perCpu, exceptions, programs };
  }
}

/** Per-second rates between two snapshots (live rates view, like xdp-monitor). */
export interface RateRow {
  readonly name: string;
  readonly perSecond: number;
  readonly perCpu: Record<string, number>;
}

export function ratesBetween(
  prev: BpftraceSnapshot | undefined,
  cur: BpftraceSnapshot,
  seconds: number,
): RateRow[] {
  const rows: RateRow[] = [];
  const dt = seconds > 0 ? seconds : 1;
  for (const [name, n] of Object.entries(cur.summary.tracepoints)) {
    const before = prev?.summary.tracepoints[name] ?? 0;
    const perCpu: Record<string, number> = {};
    for (const [cpu, c] of Object.entries(cur.perCpu[name] ?? {}))
      perCpu[cpu] = (c - (prev?.perCpu[name]?.[cpu] ?? 0)) / dt;
    rows.push({ name, perSecond: (n - before) / dt, perCpu });
  }
  return rows;
}
