// Runs stepwise work (a generator that yields between steps) on an event loop in slices of a few
// milliseconds, handing the loop back (setImmediate) between them: in the simulation's worker a Stop
// is heard during the end of a long run (its view model, its packed timeline), and in the extension
// host (workerRun.ts's fallback) that end is no stall of the host that every extension shares.
import { performance } from 'node:perf_hooks';

/** Milliseconds of work per slice (the simulation's own slices are 25 ms). */
export const HOST_SLICE_MS = 10;

/** The generator's value; rejects with the signal's reason when it is aborted between slices. */
export async function inHostSlices<T>(
  steps: Generator<undefined, T>,
  signal?: AbortSignal,
  sliceMs = HOST_SLICE_MS,
): Promise<T> {
  for (;;) {
    const end = performance.now() + sliceMs;
    for (;;) {
      const r = steps.next();
      if (r.done) return r.value;
      if (performance.now() >= end) break;
    }
    await new Promise<void>((resolve) => setImmediate(resolve));
    signal?.throwIfAborted();
  }
}
