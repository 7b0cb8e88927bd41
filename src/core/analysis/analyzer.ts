// The XDP C analyzer shared by the language server and `xdp-lab check`: text in, file model and
// diagnostics out. Pure: the host supplies the tree-sitter WASM images.
import { createCParser } from './cParser';
import type { CParser, ParserWasm } from './cParser';
import type { AnalysisDiagnostic } from './diagnostic';
import { buildFileModel } from './fileModel';
import type { FileModel } from './fileModel';
import { maskMacros } from './maskMacros';
import { checkHelpers } from './rules/helperRules';
import { checkMaps } from './rules/mapRules';
import { checkPacketAccess } from './rules/packetRules';
import { checkRedirects } from './rules/redirectRules';
import { checkReturns } from './rules/returnRules';
import { RuleContext } from './rules/ruleContext';

export interface Analysis {
  readonly model: FileModel;
  readonly diagnostics: readonly AnalysisDiagnostic[];
  /** Frees the tree-sitter tree (WASM memory); the model's nodes are unusable afterwards. */
  dispose(): void;
}

export interface Analyzer {
  analyze(text: string): Analysis;
}

const rules = [checkRedirects, checkReturns, checkPacketAccess, checkMaps, checkHelpers];

export function analyzeWith(parser: CParser, text: string): Analysis {
  const masked = maskMacros(text);
  const tree = parser.parse(masked.text);
  const model = buildFileModel(masked, text, tree);
  const ctx = new RuleContext(model);
  for (const rule of rules) rule(ctx);
  const diagnostics = ctx.out.sort(
    (a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character,
  );
  return { model, diagnostics, dispose: () => tree.delete() };
}

export async function createAnalyzer(wasm: ParserWasm): Promise<Analyzer> {
  const parser = await createCParser(wasm);
  return { analyze: (text) => analyzeWith(parser, text) };
}

/** Whether a C file is a BPF program we serve (issue #5): *.bpf.c, or it includes bpf/bpf_helpers.h or uses SEC(. */
export function isBpfSource(path: string, text: string): boolean {
  if (/\.bpf\.c$/i.test(path)) return true;
  if (!/\.(c|h)$/i.test(path) && !path.startsWith('untitled:')) return false;
  return /#\s*include\s*[<"]bpf\/bpf_helpers\.h[>"]/.test(text) || /\bSEC\s*\(\s*"/.test(text);
}
