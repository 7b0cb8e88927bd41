// JSON errors on their spot in the editor (issue 12 item 5): scenario and capture files are checked as
// they are edited (what VS Code's JSON service does not check itself: a scenario's cross-references,
// a capture's fields), and a command that failed on a JSON file marks the problem and shows it.
import * as vscode from 'vscode';
import { jsonProblems } from '../core/jsonProblems';
import type { JsonFileKind } from '../core/jsonProblems';

let collection: vscode.DiagnosticCollection | undefined;
const diagnostics = (): vscode.DiagnosticCollection =>
  (collection ??= vscode.languages.createDiagnosticCollection('xdp-lab-json'));

/** The kind of an XDP Lab JSON file by its name; maps files are only known when a command reads them. */
export function jsonKindOf(uri: vscode.Uri): JsonFileKind | undefined {
  if (/\.xdpscenario\.json$/i.test(uri.path)) return 'scenario';
  if (/\.xdpcapture\.json$/i.test(uri.path)) return 'capture';
  return undefined;
}

function toDiagnostics(
  doc: { positionAt(offset: number): vscode.Position },
  text: string,
  kind: JsonFileKind,
  all: boolean,
) {
  return jsonProblems(text, kind, { skipEditorChecks: !all }).map((p) => {
    const d = new vscode.Diagnostic(
      new vscode.Range(doc.positionAt(p.span.start), doc.positionAt(p.span.end)),
      p.message,
      vscode.DiagnosticSeverity.Error,
    );
    d.source = 'xdp-lab';
    return d;
  });
}

function check(doc: vscode.TextDocument): void {
  const kind = jsonKindOf(doc.uri);
  if (kind) diagnostics().set(doc.uri, toDiagnostics(doc, doc.getText(), kind, false));
}

/**
 * After a command failed on `uri`: every problem of the file (syntax too), marked, and the editor
 * opened on the first. Returns false when the file itself shows none (the failure was elsewhere).
 */
export async function revealJsonProblems(uri: vscode.Uri, kind: JsonFileKind, show = true): Promise<boolean> {
  try {
    const doc = await vscode.workspace.openTextDocument(uri);
    const found = toDiagnostics(doc, doc.getText(), kind, true);
    if (!found.length) return false;
    diagnostics().set(uri, found);
    const first = found[0]?.range;
    if (first && show) await vscode.window.showTextDocument(doc, { selection: first });
    return true;
  } catch {
    return false;
  }
}

export function registerJsonDiagnostics(context: vscode.ExtensionContext): void {
  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument(check),
    vscode.workspace.onDidChangeTextDocument((e) => {
      if (!jsonKindOf(e.document.uri)) return;
      const key = e.document.uri.toString();
      clearTimeout(timers.get(key));
      timers.set(
        key,
        setTimeout(() => {
          timers.delete(key);
          check(e.document);
        }, 250),
      );
    }),
    vscode.workspace.onDidCloseTextDocument((d) => collection?.delete(d.uri)),
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
    { dispose: () => collection?.dispose() },
  );
  vscode.workspace.textDocuments.forEach(check);
}
