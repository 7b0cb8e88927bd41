// Go to definition and find references for this file's maps and functions.
import type { Location, Position } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Analysis } from '../core/analysis/analyzer';
import type { Span } from '../core/analysis/fileModel';
import { wordAt } from './wordAt';

function symbolAt(
  doc: TextDocument,
  pos: Position,
  analysis: Analysis,
): { name: string; def: Span } | undefined {
  const w = wordAt(doc.getText(), doc.offsetAt(pos));
  if (!w) return undefined;
  const m = analysis.model;
  const map = m.maps.find((x) => x.name === w.word);
  if (map) return { name: map.name, def: map.nameSpan };
  const fn = m.functions.find((x) => x.name === w.word);
  if (fn) return { name: fn.name, def: fn.nameSpan };
  return undefined;
}

export function definition(doc: TextDocument, pos: Position, analysis: Analysis): Location | null {
  const s = symbolAt(doc, pos, analysis);
  return s ? { uri: doc.uri, range: analysis.model.lines.range(s.def.start, s.def.end) } : null;
}

export function references(
  doc: TextDocument,
  pos: Position,
  analysis: Analysis,
  includeDeclaration: boolean,
): Location[] {
  const s = symbolAt(doc, pos, analysis);
  if (!s) return [];
  const spans = analysis.model.identifiers.get(s.name) ?? [];
  return spans
    .filter((sp) => includeDeclaration || sp.start !== s.def.start)
    .map((sp) => ({ uri: doc.uri, range: analysis.model.lines.range(sp.start, sp.end) }));
}
