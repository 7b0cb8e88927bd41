// Completion, hover and signature help as functions (no connection): the contexts they recognise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { testAnalyzer } from '../../test/lsp/wasm';
import { complete } from './completion';
import { hover } from './hover';
import { signatureHelp } from './signatureHelp';

const SRC = `#include <bpf/bpf_helpers.h>
struct {
\t__uint(type, BPF_MAP_TYPE_XSKMAP);
\t__type(key, __u32);
\t__type(value, __u32);
\t__uint(max_entries, 4);
} xsks SEC(".maps");
struct {
\t__uint(type, BPF_MAP_TYPE_ARRAY);
\t__type(key, __u32);
\t__type(value, __u64);
\t__uint(max_entries, 4);
} stats SEC(".maps");
SEC("xdp")
int prog(struct xdp_md *ctx)
{
\t@
}
`;

async function at(marker: string) {
  const text = SRC.replace('@', marker.replace('|', ''));
  const doc = TextDocument.create('untitled:t.bpf.c', 'c', 1, text);
  const offset = text.indexOf(marker.split('|')[0] ?? '') + (marker.split('|')[0] ?? '').length;
  const analysis = (await testAnalyzer()).analyze(text);
  return { doc, pos: doc.positionAt(offset), analysis };
}
const labels = (l: { items: { label: string }[] }) => l.items.map((i) => i.label);

test('map argument of bpf_redirect_map: redirect-capable maps first', async () => {
  const { doc, pos, analysis } = await at('return bpf_redirect_map(|');
  assert.deepEqual(labels(complete(doc, pos, analysis)), ['&xsks', '&stats']);
  assert.deepEqual(
    complete(doc, pos, analysis).items.map((i) => i.sortText?.[0]),
    ['0', '1'],
  );
});

test('after "&" the map name is inserted without a second "&"', async () => {
  const { doc, pos, analysis } = await at('bpf_map_lookup_elem(&|');
  const item = complete(doc, pos, analysis).items.find((i) => i.label === '&stats');
  assert.equal(item?.insertText, 'stats');
});

test('flags argument of bpf_map_update_elem: BPF_ANY/NOEXIST/EXIST', async () => {
  const { doc, pos, analysis } = await at('bpf_map_update_elem(&stats, &k, &v, |');
  assert.deepEqual(labels(complete(doc, pos, analysis)).slice(0, 3), ['BPF_ANY', 'BPF_NOEXIST', 'BPF_EXIST']);
});

test('return in an XDP program: actions first', async () => {
  const { doc, pos, analysis } = await at('return |');
  assert.deepEqual(labels(complete(doc, pos, analysis)).slice(0, 5), [
    'XDP_ABORTED',
    'XDP_DROP',
    'XDP_PASS',
    'XDP_TX',
    'XDP_REDIRECT',
  ]);
});

test('ctx-> fields only on the XDP context', async () => {
  const a = await at('ctx->|');
  assert.equal(labels(complete(a.doc, a.pos, a.analysis)).length, 6);
  const b = await at('other->|');
  assert.equal(labels(complete(b.doc, b.pos, b.analysis)).length, 0);
});

test('__uint(type, …) offers map types, redirect targets first', () => {
  const text = SRC.replace('BPF_MAP_TYPE_XSKMAP', 'BPF_MAP_');
  const doc = TextDocument.create('untitled:t.bpf.c', 'c', 1, text);
  const list = complete(doc, doc.positionAt(text.indexOf('BPF_MAP_);') + 8), undefined);
  assert.equal(list.items.filter((i) => i.sortText?.startsWith('0')).length, 4);
  assert.ok(labels(list).includes('BPF_MAP_TYPE_LPM_TRIE'));
});

test('hover on a map name shows its definition and facts; on a flag its value', async () => {
  const { doc, analysis } = await at('bpf_redirect_map(&xsks, 0, BPF_F_BROADCAST);');
  const text = doc.getText();
  const h1 = hover(doc, doc.positionAt(text.indexOf('&xsks') + 2), analysis);
  assert.match(JSON.stringify(h1?.contents), /XSKMAP.*key 4 B · value 4 B · max_entries 4/);
  const h2 = hover(doc, doc.positionAt(text.indexOf('BPF_F_BROADCAST') + 3), analysis);
  assert.match(JSON.stringify(h2?.contents), /BPF_F_BROADCAST = 8/);
});

