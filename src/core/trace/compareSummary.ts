// Predicted (simulation) vs observed (capture) summaries, row by row: the "Compare with simulation"
// view. Both sides have the shape of `simulate --json`; flows are matched by device NAME because the
// scenario's ifindexes and the real host's differ.
import type { XdpSummary } from './summary';
import { tracepoints } from './tracepoints';

export interface CompareRow {
  readonly section: 'tracepoint' | 'errno' | 'devmapXmit' | 'cpumap' | 'flow';
  readonly key: string;
  readonly predicted: number;
  readonly observed: number;
}

export interface DeviceNames {
  /** ifindex → device name on each side. */
  readonly predicted: Record<string, string>;
  readonly observed: Record<string, string>;
}

function flowRows(s: XdpSummary, names: Record<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  const add = (k: string, n: number): void => void out.set(k, (out.get(k) ?? 0) + n);
  for (const f of Object.values(s.flows)) {
    const key = `${names[f.ifindex] ?? f.ifindex} → ${names[f.to_ifindex] ?? f.to_ifindex}`;
    add(`${key} redirected`, f.redirects);
    add(`${key} sent`, f.sent);
    add(`${key} drops`, f.drops);
    for (const [e, n] of Object.entries(f.errors)) add(`${key} ${e}`, n);
  }
  return out;
}

export function compareSummaries(
  predicted: XdpSummary,
  observed: XdpSummary,
  names: DeviceNames,
): CompareRow[] {
  const rows: CompareRow[] = [];
  const known = tracepoints.map((t) => t.name as string);
  const tps = [
    ...new Set([...known, ...Object.keys(predicted.tracepoints), ...Object.keys(observed.tracepoints)]),
  ];
  for (const k of tps) {
    const p = predicted.tracepoints[k] ?? 0;
    const o = observed.tracepoints[k] ?? 0;
    if (p || o) rows.push({ section: 'tracepoint', key: k, predicted: p, observed: o });
  }
  for (const tp of new Set([...Object.keys(predicted.errno), ...Object.keys(observed.errno)])) {
    const ph = predicted.errno[tp] ?? {};
    const oh = observed.errno[tp] ?? {};
    for (const e of new Set([...Object.keys(ph), ...Object.keys(oh)]))
      rows.push({ section: 'errno', key: `${tp} ${e}`, predicted: ph[e] ?? 0, observed: oh[e] ?? 0 });
  }
  rows.push(
    {
      section: 'devmapXmit',
      key: 'sent',
      predicted: predicted.devmapXmit.sent,
      observed: observed.devmapXmit.sent,
    },
    {
      section: 'devmapXmit',
      key: 'drops',
      predicted: predicted.devmapXmit.drops,
      observed: observed.devmapXmit.drops,
    },
  );
  for (const part of ['enqueue', 'kthread'] as const)
    for (const f of ['processed', 'drops'] as const) {
      const p = predicted.cpumap?.[part]?.[f] ?? 0;
      const o = observed.cpumap?.[part]?.[f] ?? 0;
      if (p || o) rows.push({ section: 'cpumap', key: `${part} ${f}`, predicted: p, observed: o });
    }
  const pf = flowRows(predicted, names.predicted);
  const of = flowRows(observed, names.observed);
  for (const k of new Set([...pf.keys(), ...of.keys()])) {
    const p = pf.get(k) ?? 0;
    const o = of.get(k) ?? 0;
    if (p || o) rows.push({ section: 'flow', key: k, predicted: p, observed: o });
  }
  return rows;
}
