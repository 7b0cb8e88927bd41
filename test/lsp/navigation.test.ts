// Navigation over LSP (issue 12 item 2): definition into included headers (resolved with clang's
// include path), scope-aware references and rename, document highlights.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { DocumentHighlight, InlayHint, Location, Range, WorkspaceEdit } from 'vscode-languageserver';
import { startInMemory } from './lspClient';
import type { TestClient } from './lspClient';

const file = path.resolve(__dirname, '../fixtures/lang/navigation.bpf.c');
const text = fs.readFileSync(file, 'utf8');
const uri = pathToFileURL(file).href;
const posOf = (needle: string, delta = 0, nth = 0) => {
  let i = -1;
  for (let k = 0; k <= nth; k++) i = text.indexOf(needle, i + 1);
  assert.ok(i >= 0, needle);
  const before = text.slice(0, i + delta).split('\n');
  return { line: before.length - 1, character: (before[before.length - 1] ?? '').length };
};
const headers =
  fs.existsSync('/usr/include/linux/ip.h') && fs.existsSync('/usr/include/bpf/bpf_helper_defs.h');

describe('navigation over LSP', () => {
  let c: TestClient;
  before(async () => {
    c = await startInMemory();
    await c.open(uri, text);
    await c.diagnostics(uri);
  });
  after(() => c.close());
  const def = (needle: string, delta: number, nth = 0) =>
    c.request<Location | null>('textDocument/definition', {
      textDocument: { uri },
      position: posOf(needle, delta, nth),
    });
  const lineOf = (l: Location | null) =>
    l ? (fs.readFileSync(new URL(l.uri), 'utf8').split('\n')[l.range.start.line] ?? '') : '';

  test(
    'definition into headers: struct iphdr, a field, a helper, a macro, an #include line',
    { skip: !headers },
    async () => {
      const st = await def('struct iphdr', 8);
      assert.match(st?.uri ?? '', /linux\/ip\.h$/);
      assert.match(lineOf(st), /^struct iphdr \{/);
      const ttl = await def('iph->ttl', 6);
      assert.match(lineOf(ttl), /\bttl;/);
      const proto = await def('eth->h_proto', 6);
      assert.match(proto?.uri ?? '', /linux\/if_ether\.h$/);
      assert.match(lineOf(proto), /h_proto/);
      const helper = await def('bpf_map_lookup_elem', 3);
      assert.match(helper?.uri ?? '', /bpf_helper_defs\.h$/);
      assert.match(lineOf(helper), /\bbpf_map_lookup_elem\)/);
      const macro = await def('ETH_P_IP', 3);
      assert.match(lineOf(macro), /#define ETH_P_IP\b/);
      const ctxField = await def('ctx->data_end', 6);
      assert.match(ctxField?.uri ?? '', /linux\/bpf\.h$/);
      const inc = await def('linux/ip.h', 3);
      assert.match(inc?.uri ?? '', /linux\/ip\.h$/);
      assert.equal(inc?.range.start.line, 0);
    },
  );

  test('definition in the file: map, function, macro, local, own struct field', async () => {
    const line = async (needle: string, delta: number, nth = 0) =>
      text.split('\n')[(await def(needle, delta, nth))?.range.start.line ?? -1];
    assert.match((await line('&flows', 2)) ?? '', /\} flows SEC/);
    assert.match((await line('count(&key)', 2)) ?? '', /static __always_inline int count/);
    assert.match((await line('MAX_TTL)', 2)) ?? '', /#define MAX_TTL/);
    assert.match((await line('key.saddr', 1)) ?? '', /struct flow_key key = \{\};/);
    assert.match((await line('key.saddr', 5)) ?? '', /__u32 saddr;/);
  });

  test('references and highlights are scope-aware: key in count() is not key in xdp_count()', async () => {
    const refs = await c.request<Location[]>('textDocument/references', {
      textDocument: { uri },
      position: posOf('key.saddr', 1),
      context: { includeDeclaration: true },
    });
    assert.deepEqual(
      refs.map((r) => r.range.start.line),
      [posOf('key = {}').line, posOf('key.saddr').line, posOf('key.proto').line, posOf('count(&key)').line],
    );
    const hl = await c.request<DocumentHighlight[]>('textDocument/documentHighlight', {
      textDocument: { uri },
      position: posOf('*key)', 2),
    });
    assert.equal(hl.length, 2);
  });

  test('rename a map: its definition and every use; a helper cannot be renamed', async () => {
    const range = await c.request<Range | null>('textDocument/prepareRename', {
      textDocument: { uri },
      position: posOf('&flows', 2),
    });
    assert.deepEqual(range?.start, posOf('&flows', 1));
    const edit = await c.request<WorkspaceEdit>('textDocument/rename', {
      textDocument: { uri },
      position: posOf('&flows', 2),
      newName: 'flow_counts',
    });
    const edits = edit.changes?.[uri] ?? [];
    assert.deepEqual(
      edits.map((e) => e.range.start.line).sort((a, b) => a - b),
      [posOf('} flows').line, posOf('&flows').line],
    );
    await assert.rejects(
      c.request('textDocument/prepareRename', {
        textDocument: { uri },
        position: posOf('bpf_map_lookup_elem', 2),
      }),
      /BPF helper/,
    );
    await assert.rejects(
      c.request('textDocument/rename', {
        textDocument: { uri },
        position: posOf('&flows', 2),
        newName: '1x',
      }),
      /not a C identifier/,
    );
  });

  test('inlay hints: packet offsets and struct layout by default; map types when the setting is on', async () => {
    const range = { start: { line: 0, character: 0 }, end: { line: text.split('\n').length, character: 0 } };
    const get = () => c.request<InlayHint[]>('textDocument/inlayHint', { textDocument: { uri }, range });
    const at = (hs: InlayHint[], needle: string, delta: number) => {
      const p = posOf(needle, delta);
      return hs.find((h) => h.position.line === p.line && h.position.character === p.character)?.label;
    };
    const hints = await get();
    assert.equal(at(hints, 'iph->ttl', 8), 'pkt+22, 1 B');
    assert.equal(at(hints, 'eth->h_proto', 12), 'pkt+12, 2 B');
    assert.equal(at(hints, 'iph->saddr;', 10), 'pkt+26, 4 B');
    assert.equal(at(hints, 'struct flow_key {', 15), '8 B, 3 B padding');
    assert.equal(at(hints, '&flows, key', 6), undefined);
    c.settings = { inlayHints: { mapTypes: true, packetOffsets: false } };
    try {
      const on = await get();
      assert.equal(at(on, '&flows, key', 6), 'key struct flow_key → __u64');
      assert.equal(at(on, 'iph->ttl', 8), undefined);
    } finally {
      c.settings = {};
    }
  });
});
