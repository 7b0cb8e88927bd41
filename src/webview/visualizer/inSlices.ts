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
    await nextTask();
    if (cancelled()) return undefined;
  }
}

/**
 * Resolves in a task of its own, so a frame that is due is drawn before the next slice: a message to
 * itself (what React's scheduler does), not setTimeout(0), which the browser delays to 4 ms from the
 * fifth nested timer on (20 slices: 80 ms more before a 100 000-event snapshot is on screen).
 */
function nextTask(): Promise<void> {
  if (typeof MessageChannel === 'undefined') return new Promise((resolve) => setTimeout(resolve, 0));
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    channel.port1.onmessage = () => {
      channel.port1.close();
      resolve();
    };
    channel.port2.postMessage(undefined);
  });
}
