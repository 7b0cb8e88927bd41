// Wires the LSP features to a connection. Shared by the Node entry (server.ts) and a browser worker
// entry: everything host-specific comes in through ServerServices.
import {
  CodeLensRefreshRequest,
  TextDocuments,
  TextDocumentSyncKind,
  DiagnosticSeverity,
} from 'vscode-languageserver';
import type { Connection, Diagnostic, InitializeResult } from 'vscode-languageserver';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { createAnalyzer } from '../core/analysis/analyzer';
import type { VerifyReport } from '../core/verifier/verdict';
import { verifyObject } from '../core/verifier/verifyObject';
import {
  clangdStatusNotification,
  compileRequest,
  defaultLanguageSettings,
  didCompileNotification,
  logNotification,
  remoteVerdictNotification,
  verifyRequest,
} from '../protocol/lsp';
import type {
  ClangdStatusParams,
  CompileParams,
  CompileResult,
  DidCompileParams,
  LanguageSettings,
  RemoteVerdictParams,
  VerifyParams,
  VerifyResult,
} from '../protocol/lsp';
import { bpfKnowledgeOnly } from './clangdCoexist';
import { codeLenses } from './codeLens';
import { compileFlags, sameBasis } from './compileBasis';
import type { CompileBasis } from './compileBasis';
import { remoteDiagnostics } from './remoteVerdict';
import { complete } from './completion';
import { clangDiagnostics, codeActions, toLspDiagnostic } from './diagnostics';
import { onWatchedFiles } from './watchedFiles';
import { DocumentAnalyses } from './documentAnalyses';
import { documentSymbols } from './documentSymbols';
import { hover } from './hover';
import { inlayHints } from './inlayHints';
import type { HelperDocSource } from './hover';
import { definition, documentHighlights, prepareRename, references, rename } from './navigation';
import type { FindInHeaders } from './navigation';
import { semanticTokens, semanticTokensLegend } from './semanticTokens';
import type { ServerServices } from './services';
import { signatureHelp } from './signatureHelp';
import { kernelDisagreement, verifierDiagnostics } from './verifierDiagnostics';

