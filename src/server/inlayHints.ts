// Inlay hints where XDP developers think in bytes (issue 12 item 3): the packet offset and size of a
// header field access (`iph->ttl` → pkt+22, 1 B, core/analysis/packetOffsets), struct sizes and
// padding (`struct key {` → 12 B, 3 B padding), and a map's key/value types at its lookup/update/delete.
import { InlayHintKind } from 'vscode-languageserver';
import type { InlayHint, Range } from 'vscode-languageserver';
import type { Analysis } from '../core/analysis/analyzer';
import { packetFieldAccesses } from '../core/analysis/packetOffsets';
import type { LanguageSettings } from '../protocol/lsp';

const mapCalls = new Set(['bpf_map_lookup_elem', 'bpf_map_update_elem', 'bpf_map_delete_elem']);

export function inlayHints(
  analysis: Analysis,
  range: Range,
  opts: LanguageSettings['inlayHints'],
): InlayHint[] {
  const model = analysis.model;
  const lines = model.lines;
  const from = lines.offset(range.start);
  const to = lines.offset(range.end);
  const inRange = (o: number): boolean => o >= from && o <= to;
  const out: InlayHint[] = [];

  if (opts.packetOffsets)
    // Only the functions the requested range touches: the editor asks per visible range.
    for (const a of packetFieldAccesses(
      model,
      model.functions.filter((f) => f.span.end >= from && f.span.start <= to),
    )) {
      if (!inRange(a.span.end)) continue;
      out.push({
        position: lines.position(a.span.end),
        label: `pkt+${a.offset}, ${a.size} B`,
        kind: InlayHintKind.Type,
        paddingLeft: true,
        tooltip: `struct ${a.struct}.${a.field}: bytes ${a.offset}–${a.offset + a.size - 1} of the packet (from ctx->data)`,
      });
    }

  if (opts.structLayout)
    for (const n of model.syntax.rootNode.descendantsOfType(
      'struct_specifier',
      lines.offset({ line: range.start.line, character: 0 }),
      lines.offset({ line: range.end.line + 1, character: 0 }),
    )) {
      const name = n?.childForFieldName('name');
      if (!n || !name || !n.childForFieldName('body') || !inRange(name.endIndex)) continue;
      const layout = model.structs.get(`struct ${name.text}`);
      if (!layout) continue;
      out.push({
        position: lines.position(name.endIndex),
        label: `${layout.size} B${layout.padding ? `, ${layout.padding} B padding` : ''}`,
        kind: InlayHintKind.Type,
        paddingLeft: true,
        tooltip: layout.padding
          ? `sizeof(struct ${name.text}) = ${layout.size}, ${layout.padding} bytes of padding: as a hash map key, zero it (memset or = {}) before filling it — the kernel hashes those bytes too.`
          : `sizeof(struct ${name.text}) = ${layout.size}, no padding.`,
      });
    }

  if (opts.mapTypes)
    for (const c of model.calls) {
      const first = c.args[0];
      if (!mapCalls.has(c.name) || !first || !inRange(first.endIndex)) continue;
      const mapName = first.text.replace(/[&()\s]/g, '');
      const map = model.maps.find((m) => m.name === mapName);
      if (!map) continue;
      const key = map.attrs.get('key')?.value ?? (map.keySize !== undefined ? `${map.keySize} B` : undefined);
      const value =
        map.attrs.get('value')?.value ?? (map.valueSize !== undefined ? `${map.valueSize} B` : undefined);
      if (!key && !value) continue;
      out.push({
        position: lines.position(first.endIndex),
        label: `key ${key ?? '?'} → ${value ?? '?'}`,
        kind: InlayHintKind.Type,
        paddingLeft: true,
      });
    }
  return out.sort((a, b) => a.position.line - b.position.line || a.position.character - b.position.character);
}
