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

/** One redirect path with both ends named: what a predicted and an observed flow are matched on. */
export interface NamedFlow {
  readonly from: string;
  readonly to: string;
  redirects: number;
  sent: number;
  drops: number;
  readonly errors: Record<string, number>;
}

/**
 * A summary's flows keyed `"<from> → <to>"` by device NAME (an ifindex without a name stays a number);
 * flows of different ifindexes that share names are summed. The one matching rule of the comparison
 * table and of the visualizer's observed counts.
 */
export function flowsByDeviceName(s: XdpSummary, names: Record<string, string>): Map<string, NamedFlow> {
  const out = new Map<string, NamedFlow>();
  for (const f of Object.values(s.flows)) {
    const from = names[f.ifindex] ?? String(f.ifindex);
    const to = names[f.to_ifindex] ?? String(f.to_ifindex);
    const key = `${from} → ${to}`;
    let n = out.get(key);
    if (!n) out.set(key, (n = { from, to, redirects: 0, sent: 0, drops: 0, errors: {} }));
    n.redirects += f.redirects;
    n.sent += f.sent;
    n.drops += f.drops;
    for (const [e, k] of Object.entries(f.errors)) n.errors[e] = (n.errors[e] ?? 0) + k;
  }
  return out;
}

function flowRows(s: XdpSummary, names: Record<string, string>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, f] of flowsByDeviceName(s, names)) {
    out.set(`${key} redirected`, f.redirects);
    out.set(`${key} sent`, f.sent);
    out.set(`${key} drops`, f.drops);
    for (const [e, n] of Object.entries(f.errors)) out.set(`${key} ${e}`, n);
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
