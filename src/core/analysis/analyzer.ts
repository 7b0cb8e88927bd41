// The XDP C analyzer shared by the language server and `xdp-lab check`: text in, file model and
// diagnostics out. Pure: the host supplies the tree-sitter WASM images.
import type { Edit, Tree } from 'web-tree-sitter';
import { createCParser } from './cParser';
import type { CParser, ParserWasm } from './cParser';
import type { AnalysisDiagnostic } from './diagnostic';
import { buildFileModel } from './fileModel';
import type { FileModel } from './fileModel';
import { maskMacros } from './maskMacros';
import { checkHelpers } from './rules/helperRules';
import { checkMapKeyPadding } from './rules/keyRules';
import { checkMaps } from './rules/mapRules';
import { checkPacketAccess } from './rules/packetRules';
import { checkRedirects } from './rules/redirectRules';
import { checkReturns } from './rules/returnRules';
import { RuleContext } from './rules/ruleContext';

export interface Analysis {
  readonly model: FileModel;
  /** The text tree-sitter parsed (macros blanked, same offsets); kept for the next incremental parse. */
  readonly maskedText: string;
  readonly diagnostics: readonly AnalysisDiagnostic[];
  /** Frees the tree-sitter tree (WASM memory); the model's nodes are unusable afterwards. */
  dispose(): void;
}

export interface Analyzer {
  /** Analyses text; with `previous` (the analysis of the document's last version) tree-sitter reparses
   * incrementally. `previous` must not be used afterwards except to dispose it. */
  analyze(text: string, previous?: Analysis): Analysis;
}

const rules = [checkRedirects, checkReturns, checkPacketAccess, checkMaps, checkMapKeyPadding, checkHelpers];

/** The one edit that turns `before` into `after` (common prefix and suffix), for Tree.edit. */
export function diffEdit(before: string, after: string): Edit | undefined {
  if (before === after) return undefined;
  const max = Math.min(before.length, after.length);
  let p = 0;
  while (p < max && before.charCodeAt(p) === after.charCodeAt(p)) p++;
  let s = 0;
  while (s < max - p && before.charCodeAt(before.length - 1 - s) === after.charCodeAt(after.length - 1 - s))
    s++;
  const point = (text: string, index: number) => {
    let row = 0;
    let lineStart = 0;
    for (let i = text.indexOf('\n'); i >= 0 && i < index; i = text.indexOf('\n', i + 1)) {
      row++;
      lineStart = i + 1;
    }
    return { row, column: index - lineStart };
  };
  return {
    startIndex: p,
    oldEndIndex: before.length - s,
    newEndIndex: after.length - s,
    startPosition: point(before, p),
    oldEndPosition: point(before, before.length - s),
    newEndPosition: point(after, after.length - s),
  };
}

export function analyzeWith(parser: CParser, text: string, previous?: Analysis): Analysis {
  const masked = maskMacros(text);
  let old: Tree | undefined;
  if (previous) {
    const edit = diffEdit(previous.maskedText, masked.text);
    old = previous.model.tree;
    if (edit) old.edit(edit);
  }
  const tree = parser.parse(masked.text, old);
  const model = buildFileModel(masked, text, tree, parser.syntax(tree, masked.text));
  const ctx = new RuleContext(model);
  for (const rule of rules) rule(ctx);
  const diagnostics = ctx.out.sort(
    (a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character,
  );
  return { model, maskedText: masked.text, diagnostics, dispose: () => tree.delete() };
}

export async function createAnalyzer(wasm: ParserWasm): Promise<Analyzer> {
  const parser = await createCParser(wasm);
  return { analyze: (text, previous) => analyzeWith(parser, text, previous) };
}
