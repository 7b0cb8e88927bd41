// The client's clangd status reaches the server over LSP: with clangd active, completion at a
// statement still offers the BPF knowledge (helpers, XDP_*, the file's maps) and nothing generic.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { CompletionList } from 'vscode-languageserver';
import { bpfKnowledgeOnly } from '../../src/server/clangdCoexist';
import { startInMemory } from './lspClient';
import type { TestClient } from './lspClient';

const text = fs.readFileSync(
  path.resolve(__dirname, '../fixtures/analysis/ok/devmap_broadcast.bpf.c'),
  'utf8',
);
let c: TestClient;
before(async () => {
  c = await startInMemory();
});
after(() => c.close());

void test('xdpLab/clangdStatus: completion keeps to BPF knowledge while clangd is active', async () => {
  const uri = 'untitled:coexist.bpf.c';
  await c.open(uri, text);
  const lines = text.split('\n');
  const line = lines.findIndex((l) => l.includes('return XDP_DROP'));
  const complete = () =>
    c.request<CompletionList>('textDocument/completion', {
      textDocument: { uri },
      position: { line, character: 1 },
    });
  const alone = await complete();
  await c.rpc.sendNotification('xdpLab/clangdStatus', { active: true });
  const beside = await complete();
  const labels = beside.items.map((i) => i.label);
  for (const l of ['bpf_redirect_map', 'XDP_PASS', 'ports', 'map DEVMAP']) assert.ok(labels.includes(l), l);
  assert.deepEqual(
    labels,
    bpfKnowledgeOnly(alone, ['ports', 'fdb']).items.map((i) => i.label),
  );
  await c.rpc.sendNotification('xdpLab/clangdStatus', { active: false });
  assert.equal((await complete()).items.length, alone.items.length);
});
