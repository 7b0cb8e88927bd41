// The documents' life cycle: analysis while typing (debounced), compile-on-save of the file as on disk,
// files changed on disk, close and shutdown. The verdicts themselves are compileVerdicts.ts's.
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { compileDoc } from './compileVerdicts';
import { toLspDiagnostic } from './diagnostics';
import type { DocState, ServerSession } from './serverSession';
import { onWatchedFiles } from './watchedFiles';

/** Milliseconds of quiet before re-analysing after an edit, and before compiling after a save. */
const ANALYZE_DEBOUNCE_MS = 150;
const COMPILE_DEBOUNCE_MS = 300;

/**
 * The analyzer's diagnostics of a document now; a document that is not BPF C loses its state.
 * On open the analysis' time is logged: the first diagnostics of a file wait for it (issue 16).
 */
function analyzeNow(session: ServerSession, doc: TextDocument, opened = false): void {
  if (!session.analyses) return;
  const t0 = performance.now();
  const a = session.analyses.get(doc);
  if (!a) {
    if (session.states.delete(doc.uri)) session.clear(doc.uri);
    return;
  }
  session.state(doc.uri).analyzerDiags = a.diagnostics.map((d) => toLspDiagnostic(d, doc.uri));
  session.publish(doc.uri);
  // The analysis' own line index: doc.lineCount would scan the whole text for line breaks a second
  // time inside the window a user waits through (TextDocument computes its offsets lazily).
  if (opened)
    session.log(
      `analysed ${session.pathOf(doc.uri)} on open: ${a.model.lines.lineCount} lines, ${a.diagnostics.length} diagnostics in ${Math.round(performance.now() - t0)} ms`,
    );
}

/** Compile-on-save of the file as on disk (after a save, or a change on disk the editor shows). */
function scheduleCompile(session: ServerSession, doc: TextDocument): void {
  const s = session.state(doc.uri);
  s.compile?.abort();
  if (s.compileTimer) clearTimeout(s.compileTimer);
  s.compiledText = doc.getText();
  s.awaitingDisk = false;
  s.compileTimer = setTimeout(() => {
    void session
      .settingsFor(doc.uri)
      .then((st) => (st.clang.compileOnSave ? compileDoc(session, doc) : undefined))
      .catch((err: unknown) => session.log(`compile failed: ${String(err)}`));
  }, COMPILE_DEBOUNCE_MS);
}

/** Stops a document's pending analysis and compile. */
function stopPending(s: DocState): void {
  if (s.analyzeTimer) clearTimeout(s.analyzeTimer);
  if (s.compileTimer) clearTimeout(s.compileTimer);
  s.compile?.abort();
}

export function wireDocumentSync(session: ServerSession): void {
  const { connection, documents, services } = session;
  documents.onDidOpen((e) => analyzeNow(session, e.document, true));
  documents.onDidChangeContent((e) => {
    const s = session.states.get(e.document.uri);
    if (!s && !session.analyses?.isBpf(e.document)) return;
    // The verifiers' diagnostics stay until the next successful compile (issue 11), only the analyzer re-runs.
    const st = session.state(e.document.uri);
    if (st.analyzeTimer) clearTimeout(st.analyzeTimer);
    st.analyzeTimer = setTimeout(() => analyzeNow(session, e.document), ANALYZE_DEBOUNCE_MS);
    // The editor reloaded the file changed on disk (or was edited back to it): compile what it shows.
    const file = st.awaitingDisk ? services.uriToPath?.(e.document.uri) : undefined;
    if (file && services.readDiskText)
      void services.readDiskText(file).then((disk) => {
        if (st.awaitingDisk && disk === e.document.getText()) scheduleCompile(session, e.document);
      });
  });
  documents.onDidSave((e) => {
    if (session.analyses?.isBpf(e.document)) scheduleCompile(session, e.document);
  });
  // Files changed on disk (the client's workspace watcher, issue 12 item 5): clang's words stay true.
  connection.onDidChangeWatchedFiles((p) => {
    const diskText = (uri: string): Promise<string | undefined> => {
      const file = services.uriToPath?.(uri);
      return file && services.readDiskText ? services.readDiskText(file) : Promise.resolve(undefined);
    };
    void onWatchedFiles(p.changes, {
      bpfDocuments: () => documents.all().filter((d) => session.analyses?.isBpf(d)),
      compiledText: (uri) => session.states.get(uri)?.compiledText,
      diskText,
      recompile: (doc) => scheduleCompile(session, doc),
      clearClang: (doc, awaitDisk) => {
        const s = session.state(doc.uri);
        s.compile?.abort();
        if (s.compileTimer) clearTimeout(s.compileTimer);
        s.compiledText = undefined;
        s.awaitingDisk = awaitDisk;
        if (s.clangDiags.length) {
          s.clangDiags = [];
          session.publish(doc.uri);
        }
      },
    }).catch((err: unknown) => session.log(`watched files: ${String(err)}`));
  });
  documents.onDidClose((e) => {
    const s = session.states.get(e.document.uri);
    if (s) stopPending(s);
    session.states.delete(e.document.uri);
    session.analyses?.drop(e.document.uri);
    session.clear(e.document.uri);
  });
  connection.onShutdown(() => {
    for (const s of session.states.values()) stopPending(s);
    session.states.clear();
  });
}
