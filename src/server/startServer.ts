// Wires the LSP features to a connection. Shared by the Node entry (server.ts) and a browser worker
// entry: everything host-specific comes in through ServerServices.
import { TextDocumentSyncKind } from 'vscode-languageserver';
import type { Connection, InitializeResult } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { createAnalyzer } from '../core/analysis/analyzer';
import {
  clangdStatusNotification,
  compileRequest,
  remoteVerdictNotification,
  verifyRequest,
} from '../protocol/lsp';
import type { ClangdStatusParams, CompileParams, RemoteVerdictParams, VerifyParams } from '../protocol/lsp';
import { bpfKnowledgeOnly } from './clangdCoexist';
import { codeLenses } from './codeLens';
import { applyRemoteVerdict, compileDoc, verifyInKernel } from './compileVerdicts';
import { complete } from './completion';
import { codeActions } from './diagnostics';
import { DocumentAnalyses } from './documentAnalyses';
import { documentSymbols } from './documentSymbols';
import { wireDocumentSync } from './documentSync';
import { hover } from './hover';
import { inlayHints } from './inlayHints';
import type { HelperDocSource } from './hover';
import { definition, documentHighlights, prepareRename, references, rename } from './navigation';
import type { FindInHeaders } from './navigation';
import { semanticTokens, semanticTokensLegend } from './semanticTokens';
import { ServerSession } from './serverSession';
import type { ServerServices } from './services';
import { signatureHelp } from './signatureHelp';

export function startServer(connection: Connection, services: ServerServices): void {
  const session = new ServerSession(connection, services);
  const { documents } = session;
  let uapi: HelperDocSource | undefined;
  let uapiLoad: Promise<void> | undefined;
  let parserMs = 0;

  connection.onInitialize(async (params): Promise<InitializeResult> => {
    session.hasConfiguration = !!params.capabilities.workspace?.configuration;
    session.codeLensRefresh = !!params.capabilities.workspace?.codeLens?.refreshSupport;
    session.workspaceFolders = (params.workspaceFolders ?? [])
      .map((f) => services.uriToPath?.(f.uri))
      .filter((p): p is string => !!p);
    const t0 = performance.now();
    session.analyses = new DocumentAnalyses(await createAnalyzer(await services.loadParserWasm()));
    parserMs = Math.round(performance.now() - t0);
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

  // Said once the client listens: how long the C parser took to load (issue 16, the cold start).
  connection.onInitialized(() =>
    session.log(`XDP C language server ready: tree-sitter loaded in ${parserMs} ms`),
  );

  wireDocumentSync(session);

  const withAnalysis = <T>(
    uri: string,
    fallback: T,
    f: (doc: TextDocument, a: NonNullable<ReturnType<DocumentAnalyses['get']>>) => T,
  ): T => {
    const doc = documents.get(uri);
    const a = doc && session.analyses?.get(doc);
    return doc && a ? f(doc, a) : fallback;
  };

  connection.onCompletion((p) => {
    const doc = documents.get(p.textDocument.uri);
    const analyses = session.analyses;
    if (!doc || !analyses?.isBpf(doc)) return null;
    const analysis = analyses.latest(doc);
    const list = complete(doc, p.position, analysis);
    return session.clangdActive
      ? bpfKnowledgeOnly(list, analysis?.model.maps.map((m) => m.name) ?? [])
      : list;
  });
  connection.onNotification(clangdStatusNotification, (p: ClangdStatusParams) => {
    session.clangdActive = p.active === true;
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
    return doc && session.analyses?.isBpf(doc) ? signatureHelp(doc, p.position) : null;
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
      headers.find(
        q,
        includes,
        services.uriToPath?.(doc.uri),
        await session.settingsFor(doc.uri),
        session.workspaceFolders,
      );
  };
  connection.onDefinition((p) =>
    withAnalysis(p.textDocument.uri, Promise.resolve(null), (doc, a) =>
      definition(doc, p.position, a, headersFor(doc, a)),
    ),
  );
  connection.languages.inlayHint.on(async (p) => {
    const settings = await session.settingsFor(p.textDocument.uri);
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
      const s = session.states.get(p.textDocument.uri);
      return codeLenses(p.textDocument.uri, a, { report: s?.report, kernel: s?.kernel, remote: s?.remote });
    }),
  );
  connection.languages.semanticTokens.on((p) =>
    withAnalysis(p.textDocument.uri, { data: [] }, (_d, a) => semanticTokens(a)),
  );
  connection.onRequest(compileRequest, (p: CompileParams) => {
    const doc = documents.get(p.uri);
    return doc
      ? compileDoc(session, doc).then((c) => c.result)
      : { ok: false, errors: 0, warnings: 0, output: `${p.uri} is not open` };
  });
  connection.onRequest(verifyRequest, (p: VerifyParams) => verifyInKernel(session, p));
  connection.onNotification(remoteVerdictNotification, (p: RemoteVerdictParams) =>
    applyRemoteVerdict(session, p),
  );

  documents.listen(connection);
  connection.listen();
}
