// ELK in a Web Worker: its layered layout runs off the page's thread, so neither the first layout in
// a fresh page (ELK's GWT code cold: 200-300 ms for the 11-node example on this 2-core machine) nor a
// later one is a page frame (issue 16 goal 5). VS Code webviews start workers only from blob: URLs
// (CSP worker-src blob:, html.ts), so the worker script is bundled as text and handed over as a blob.
import ELK from 'elkjs/lib/elk-api.js';
import type { ELK as ElkApi } from 'elkjs/lib/elk-api';
import elkWorkerSource from 'elkjs/lib/elk-worker.min.js';

/**
 * An ELK whose layouts run in a worker started now (it compiles while the host runs the scenario),
 * or undefined when this page may not start one. A worker that fails later (a policy that refuses
 * it) rejects every layout with `WORKER_FAILED`; the graph pane keeps layeredLayout.ts's layout then.
 */
export function elkInWorker(): ElkApi | undefined {
  let worker: Worker;
  try {
    const url = URL.createObjectURL(new Blob([elkWorkerSource], { type: 'text/javascript' }));
    worker = new Worker(url);
  } catch {
    return undefined;
  }
  let failed: Error | undefined;
  const waiting = new Set<(e: Error) => void>();
  worker.addEventListener('error', (e) => {
    failed = new Error(`${WORKER_FAILED}: ${e.message || 'it did not start'}`);
    for (const reject of waiting) reject(failed);
    waiting.clear();
  });
  const elk = new ELK({ workerFactory: () => worker });
  const layout = elk.layout.bind(elk);
  elk.layout = (graph, args) => {
    if (failed) return Promise.reject(failed);
    let reject: ((e: Error) => void) | undefined;
    const fails = new Promise<never>((_, r) => waiting.add((reject = r)));
    return Promise.race([layout(graph, args), fails]).finally(() => {
      if (reject) waiting.delete(reject);
    });
  };
  return elk;
}

/** How a layout's rejection begins when ELK's worker could not run in this page. */
export const WORKER_FAILED = 'the layout worker failed';
