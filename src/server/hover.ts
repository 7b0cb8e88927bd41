// Hover for helpers (our summary plus the longer text from the installed uapi header, named as the
// source), map types, SEC names, XDP actions, flags, xdp_md fields and the maps of this file.
import { MarkupKind } from 'vscode-languageserver';
import type { Hover, Position } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Analysis } from '../core/analysis/analyzer';
import type { FileModel, MapInfo } from '../core/analysis/fileModel';
import type { HelperDoc } from '../core/analysis/uapiHelperDocs';
import { bpfFlagByName } from '../core/bpf/flags';
import { helperByName, helperPrototype } from '../core/bpf/helperCatalog';
import { mapTypeByName, shortMapTypeName } from '../core/bpf/mapTypes';
import { secByName, xdpSecInfo } from '../core/bpf/secNames';
import { xdpActionByName } from '../core/bpf/xdpActions';
import { xdpMdField } from '../core/bpf/xdpMdFields';
import { wordAt } from './wordAt';

export interface HelperDocSource {
  readonly source: string;
  readonly docs: ReadonlyMap<string, HelperDoc>;
}

const code = (s: string): string => '```c\n' + s + '\n```';

export function hover(
  doc: TextDocument,
  pos: Position,
  analysis: Analysis,
  uapi?: HelperDocSource,
): Hover | null {
  const text = doc.getText();
  const offset = doc.offsetAt(pos);
  const model = analysis.model;
  const sec = model.secs.find((s) => s.start <= offset && offset <= s.end);
  if (sec) {
    const info = xdpSecInfo(sec.name) ?? secByName(sec.name);
    const value = info
      ? `**SEC("${sec.name}")** — ${info.summary}${info.programType === 'xdp' ? `\n\nBPF_PROG_TYPE_XDP, attach: ${info.attach ?? 'xdp'}${info.frags ? ', loaded with BPF_F_XDP_HAS_FRAGS' : ''}` : ''}`
      : sec.name === '.maps'
        ? '**SEC(".maps")** — BTF-defined maps: libbpf creates each one from its type, key, value and max_entries.'
        : sec.name === 'license'
          ? '**SEC("license")** — the program license the kernel checks before allowing GPL-only helpers.'
          : `**SEC("${sec.name}")** — not a section name libbpf knows.`;
    return {
      contents: { kind: MarkupKind.Markdown, value },
      range: { start: doc.positionAt(sec.start), end: doc.positionAt(sec.end) },
    };
  }
  const w = wordAt(text, offset);
  if (!w) return null;
  const range = { start: doc.positionAt(w.start), end: doc.positionAt(w.end) };
  const md = (value: string): Hover => ({ contents: { kind: MarkupKind.Markdown, value }, range });

  const helper = w.word.startsWith('bpf_')
    ? helperByName(w.word === 'bpf_printk' ? 'bpf_trace_printk' : w.word)
    : undefined;
  if (helper && !model.functions.some((f) => f.name === w.word)) {
    const parts = [
      code(helperPrototype(helper)),
      helper.summary,
      `Helper ${helper.id} · Linux ${helper.since}${helper.gplOnly ? ' · GPL-only' : ''} · ${helper.xdp ? 'available to XDP programs' : '**not available to XDP programs**'}${w.word === 'bpf_printk' ? " · bpf_printk is libbpf's macro around it" : ''}`,
    ];
    const d = uapi?.docs.get(helper.name);
    if (d)
      parts.push('---', `*From ${uapi?.source}:*`, d.description, d.returns ? `**Return** ${d.returns}` : '');
    // Without the installed headers (a browser, a machine without libbpf-dev) go to definition has
    // nowhere to go: the kernel's helper manual is the reference instead (issue 12).
    else
      parts.push(
        `[bpf-helpers(7): ${helper.name}](https://man7.org/linux/man-pages/man7/bpf-helpers.7.html)`,
      );
    return md(parts.filter(Boolean).join('\n\n'));
  }
  const action = xdpActionByName(w.word);
  if (action) return md(`${code(`${action.name} = ${action.value}`)}\n\n${action.summary}`);
  const mapType = w.word.startsWith('BPF_MAP_TYPE_') ? mapTypeByName(w.word) : undefined;
  if (mapType) {
    const rules = [
      mapType.redirectTarget
        ? `XDP_REDIRECT target (bpf_redirect_map)${mapType.redirectFlags ? ', accepts BPF_F_BROADCAST and BPF_F_EXCLUDE_INGRESS' : ''}`
        : 'not accepted by bpf_redirect_map',
      mapType.keySize !== undefined ? `key: ${mapType.keySize} bytes` : mapType.noKey ? 'no key' : '',
      mapType.valueSizes ? `value: ${mapType.valueSizes.join(' or ')} bytes` : '',
    ].filter(Boolean);
    return md(
      `${code(`${mapType.name} = ${mapType.value}`)}\n\n${mapType.summary}\n\n${rules.map((r) => `- ${r}`).join('\n')}${mapType.valueLayout ? `\n\nValue: \`${mapType.valueLayout}\`` : ''}`,
    );
  }
  const flag = bpfFlagByName(w.word);
  if (flag)
    return md(
      `${code(`${flag.name} = ${flag.value}`)}\n\n${flag.summary}${flag.helpers.length ? `\n\nUsed with ${flag.helpers.join(', ')}` : ''}`,
    );
  const map = model.maps.find((m) => m.name === w.word);
  if (map) {
    const def = text.slice(map.span.start, map.span.end);
    const facts = [
      map.type ? `${shortMapTypeName(map.type)}: ${map.type.summary}` : 'map of unknown type',
      map.keySize !== undefined ? `key ${map.keySize} B${keyPadding(model, map)}` : '',
      map.valueSize !== undefined ? `value ${map.valueSize} B` : '',
      map.maxEntries !== undefined ? `max_entries ${map.maxEntries}` : '',
    ].filter(Boolean);
    return md(`${code(def)}\n\n${facts.join(' · ')}`);
  }
  const before = text.slice(Math.max(0, w.start - 40), w.start);
  const field = /->\s*$/.test(before) ? xdpMdField(w.word) : undefined;
  if (field)
    return md(
      `${code(`__u32 ${field.name}; /* struct xdp_md, offset ${field.offset} */`)}\n\n${field.summary} (since Linux ${field.since})`,
    );
  const fn = model.programs.find((p) => p.name === w.word);
  if (fn?.sec)
    return md(
      `**${fn.name}** — ${fn.xdp ? 'XDP program' : 'BPF program'} in SEC("${fn.sec.name}")${fn.xdp ? `: ${fn.xdp.summary}` : ''}`,
    );
  return null;
}

/** ", 3 of them padding" for a struct key with padding (hash maps hash those bytes too). */
function keyPadding(model: FileModel, map: MapInfo): string {
  const key = map.attrs.get('key')?.value.replace(/\s+/g, ' ').trim();
  const pad = key ? model.structs.get(key)?.padding : undefined;
  return pad ? ` (${pad} of them padding: zero the key before filling it)` : '';
}
