// The human-readable form of a simulation summary (`xdp-lab simulate` without --json, the
// extension's Simulate Scenario output): tracepoint counts, errnos with their explanation from the
// one errno table, devmap/cpumap sums, per-device counters and verdicts, warnings.
import { errnoNumber, explainErrno } from '../trace/errnos';
import { tracepointRows } from '../trace/summary';
import { explainDrop } from './dropReasons';
import { redirectMissText, redirectMissWhy } from './redirectMiss';
import type { DropReason, SimSummary } from './simulationResult';

/** A run's progress reaches a view or a terminal at most this often (each redraw has a cost). */
export const PROGRESS_REDRAW_MS = 250;

interface RunProgress {
  readonly framesInjected: number;
  readonly framesTotal: number;
}

/** "12,345 of 1,000,016 frames": how far a run is, as the CLI, the panel and the playground say it. */
export function framesSoFar(p: RunProgress): string {
  return `${p.framesInjected.toLocaleString('en-US')} of ${p.framesTotal.toLocaleString('en-US')} frames`;
}

/** "12,345 of 1,000,016 frames (1 %)". */
export function progressText(p: RunProgress): string {
  return `${framesSoFar(p)} (${Math.floor((100 * p.framesInjected) / Math.max(1, p.framesTotal))} %)`;
}

/** The status of a run the user stopped: what its counts cover. */
export function stoppedText(p: RunProgress | undefined): string {
  return p ? `stopped after ${framesSoFar(p)}: the counts so far` : 'stopped before the first frame';
}

export function summaryText(s: SimSummary): string {
  const out: string[] = [];
  out.push(`frames injected: ${s.frames.injected} (with copies: ${s.frames.total})`, '', 'tracepoints:');
  for (const r of tracepointRows(s)) if (r.count) out.push(`  ${r.name.padEnd(28)} ${r.count}`);
  if (!Object.values(s.tracepoints).some((n) => n > 0)) out.push('  (none fired)');
  for (const [tp, hist] of Object.entries(s.errno)) {
    out.push('', `errors in ${tp}:`);
    for (const [name, n] of Object.entries(hist))
      out.push(`  ${name.padEnd(12)} ${String(n).padStart(8)}  ${explainErrno(errnoNumber(name) ?? 0)}`);
  }
  out.push('', `devmap xmit: sent ${s.devmapXmit.sent}, drops ${s.devmapXmit.drops}`);
  if (s.bulkTx.sent || s.bulkTx.drops)
    out.push(`XDP_TX bulk: sent ${s.bulkTx.sent}, drops ${s.bulkTx.drops}`);
  if (s.cpumap.enqueue.processed || s.cpumap.kthread.processed)
    out.push(
      `cpumap: enqueued ${s.cpumap.enqueue.processed} (ring-full drops ${s.cpumap.enqueue.drops}), kthread processed ${s.cpumap.kthread.processed}`,
    );
  out.push('', `devices:${' '.repeat(7)}rx    xdp  stack     tx  drops`);
  for (const [name, d] of Object.entries(s.devices)) {
    const reasons = Object.entries(d.dropReasons)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    out.push(
      `  ${name.padEnd(10)} ${[d.rxFrames, d.xdpRx, d.stack, d.txFrames, d.drops].map((n) => String(n).padStart(6)).join(' ')}${reasons ? '  ' + reasons : ''}`,
    );
  }
  const seen = new Set<DropReason>();
  for (const d of Object.values(s.devices))
    for (const k of Object.keys(d.dropReasons)) seen.add(k as DropReason);
  if (seen.size) {
    out.push('', 'drop reasons:');
    for (const r of seen) out.push(`  ${r}: ${explainDrop(r)}`);
  }
  const acts = Object.entries(s.actions);
  if (acts.length) {
    out.push('', 'verdicts:');
    for (const [dev, a] of acts)
      out.push(
        `  ${dev.padEnd(10)} ${Object.entries(a)
          .map(([k, n]) => `${k}=${n}`)
          .join(' ')}`,
      );
  }
  const misses = s.redirectMisses;
  if (misses?.frames) {
    out.push('', `redirect-map misses (the fallback action became the verdict): ${misses.frames}`);
    for (const m of misses.rows)
      out.push(`  ${String(m.frames).padStart(8)}  at ${m.device} · ${m.program}(): ${redirectMissText(m)}`);
    const listed = misses.rows.reduce((n, m) => n + m.frames, 0);
    if (listed < misses.frames) out.push(`  ${String(misses.frames - listed).padStart(8)}  at other keys`);
    const first = misses.rows[0];
    if (first) out.push(`  ${redirectMissWhy(first)}`);
  }
  for (const [dev, d] of Object.entries(s.dispatchers ?? {})) {
    out.push('', `libxdp dispatcher on ${dev} (prog id ${d.progId}), in run order:`);
    d.components.forEach((c, i) => {
      const acts = Object.entries(c.actions)
        .map(([k, n]) => `${k}=${n}`)
        .join(' ');
      out.push(
        `  ${i + 1}. ${c.program.padEnd(12)} prio ${String(c.priority).padEnd(4)} chain on ${c.chainCallActions.join(',') || 'nothing'}`,
        `     ran ${c.runs}: ${acts || '-'}${c.faults ? ` faults=${c.faults}` : ''}; decided ${c.decided}`,
      );
    });
    out.push(`  every program continued → XDP_PASS: ${d.passedThrough}`);
  }
  for (const [name, x] of Object.entries(s.xsks))
    out.push(
      `xsk ${name}: rx ${x.rxFrames} (${x.rxDescriptors} descriptors), dropped ${x.rxDropped}, rx ring full ${x.rxQueueFull}, fill left ${x.fillRemaining}`,
    );
  if (s.warnings.length) out.push('', 'warnings:', ...s.warnings.map((w) => `  ${w}`));
  return out.join('\n') + '\n';
}
