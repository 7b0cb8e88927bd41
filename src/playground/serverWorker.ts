// The XDP C language server in a Web Worker: the same startServer (src/server/startServer.ts) as the
// Node entry, over vscode-languageserver's browser reader/writer. The worker host provides only the
// parser WASM and the helper docs; clang, bpftool and files have no place in a browser, so the server
// answers compile/verify with its "needs the Node language server" message.
import { BrowserMessageReader, BrowserMessageWriter, createConnection } from 'vscode-languageserver/browser';
import type { HelperDoc } from '../core/analysis/uapiHelperDocs';
import { startServer } from '../server/startServer';
import type { ServerServices } from '../server/services';
import { playgroundAssets } from './assets';

/** The worker's global scope, typed loosely: this folder compiles with the DOM lib, not WebWorker. */
const scope = self as unknown as Worker;

async function fetchBytes(name: string): Promise<Uint8Array> {
  const res = await fetch(new URL(name, self.location.href));
  if (!res.ok) throw new Error(`${name}: HTTP ${res.status} (is the playground folder complete?)`);
  return new Uint8Array(await res.arrayBuffer());
}

const services: ServerServices = {
  loadParserWasm: async () => {
    const [runtime, language] = await Promise.all([
      fetchBytes(playgroundAssets.treeSitterRuntime),
      fetchBytes(playgroundAssets.treeSitterC),
    ]);
    return { runtime, language };
  },
  // The build parsed the uapi header of the machine that built the page (the browser has none).
  helperDocs: async () => {
    try {
      const res = await fetch(new URL(playgroundAssets.helperDocs, self.location.href));
      if (!res.ok) return undefined;
      const json = (await res.json()) as { source: string; docs: Record<string, HelperDoc> };
      return { source: json.source, docs: new Map(Object.entries(json.docs)) };
    } catch {
      return undefined;
    }
  },
};

startServer(createConnection(new BrowserMessageReader(scope), new BrowserMessageWriter(scope)), services);
