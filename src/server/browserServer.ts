// The XDP C language server in a browser worker (the playground's monaco-languageclient, or any page):
// the same startServer as the Node entry, over postMessage, without clang, bpftool or files. Asset
// names are resolved against the worker script's own URL; the host passes them.
import { BrowserMessageReader, BrowserMessageWriter, createConnection } from 'vscode-languageserver/browser';
import type { HelperDoc } from '../core/analysis/uapiHelperDocs';
import type { ServerServices } from './services';
import { startServer } from './startServer';

export interface BrowserServerAssets {
  readonly treeSitterRuntime: string;
  readonly treeSitterC: string;
  /** JSON `{source, docs}` of helper docs parsed at build time from a uapi bpf.h (a browser has none). */
  readonly helperDocs?: string;
}

/** The worker global, typed narrowly: this folder compiles without the WebWorker lib. */
interface WorkerScope {
  readonly location: { readonly href: string };
  postMessage(message: unknown): void;
  addEventListener(type: 'message', listener: (e: { data: unknown }) => void): void;
}

export function startBrowserServer(assets: BrowserServerAssets): void {
  const scope = globalThis as unknown as WorkerScope;
  const urlOf = (name: string): string => new URL(name, scope.location.href).href;
  const fetchBytes = async (name: string): Promise<Uint8Array> => {
    const res = await fetch(urlOf(name));
    if (!res.ok) throw new Error(`${urlOf(name)}: HTTP ${res.status} (are the worker's assets beside it?)`);
    return new Uint8Array(await res.arrayBuffer());
  };
  const docsFile = assets.helperDocs;
  const services: ServerServices = {
    loadParserWasm: async () => {
      const [runtime, language] = await Promise.all([
        fetchBytes(assets.treeSitterRuntime),
        fetchBytes(assets.treeSitterC),
      ]);
      return { runtime, language };
    },
    ...(docsFile
      ? {
          helperDocs: async () => {
            try {
              const res = await fetch(urlOf(docsFile));
              if (!res.ok) return undefined;
              const json = (await res.json()) as { source: string; docs: Record<string, HelperDoc> };
              return { source: json.source, docs: new Map(Object.entries(json.docs)) };
            } catch {
              return undefined;
            }
          },
        }
      : {}),
  };
  // vscode-languageserver's browser reader/writer take the worker scope itself (typed with the DOM
  // lib, which this folder does not load: hence the cast).
  startServer(
    createConnection(new BrowserMessageReader(scope as never), new BrowserMessageWriter(scope as never)),
    services,
  );
}
