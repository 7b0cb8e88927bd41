// Turns analyzer and clang results into LSP diagnostics, and analyzer quick fixes into code actions.
import { CodeActionKind, DiagnosticSeverity } from 'vscode-languageserver';
import type { CodeAction, CodeActionParams, Diagnostic } from 'vscode-languageserver';
import type { Analysis } from '../core/analysis/analyzer';
import type { ClangMessage } from '../core/analysis/clangOutput';
import type { AnalysisDiagnostic, Severity } from '../core/analysis/diagnostic';

export const diagnosticSource = 'xdp-lab';
export const clangSource = 'clang';

const severities: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

export function toLspDiagnostic(d: AnalysisDiagnostic, uri: string): Diagnostic {
  return {
    range: d.range,
    severity: severities[d.severity],
    code: d.code,
    source: diagnosticSource,
    message: d.message,
    relatedInformation: d.related?.map((r) => ({ location: { uri, range: r.range }, message: r.message })),
  };
}

/** clang messages for this file (by path) become diagnostics; messages in headers go on line 0 with the header named. */
export function clangDiagnostics(
  messages: readonly ClangMessage[],
  filePath: string,
  lineText: (line: number) => string,
): Diagnostic[] {
  return messages
    .filter((m) => m.severity !== 'note')
    .map((m) => {
      const own =
        m.file === filePath ||
        filePath.endsWith('/' + m.file) ||
        m.file.endsWith('/' + filePath.split('/').pop());
      const line = own ? m.line : 0;
      const text = lineText(line);
      const col = own ? Math.min(m.column, text.length) : 0;
      const wordEnd = /^\w+/.exec(text.slice(col))?.[0].length ?? 1;
      return {
        range: {
          start: { line, character: col },
          end: { line, character: own ? col + Math.max(1, wordEnd) : text.length },
        },
        severity: m.severity === 'warning' ? DiagnosticSeverity.Warning : DiagnosticSeverity.Error,
        source: clangSource,
        code: m.flag,
        message: own ? m.message : `${m.file}:${m.line + 1}: ${m.message}`,
      };
    });
}

export function codeActions(params: CodeActionParams, analysis: Analysis): CodeAction[] {
  const out: CodeAction[] = [];
  for (const d of analysis.diagnostics) {
    if (!d.fixes?.length) continue;
    const lsp = params.context.diagnostics.find(
      (x) =>
        x.code === d.code &&
        x.range.start.line === d.range.start.line &&
        x.range.start.character === d.range.start.character,
    );
    if (!lsp) continue;
    for (const f of d.fixes)
      out.push({
        title: f.title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [lsp],
        isPreferred: f.preferred,
        edit: { changes: { [params.textDocument.uri]: [...f.edits] } },
      });
  }
  return out;
}
