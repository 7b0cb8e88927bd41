// The C parser: web-tree-sitter's runtime plus tree-sitter-c, both WASM. Core never reads files: the
// host hands over the two .wasm images (dist/tree-sitter.wasm and dist/tree-sitter-c.wasm in the bundles).
import { Language, Parser } from 'web-tree-sitter';
import type { Tree } from 'web-tree-sitter';

export interface ParserWasm {
  /** web-tree-sitter's runtime (tree-sitter.wasm). */
  readonly runtime: Uint8Array;
  /** The C grammar (tree-sitter-c.wasm). */
  readonly language: Uint8Array;
}

export interface CParser {
  /** Parses masked C text; pass the previous tree after `tree.edit(...)` for an incremental parse. */
  parse(text: string, previous?: Tree): Tree;
}

let runtimeReady: Promise<void> | undefined;

export async function createCParser(wasm: ParserWasm): Promise<CParser> {
  // Parser.init is process-wide in web-tree-sitter; the first caller's runtime bytes win.
  // locateFile: the runtime would otherwise resolve its own URL from import.meta.url, which a bundled
  // worker lacks; with the bytes given it never fetches, so the name alone is enough.
  runtimeReady ??= Parser.init({ wasmBinary: wasm.runtime, locateFile: (name: string) => name });
  await runtimeReady;
  const language = await Language.load(wasm.language);
  const parser = new Parser();
  parser.setLanguage(language);
  return {
    parse(text, previous) {
      const tree = parser.parse(text, previous ?? null);
      if (!tree) throw new Error('tree-sitter returned no tree (parser was reset or has no language)');
      return tree;
    },
  };
}
