// What the server needs from its host. The Node entry (server.ts) provides everything; a browser
// worker entry provides only the parser WASM, so clang, bpftool and files stay out of its bundle.
import type { ParserWasm } from '../core/analysis/cParser';
import type { ClangMessage } from '../core/analysis/clangOutput';
import type { HelperDoc } from '../core/analysis/uapiHelperDocs';
import type { VerifyOptions } from '../core/verifier/verdict';
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

/** What to look up in the headers a file includes (issue 12 item 2: definition into headers). */
export type HeaderQuery =
  | { readonly kind: 'tag'; readonly name: string }
  | { readonly kind: 'field'; readonly struct: string; readonly name: string }
  | { readonly kind: 'name'; readonly name: string }
  /** The header file an #include line names (its first line). */
  | { readonly kind: 'include'; readonly path: string; readonly system: boolean };

export interface HeaderLocation {
  readonly uri: string;
  readonly line: number;
  readonly character: number;
}

export interface HeaderLookup {
  /**
   * The definition of `query` in the headers `includes` pull in (transitively, resolved with clang's
   * include search path for the settings); undefined when none defines it or a header is unreadable.
   */
  find(
    query: HeaderQuery,
    includes: readonly { readonly path: string; readonly system: boolean }[],
    filePath: string | undefined,
    settings: LanguageSettings,
    workspaceFolders: readonly string[],
  ): Promise<HeaderLocation | undefined>;
}

export interface ServerServices {
  loadParserWasm(): Promise<ParserWasm>;
  /** Helper documentation read from the installed uapi header, with the path it came from. */
  helperDocs?(): Promise<
    { readonly source: string; readonly docs: ReadonlyMap<string, HelperDoc> } | undefined
  >;
  /** Node only: clang and bpftool. */
  readonly toolchain?: Toolchain;
  /** Node only: go to definition into included headers. */
  readonly headers?: HeaderLookup;
  /** file: URI → path, for the toolchain (Node only). */
  uriToPath?(uri: string): string | undefined;
  /**
   * The kernel BTF our verifier resolves CO-RE against, as `run` does (Node: the running kernel's
   * /sys/kernel/btf/vmlinux when readable, node/kernelBtf.ts); absent → the bundled BTF. With the
   * kernel config `.kconfig` externs read (xdpLab.vm.kconfig first, as libbpf's kconfig open option).
   */
  targetBtf?(
    kconfig?: KconfigSetting,
  ): Pick<VerifyOptions, 'targetBtf' | 'targetBtfName' | 'kconfig' | 'kconfigExtra' | 'kernelFacts'>;
  /** A file's text on disk, undefined when it cannot be read (Node only; issue 12 item 5). */
  readDiskText?(path: string): Promise<string | undefined>;
}

/** xdpLab.vm.kconfig for one compiled file: a relative path is from the file's workspace folder
 * (as Run XDP Program reads it, extension/program/runProgram.ts). */
export interface KconfigSetting {
  readonly file: string;
  readonly sourceFile: string;
  readonly workspaceFolders: readonly string[];
}
