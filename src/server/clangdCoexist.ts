// Completion beside clangd (issue 12 item 4): when the client says clangd serves the same files,
// XDP Lab keeps only what clangd cannot know — BPF helpers (with their docs and snippets), map
// types and this file's maps, xdp_md fields, XDP_* actions, BPF flags, SEC names and the snippets —
// and leaves generic C identifiers (locals, functions, types, keywords) to clangd.
import { CompletionItemKind } from 'vscode-languageserver';
import type { CompletionItem, CompletionList } from 'vscode-languageserver';
import { bpfFlags } from '../core/bpf/flags';
import { helperCatalog } from '../core/bpf/helperCatalog';
import { mapTypes } from '../core/bpf/mapTypes';
import { secNames } from '../core/bpf/secNames';
import { xdpActions } from '../core/bpf/xdpActions';
import { xdpMdFields } from '../core/bpf/xdpMdFields';

/** Every name XDP Lab's BPF tables know, built once from the tables themselves (no second list). */
const bpfNames: ReadonlySet<string> = new Set([
  ...helperCatalog.map((h) => h.name),
  ...mapTypes.map((t) => t.name),
  ...secNames.map((s) => s.name),
  ...xdpActions.map((a) => a.name),
  ...xdpMdFields.map((f) => f.name),
  ...bpfFlags.map((f) => f.name),
]);

/** Whether an item is BPF knowledge: a snippet, a name of the BPF tables, or one of this file's maps. */
export function isBpfKnowledge(item: CompletionItem, fileMaps: ReadonlySet<string>): boolean {
  if (item.kind === CompletionItemKind.Snippet) return true;
  const name = item.label.replace(/^&/, '');
  return bpfNames.has(name) || fileMaps.has(name);
}

/** The list without generic C items, for a document clangd also completes. */
export function bpfKnowledgeOnly(list: CompletionList, fileMaps: Iterable<string>): CompletionList {
  const maps = new Set(fileMaps);
  return { ...list, items: list.items.filter((i) => isBpfKnowledge(i, maps)) };
}
