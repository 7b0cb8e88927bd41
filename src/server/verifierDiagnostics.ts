// Our verifier's verdict (core/verifier) on the object of the last successful compile, as LSP
// diagnostics in the kernel's words on the line it stops at, with the branches that led there as
// related information; and the note shown when the kernel's own answer ("Verify in kernel") differs.
import { DiagnosticSeverity } from 'vscode-languageserver';
import type { Diagnostic, DiagnosticRelatedInformation } from 'vscode-languageserver';
import { errorPlace } from '../core/analysis/verdictText';
import type { ProgramVerdict, VerifyReport } from '../core/verifier/verdict';
import type { VerifyResult } from '../protocol/lsp';

export const verifierSource = 'xdp-lab verifier';
export const verifierCode = 'verifier';

const baseName = (p: string): string => p.split(/[\\/]/).pop() ?? p;

/**
 * One error diagnostic per rejected program. `lineText(n)` reads the document (0-based);
 * `programLine(name)` is the line of the program's name, used when the error is in another file
 * (a header) or has no line.
 */
export function verifierDiagnostics(
  report: VerifyReport,
  uri: string,
  filePath: string,
  lineText: (line: number) => string | undefined,
  programLine: (name: string) => number | undefined,
): Diagnostic[] {
  const own = (file: string | undefined): boolean =>
    file === undefined || baseName(file) === baseName(filePath);
  const rangeOf = (line: number) => {
    const text = lineText(line) ?? '';
    const indent = text.length - text.trimStart().length;
    return {
      start: { line, character: indent },
      end: { line, character: Math.max(indent + 1, text.length) },
    };
  };
  const out: Diagnostic[] = [];
  for (const p of report.programs) {
    const e = p.error;
    if (p.verdict !== 'rejected' || !e) continue;
    const here = e.line !== undefined && own(e.file) && lineText(e.line - 1) !== undefined;
    const line = here ? (e.line as number) - 1 : (programLine(p.name) ?? 0);
    const related: DiagnosticRelatedInformation[] = e.path
      .filter((s) => s.line !== undefined && own(s.file) && lineText(s.line - 1) !== undefined)
      .map((s) => ({
        location: { uri, range: rangeOf((s.line as number) - 1) },
        message: `${s.taken ? 'branch taken' : 'branch not taken'}: ${s.text}`,
      }));
    out.push({
      range: rangeOf(line),
      severity: DiagnosticSeverity.Error,
      source: verifierSource,
      code: verifierCode,
      message: here ? e.message : `${p.name}: ${errorPlace(e)}: ${e.message}`,
      ...(related.length ? { relatedInformation: related } : {}),
    });
  }
  return out;
}

/**
 * When "Verify in kernel" answers differently from our verifier, one sentence saying how; else
 * undefined. bpftool stops at the first rejected program, so only that one (or, when the kernel
 * accepted the object, every program) can be compared.
 */
export function kernelDisagreement(own: VerifyReport | undefined, kernel: VerifyResult): string | undefined {
  if (!own) return undefined;
  const ownOf = (name: string | undefined): ProgramVerdict | undefined =>
    own.programs.find((p) => p.name === name);
  if (kernel.status === 'accepted') {
    const r = own.programs.find((p) => p.verdict === 'rejected');
    return r?.error
      ? `XDP Lab's verifier rejects ${r.name} (${errorPlace(r.error)}: ${r.error.message}) but the kernel accepted it.`
      : undefined;
  }
  if (kernel.status !== 'rejected' || !kernel.program) return undefined;
  const o = ownOf(kernel.program);
  if (!o) return undefined;
  const where = kernel.line !== undefined ? ` at line ${kernel.line + 1}` : '';
  if (o.verdict === 'accepted')
    return `The kernel rejects ${kernel.program}${where} but XDP Lab's verifier accepted it.`;
  if (kernel.line !== undefined && o.error?.line !== undefined && o.error.line !== kernel.line + 1)
    return `The kernel rejects ${kernel.program}${where}; XDP Lab's verifier at line ${o.error.line}.`;
  // Same place, other words: the kernel's message is "PROG: complaint[ — the line after it]".
  const ownFirst = o.error?.message.split('\n')[0];
  if (ownFirst && !kernel.message.includes(ownFirst))
    return `The kernel rejects ${kernel.program}${where} with "${kernel.message.replace(`${kernel.program}: `, '')}"; XDP Lab's verifier says "${ownFirst}".`;
  return undefined;
}
