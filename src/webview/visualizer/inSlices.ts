// Runs stepwise work (a generator that yields between steps) in slices of a few milliseconds, one
// task each, so the page draws frames in between: a 100 000-event snapshot's timeline unpacked in
// one task was a 60-140 ms frame on this 2-core machine (issue 16 goal 5).

/** Milliseconds of work per task: well under a frame at 60 Hz, with room for the frame's own work. */
export const SLICE_MS = 8;

/**
 * The generator's value, or undefined when `cancelled()` said so between slices (a newer message
 * made the work moot). The first slice runs now, in the caller's task.
 */
export async function inSlices<T>(
  steps: Generator<undefined, T>,
  cancelled: () => boolean,
  onSlice?: (start: number) => void,
  sliceMs = SLICE_MS,
): Promise<T | undefined> {
  for (;;) {
    const start = performance.now();
    const end = start + sliceMs;
    for (;;) {
      const r = steps.next();
      if (r.done) {
        onSlice?.(start);
        return r.value;
      }
      if (performance.now() >= end) break;
    }
    onSlice?.(start);
    // A task of its own (a timer), so a frame that is due is drawn before the next slice.
    await new Promise<void>((resolve) => setTimeout(resolve, 0));
    if (cancelled()) return undefined;
  }
}
