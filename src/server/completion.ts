// Completion for BPF C: the helpers the enclosing program's type may call (issue 12), map calls with
// the map's key/value types, map definition snippets, SEC names, XDP actions, flags, xdp_md fields
// after `ctx->`, and this file's maps where a map pointer goes.
import { CompletionItemKind, InsertTextFormat, MarkupKind } from 'vscode-languageserver';
import type { CompletionItem, CompletionList, Position } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Analysis } from '../core/analysis/analyzer';
import type { FileModel, MapInfo } from '../core/analysis/fileModel';
import type { SyntaxNode } from '../core/analysis/syntaxTree';
import { helperAllowed, programKindAt } from '../core/analysis/programKind';
import { bpfFlags } from '../core/bpf/flags';
import { helperCatalog, helperByName, helperPrototype } from '../core/bpf/helperCatalog';
import type { HelperInfo, ProgramKind } from '../core/bpf/helperCatalog';
import { mapTypes, shortMapTypeName } from '../core/bpf/mapTypes';
import { secNames } from '../core/bpf/secNames';
import { xdpActions } from '../core/bpf/xdpActions';
import { xdpMdFields } from '../core/bpf/xdpMdFields';
import { callAt } from './wordAt';

const snippetEscape = (s: string): string => s.replace(/[$}\\]/g, '\\$&');

function helperSnippet(h: HelperInfo): string {
  if (!h.args.length) return `${h.name}()`;
  const args = h.args.map((a, i) => `\${${i + 1}:${snippetEscape(a.type === '...' ? '...' : a.name)}}`);
  return `${h.name}(${args.join(', ')})`;
}

function helperItem(h: HelperInfo, kind: ProgramKind | undefined): CompletionItem {
  // Within the allowed set: the helpers made for this program type (bpf_redirect_map,
  // bpf_xdp_adjust_head), then bpf_base_func_proto's generic ones (maps, time), then those the type
  // shares with tracing/LSM programs (task and cgroup storage: bpf_cgrp_storage_delete was first).
  const rank = !kind
    ? '11'
    : h.programKinds.includes('all')
      ? '11'
      : h.programKinds.includes(kind) && !h.programKinds.some((k) => k === 'tracing' || k === 'lsm')
        ? '10'
        : '12';
  return {
    label: h.name,
    kind: CompletionItemKind.Function,
    detail: helperPrototype(h),
    documentation: {
      kind: MarkupKind.Markdown,
      value: `${h.summary}\n\nHelper ${h.id}, Linux ${h.since}${h.gplOnly ? ', GPL-only' : ''}${h.xdp ? '' : ' — **not available to XDP programs**'}`,
    },
    insertText: helperSnippet(h),
    insertTextFormat: InsertTextFormat.Snippet,
    sortText: `${rank}${h.name}`,
  };
}

/**
 * Helper items for a program kind: only the helpers the verifier lets that kind call (issue 12: one
 * table with the helper-not-in-xdp diagnostic, so nothing offered is then flagged); outside any
 * program every helper. Built once per kind.
 */
const helperItemsByKind = new Map<ProgramKind | undefined, CompletionItem[]>();
function helperItemsFor(kind: ProgramKind | undefined): CompletionItem[] {
  let items = helperItemsByKind.get(kind);
  if (!items) {
    items = helperCatalog.filter((h) => !kind || helperAllowed(h, kind)).map((h) => helperItem(h, kind));
    helperItemsByKind.set(kind, items);
  }
  return items;
}

/** The C type a map attribute names (`__type(key, struct k)`), or a sized placeholder (`key_size 4`). */
function mapSlotType(m: MapInfo, slot: 'key' | 'value'): string | undefined {
  const t = m.attrs.get(slot)?.value.replace(/\s+/g, ' ').trim();
  if (t) return t;
  const size = slot === 'key' ? m.keySize : m.valueSize;
  return size !== undefined ? `${size} B` : undefined;
}

