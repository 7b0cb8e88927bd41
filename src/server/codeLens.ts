// CodeLens above each XDP program: our verifier's verdict (after the last compile) and the
// verification host's beside it (xdpLab.verify.host, issue 15), run it on a frame (engine VM), debug it (issue 14), simulate (visualizer), verify in the kernel as a second
// opinion (with a note when the two disagree). Each command receives the document URI and the
// program's function name.
import type { CodeLens } from 'vscode-languageserver';
import type { Analysis } from '../core/analysis/analyzer';
import { verdictTitle } from '../core/analysis/verdictText';
import type { VerifyReport } from '../core/verifier/verdict';
import type { RemoteVerdictParams, VerifyResult } from '../protocol/lsp';
import { remoteLensTitle } from './remoteVerdict';

export interface Verdicts {
  /** Our verifier on the last successfully compiled object. */
  readonly report?: VerifyReport;
  /** The kernel's answer to the last "Verify in kernel". */
  readonly kernel?: VerifyResult;
  /** The verification host's kernel on the same object (xdpLab.verify.host), shown beside ours. */
  readonly remote?: RemoteVerdictParams;
}

/** The kernel lens: its last answer for this program, and "⚠ disagrees" when our verifier differs. */
function kernelTitle(name: string, kernel: VerifyResult | undefined): string {
  if (!kernel || (kernel.status === 'rejected' && kernel.program && kernel.program !== name))
    return 'Verify in kernel';
  if (kernel.disagreement) return '⚠ kernel disagrees — Verify in kernel';
  if (kernel.status === 'accepted') return 'Verify in kernel (kernel: ✓ accepted)';
  if (kernel.status === 'rejected') return 'Verify in kernel (kernel: ✗ rejected)';
  return 'Verify in kernel';
}

export function codeLenses(uri: string, analysis: Analysis, verdicts: Verdicts = {}): CodeLens[] {
  const m = analysis.model;
  const out: CodeLens[] = [];
  for (const p of m.programs) {
    if (!p.xdp) continue;
    const range = m.lines.range(p.nameSpan.start, p.nameSpan.end);
    const args = [uri, p.name];
    const verdict = verdicts.report?.programs.find((v) => v.name === p.name);
    // A title-only lens (empty command id): the verdict is read, not clicked; the diagnostic is the link.
    if (verdict) out.push({ range, command: { title: verdictTitle(verdict), command: '' } });
    if (verdicts.remote)
      out.push({
        range,
        command: { title: remoteLensTitle(p.name, verdicts.report, verdicts.remote), command: '' },
      });
    out.push(
      { range, command: { title: '▶ Run on a frame', command: 'xdpLab.program.run', arguments: args } },
      { range, command: { title: 'Debug', command: 'xdpLab.program.debug', arguments: args } },
      { range, command: { title: 'Simulate', command: 'xdpLab.visualizer.open', arguments: args } },
      {
        range,
        command: {
          title: kernelTitle(p.name, verdicts.kernel),
          command: 'xdpLab.program.verify',
          arguments: args,
        },
      },
    );
  }
  return out;
}
