// Custom messages between the XDP C language client (src/extension/language) and server (src/server),
// beyond standard LSP. One place for both sides, each with direction and when it is sent.

import type { VerifyReport } from '../core/verifier/verdict';

/** Settings the server pulls per document with workspace/configuration (section "xdpLab"). */
export interface LanguageSettings {
  readonly clang: {
    readonly path: string;
    readonly extraArgs: readonly string[];
    readonly includePaths: readonly string[];
    readonly compileOnSave: boolean;
  };
  readonly bpftool: { readonly path: string };
  /** xdpLab.inlayHints.*: which inlay hints the server gives (issue 12). */
  readonly inlayHints: {
    readonly packetOffsets: boolean;
    readonly structLayout: boolean;
    readonly mapTypes: boolean;
  };
  /** xdpLab.vm.kconfig: the kernel config file `.kconfig` externs read first ('' for the system's),
   * relative to the file's workspace folder — the verdict on compile loads the object as Run does. */
  readonly vm: { readonly kconfig: string };
}

export const defaultLanguageSettings: LanguageSettings = {
  clang: { path: 'clang', extraArgs: [], includePaths: [], compileOnSave: true },
  bpftool: { path: 'bpftool' },
  inlayHints: { packetOffsets: true, structLayout: true, mapTypes: false },
  vm: { kconfig: '' },
};

/** client → server request, sent by "XDP Lab: Compile with clang": compile now and publish clang's diagnostics. */
export const compileRequest = 'xdpLab/compile';
export interface CompileParams {
  readonly uri: string;
}
export interface CompileResult {
  /** False when clang failed or is missing. */
  readonly ok: boolean;
  readonly objectPath?: string;
  readonly errors: number;
  readonly warnings: number;
  /** clang's command line and output, for the output channel. */
  readonly output: string;
}

/** client → server request, sent by the "Verify in kernel" CodeLens/command: compile, load with bpftool, report. */
export const verifyRequest = 'xdpLab/verify';
export interface VerifyParams {
  readonly uri: string;
  /** Program (function) the user asked about; the whole object is loaded either way. */
  readonly function?: string;
}
export interface VerifyResult {
  readonly status: 'accepted' | 'rejected' | 'compile-failed' | 'unavailable';
  /** One line for a notification. */
  readonly message: string;
  /** Program the verifier rejected. */
  readonly program?: string;
  /** 0-based source line the rejection maps to (BTF line info), when known. */
  readonly line?: number;
  /** The verifier log (or the reason verification could not run), for the output channel. */
  readonly log: string;
  /** Set when XDP Lab's own verifier (on the same object) answered differently: one sentence. */
  readonly disagreement?: string;
}

/** server → client notification: text for the "XDP Lab" output channel (clang command lines, verifier logs). */
export const logNotification = 'xdpLab/log';
export interface LogParams {
  readonly text: string;
}

/**
 * client → server notification, sent after the client starts and whenever it changes: whether clangd
 * serves C files in this window too (vscode-clangd, or clangd + a clangd config; setting
 * xdpLab.clangd.coexist). While true, completion offers only BPF knowledge (issue 12 item 4).
 */
export const clangdStatusNotification = 'xdpLab/clangdStatus';
export interface ClangdStatusParams {
  readonly active: boolean;
}

/**
 * server → client notification after every successful compile (the compile-on-save build too): the
 * object our verifier just judged. `generation` counts this document's compiles; the client's remote
 * verdict names it so a late answer about an older object is dropped (issue 15 item 1).
 */
export const didCompileNotification = 'xdpLab/didCompile';
export interface DidCompileParams {
  readonly uri: string;
  readonly objectPath: string;
  readonly generation: number;
}

/**
 * client → server notification: the verification host's kernel (`xdpLab.verify.host`) judged the
 * object of `generation` over ssh (`report`), or could not be asked (`error`); the server shows it
 * beside our verifier's verdict (CodeLens, and a diagnostic where the two disagree).
 */
export const remoteVerdictNotification = 'xdpLab/remoteVerdict';
export interface RemoteVerdictParams {
  readonly uri: string;
  readonly generation: number;
  /** The host as the user named it. */
  readonly host: string;
  /** Which kernel judged (uname -r) and through which loader; absent with `error`. */
  readonly kernel?: { readonly release: string; readonly loader: string };
  readonly report?: VerifyReport;
  readonly error?: string;
}
