// Go to definition, find references, document highlights and rename (issue 12 item 2), on the
// scope-aware symbols of core/analysis/symbols: locals, parameters, maps, functions, globals and
// macros of this file; struct types, fields, typedefs, macros and helpers defined in included
// headers through the host's HeaderLookup (Node: clang's include path; a browser has none).
import { DocumentHighlightKind, ResponseError, ErrorCodes } from 'vscode-languageserver';
import type { DocumentHighlight, Location, Position, Range, WorkspaceEdit } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Analysis } from '../core/analysis/analyzer';
import { referencesOf, renamableKinds, symbolAt } from '../core/analysis/symbols';
import type { CSymbol } from '../core/analysis/symbols';
import type { HeaderLocation, HeaderQuery } from './services';

/** Looks a query up in the headers this file includes (bound to the document by the caller). */
export type FindInHeaders = (query: HeaderQuery) => Promise<HeaderLocation | undefined>;

function headerQuery(sym: CSymbol): HeaderQuery | undefined {
  switch (sym.kind) {
    case 'struct':
      return { kind: 'tag', name: sym.struct ?? sym.name };
    case 'field':
      return sym.struct ? { kind: 'field', struct: sym.struct, name: sym.name } : undefined;
    case 'helper':
    case 'typedef':
    case 'macro':
      return { kind: 'name', name: sym.name };
    default:
      return undefined;
  }
}

export async function definition(
  doc: TextDocument,
  pos: Position,
  analysis: Analysis,
  findInHeaders?: FindInHeaders,
): Promise<Location | null> {
  const model = analysis.model;
  const offset = doc.offsetAt(pos);
  const inc = model.includes.find((i) => i.span.start <= offset && offset <= i.span.end);
  if (inc) {
    const at = await findInHeaders?.({ kind: 'include', path: inc.path, system: inc.system });
    return at ? headerLocation(at) : null;
  }
  const sym = symbolAt(model, offset);
  if (!sym) return null;
  if (sym.decl) return { uri: doc.uri, range: model.lines.range(sym.decl.start, sym.decl.end) };
  const q = headerQuery(sym);
  const at = q && (await findInHeaders?.(q));
  return at ? headerLocation(at, sym.name.length) : null;
}

function headerLocation(at: HeaderLocation, length = 0): Location {
  return {
    uri: at.uri,
    range: {
      start: { line: at.line, character: at.character },
      end: { line: at.line, character: at.character + length },
    },
  };
}

export function references(
  doc: TextDocument,
  pos: Position,
  analysis: Analysis,
  includeDeclaration: boolean,
): Location[] {
  const model = analysis.model;
  const sym = symbolAt(model, doc.offsetAt(pos));
  if (!sym) return [];
  return referencesOf(model, sym)
    .filter((sp) => includeDeclaration || sp.start !== sym.decl?.start)
    .map((sp) => ({ uri: doc.uri, range: model.lines.range(sp.start, sp.end) }));
}

export function documentHighlights(
  doc: TextDocument,
  pos: Position,
  analysis: Analysis,
): DocumentHighlight[] {
  const model = analysis.model;
  const sym = symbolAt(model, doc.offsetAt(pos));
  if (!sym) return [];
  return referencesOf(model, sym).map((sp) => ({
    range: model.lines.range(sp.start, sp.end),
    kind: sp.start === sym.decl?.start ? DocumentHighlightKind.Write : DocumentHighlightKind.Read,
  }));
}

/** A symbol of this file every use of which is in this file: locals, parameters, maps, functions, globals, own macros. */
function renamable(doc: TextDocument, pos: Position, analysis: Analysis): CSymbol | undefined {
  const sym = symbolAt(analysis.model, doc.offsetAt(pos));
  return sym && sym.decl && renamableKinds.has(sym.kind) ? sym : undefined;
}

export function prepareRename(doc: TextDocument, pos: Position, analysis: Analysis): Range | null {
  const sym = renamable(doc, pos, analysis);
  if (!sym) {
    const any = symbolAt(analysis.model, doc.offsetAt(pos));
    if (any)
      throw new ResponseError(
        ErrorCodes.InvalidRequest,
        `${any.name} is ${any.kind === 'helper' ? 'a BPF helper' : any.decl ? `a ${any.kind}` : 'defined in a header'}: only locals, parameters, maps, functions, globals and macros of this file can be renamed.`,
      );
    return null;
  }
  return analysis.model.lines.range(sym.at.start, sym.at.end);
}

export function rename(
  doc: TextDocument,
  pos: Position,
  analysis: Analysis,
  newName: string,
): WorkspaceEdit | null {
  if (!/^[A-Za-z_]\w*$/.test(newName))
    throw new ResponseError(ErrorCodes.InvalidParams, `"${newName}" is not a C identifier.`);
  const sym = renamable(doc, pos, analysis);
  if (!sym) return null;
  const model = analysis.model;
  const edits = referencesOf(model, sym).map((sp) => ({
    range: model.lines.range(sp.start, sp.end),
    newText: newName,
  }));
  return { changes: { [doc.uri]: edits } };
}
