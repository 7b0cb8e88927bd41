// The verification host's kernel beside our verifier (issue 15 item 1): the CodeLens title saying which
// kernel judged what, and — only where the two verdicts differ — a diagnostic on the line the remote
// kernel stopped at (source "xdp-lab kernel (HOST)"), so a disagreement is visible in the editor.
import { DiagnosticSeverity, type Diagnostic } from 'vscode-languageserver';
import type { ProgramVerdict, VerifyReport } from '../core/verifier/verdict';
import type { RemoteVerdictParams } from '../protocol/lsp';
import { verifierDiagnostics } from './verifierDiagnostics';

export const remoteSource = (host: string): string => `xdp-lab kernel (${host})`;

/** Same verdict, and for two rejections the same source line. */
function agree(own: ProgramVerdict | undefined, remote: ProgramVerdict): boolean {
  if (!own) return true; // nothing of ours to compare with (our verifier could not judge the object)
  if (own.verdict !== remote.verdict) return false;
  return remote.verdict === 'accepted' || own.error?.line === remote.error?.line;
}

const whereRejected = (p: ProgramVerdict): string =>
  p.error?.line !== undefined ? ` at line ${p.error.line}` : p.error ? ` at insn ${p.error.insn}` : '';

/** "kernel 6.18.4 on H: ✓ accepted", "⚠ kernel 6.18.4 on H disagrees: rejected at line 17", … */
export function remoteLensTitle(name: string, own: VerifyReport | undefined, r: RemoteVerdictParams): string {
  const who = r.kernel ? `kernel ${r.kernel.release} on ${r.host}` : `kernel on ${r.host}`;
  if (r.error !== undefined)
    return `${who}: not verified (${r.error.length > 60 ? `${r.error.slice(0, 57)}…` : r.error})`;
  const p = r.report?.programs.find((x) => x.name === name);
  if (!p) return `${who}: not judged`;
  const verdict = p.verdict === 'accepted' ? '✓ accepted' : `✗ rejected${whereRejected(p)}`;
  const o = own?.programs.find((x) => x.name === name);
  return agree(o, p) ? `${who}: ${verdict}` : `⚠ ${who} disagrees: ${verdict}`;
}

/**
 * Diagnostics for the programs whose remote verdict differs from ours: the remote kernel's rejection
 * on its line (Error), or — when it accepts what we reject — a warning on our rejection's line.
 */
export function remoteDiagnostics(
  r: RemoteVerdictParams,
  own: VerifyReport | undefined,
  uri: string,
  filePath: string,
  lineText: (line: number) => string | undefined,
  programLine: (name: string) => number | undefined,
): Diagnostic[] {
  if (!r.report || !own) return [];
  const who = `kernel ${r.kernel?.release ?? '?'} on ${r.host}`;
  const differing = r.report.programs.filter(
    (p) =>
      !agree(
        own.programs.find((x) => x.name === p.name),
        p,
      ),
  );
  const rejected = differing.filter((p) => p.verdict === 'rejected');
  const accepted = differing.filter((p) => p.verdict === 'accepted');
  const asRemote = (d: Diagnostic, message: string, severity: DiagnosticSeverity): Diagnostic => {
    const { relatedInformation: _ours, ...rest } = d;
    return { ...rest, severity, source: remoteSource(r.host), code: 'remote-kernel', message };
  };
  const diags = (p: ProgramVerdict): Diagnostic[] =>
    verifierDiagnostics({ programs: [p] }, uri, filePath, lineText, programLine);
  const out = rejected.flatMap((p) =>
    diags(p).map((d) => asRemote(d, `${who} rejects ${p.name}: ${d.message}`, DiagnosticSeverity.Error)),
  );
  // Where we reject and the remote kernel accepts: on our line, so the two sit side by side.
  for (const p of own.programs.filter((x) => accepted.some((a) => a.name === x.name)))
    for (const d of diags(p))
      out.push(
        asRemote(
          d,
          `${who} accepts ${p.name}, which XDP Lab's verifier rejects here (a kernel other than 6.18 may judge differently)`,
          DiagnosticSeverity.Warning,
        ),
      );
  return out;
}
