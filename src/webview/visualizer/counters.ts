// The headline counters of a run, read from the summary (the `xdp-lab simulate --json` document),
// so what the panel shows is by construction what the CLI prints. Each carries the JSON path it
// came from: the e2e test reads `data-counter` from the DOM and compares it with the CLI's output.
import type { VisModel } from '../../protocol/visualizer';
import { formatCount } from './graphModel';

export interface Counter {
  /** A JSON path into the summary, e.g. `tracepoints.xdp:xdp_redirect` or `devmapXmit.sent`. */
  readonly key: string;
  readonly label: string;
  readonly value: number;
  /** Compared with a capture: the same counter read from the capture's summary. */
  readonly observed?: number;
  readonly danger?: boolean;
  readonly hint: string;
}

const sum = (rec: Record<string, number> | undefined): number =>
  Object.values(rec ?? {}).reduce((a, b) => a + b, 0);

export function headlineCounters(model: VisModel): Counter[] {
  const predicted = countersOf(model, model.summary);
  const o = model.observed;
  if (!o) return predicted;
  // A capture counts tracepoints: the injected frames, the verdicts (no tracepoint reports
  // XDP_PASS) and the redirect-map misses (silent in the kernel) are the scenario's alone.
  const seen = new Map(countersOf(model, o.summary).map((c) => [c.key, c.value]));
  return predicted.map((c) =>
    c.key === 'frames.injected' || c.key.startsWith('actions.') || c.key.startsWith('redirectMisses.')
      ? c
      : { ...c, observed: seen.get(c.key) ?? 0 },
  );
}

function countersOf(model: VisModel, s: VisModel['summary']): Counter[] {
  const tp = (name: string): number => s.tracepoints[name] ?? 0;
  const actions = Object.values(s.actions);
  const byAction = (a: string): number => actions.reduce((n, per) => n + (per[a] ?? 0), 0);
  return [
    framesCounter(model, s),
    {
      key: 'tracepoints.xdp:xdp_redirect',
      label: 'redirected',
      value: tp('xdp:xdp_redirect'),
      hint: 'xdp:xdp_redirect events (step 2 succeeded)',
    },
    {
      key: 'tracepoints.xdp:xdp_redirect_err',
      label: 'redirect errors',
      value: tp('xdp:xdp_redirect_err'),
      danger: tp('xdp:xdp_redirect_err') > 0,
      hint: 'xdp:xdp_redirect_err events: frames dropped in step 2',
    },
    {
      key: 'devmapXmit.sent',
      label: 'xmit sent',
      value: s.devmapXmit.sent,
      hint: 'sum of xdp:xdp_devmap_xmit sent',
    },
    {
      key: 'devmapXmit.drops',
      label: 'xmit drops',
      value: s.devmapXmit.drops,
      danger: s.devmapXmit.drops > 0,
      hint: 'sum of xdp:xdp_devmap_xmit drops (egress program and driver refusals)',
    },
    {
      key: 'cpumap.enqueue.processed',
      label: 'cpumap',
      value: s.cpumap.enqueue.processed,
      hint: 'sum of xdp:xdp_cpumap_enqueue processed',
    },
    {
      key: 'actions.XDP_PASS',
      label: 'passed',
      value: byAction('XDP_PASS'),
      hint: 'XDP_PASS verdicts over all devices',
    },
    ...missCounter(s),
    {
      key: 'errno.total',
      label: 'errno drops',
      value: Object.values(s.errno).reduce((n, h) => n + sum(h), 0),
      danger: Object.keys(s.errno).length > 0,
      hint: 'tracepoint events with err ≠ 0',
    },
  ];
}

/**
 * Frames injected: what the simulator counted (a run in progress or stopped has injected part of
 * its traffic), else what the scenario's traffic says (a capture has no such count).
 */
function framesCounter(model: VisModel, s: VisModel['summary']): Counter {
  const total = model.traffic.reduce((n, t) => n + t.count, 0);
  const injected = (s as { frames?: { injected?: unknown } }).frames?.injected;
  if (typeof injected === 'number' && injected < total)
    return {
      key: 'frames.injected',
      label: 'frames',
      value: injected,
      // formatCount, not toLocaleString: the page's first Intl call loads its data (a 27 ms frame
      // on the first count of a streaming run).
      hint: `frames injected so far, of the ${formatCount(total)} the scenario sends`,
    };
  return { key: 'frames.injected', label: 'frames', value: total, hint: 'frames the scenario injects' };
}

/** Frames a redirect-map miss kept from being redirected (summary.redirectMisses), when there were any. */
function missCounter(s: VisModel['summary']): Counter[] {
  const frames = (s as { redirectMisses?: { frames?: unknown } }).redirectMisses?.frames;
  if (typeof frames !== 'number' || frames <= 0) return [];
  return [
    {
      key: 'redirectMisses.frames',
      label: 'redirect misses',
      value: frames,
      danger: true,
      hint: 'bpf_redirect_map found no entry: the fallback action in its flags became the verdict',
    },
  ];
}
