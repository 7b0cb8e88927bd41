// The language server's state shared by its features: the open documents, each one's diagnostics by
// source, the analyses and the client's settings. startServer.ts wires the LSP requests to it.
import { CodeLensRefreshRequest, TextDocuments } from 'vscode-languageserver';
import type { Connection, Diagnostic } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { VerifyReport } from '../core/verifier/verdict';
import { defaultLanguageSettings, logNotification } from '../protocol/lsp';
import type { LanguageSettings, RemoteVerdictParams, VerifyResult } from '../protocol/lsp';
import type { CompileBasis } from './compileBasis';
import type { DocumentAnalyses } from './documentAnalyses';
import { followEdits } from './keptDiagnostics';
import type { ServerServices } from './services';

export interface DocState {
  analyzerDiags: Diagnostic[];
  clangDiags: Diagnostic[];
  /**
   * "Verify in kernel"'s rejection; like ownVerifierDiags it stays until the next successful compile,
   * and through one of the same text and flags (`kernelBasis`).
   */
  verifierDiags: Diagnostic[];
  /** Our verifier on the last successfully compiled object (issue 11): kept across edits and failed compiles. */
  ownVerifierDiags: Diagnostic[];
  /** Our verifier's report and the kernel's last answer, for the CodeLens. */
  report?: VerifyReport;
  kernel?: VerifyResult;
  /** The compile the kernel's answer (`kernel`, `verifierDiags`) is about. */
  kernelBasis?: CompileBasis;
  /** Successful compiles so far; the verification host's verdict names the one it judged. */
  generation: number;
  /** The verification host's kernel on the object of `generation` (xdpLab.verify.host), and where it differs. */
  remote?: RemoteVerdictParams;
  remoteDiags: Diagnostic[];
  analyzeTimer?: ReturnType<typeof setTimeout>;
  compileTimer?: ReturnType<typeof setTimeout>;
  compile?: AbortController;
  /** The text the last scheduled compile reads from disk (the saved document). */
  compiledText?: string;
  /** The file changed on disk while the editor showed other text: compile when they agree again. */
  awaitingDisk?: boolean;
}

/** Messages to a client that has gone away are dropped: nobody is left to read them. */
export const ignoreClosed = (): undefined => undefined;

export class ServerSession {
  /** The open documents; each incremental edit also moves the kept diagnostics with the text. */
  readonly documents = new TextDocuments<TextDocument>({
    create: (uri, languageId, version, content) => TextDocument.create(uri, languageId, version, content),
    update: (doc, changes, version) => {
      const s = this.states.get(doc.uri);
      if (s && changes.length) {
        s.clangDiags = followEdits(s.clangDiags, doc.uri, changes);
        s.ownVerifierDiags = followEdits(s.ownVerifierDiags, doc.uri, changes);
        s.verifierDiags = followEdits(s.verifierDiags, doc.uri, changes);
        s.remoteDiags = followEdits(s.remoteDiags, doc.uri, changes);
      }
      return TextDocument.update(doc, changes, version);
    },
  });
  readonly states = new Map<string, DocState>();
  /** Set by initialize (it loads the parser). */
  analyses: DocumentAnalyses | undefined;
  hasConfiguration = false;
  workspaceFolders: string[] = [];
  clangMissingShown = false;
  codeLensRefresh = false;
  /** clangd completes these files too (the client says so): completion keeps to BPF knowledge. */
  clangdActive = false;

  constructor(
    readonly connection: Connection,
    readonly services: ServerServices,
  ) {}

  /** The document's state, created on first use. */
  state(uri: string): DocState {
    let s = this.states.get(uri);
    if (!s) {
      s = {
        analyzerDiags: [],
        clangDiags: [],
        verifierDiags: [],
        ownVerifierDiags: [],
        generation: 0,
        remoteDiags: [],
      };
      this.states.set(uri, s);
    }
    return s;
  }

  /** Every source's diagnostics of a document, in one publish. */
  publish(uri: string): void {
    const s = this.state(uri);
    this.connection
      .sendDiagnostics({
        uri,
        diagnostics: [
          ...s.analyzerDiags,
          ...s.clangDiags,
          ...s.ownVerifierDiags,
          ...s.verifierDiags,
          ...s.remoteDiags,
        ],
      })
      .catch(ignoreClosed);
  }

  /** Clears a document's diagnostics in the client (closed, or no longer BPF C). */
  clear(uri: string): void {
    this.connection.sendDiagnostics({ uri, diagnostics: [] }).catch(ignoreClosed);
  }

  log(text: string): void {
    void this.connection.sendNotification(logNotification, { text }).catch(ignoreClosed);
  }

  refreshCodeLenses(): void {
    if (this.codeLensRefresh)
      void this.connection.sendRequest(CodeLensRefreshRequest.type).catch(ignoreClosed);
  }

  /** The client's `xdpLab` settings for a document, over the defaults. */
  async settingsFor(uri: string): Promise<LanguageSettings> {
    if (!this.hasConfiguration) return defaultLanguageSettings;
    const raw = (await this.connection.workspace.getConfiguration({
      scopeUri: uri,
      section: 'xdpLab',
    })) as Partial<{
      clang: Partial<LanguageSettings['clang']>;
      bpftool: Partial<LanguageSettings['bpftool']>;
      inlayHints: Partial<LanguageSettings['inlayHints']>;
      vm: Partial<LanguageSettings['vm']>;
    }> | null;
    return {
      clang: { ...defaultLanguageSettings.clang, ...(raw?.clang ?? {}) },
      bpftool: { ...defaultLanguageSettings.bpftool, ...(raw?.bpftool ?? {}) },
      inlayHints: { ...defaultLanguageSettings.inlayHints, ...(raw?.inlayHints ?? {}) },
      vm: { kconfig: (raw?.vm?.kconfig ?? '').trim() },
    };
  }

  /** The line of a program's name in a document (where a verdict without a line goes). */
  programLine(doc: TextDocument, name: string): number | undefined {
    const p = this.analyses?.get(doc)?.model.programs.find((x) => x.name === name);
    return p ? doc.positionAt(p.nameSpan.start).line : undefined;
  }

  /** The file path of a document's uri (Node), else the uri itself. */
  pathOf(uri: string): string {
    return this.services.uriToPath?.(uri) ?? uri;
  }
}
