// What the server needs from its host. The Node entry (server.ts) provides everything; a browser
// worker entry provides only the parser WASM, so clang, bpftool and files stay out of its bundle.
import type { ParserWasm } from '../core/analysis/cParser';
import type { ClangMessage } from '../core/analysis/clangOutput';
import type { HelperDoc } from '../core/analysis/uapiHelperDocs';
import type { LanguageSettings, VerifyResult } from '../protocol/lsp';

export interface CompileOutcome {
  /** 'missing' when the clang binary could not be started. */
  readonly status: 'ok' | 'failed' | 'missing' | 'cancelled';
  readonly messages: readonly ClangMessage[];
  readonly objectPath?: string;
  /** The object's bytes after a successful compile, for our verifier (core/verifier). */
  readonly object?: Uint8Array;
  /** Command line and output, for the log. */
  readonly output: string;
}

export interface Toolchain {
  /** Compiles a file on disk (the saved document) with clang -O2 -g -target bpf. */
  compile(
    filePath: string,
    settings: LanguageSettings,
    workspaceFolders: readonly string[],
    signal: AbortSignal,
  ): Promise<CompileOutcome>;
  /** Loads an object with bpftool into a temporary bpffs pin and reports what the verifier said. */
  verify(
    objectPath: string,
    sourcePath: string,
    settings: LanguageSettings,
    signal: AbortSignal,
  ): Promise<VerifyResult>;
}

export interface ServerServices {
  loadParserWasm(): Promise<ParserWasm>;
  /** Helper documentation read from the installed uapi header, with the path it came from. */
  helperDocs?(): Promise<
    { readonly source: string; readonly docs: ReadonlyMap<string, HelperDoc> } | undefined
  >;
  /** Node only: clang and bpftool. */
  readonly toolchain?: Toolchain;
  /** file: URI → path, for the toolchain (Node only). */
  uriToPath?(uri: string): string | undefined;
  /** A file's text on disk, undefined when it cannot be read (Node only; issue 12 item 5). */
  readDiskText?(path: string): Promise<string | undefined>;
}
