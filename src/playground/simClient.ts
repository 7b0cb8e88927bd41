// The page's side of the simulator worker: one request at a time, a time limit after which the
// worker is terminated and replaced (so a scenario that keeps the VM busy cannot freeze the page).
import { playgroundAssets } from './assets';
import type { SimWorkerReply, SimWorkerRequest } from './simProtocol';

export type SimProgress = Extract<SimWorkerReply, { kind: 'progress' }>;

/** A request without its id (distributed over the union, so each kind keeps its own fields). */
type Body = SimWorkerRequest extends infer R ? (R extends SimWorkerRequest ? Omit<R, 'id'> : never) : never;

export class SimClient {
  private worker: Worker | undefined;
  private nextId = 1;
  private abort: ((message: string) => void) | undefined;

  constructor(private readonly timeLimitMs: number) {}

  private ensure(): Worker {
    this.worker ??= new Worker(new URL(playgroundAssets.simWorker, window.location.href), {
      type: 'module',
      name: 'xdp-lab-simulator',
    });
    return this.worker;
  }

  /**
   * Sends one request; progress messages of a long simulation go to `onProgress`. The time limit
   * counts from the last sign of life: a run that keeps reporting progress may take as long as it
   * needs, one that goes silent for `timeLimitMs` is stopped.
   */
  request(body: Body, onProgress?: (p: SimProgress) => void): Promise<SimWorkerReply> {
    const worker = this.ensure();
    const id = this.nextId++;
    return new Promise((resolve) => {
      let timer = 0;
      const done = (reply: SimWorkerReply): void => {
        window.clearTimeout(timer);
        worker.removeEventListener('message', onMessage);
        worker.removeEventListener('error', onError);
        if (this.abort === abort) this.abort = undefined;
        resolve(reply);
      };
      const arm = (): void => {
        window.clearTimeout(timer);
        timer = window.setTimeout(() => {
          this.reset();
          done({
            id,
            ok: false,
            message: `stopped after ${this.timeLimitMs / 1000} s without progress: the scenario did not finish (the simulator was restarted).`,
          });
        }, this.timeLimitMs);
      };
      const onMessage = (e: MessageEvent<SimWorkerReply>): void => {
        if (e.data.id !== id) return;
        if (e.data.ok && e.data.kind === 'progress') {
          arm();
          onProgress?.(e.data);
        } else done(e.data);
      };
      const onError = (e: ErrorEvent): void => {
        this.reset();
        done({ id, ok: false, message: `the simulator worker failed: ${e.message || 'unknown error'}` });
      };
      // Stop: the worker is busy in the run, so it is replaced rather than asked.
      const abort = (message: string): void => {
        this.reset();
        done({ id, ok: false, stopped: true, message });
      };
      this.abort = abort;
      arm();
      worker.addEventListener('message', onMessage);
      worker.addEventListener('error', onError);
      const req: SimWorkerRequest = { ...body, id };
      worker.postMessage(req);
    });
  }

  /** Stops the request in progress (its promise resolves with `stopped: true`); false when idle. */
  stop(message: string): boolean {
    if (!this.abort) return false;
    this.abort(message);
    return true;
  }

  reset(): void {
    this.worker?.terminate();
    this.worker = undefined;
  }
}