const placeholder = (n: number, name: string, type: string | undefined): string =>
  `&\${${n}:${snippetEscape(name)}${type ? snippetEscape(` /* ${type} */`) : ''}}`;

/**
 * bpf_map_lookup_elem/update/delete with one map of this file filled in and the key and value
 * placeholders naming the map's declared types: `bpf_map_lookup_elem(&\${1:tx_port}, &\${2:key /* __u32 *\/})`.
 */
function mapCallItems(maps: readonly MapInfo[]): CompletionItem[] {
  const out: CompletionItem[] = [];
  for (const m of maps) {
    const key = mapSlotType(m, 'key');
    if (key === undefined) continue;
    const value = mapSlotType(m, 'value');
    const name = `&\${1:${snippetEscape(m.name)}}`;
    const calls: [string, string][] = [
      ['bpf_map_lookup_elem', `${name}, ${placeholder(2, 'key', key)}`],
      ['bpf_map_delete_elem', `${name}, ${placeholder(2, 'key', key)}`],
    ];
    if (value !== undefined)
      calls.push([
        'bpf_map_update_elem',
        `${name}, ${placeholder(2, 'key', key)}, ${placeholder(3, 'value', value)}, \${4:BPF_ANY}`,
      ]);
    for (const [helper, args] of calls)
      out.push({
        label: `${helper}(&${m.name}, …)`,
        filterText: `${helper} ${m.name}`,
        kind: CompletionItemKind.Snippet,
        detail: `${m.name}: key ${key}${value !== undefined ? `, value ${value}` : ''}`,
        insertText: `${helper}(${args})`,
        insertTextFormat: InsertTextFormat.Snippet,
        sortText: `10${helper}~${m.name}`,
      });
  }
  return out;
}

function mapDefinitionItems(): CompletionItem[] {
  return mapTypes
    .filter((t) => t.value !== 0 && t.value !== 26)
    .map((t) => {
      const short = shortMapTypeName(t);
      const lines = ['struct {', `\t__uint(type, ${t.name});`];
      if (!t.noKey) lines.push(`\t__type(key, \${2:${snippetEscape(t.snippetKey ?? '__u32')}});`);
      if (t.value === 27 || t.value === 31) lines.push('\t__uint(max_entries, ${3:256 * 1024});');
      else {
        lines.push(`\t__type(value, \${3:${snippetEscape(t.snippetValue ?? '__u64')}});`);
        lines.push('\t__uint(max_entries, ${4:64});');
      }
      lines.push(`} \${1:${short.toLowerCase()}_map} SEC(".maps");`);
      return {
        label: `map ${short}`,
        filterText: `map ${short} ${t.name}`,
        kind: CompletionItemKind.Snippet,
        detail: `BTF map definition: ${t.name}`,
        documentation: {
          kind: MarkupKind.Markdown,
          value: t.summary + (t.valueLayout ? `\n\nValue: \`${t.valueLayout}\`` : ''),
        },
        insertText: lines.join('\n') + '$0',
        insertTextFormat: InsertTextFormat.Snippet,
        sortText: `4${t.redirectTarget ? '0' : '1'}${short}`,
      };
    });
}
const mapDefinitionSnippets = mapDefinitionItems();

const programSnippets: CompletionItem[] = [
  {
    label: 'xdp program',
    kind: CompletionItemKind.Snippet,
    detail: 'SEC("xdp") program with the data/data_end prologue',
    insertText:
      'SEC("${1|xdp,xdp.frags,xdp/devmap,xdp/cpumap|}")\nint ${2:xdp_prog}(struct xdp_md *ctx)\n{\n\tvoid *data_end = (void *)(long)ctx->data_end;\n\tvoid *data = (void *)(long)ctx->data;\n\tstruct ethhdr *eth = data;\n\n\tif ((void *)(eth + 1) > data_end)\n\t\treturn XDP_DROP;\n\t$0\n\treturn XDP_PASS;\n}',
    insertTextFormat: InsertTextFormat.Snippet,
    sortText: '40xdp',
  },
  {
    label: 'license',
    kind: CompletionItemKind.Snippet,
    detail: 'char LICENSE[] SEC("license") = "GPL";',
    insertText: 'char LICENSE[] SEC("license") = "${1|GPL,Dual BSD/GPL,Dual MIT/GPL|}";',
    insertTextFormat: InsertTextFormat.Snippet,
    sortText: '40license',
  },
];

