// One analysis per open BPF C document, recomputed when the document's version changes. Which C files
// are ours is decided here (issue #5: *.bpf.c, or bpf/bpf_helpers.h / SEC( — other C files get nothing).
import type { TextDocument } from 'vscode-languageserver-textdocument';
import { isBpfSource } from '../core/analysis/bpfSource';
import type { Analysis, Analyzer } from '../core/analysis/analyzer';

interface Entry {
  version: number;
  analysis: Analysis;
}

export class DocumentAnalyses {
  private readonly entries = new Map<string, Entry>();

  constructor(private readonly analyzer: Analyzer) {}

  isBpf(doc: TextDocument): boolean {
    return isBpfSource(
      doc.uri.startsWith('untitled:') ? doc.uri : decodeURIComponent(doc.uri),
      doc.getText(),
    );
  }

  /** Up-to-date analysis, or undefined for a C file that is not a BPF program. */
  get(doc: TextDocument): Analysis | undefined {
    const e = this.entries.get(doc.uri);
    if (e && e.version === doc.version) return e.analysis;
    if (!this.isBpf(doc)) {
      this.drop(doc.uri);
      return undefined;
    }
    // Incremental: the previous tree is edited and reused, then freed.
    const analysis = this.analyzer.analyze(doc.getText(), e?.analysis);
    e?.analysis.dispose();
    this.entries.set(doc.uri, { version: doc.version, analysis });
    return analysis;
  }

  /** The last analysis even if the document changed since (cheap: for completion while typing). */
  latest(doc: TextDocument): Analysis | undefined {
    return this.entries.get(doc.uri)?.analysis ?? this.get(doc);
  }

  drop(uri: string): void {
    this.entries.get(uri)?.analysis.dispose();
    this.entries.delete(uri);
  }
}
