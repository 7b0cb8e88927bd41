// Completion for BPF C: helpers with argument snippets, map definition snippets per map type, SEC
// names, XDP actions, flags, xdp_md fields after `ctx->`, and this file's maps where a map pointer goes.
import { CompletionItemKind, InsertTextFormat, MarkupKind } from 'vscode-languageserver';
import type { CompletionItem, CompletionList, Position } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';
import type { Analysis } from '../core/analysis/analyzer';
import { bpfFlags } from '../core/bpf/flags';
import { helperCatalog, helperByName, helperPrototype } from '../core/bpf/helperCatalog';
import type { HelperInfo } from '../core/bpf/helperCatalog';
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

function helperItem(h: HelperInfo, xdpOnly: boolean): CompletionItem {
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
    // XDP-callable helpers first; the rest stay reachable by typing.
    sortText: `${h.xdp || !xdpOnly ? '1' : '3'}${h.name}`,
  };
}

const helperItemsXdp = helperCatalog.map((h) => helperItem(h, true));

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
    if (arg?.name === 'flags') {
      const items = flagItems(helper.name);
      if (helper.name === 'bpf_redirect_map')
        items.unshift(...actionItems.filter((a) => a.label !== 'XDP_REDIRECT'));
      if (items.length) return { isIncomplete: false, items };
    }
  }

  const inXdpProgram =
    model?.programs.some((p) => p.xdp && p.span.start <= offset && offset <= p.span.end) ?? false;
  if (/\breturn\s+\w*$/.test(before) && inXdpProgram) {
    return {
      isIncomplete: false,
      items: [...actionItems, ...helperItemsXdp.filter((h) => /redirect/.test(h.label))],
    };
  }

  const items: CompletionItem[] = [
    ...helperItemsXdp,
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