const actionItems: CompletionItem[] = xdpActions.map((a) => ({
  label: a.name,
  kind: CompletionItemKind.EnumMember,
  detail: `= ${a.value}`,
  documentation: a.summary,
  sortText: `0${a.value}`,
}));

function flagItems(helper?: string): CompletionItem[] {
  return bpfFlags
    .filter((f) => !helper || f.helpers.includes(helper))
    .map((f) => ({
      label: f.name,
      kind: CompletionItemKind.Constant,
      detail: `= ${f.value}`,
      documentation: f.summary,
      sortText: `1${f.name}`,
    }));
}

const secItems = (): CompletionItem[] =>
  secNames.map((s, i) => ({
    label: s.name,
    kind: CompletionItemKind.Value,
    detail: s.programType === 'xdp' ? `XDP${s.frags ? ', multi-buffer' : ''}` : s.programType,
    documentation: s.summary,
    sortText: String(i).padStart(3, '0'),
  }));

const mdFieldItems: CompletionItem[] = xdpMdFields.map((f, i) => ({
  label: f.name,
  kind: CompletionItemKind.Field,
  detail: `__u32 ${f.name} (struct xdp_md, offset ${f.offset})`,
  documentation: f.summary,
  sortText: String(i),
}));

const mapCalls = new Set(['bpf_map_lookup_elem', 'bpf_map_update_elem', 'bpf_map_delete_elem']);
const normType = (t: string): string =>
  t
    .replace(/\bconst\b/g, '')
    .replace(/\s+/g, ' ')
    .trim();

/**
 * The key (or value) argument of a map call: the variables of the enclosing function declared with
 * the map's key (value) type, as `&name` (or `name` for a pointer to it), first in the list.
 */
