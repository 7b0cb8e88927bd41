// User Timing measures of the page's heavy steps (a snapshot's timeline unpacked, a layout, a
// render), named `xdp-lab:<step>`: the benchmark reads them back to say which step made a long
// frame (issue 16 goal 5). A long-lived panel keeps at most the latest few hundred.
const MAX_KEPT = 512;
let kept = 0;

/** Records `step` as having run from `start` (a performance.now() reading) until now. */
export function measureSince(step: string, start: number, detail?: Record<string, string | number>): void {
  if (typeof performance === 'undefined' || typeof performance.measure !== 'function') return;
  if (++kept > MAX_KEPT) {
    performance.clearMeasures();
    kept = 1;
  }
  try {
    performance.measure(`xdp-lab:${step}`, { start, end: performance.now(), ...(detail ? { detail } : {}) });
  } catch {
    // an engine without the options form of measure(): the timings are only for the benchmark
  }
}
