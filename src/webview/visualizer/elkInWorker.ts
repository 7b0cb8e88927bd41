// ELK in a Web Worker: its layered layout of a graph runs off the page's thread, so the first layout
// in a fresh page (1.5-3 s while ELK's code is cold) and every later one never freeze the panel
// (issue 16 goal 5). VS Code webviews start workers only from blob: or data: URLs (CSP worker-src
// blob:, html.ts), so the worker script is bundled as text and handed over as a blob.
import ELK from 'elkjs/lib/elk-api.js';
import type { ELK as ElkApi } from 'elkjs/lib/elk-api';
import elkWorkerSource from 'elkjs/lib/elk-worker.min.js';

/**
 * An ELK whose layouts run in a worker, started now (it compiles while the host runs the scenario);
 * undefined when this page may not start one. A worker that fails later (a policy that refuses it)
 * rejects every layout, which layoutGraph answers with its own layered layout.
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
    failed = new Error(`the layout worker failed: ${e.message || 'it did not start'}`);
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
