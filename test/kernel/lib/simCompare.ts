// What the differential tier compares between a simulation and the kernel's run of the same
// scenario: per-frame event fields, cpumap sums per CPU and the cpumap program's verdicts, and the
// printed table whose differing rows fail the scenario (lib/simKernel.ts runs both sides).
import type { XdpSummary } from '../../../src/core/trace/summary';
import type { XdpEvent } from '../../../src/core/trace/tracepoints';

/** Cpumap sums per CPU: enqueued toward each `to_cpu`, processed by each CPU's kthread. */
export function cpumapPerCpu(events: Iterable<XdpEvent>): Record<string, number> {
  const t: Record<string, number> = {};
  const add = (k: string, n: number): void => {
    t[k] = (t[k] ?? 0) + n;
  };
  for (const ev of events) {
    if (ev.name === 'xdp:xdp_cpumap_enqueue')
      add(`cpumap enqueue processed to cpu ${ev.to_cpu}`, ev.processed);
    if (ev.name === 'xdp:xdp_cpumap_kthread') add(`cpumap kthread processed on cpu ${ev.cpu}`, ev.processed);
  }
  return t;
}

const perFrame = ['xdp:xdp_redirect', 'xdp:xdp_redirect_err', 'xdp:xdp_exception', 'xdp:xdp_bulk_tx'];

/**
 * A per-frame event with the fields both sides must agree on. Program and map ids are the kernel's
 * own numbering (they differ between the two), so map_id keeps only its markers: INT_MAX (ifindex
 * redirect) and 0 (nothing pending); any real map id prints as "map".
 */
function fieldKey(ev: XdpEvent): string | undefined {
  if (ev.name === 'xdp:xdp_redirect' || ev.name === 'xdp:xdp_redirect_err') {
    const mapId = ev.map_id === 2147483647 || ev.map_id === 0 ? String(ev.map_id) : 'map';
    return `${ev.name} ifindex=${ev.ifindex} to_ifindex=${ev.to_ifindex} err=${ev.err} map_id=${mapId} map_index=${ev.map_index}`;
  }
  if (ev.name === 'xdp:xdp_exception') return `${ev.name} act=${ev.act} ifindex=${ev.ifindex}`;
  return undefined;
}

/** Sums of the cpumap kthread's verdict counters (split across iterations as scheduling decides). */
export function kthreadVerdicts(events: Iterable<XdpEvent>): Record<string, number> {
  const t = { xdp_pass: 0, xdp_drop: 0, xdp_redirect: 0 };
  for (const ev of events)
    if (ev.name === 'xdp:xdp_cpumap_kthread') {
      t.xdp_pass += ev.xdp_pass;
      t.xdp_drop += ev.xdp_drop;
      t.xdp_redirect += ev.xdp_redirect;
    }
  return t;
}

export function fieldHistogram(events: Iterable<XdpEvent>): Record<string, number> {
  const h: Record<string, number> = {};
  for (const ev of events) {
    const k = fieldKey(ev);
    if (k) h[k] = (h[k] ?? 0) + 1;
  }
  return h;
}

export function table(
  name: string,
  sim: XdpSummary,
  kernel: XdpSummary,
  extra: ReadonlyArray<[string, number, number]> = [],
): { text: string; mismatches: string[] } {
  const rows: Array<[string, number, number]> = [];
  for (const tp of [...perFrame, 'xdp:xdp_devmap_xmit', 'xdp:xdp_cpumap_enqueue', 'xdp:xdp_cpumap_kthread'])
    rows.push([`${tp} (events)`, sim.tracepoints[tp] ?? 0, kernel.tracepoints[tp] ?? 0]);
  const errTps = new Set([...Object.keys(sim.errno), ...Object.keys(kernel.errno)]);
  for (const tp of errTps) {
    const names = new Set([...Object.keys(sim.errno[tp] ?? {}), ...Object.keys(kernel.errno[tp] ?? {})]);
    for (const n of names) rows.push([`${tp} ${n}`, sim.errno[tp]?.[n] ?? 0, kernel.errno[tp]?.[n] ?? 0]);
  }
  rows.push(['devmap_xmit sent (sum)', sim.devmapXmit.sent, kernel.devmapXmit.sent]);
  rows.push(['devmap_xmit drops (sum)', sim.devmapXmit.drops, kernel.devmapXmit.drops]);
  rows.push(['cpumap enqueue processed', sim.cpumap.enqueue.processed, kernel.cpumap.enqueue.processed]);
  rows.push(['cpumap enqueue drops', sim.cpumap.enqueue.drops, kernel.cpumap.enqueue.drops]);
  rows.push(['cpumap kthread processed', sim.cpumap.kthread.processed, kernel.cpumap.kthread.processed]);
  rows.push(...extra);
  // Batched events may split differently (cli.md): their event counts are shown, not compared.
  const compared = (label: string): boolean =>
    !/xdp_devmap_xmit \(events\)|cpumap_(enqueue|kthread) \(events\)/.test(label);
  const mismatches = rows
    .filter(([l, a, b]) => compared(l) && a !== b)
    .map(([l, a, b]) => `${l}: simulator ${a}, kernel ${b}`);
  const w = Math.max(...rows.map((r) => r[0].length));
  const text = [
    `── ${name}`,
    `${'what'.padEnd(w)}  simulator     kernel`,
    ...rows.map(
      ([l, a, b]) =>
        `${l.padEnd(w)}  ${String(a).padStart(9)}  ${String(b).padStart(9)}  ${!compared(l) ? '(batch split)' : a === b ? '=' : '≠'}`,
    ),
  ].join('\n');
  return { text, mismatches };
}
