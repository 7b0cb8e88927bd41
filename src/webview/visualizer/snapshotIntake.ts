// The host's notifications in the order they came, with a large snapshot's timeline unpacked in
// slices across tasks (inSlices.ts) so that no unpack is a long frame (issue 16 goal 5): the
// notifications that arrive meanwhile wait for it, and a later snapshot makes it moot.
import type { VisModel } from '../../protocol/visualizer';
import { snapshotModel, snapshotModelSteps } from '../../protocol/visualizerTimelinePack';
import { inSlices } from './inSlices';
import { measureSince } from './timing';

/** A snapshot with at most this many events is unpacked at once (a few milliseconds). */
const SYNC_UNPACK_EVENTS = 8192;

type SnapshotParams = Parameters<typeof snapshotModelSteps>[0];

export class SnapshotIntake<P extends SnapshotParams> {
  /** The snapshot whose timeline is unpacking, and the notifications that came after it. */
  private unpacking: { moot: boolean } | undefined;
  private held: { handle: () => void; isSnapshot: boolean }[] = [];
  /** Settles when the snapshot unpacking now has landed (or was made moot). */
  private unpackDone: Promise<void> = Promise.resolve();

  /** `land` gets each snapshot's model, or why it could not be unpacked. */
  constructor(private readonly land: (model: VisModel | string, params: P) => void) {}

  /** Handles a notification now, or after the snapshot unpacking (in order with the others held). */
  inOrder(handle: () => void, isSnapshot = false): void {
    if (!this.unpacking) return handle();
    if (isSnapshot) this.unpacking.moot = true;
    this.held.push({ handle, isSnapshot });
  }

  /** A didSnapshot: small ones land at once, large ones after their sliced unpack. */
  snapshot(params: P): void {
    this.inOrder(() => this.unpack(params), true);
  }

  /** Resolves once no snapshot is unpacking. */
  async settled(): Promise<void> {
    while (this.unpacking) await this.unpackDone;
  }

  private unpack(params: P): void {
    const t0 = performance.now();
    const events = params.timeline?.n ?? 0;
    if (events <= SYNC_UNPACK_EVENTS) {
      const model = snapshotModel(params);
      measureSince('unpack', t0, { events });
      this.land(model, params);
      return;
    }
    const job = { moot: false };
    this.unpacking = job;
    let slices = 0;
    const slice = (start: number): void => measureSince('unpack', start, { events, slice: slices++ });
    const unpack = async (): Promise<void> => {
      let model: VisModel | string | undefined;
      try {
        model = await inSlices(snapshotModelSteps(params), () => job.moot, slice);
        // Wall time from the first slice to the last (the page drew frames in between).
        measureSince('unpack-all', t0, { events, slices });
        // The model is drawn in a task of its own: the last slice may have used most of a frame.
        if (model !== undefined && !job.moot) await new Promise((r) => setTimeout(r, 0));
      } catch (e) {
        model = `didSnapshot: ${e instanceof Error ? e.message : String(e)}`;
      } finally {
        // Whatever happened, the notifications held meanwhile are handled, in order.
        this.unpacking = undefined;
        try {
          if (model !== undefined && !job.moot) this.land(model, params);
        } finally {
          const held = this.held;
          this.held = [];
          for (const m of held) this.inOrder(m.handle, m.isSnapshot);
        }
      }
    };
    this.unpackDone = unpack();
  }
}
