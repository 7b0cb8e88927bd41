// CodeLens above each XDP program: run it on a frame (engine VM), debug it (issue 14), simulate
// (visualizer), verify in the kernel. Each command receives the document URI and the program's name.
import type { CodeLens } from 'vscode-languageserver';
import type { Analysis } from '../core/analysis/analyzer';

export function codeLenses(uri: string, analysis: Analysis): CodeLens[] {
  const m = analysis.model;
  const out: CodeLens[] = [];
  for (const p of m.programs) {
    if (!p.xdp) continue;
    const range = m.lines.range(p.nameSpan.start, p.nameSpan.end);
    const args = [uri, p.name];
    out.push(
      { range, command: { title: '▶ Run on a frame', command: 'xdpLab.program.run', arguments: args } },
      { range, command: { title: 'Debug', command: 'xdpLab.program.debug', arguments: args } },
      { range, command: { title: 'Simulate', command: 'xdpLab.visualizer.open', arguments: args } },
      { range, command: { title: 'Verify in kernel', command: 'xdpLab.program.verify', arguments: args } },
    );
  }
  return out;
}