test('signature help: none outside helper calls; bpf_printk maps to bpf_trace_printk', async () => {
  const a = await at('foo(1, |');
  assert.equal(signatureHelp(a.doc, a.pos), null);
  const b = await at('bpf_printk("x %d", |');
  assert.match(signatureHelp(b.doc, b.pos)?.signatures[0]?.label ?? '', /bpf_trace_printk/);
});

test('helpers follow the enclosing SEC(): XDP refuses bpf_skb_adjust_room, tc offers it', async () => {
  const xdp = await at('x = bpf_|');
  const inXdp = labels(complete(xdp.doc, xdp.pos, xdp.analysis));
  assert.ok(inXdp.includes('bpf_redirect_map'));
  assert.ok(!inXdp.includes('bpf_skb_adjust_room'));
  const sortOf = (l: string) =>
    complete(xdp.doc, xdp.pos, xdp.analysis).items.find((i) => i.label === l)?.sortText ?? '';
  assert.ok(sortOf('bpf_redirect_map') < sortOf('bpf_map_lookup_elem'));
  assert.ok(sortOf('bpf_map_lookup_elem') < sortOf('bpf_cgrp_storage_delete'));
  const text = SRC.replace('SEC("xdp")', 'SEC("tc")').replace('@', 'bpf_');
  const doc = TextDocument.create('untitled:t.bpf.c', 'c', 1, text);
  const a = (await testAnalyzer()).analyze(text);
  const inTc = labels(complete(doc, doc.positionAt(text.indexOf('bpf_\n') + 4), a));
  assert.ok(inTc.includes('bpf_skb_adjust_room'));
  assert.ok(!inTc.includes('bpf_xdp_adjust_head'));
  a.dispose();
});

test('XDP helpers sort before the base helpers; a static function called from XDP counts as XDP', async () => {
  const text = SRC.replace('SEC("xdp")', 'static int helper(void) { return 0; }\nSEC("xdp")')
    .replace('@', 'return helper();')
    .replace('static int helper(void) { return 0; }', 'static int helper(void) { bpf_; return 0; }');
  const doc = TextDocument.create('untitled:t.bpf.c', 'c', 1, text);
  const a = (await testAnalyzer()).analyze(text);
  const items = complete(doc, doc.positionAt(text.indexOf('bpf_;') + 4), a).items;
  assert.ok(!items.some((i) => i.label === 'bpf_skb_adjust_room'));
  const sort = (l: string) => items.find((i) => i.label === l)?.sortText ?? '';
  assert.ok(sort('bpf_redirect_map') < sort('bpf_get_prandom_u32'));
  a.dispose();
});

test('map call snippets carry the map name and its declared key/value types', async () => {
  const { doc, pos, analysis } = await at('x = bpf_map|');
  const items = complete(doc, pos, analysis).items;
  const lookup = items.find((i) => i.label === 'bpf_map_lookup_elem(&stats, …)');
  assert.equal(lookup?.insertText, 'bpf_map_lookup_elem(&${1:stats}, &${2:key /* __u32 */})');
  const update = items.find((i) => i.label === 'bpf_map_update_elem(&stats, …)');
  assert.equal(
    update?.insertText,
    'bpf_map_update_elem(&${1:stats}, &${2:key /* __u32 */}, &${3:value /* __u64 */}, ${4:BPF_ANY})',
  );
});

test('the key argument of a map call offers the variables declared with the map key type', async () => {
  const text = SRC.replace('@', '__u32 idx = 0;\n\t__u64 other = 0;\n\tbpf_map_lookup_elem(&stats, ');
  const doc = TextDocument.create('untitled:t.bpf.c', 'c', 1, text);
  const a = (await testAnalyzer()).analyze(text);
  const list = complete(doc, doc.positionAt(text.indexOf('&stats, ') + 8), a);
  assert.deepEqual(labels(list), ['&idx']);
  a.dispose();
});
