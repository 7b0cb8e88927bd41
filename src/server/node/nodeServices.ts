// The Node host of the language server: WASM from dist/ (next to server.js), the uapi header for
// helper docs, clang and bpftool.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseUapiHelperDocs } from '../../core/analysis/uapiHelperDocs';
import { kernelBtfOptions } from '../../node/kernelBtf';
import type { KconfigSetting, ServerServices } from '../services';
import { createNodeHeaders } from './nodeHeaders';
import { createNodeToolchain } from './nodeToolchain';

export const uapiHeader = '/usr/include/linux/bpf.h';

/** Finds a file next to the bundle (dist/) or, when run from sources (tests), in node_modules. */
function locate(distName: string, moduleFile: string): string {
  const candidates = [
    path.join(__dirname, distName),
    path.join(__dirname, '../../..', 'dist', distName),
    path.join(__dirname, '../../..', 'node_modules', moduleFile),
  ];
  const found = candidates.find((c) => fs.existsSync(c));
  if (!found) throw new Error(`${distName} not found (looked in ${candidates.join(', ')})`);
  return found;
}

export function createNodeServices(): ServerServices {
  let docs: ReturnType<NonNullable<ServerServices['helperDocs']>> | undefined;
  return {
    loadParserWasm: async () => ({
      runtime: new Uint8Array(
        await fs.promises.readFile(locate('tree-sitter.wasm', 'web-tree-sitter/tree-sitter.wasm')),
      ),
      language: new Uint8Array(
        await fs.promises.readFile(locate('tree-sitter-c.wasm', 'tree-sitter-c/tree-sitter-c.wasm')),
      ),
    }),
    helperDocs: () => {
      docs ??= fs.promises.readFile(uapiHeader, 'utf8').then(
        (text) => ({ source: uapiHeader, docs: parseUapiHelperDocs(text) }),
        () => undefined,
      );
      return docs;
    },
    toolchain: createNodeToolchain(),
    targetBtf: (kconfig) => kernelBtfOptions(kconfig && kconfigPath(kconfig)),
    headers: createNodeHeaders(),
    uriToPath: (uri) => (uri.startsWith('file:') ? fileURLToPath(uri) : undefined),
    readDiskText: (file) => fs.promises.readFile(file, 'utf8').catch(() => undefined),
  };
}

/** A relative xdpLab.vm.kconfig is from the workspace folder holding the file (the deepest one). */
function kconfigPath(k: KconfigSetting): string {
  if (path.isAbsolute(k.file)) return k.file;
  const folder = k.workspaceFolders
    .filter((f) => k.sourceFile.startsWith(f.endsWith(path.sep) ? f : f + path.sep))
    .sort((a, b) => b.length - a.length)[0];
  return folder ? path.join(folder, k.file) : k.file;
}
