// A fleet capture's tables (issue 15 item 3): the hosts' counts added up, and the rows comparing the
// hosts (tracepoint and errno rows × one column per host), shared by `xdp-lab trace --hosts` and the
// capture panel of "Capture XDP Tracepoints on Several Hosts".
import { emptySummary, mergeSummary, tracepointRows, type XdpSummary } from './summary';

/**
 * Counts of all hosts added up. Flows and devices are per host (ifindexes mean nothing across
 * hosts), so the merged summary has none, nor a kernel; each host's own are in its column.
 */
export function fleetMerged(summaries: readonly XdpSummary[]): XdpSummary {
  const merged = emptySummary();
  for (const s of summaries) mergeSummary(merged, { ...s, flows: {}, devices: {} });
  delete merged.kernel;
  return merged;
}

export interface FleetRow {
  /** A tracepoint (`xdp:NAME`), an errno `  NAME (tracepoint)`, or a batched total. */
  readonly name: string;
  readonly merged: number;
  /** In the order of the hosts given; undefined for a host without counts (it failed). */
  readonly perHost: ReadonlyArray<number | undefined>;
}

/**
 * The comparison rows: tracepoints that fired anywhere, each errno seen, devmap sent/drops, and
 * cpumap drops when a cpumap was used. `hosts[i]` undefined: that host has no counts.
 */
export function fleetRows(merged: XdpSummary, hosts: ReadonlyArray<XdpSummary | undefined>): FleetRow[] {
  const rows: FleetRow[] = [];
  const row = (name: string, f: (s: XdpSummary) => number): void => {
    rows.push({ name, merged: f(merged), perHost: hosts.map((s) => (s ? f(s) : undefined)) });
  };
  for (const r of tracepointRows(merged)) if (r.count) row(r.name, (s) => s.tracepoints[r.name] ?? 0);
  for (const [tp, hist] of Object.entries(merged.errno))
    for (const name of Object.keys(hist))
      row(`  ${name} (${tp.replace('xdp:', '')})`, (s) => s.errno[tp]?.[name] ?? 0);
  row('devmap xmit sent', (s) => s.devmapXmit.sent);
  row('devmap xmit drops', (s) => s.devmapXmit.drops);
  if (merged.cpumap.enqueue.processed || merged.cpumap.kthread.processed) {
    row('cpumap enqueue drops', (s) => s.cpumap.enqueue.drops);
    row('cpumap kthread drops', (s) => s.cpumap.kthread.drops);
  }
  return rows;
}
