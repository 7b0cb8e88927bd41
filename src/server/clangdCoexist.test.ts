// Completion beside clangd: generic C items go to clangd, BPF knowledge stays (issue 12 item 4).
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { CompletionItemKind } from 'vscode-languageserver';
import type { CompletionList } from 'vscode-languageserver';
import { bpfKnowledgeOnly } from './clangdCoexist';

void test('helpers, map types, xdp_md fields, XDP_*, flags, snippets and the file maps stay; locals, keywords and types go', () => {
  const list: CompletionList = {
    isIncomplete: false,
    items: [
      { label: 'bpf_redirect_map', kind: CompletionItemKind.Function },
      { label: 'BPF_MAP_TYPE_DEVMAP', kind: CompletionItemKind.EnumMember },
      { label: 'ingress_ifindex', kind: CompletionItemKind.Field },
      { label: 'XDP_PASS', kind: CompletionItemKind.EnumMember },
      { label: 'BPF_F_BROADCAST', kind: CompletionItemKind.Constant },
      { label: 'xdp.frags', kind: CompletionItemKind.Value },
      { label: 'map DEVMAP', kind: CompletionItemKind.Snippet },
      { label: '&tx_port', kind: CompletionItemKind.Variable },
      { label: 'tx_port', kind: CompletionItemKind.Variable },
      // What clangd offers as well as anyone: a local, a function of the file, a struct, a keyword.
      { label: 'eth', kind: CompletionItemKind.Variable },
      { label: 'parse_udp', kind: CompletionItemKind.Function },
      { label: 'ethhdr', kind: CompletionItemKind.Struct },
      { label: 'return', kind: CompletionItemKind.Keyword },
    ],
  };
  assert.deepEqual(
    bpfKnowledgeOnly(list, ['tx_port']).items.map((i) => i.label),
    [
      'bpf_redirect_map',
      'BPF_MAP_TYPE_DEVMAP',
      'ingress_ifindex',
      'XDP_PASS',
      'BPF_F_BROADCAST',
      'xdp.frags',
      'map DEVMAP',
      '&tx_port',
      'tx_port',
    ],
  );
});
