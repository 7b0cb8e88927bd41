// The XDP C language server for a browser worker (the playground's monaco-languageclient): the same
// features over postMessage, without clang, bpftool or files. The worker's URL must sit next to
// tree-sitter.wasm and tree-sitter-c.wasm (dist/), which it fetches at start.
import { BrowserMessageReader, BrowserMessageWriter, createConnection } from 'vscode-languageserver/browser';
import type { ServerServices } from './services';
import { startServer } from './startServer';

/** The worker global, typed narrowly: this folder compiles without the WebWorker lib. */
interface WorkerScope {
  readonly location: { readonly href: string };
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (e: { data: unknown }) => void): void;
}
const scope = globalThis as unknown as WorkerScope;

async function fetchBytes(name: string): Promise<Uint8Array> {
  const url = new URL(name, scope.location.href).href;
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url}: HTTP ${res.status}`);
  return new Uint8Array(await res.arrayBuffer());
}

const services: ServerServices = {
  loadParserWasm: async () => ({
    runtime: await fetchBytes('tree-sitter.wasm'),
    language: await fetchBytes('tree-sitter-c.wasm'),
  }),
};

// vscode-languageserver's browser reader/writer take the worker scope itself (typed with the DOM lib,
// which this folder does not load: hence the cast).
startServer(
  createConnection(new BrowserMessageReader(scope as never), new BrowserMessageWriter(scope as never)),
  services,
);
