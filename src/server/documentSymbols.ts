// Outline: programs (with their SEC), other functions, and maps (with their type).
import { SymbolKind } from 'vscode-languageserver';
import type { DocumentSymbol } from 'vscode-languageserver';
import type { Analysis } from '../core/analysis/analyzer';
import { shortMapTypeName } from '../core/bpf/mapTypes';

export function documentSymbols(analysis: Analysis): DocumentSymbol[] {
  const m = analysis.model;
  const r = (s: { start: number; end: number }) => m.lines.range(s.start, s.end);
  const out: DocumentSymbol[] = [];
  for (const map of m.maps)
    out.push({
      name: map.name,
      detail: map.type ? shortMapTypeName(map.type) : 'map',
      kind: SymbolKind.Struct,
      range: r(map.span),
      selectionRange: r(map.nameSpan),
    });
  for (const f of m.functions)
    out.push({
      name: f.name,
      detail: f.sec ? `SEC("${f.sec.name}")` : '',
      kind: f.sec ? SymbolKind.Event : SymbolKind.Function,
      range: r(f.span),
      selectionRange: r(f.nameSpan),
    });
  return out.sort((a, b) => a.range.start.line - b.range.start.line);
}
