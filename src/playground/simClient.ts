// The page's side of the simulator worker: one request at a time, a time limit after which the
// worker is terminated and replaced (so a scenario that keeps the VM busy cannot freeze the page).
import { playgroundAssets } from './assets';
import type { SimWorkerReply, SimWorkerRequest } from './simProtocol';

/** A request without its id (distributed over the union, so each kind keeps its own fields). */
type Body = SimWorkerRequest extends infer R ? (R extends SimWorkerRequest ? Omit<R, 'id'> : never) : never;

export class SimClient {
  private worker: Worker | undefined;
  private nextId = 1;

  constructor(private readonly timeLimitMs: number) {}

  private ensure(): Worker {
    this.worker ??= new Worker(new URL(playgroundAssets.simWorker, window.location.href), {
      type: 'module',
      name: 'xdp-lab-simulator',
    });
    return this.worker;
  }

  request(body: Body): Promise<SimWorkerReply> {
    const worker = this.ensure();
    const id = this.nextId++;
    return new Promise((resolve) => {
      const done = (reply: SimWorkerReply): void => {
        window.clearTimeout(timer);
        worker.removeEventListener('message', onMessage);
        worker.removeEventListener('error', onError);
        resolve(reply);
      };
      const onMessage = (e: MessageEvent<SimWorkerReply>): void => {
        if (e.data.id === id) done(e.data);
      };
      const onError = (e: ErrorEvent): void => {
        this.reset();
        done({ id, ok: false, message: `the simulator worker failed: ${e.message || 'unknown error'}` });
      };
      const timer = window.setTimeout(() => {
        this.reset();
        done({
          id,
          ok: false,
          message: `stopped after ${this.timeLimitMs / 1000} s: the scenario did not finish (the simulator was restarted).`,
        });
      }, this.timeLimitMs);
      worker.addEventListener('message', onMessage);
      worker.addEventListener('error', onError);
      const req: SimWorkerRequest = { ...body, id };
      worker.postMessage(req);
    });
  }

  reset(): void {
    this.worker?.terminate();
    this.worker = undefined;
  }
}