interface DocState {
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
const ignoreClosed = (): undefined => undefined;

/** Milliseconds of quiet before re-analysing after an edit, and before compiling after a save. */
const ANALYZE_DEBOUNCE_MS = 150;
const COMPILE_DEBOUNCE_MS = 300;

export function startServer(connection: Connection, services: ServerServices): void {
  const documents = new TextDocuments(TextDocument);
  const states = new Map<string, DocState>();
  let analyses: DocumentAnalyses | undefined;
  let uapi: HelperDocSource | undefined;
  let uapiLoad: Promise<void> | undefined;
  let hasConfiguration = false;
  let workspaceFolders: string[] = [];
  let clangMissingShown = false;
  let codeLensRefresh = false;
  /** clangd completes these files too (the client says so): completion keeps to BPF knowledge. */
  let clangdActive = false;
  const refreshCodeLenses = (): void => {
    if (codeLensRefresh) void connection.sendRequest(CodeLensRefreshRequest.type).catch(ignoreClosed);
  };

  const state = (uri: string): DocState => {
    let s = states.get(uri);
    if (!s)
      states.set(
        uri,
        (s = {
          analyzerDiags: [],
          clangDiags: [],
          verifierDiags: [],
          ownVerifierDiags: [],
          generation: 0,
          remoteDiags: [],
        }),
      );
    return s;
  };
  const publish = (uri: string): void => {
    const s = state(uri);
    connection
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
  };
  const log = (text: string): void =>
    void connection.sendNotification(logNotification, { text }).catch(ignoreClosed);

  async function settingsFor(uri: string): Promise<LanguageSettings> {
    if (!hasConfiguration) return defaultLanguageSettings;
    const raw = (await connection.workspace.getConfiguration({
      scopeUri: uri,
      section: 'xdpLab',
    })) as Partial<{
      clang: Partial<LanguageSettings['clang']>;
      bpftool: Partial<LanguageSettings['bpftool']>;
      inlayHints: Partial<LanguageSettings['inlayHints']>;
    }> | null;
    return {
      clang: { ...defaultLanguageSettings.clang, ...(raw?.clang ?? {}) },
      bpftool: { ...defaultLanguageSettings.bpftool, ...(raw?.bpftool ?? {}) },
      inlayHints: { ...defaultLanguageSettings.inlayHints, ...(raw?.inlayHints ?? {}) },
    };
  }

  function analyzeNow(doc: TextDocument): void {
    if (!analyses) return;
    const a = analyses.get(doc);
    if (!a) {
      if (states.has(doc.uri)) {
        states.delete(doc.uri);
        connection.sendDiagnostics({ uri: doc.uri, diagnostics: [] }).catch(ignoreClosed);
      }
      return;
    }
    state(doc.uri).analyzerDiags = a.diagnostics.map((d) => toLspDiagnostic(d, doc.uri));
    publish(doc.uri);
  }

  const compile = async (doc: TextDocument): Promise<CompileResult> => (await compileDoc(doc)).result;

  /** Compiles the saved file; `basis` says what a successful compile was made from. */
  async function compileDoc(doc: TextDocument): Promise<{ result: CompileResult; basis?: CompileBasis }> {
    const toolchain = services.toolchain;
    const file = services.uriToPath?.(doc.uri);
    if (!toolchain || !file)
      return {
        result: {
          ok: false,
          errors: 0,
          warnings: 0,
          output: 'Compiling needs a saved file and the Node language server.',
        },
      };
    const s = state(doc.uri);
    s.compile?.abort();
    const ctrl = new AbortController();
    s.compile = ctrl;
    const settings = await settingsFor(doc.uri);
    // The text clang compiles, read before it starts; were the file written in between, the object
    // would not match a verdict's together with this text, so a verdict is dropped, never kept wrongly.
    const sourceText = await services.readDiskText?.(file);
    const outcome = await toolchain.compile(file, settings, workspaceFolders, ctrl.signal);
    if (s.compile === ctrl) s.compile = undefined;
    log(outcome.output);
    if (outcome.status === 'cancelled')
      return { result: { ok: false, errors: 0, warnings: 0, output: outcome.output } };
    if (outcome.status === 'missing') {
      if (!clangMissingShown) {
        clangMissingShown = true;
        connection.window.showInformationMessage(
          `XDP Lab: clang was not found (xdpLab.clang.path = "${settings.clang.path}"), so BPF C files are not compiled on save. Install it with: sudo apt-get install clang llvm libbpf-dev (Debian/Ubuntu) or sudo dnf install clang llvm libbpf-devel (Fedora).`,
        );
      }
      s.clangDiags = [];
      publish(doc.uri);
      return { result: { ok: false, errors: 0, warnings: 0, output: outcome.output } };
    }
    const lines = doc.getText().split('\n');
    s.clangDiags = clangDiagnostics(outcome.messages, file, (l) => lines[l] ?? '');
    let basis: CompileBasis | undefined;
    if (outcome.status === 'ok' && outcome.object) {
      if (sourceText !== undefined)
        basis = { text: sourceText, flags: compileFlags(settings, workspaceFolders), object: outcome.object };
      runOwnVerifier(doc, file, outcome.object, lines, basis);
      if (outcome.objectPath)
        void connection
          .sendNotification(didCompileNotification, {
            uri: doc.uri,
            objectPath: outcome.objectPath,
            generation: s.generation,
          } satisfies DidCompileParams)
          .catch(ignoreClosed);
    }
    publish(doc.uri);
    return {
      result: {
        ok: outcome.status === 'ok',
        objectPath: outcome.objectPath,
        errors: s.clangDiags.filter((d) => d.severity === DiagnosticSeverity.Error).length,
        warnings: s.clangDiags.filter((d) => d.severity === DiagnosticSeverity.Warning).length,
        output: outcome.output,
      },
      basis,
    };
  }

  /**
   * After a successful compile: our verifier's verdict replaces the last one. The kernel's answer is
   * stale unless this compile is of the same text, flags and object it was given for (a save without
   * changes, a watched-file event on a file just written: Verify in Kernel's answer used to vanish then).
   */
  function runOwnVerifier(
    doc: TextDocument,
    file: string,
    object: Uint8Array,
    lines: string[],
    basis: CompileBasis | undefined,
  ): void {
    const s = state(doc.uri);
    if (!sameBasis(s.kernelBasis, basis)) {
      s.verifierDiags = [];
      s.kernel = undefined;
      s.kernelBasis = undefined;
    }
    // The verification host's verdict was about the previous object: its answer on this one follows.
    s.generation++;
    s.remote = undefined;
    s.remoteDiags = [];
    try {
      s.report = verifyObject(object);
    } catch (e) {
      // An object the loader refuses (e.g. CO-RE against kernel types): no verdict, said in the log.
      s.report = undefined;
      s.ownVerifierDiags = [];
      log(`xdp-lab verifier: cannot judge ${file}: ${e instanceof Error ? e.message : String(e)}`);
      refreshCodeLenses();
      return;
    }
    const model = analyses?.get(doc)?.model;
    s.ownVerifierDiags = verifierDiagnostics(
      s.report,
      doc.uri,
      file,
      (l) => lines[l],
      (name) => {
        const p = model?.programs.find((x) => x.name === name);
        return p ? doc.positionAt(p.nameSpan.start).line : undefined;
      },
    );
    refreshCodeLenses();
  }

  async function verify(params: VerifyParams): Promise<VerifyResult> {
    const doc = documents.get(params.uri);
    if (!doc) return { status: 'unavailable', message: `${params.uri} is not open.`, log: '' };
    if (!services.toolchain)
      return {
        status: 'unavailable',
        message: 'Verify in kernel needs the Node language server (not available in the browser).',
        log: '',
      };
    const { result: c, basis } = await compileDoc(doc);
    if (!c.ok || !c.objectPath)
      return {
        status: 'compile-failed',
        message: c.errors
          ? `clang reported ${c.errors} error(s); fix them first.`
          : 'clang could not compile the file.',
        log: c.output,
      };
    const settings = await settingsFor(doc.uri);
    const r = await services.toolchain.verify(
      c.objectPath,
      services.uriToPath?.(doc.uri) ?? doc.uri,
      settings,
      new AbortController().signal,
    );
    log(r.log);
    const s = state(doc.uri);
    s.verifierDiags = [];
    const disagreement = kernelDisagreement(s.report, r);
    s.kernel = { ...r, ...(disagreement ? { disagreement } : {}) };
    s.kernelBasis = basis;
    refreshCodeLenses();
    if (r.status === 'rejected') {
      const line =
        r.line ?? analyses?.get(doc)?.model.programs.find((p) => p.name === r.program)?.nameSpan.start;
      const lineNo = r.line ?? (line !== undefined ? doc.positionAt(line).line : 0);
      const text = doc.getText().split('\n')[lineNo] ?? '';
      const indent = text.length - text.trimStart().length;
      s.verifierDiags = [
        {
          range: {
            start: { line: lineNo, character: indent },
            end: { line: lineNo, character: text.length },
          },
          severity: DiagnosticSeverity.Error,
          source: 'verifier',
          message: `Kernel verifier: ${r.message} (full log in the XDP Lab output)`,
        },
      ];
    }
    publish(doc.uri);
    return s.kernel;
  }

  connection.onInitialize(async (params): Promise<InitializeResult> => {
    hasConfiguration = !!params.capabilities.workspace?.configuration;
    codeLensRefresh = !!params.capabilities.workspace?.codeLens?.refreshSupport;
    workspaceFolders = (params.workspaceFolders ?? [])
      .map((f) => services.uriToPath?.(f.uri))
      .filter((p): p is string => !!p);
    analyses = new DocumentAnalyses(await createAnalyzer(await services.loadParserWasm()));
    return {
      capabilities: {
        textDocumentSync: {
          openClose: true,
          change: TextDocumentSyncKind.Incremental,
          save: { includeText: false },
        },
        completionProvider: { triggerCharacters: ['>', '"', '(', ',', '&', ' ', '_'] },
        hoverProvider: true,
        signatureHelpProvider: { triggerCharacters: ['(', ','] },
        documentSymbolProvider: true,
        definitionProvider: true,
        referencesProvider: true,
        documentHighlightProvider: true,
        renameProvider: { prepareProvider: true },
        inlayHintProvider: true,
        codeActionProvider: { codeActionKinds: ['quickfix'] },
        codeLensProvider: { resolveProvider: false },
        semanticTokensProvider: { legend: semanticTokensLegend, full: true },
      },
      serverInfo: { name: 'xdp-lab-language-server' },
    };
  });

  documents.onDidOpen((e) => analyzeNow(e.document));
  documents.onDidChangeContent((e) => {
    const s = states.get(e.document.uri);
    if (!s && !analyses?.isBpf(e.document)) return;
    // The verifiers' diagnostics stay until the next successful compile (issue 11), only the analyzer re-runs.
    const st = state(e.document.uri);
    if (st.analyzeTimer) clearTimeout(st.analyzeTimer);
    st.analyzeTimer = setTimeout(() => analyzeNow(e.document), ANALYZE_DEBOUNCE_MS);
    // The editor reloaded the file changed on disk (or was edited back to it): compile what it shows.
    const file = st.awaitingDisk ? services.uriToPath?.(e.document.uri) : undefined;
    if (file && services.readDiskText)
      void services.readDiskText(file).then((disk) => {
        if (st.awaitingDisk && disk === e.document.getText()) scheduleCompile(e.document);
      });
  });
  /** Compile-on-save of the file as on disk (after a save, or a change on disk the editor shows). */
  const scheduleCompile = (doc: TextDocument): void => {
    const s = state(doc.uri);
    s.compile?.abort();
    if (s.compileTimer) clearTimeout(s.compileTimer);
    s.compiledText = doc.getText();
    s.awaitingDisk = false;
    s.compileTimer = setTimeout(() => {
      void settingsFor(doc.uri)
        .then((st) => (st.clang.compileOnSave ? compile(doc) : undefined))
        .catch((err: unknown) => log(`compile failed: ${String(err)}`));
    }, COMPILE_DEBOUNCE_MS);
  };
  documents.onDidSave((e) => {
    if (analyses?.isBpf(e.document)) scheduleCompile(e.document);
  });
  // Files changed on disk (the client's workspace watcher, issue 12 item 5): clang's words stay true.
  connection.onDidChangeWatchedFiles((p) => {
    const diskText = (uri: string): Promise<string | undefined> => {
      const file = services.uriToPath?.(uri);
      return file && services.readDiskText ? services.readDiskText(file) : Promise.resolve(undefined);
    };
    void onWatchedFiles(p.changes, {
      bpfDocuments: () => documents.all().filter((d) => analyses?.isBpf(d)),
      compiledText: (uri) => states.get(uri)?.compiledText,
      diskText,
      recompile: scheduleCompile,
      clearClang: (doc, awaitDisk) => {
        const s = state(doc.uri);
        s.compile?.abort();
        if (s.compileTimer) clearTimeout(s.compileTimer);
        s.compiledText = undefined;
        s.awaitingDisk = awaitDisk;
        if (s.clangDiags.length) {
          s.clangDiags = [];
          publish(doc.uri);
        }
      },
    }).catch((err: unknown) => log(`watched files: ${String(err)}`));
  });
  documents.onDidClose((e) => {
    const s = states.get(e.document.uri);
    if (s?.analyzeTimer) clearTimeout(s.analyzeTimer);
    if (s?.compileTimer) clearTimeout(s.compileTimer);
    s?.compile?.abort();
    states.delete(e.document.uri);
    analyses?.drop(e.document.uri);
    connection.sendDiagnostics({ uri: e.document.uri, diagnostics: [] }).catch(ignoreClosed);
  });
  connection.onShutdown(() => {
    for (const s of states.values()) {
      if (s.analyzeTimer) clearTimeout(s.analyzeTimer);
      if (s.compileTimer) clearTimeout(s.compileTimer);
      s.compile?.abort();
    }
    states.clear();
  });

  const withAnalysis = <T>(
    uri: string,
    fallback: T,
    f: (doc: TextDocument, a: NonNullable<ReturnType<DocumentAnalyses['get']>>) => T,
  ): T => {
    const doc = documents.get(uri);
    const a = doc && analyses?.get(doc);
    return doc && a ? f(doc, a) : fallback;
  };

  connection.onCompletion((p) => {
    const doc = documents.get(p.textDocument.uri);
    if (!doc || !analyses?.isBpf(doc)) return null;
    const analysis = analyses.latest(doc);
    const list = complete(doc, p.position, analysis);
    return clangdActive ? bpfKnowledgeOnly(list, analysis?.model.maps.map((m) => m.name) ?? []) : list;
  });
  connection.onNotification(clangdStatusNotification, (p: ClangdStatusParams) => {
    clangdActive = p.active === true;
  });
  connection.onHover(async (p) => {
    // The uapi header's helper docs are read and parsed on the first hover, not at start: that
    // parse (~10 ms) used to land inside the first didOpen's analysis (bench: cold didOpen).
    uapiLoad ??= services.helperDocs?.().then((d) => void (uapi = d)) ?? Promise.resolve();
    await uapiLoad;
    return withAnalysis(p.textDocument.uri, null, (doc, a) => hover(doc, p.position, a, uapi));
  });
  connection.onSignatureHelp((p) => {
    const doc = documents.get(p.textDocument.uri);
    return doc && analyses?.isBpf(doc) ? signatureHelp(doc, p.position) : null;
  });
  connection.onDocumentSymbol((p) => withAnalysis(p.textDocument.uri, [], (_d, a) => documentSymbols(a)));
  /** Header lookups for a document: its includes, its folder and the clang settings (Node only). */
  const headersFor = (
    doc: TextDocument,
    a: NonNullable<ReturnType<DocumentAnalyses['get']>>,
  ): FindInHeaders | undefined => {
    const headers = services.headers;
    if (!headers) return undefined;
    const includes = a.model.includes;
    return async (q) =>
      headers.find(q, includes, services.uriToPath?.(doc.uri), await settingsFor(doc.uri), workspaceFolders);
  };
  connection.onDefinition((p) =>
    withAnalysis(p.textDocument.uri, Promise.resolve(null), (doc, a) =>
      definition(doc, p.position, a, headersFor(doc, a)),
    ),
  );
  connection.languages.inlayHint.on(async (p) => {
    const settings = await settingsFor(p.textDocument.uri);
    return withAnalysis(p.textDocument.uri, [], (_d, a) => inlayHints(a, p.range, settings.inlayHints));
  });
  connection.onDocumentHighlight((p) =>
    withAnalysis(p.textDocument.uri, [], (doc, a) => documentHighlights(doc, p.position, a)),
  );
  connection.onPrepareRename((p) =>
    withAnalysis(p.textDocument.uri, null, (doc, a) => prepareRename(doc, p.position, a)),
  );
  connection.onRenameRequest((p) =>
    withAnalysis(p.textDocument.uri, null, (doc, a) => rename(doc, p.position, a, p.newName)),
  );
  connection.onReferences((p) =>
    withAnalysis(p.textDocument.uri, [], (doc, a) =>
      references(doc, p.position, a, p.context.includeDeclaration),
    ),
  );
  connection.onCodeAction((p) => withAnalysis(p.textDocument.uri, [], (_d, a) => codeActions(p, a)));
  connection.onCodeLens((p) =>
    withAnalysis(p.textDocument.uri, [], (_d, a) => {
      const s = states.get(p.textDocument.uri);
      return codeLenses(p.textDocument.uri, a, { report: s?.report, kernel: s?.kernel, remote: s?.remote });
    }),
  );
  connection.languages.semanticTokens.on((p) =>
    withAnalysis(p.textDocument.uri, { data: [] }, (_d, a) => semanticTokens(a)),
  );
  connection.onRequest(compileRequest, (p: CompileParams) => {
    const doc = documents.get(p.uri);
    return doc ? compile(doc) : { ok: false, errors: 0, warnings: 0, output: `${p.uri} is not open` };
  });
  connection.onRequest(verifyRequest, (p: VerifyParams) => verify(p));
  connection.onNotification(remoteVerdictNotification, (p: RemoteVerdictParams) => {
    const doc = documents.get(p.uri);
    const s = states.get(p.uri);
    if (!doc || !s || p.generation !== s.generation) return; // closed, or about an older object
    const lines = doc.getText().split('\n');
    const model = analyses?.get(doc)?.model;
    s.remote = p;
    s.remoteDiags = remoteDiagnostics(
      p,
      s.report,
      doc.uri,
      services.uriToPath?.(doc.uri) ?? doc.uri,
      (l) => lines[l],
      (name) => {
        const prog = model?.programs.find((x) => x.name === name);
        return prog ? doc.positionAt(prog.nameSpan.start).line : undefined;
      },
    );
    publish(doc.uri);
    refreshCodeLenses();
  });

  documents.listen(connection);
  connection.listen();
}
