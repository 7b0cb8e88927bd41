// Per-program counts of a capture (issue #7 "per program"): redirects, redirect errors by errno and
// exceptions by verdict, keyed by prog_id. Kept beside the shared summary, not inside it, so the
// `simulate --json` shape stays exactly what the simulator and its tests expect.
import { errnoName } from './errnos';
import { xdpActionNames, type XdpEvent } from './tracepoints';

export interface ProgramCounts {
  redirects: number;
  /** xdp_redirect_err events by errno name. */
  errors: Record<string, number>;
  /** xdp_exception events by verdict (XDP_ABORTED, …). */
  exceptions: Record<string, number>;
}

export type ProgramTable = Record<string, ProgramCounts>;

function entry(t: ProgramTable, progId: number): ProgramCounts {
  return (t[String(progId)] ??= { redirects: 0, errors: {}, exceptions: {} });
}

export function actionName(act: number): string {
  return `XDP_${xdpActionNames[act] ?? `ACTION_${act}`}`;
}

/** Adds `n` events of one kind for a program (bpftrace maps arrive as counts). */
export function addProgramCount(
  t: ProgramTable,
  progId: number,
  kind: 'redirect' | 'error' | 'exception',
  key: number,
  n: number,
): void {
  if (n === 0) return;
  const e = entry(t, progId);
  if (kind === 'redirect') e.redirects += n;
  else if (kind === 'error') e.errors[errnoName(key)] = (e.errors[errnoName(key)] ?? 0) + n;
  else e.exceptions[actionName(key)] = (e.exceptions[actionName(key)] ?? 0) + n;
}

/** Folds one event (perf captures). */
export function addProgramEvent(t: ProgramTable, ev: XdpEvent): void {
  if (ev.name === 'xdp:xdp_redirect') addProgramCount(t, ev.prog_id, 'redirect', 0, 1);
  else if (ev.name === 'xdp:xdp_redirect_err') addProgramCount(t, ev.prog_id, 'error', ev.err, 1);
  else if (ev.name === 'xdp:xdp_exception') addProgramCount(t, ev.prog_id, 'exception', ev.act, 1);
}
