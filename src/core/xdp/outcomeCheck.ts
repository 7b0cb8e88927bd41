// Checks a simulation's outcome for a CI pipeline (`xdp-lab simulate --expect FILE`, `--fail-on`):
// the differences from an expected summary (a saved `simulate --json`, whole or trimmed to the keys
// that matter) and the frames a scenario lost, each as one readable line.
import type { SimSummary } from './simulationResult';
import { dropReasons } from './dropReasons';
import type { DropReason } from './simulationResult';

export interface OutcomeDifference {
  /** Dotted path into the summary, e.g. `errno.xdp:xdp_redirect_err.EOPNOTSUPP`. */
  readonly path: string;
  readonly expected: unknown;
  readonly actual: unknown;
}

/**
 * Maps whose keys are data (tracepoint names, errno names, verdicts): a key that the expectation
 * does not list but the run counts is a new outcome (a new errno, a new verdict) and is reported.
 * Elsewhere only the listed keys are compared, so an expectation can be trimmed by hand.
 */
const COUNT_MAPS = [/^tracepoints$/, /^errno$/, /^errno\.[^.]+$/, /^actions$/, /^actions\.[^.]+$/];

/** An absent counter is 0: a tracepoint that did not fire may be omitted (cli.md, `simulate`). */
function isZeroish(v: unknown): boolean {
  if (v === undefined || v === 0) return true;
  if (v && typeof v === 'object' && !Array.isArray(v)) return Object.values(v).every(isZeroish);
  return false;
}

function compareAt(path: string, expected: unknown, actual: unknown, out: OutcomeDifference[]): void {
  if (expected !== null && typeof expected === 'object' && !Array.isArray(expected)) {
    const act =
      actual !== null && typeof actual === 'object' && !Array.isArray(actual)
        ? (actual as Record<string, unknown>)
        : {};
    const exp = expected as Record<string, unknown>;
    for (const [k, v] of Object.entries(exp)) compareAt(path ? `${path}.${k}` : k, v, act[k], out);
    if (COUNT_MAPS.some((re) => re.test(path)))
      for (const [k, v] of Object.entries(act))
        if (!(k in exp) && !isZeroish(v)) compareAt(path ? `${path}.${k}` : k, undefined, v, out);
    return;
  }
  if (typeof expected === 'number' || expected === undefined) {
    const a = actual === undefined ? 0 : actual;
    const e = expected === undefined ? 0 : expected;
    if (typeof a === 'object' && a !== null && expected === undefined) {
      // A whole new sub-map (e.g. errno of a tracepoint the expectation never saw): one line per counter.
      for (const [k, v] of Object.entries(a)) if (!isZeroish(v)) compareAt(`${path}.${k}`, undefined, v, out);
      return;
    }
    if (a !== e) out.push({ path, expected: e, actual: a });
    return;
  }
  if (JSON.stringify(expected) !== JSON.stringify(actual)) out.push({ path, expected, actual });
}

/** The differences between an expected summary (parsed JSON) and the run's, in a stable order. */
export function compareOutcome(expected: unknown, actual: SimSummary): OutcomeDifference[] {
  const out: OutcomeDifference[] = [];
  // Fields that describe the run rather than its outcome are never compared.
  const { warnings: _w, frames: _f, kernel: _k, ...exp } = (expected ?? {}) as Record<string, unknown>;
  compareAt('', exp, actual, out);
  return out;
}

/** One aligned line per difference, for a terminal or a CI log. */
export function formatDifferences(diffs: readonly OutcomeDifference[]): string {
  const w = Math.min(60, Math.max(...diffs.map((d) => d.path.length), 4));
  const show = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
  return diffs
    .map((d) => `  ${d.path.padEnd(w)}  expected ${show(d.expected)}, got ${show(d.actual)}`)
    .join('\n');
}

export type FailOn = 'drops' | 'errors';
export const FAIL_ON_KINDS: readonly FailOn[] = ['drops', 'errors'];

/**
 * What makes `--fail-on` fail: `errors` — any xdp_redirect_err, xdp_exception or errno the kernel
 * would report; `drops` — every frame lost anywhere except by the program's own XDP_DROP (which is
 * what an XDP program is for), i.e. the errors above plus transmit, ring and device drops.
 */
export function outcomeProblems(summary: SimSummary, kinds: readonly FailOn[]): string[] {
  const problems: string[] = [];
  const want = new Set(kinds);
  if (want.has('errors') || want.has('drops')) {
    for (const tp of ['xdp:xdp_redirect_err', 'xdp:xdp_exception']) {
      const n = summary.tracepoints[tp] ?? 0;
      if (n > 0) problems.push(`${tp}: ${n}`);
    }
    for (const [tp, byErrno] of Object.entries(summary.errno))
      for (const [errno, n] of Object.entries(byErrno))
        if (n > 0 && tp !== 'xdp:xdp_redirect_err') problems.push(`${tp} ${errno}: ${n}`);
  }
  if (want.has('drops')) {
    if (summary.devmapXmit.drops > 0) problems.push(`devmap transmit drops: ${summary.devmapXmit.drops}`);
    if (summary.cpumap.enqueue.drops > 0)
      problems.push(`cpumap enqueue drops: ${summary.cpumap.enqueue.drops}`);
    if (summary.cpumap.kthread.drops > 0)
      problems.push(`cpumap kthread drops: ${summary.cpumap.kthread.drops}`);
    for (const [dev, c] of Object.entries(summary.devices))
      for (const [reason, n] of Object.entries(c.dropReasons ?? {}))
        if (reason !== 'xdp_drop' && (n ?? 0) > 0)
          problems.push(`${dev}: ${n} × ${dropReasons[reason as DropReason]?.label ?? reason}`);
  }
  return problems;
}
