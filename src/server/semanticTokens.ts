// Semantic highlighting of BPF helpers, this file's maps, XDP actions and BPF flags. The token types
// are contributed in package.json (semanticTokenTypes) with TextMate fallbacks (semanticTokenScopes).
import type { SemanticTokens, SemanticTokensLegend } from 'vscode-languageserver';
import type { Analysis } from '../core/analysis/analyzer';
import { bpfFlagByName } from '../core/bpf/flags';
import { helperByName } from '../core/bpf/helperCatalog';
import { xdpActionByName } from '../core/bpf/xdpActions';

export const tokenTypes = ['bpfHelper', 'bpfMap', 'xdpAction', 'bpfFlag'] as const;
export const tokenModifiers = ['declaration', 'defaultLibrary'] as const;
export const semanticTokensLegend: SemanticTokensLegend = {
  tokenTypes: [...tokenTypes],
  tokenModifiers: [...tokenModifiers],
};

export function semanticTokens(analysis: Analysis): SemanticTokens {
  const m = analysis.model;
  const maps = new Map(m.maps.map((x) => [x.name, x.nameSpan.start]));
  const local = new Set(m.functions.map((f) => f.name));
  const tokens: { start: number; length: number; type: number; mods: number }[] = [];
  for (const [name, spans] of m.identifiers) {
    let type = -1;
    if (name.startsWith('bpf_') && !local.has(name) && (helperByName(name) || name === 'bpf_printk'))
      type = 0;
    else if (maps.has(name)) type = 1;
    else if (xdpActionByName(name)) type = 2;
    else if (bpfFlagByName(name)) type = 3;
    if (type < 0) continue;
    for (const s of spans)
      tokens.push({
        start: s.start,
        length: s.end - s.start,
        type,
        mods: type === 1 && maps.get(name) === s.start ? 1 : type === 0 ? 2 : 0,
      });
  }
  // Map names in declarations are not identifiers in the tree (they sit in declarators); add them.
  for (const map of m.maps)
    if (!tokens.some((t) => t.start === map.nameSpan.start))
      tokens.push({
        start: map.nameSpan.start,
        length: map.nameSpan.end - map.nameSpan.start,
        type: 1,
        mods: 1,
      });
  tokens.sort((a, b) => a.start - b.start);
  const data: number[] = [];
  let prevLine = 0;
  let prevChar = 0;
  for (const t of tokens) {
    const p = m.lines.position(t.start);
    data.push(
      p.line - prevLine,
      p.line === prevLine ? p.character - prevChar : p.character,
      t.length,
      t.type,
      t.mods,
    );
    prevLine = p.line;
    prevChar = p.character;
  }
  return { data };
}