function slotItems(
  model: FileModel,
  text: string,
  open: number,
  offset: number,
  slot: 'key' | 'value',
): CompletionItem[] {
  const first = /^\(\s*&?\s*(\w+)/.exec(text.slice(open, open + 200))?.[1];
  const map = model.maps.find((m) => m.name === first);
  const want = map?.attrs.get(slot)?.value;
  const fn = model.functions.find((f) => f.span.start <= offset && offset <= f.span.end);
  if (!want || !fn) return [];
  const out: CompletionItem[] = [];
  for (const d of fn.node.descendantsOfType(['declaration', 'parameter_declaration'])) {
    if (!d || d.startIndex >= offset) continue;
    const type = normType(d.childForFieldName('type')?.text ?? '');
    if (type !== normType(want)) continue;
    for (const decl of d.childrenForFieldName('declarator')) {
      let n: SyntaxNode | null = decl;
      let pointer = false;
      while (n && n.type !== 'identifier') {
        if (n.type === 'pointer_declarator') pointer = true;
        n = n.childForFieldName('declarator');
      }
      if (!n) continue;
      const label = pointer ? n.text : `&${n.text}`;
      out.push({
        label,
        filterText: `${label} ${n.text}`,
        kind: CompletionItemKind.Variable,
        detail: `${want}${pointer ? ' *' : ''} — ${map?.name ?? ''}'s ${slot} type`,
        insertText: /&\s*$/.test(text.slice(Math.max(0, offset - 5), offset)) ? n.text : label,
        sortText: `0${n.text}`,
      });
    }
  }
  return out;
}

export function complete(doc: TextDocument, pos: Position, analysis: Analysis | undefined): CompletionList {
  const text = doc.getText();
  const offset = doc.offsetAt(pos);
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const before = text.slice(lineStart, offset);
  const model = analysis?.model;

  // SEC("…  → section names
  if (/\bSEC\s*\(\s*"[\w./-]*$/.test(before)) return { isIncomplete: false, items: secItems() };

  // __uint(type, …  → map types
  if (/__uint\s*\(\s*type\s*,\s*\w*$/.test(before) || /\.type\s*=\s*\w*$/.test(before))
    return {
      isIncomplete: false,
      items: mapTypes
        .filter((t) => t.value !== 0)
        .map((t) => ({
          label: t.name,
          kind: CompletionItemKind.EnumMember,
          documentation: t.summary,
          sortText: `${t.redirectTarget ? '0' : '1'}${t.name}`,
        })),
    };

  // ctx->  → xdp_md fields (the first parameter of an XDP program, or anything declared struct xdp_md *)
  const arrow = /(\w+)\s*->\s*\w*$/.exec(before);
  if (arrow) {
    const name = arrow[1] ?? '';
    const fn = model?.functions.find((f) => f.span.start <= offset && offset <= f.span.end + 1);
    const isCtx =
      (fn?.ctxParam === name && (fn.xdp || /struct\s+xdp_md\s*\*/.test(fn.node.text.slice(0, 300)))) ||
      new RegExp(`struct\\s+xdp_md\\s*\\*\\s*${name}\\b`).test(text);
    return { isIncomplete: false, items: isCtx ? mdFieldItems : [] };
  }

  const call = callAt(text, offset);
  const helper = call ? helperByName(call.name) : undefined;
  if (helper && call && helper.name === call.name) {
    const arg = helper.args[call.argIndex];
    if (arg && /bpf_map/.test(arg.type) && model) {
      const redirect = helper.name === 'bpf_redirect_map';
      return {
        isIncomplete: false,
        items: model.maps.map((m) => ({
          label: `&${m.name}`,
          filterText: `&${m.name} ${m.name}`,
          kind: CompletionItemKind.Variable,
          detail: m.type ? shortMapTypeName(m.type) : 'map',
          documentation: m.type?.summary,
          sortText: `${redirect && !m.type?.redirectTarget ? '1' : '0'}${m.name}`,
          insertText: /&\s*$/.test(before) ? m.name : `&${m.name}`,
        })),
      };
    }
    const slot = mapCalls.has(helper.name) ? (['map', 'key', 'value'] as const)[call.argIndex] : undefined;
    if (model && (slot === 'key' || (slot === 'value' && helper.name === 'bpf_map_update_elem'))) {
      const items = slotItems(model, text, call.open, offset, slot);
      if (items.length) return { isIncomplete: false, items };
    }
    if (arg?.name === 'flags') {
      const items = flagItems(helper.name);
      if (helper.name === 'bpf_redirect_map')
        items.unshift(...actionItems.filter((a) => a.label !== 'XDP_REDIRECT'));
      if (items.length) return { isIncomplete: false, items };
    }
  }

  const kind = model ? programKindAt(model, offset) : undefined;
  const helperItems = helperItemsFor(kind);
  if (/\breturn\s+\w*$/.test(before) && kind === 'xdp') {
    return {
      isIncomplete: false,
      items: [...actionItems, ...helperItems.filter((h) => /redirect/.test(h.label))],
    };
  }

  const items: CompletionItem[] = [
    ...helperItems,
    ...(model ? mapCallItems(model.maps) : []),
    ...actionItems,
    ...flagItems(),
    ...mapDefinitionSnippets,
    ...programSnippets,
  ];
  if (model)
    for (const m of model.maps)
      items.push({
        label: m.name,
        kind: CompletionItemKind.Variable,
        detail: m.type ? `${shortMapTypeName(m.type)} map` : 'map',
        sortText: `0${m.name}`,
      });
  return { isIncomplete: false, items };
}
