// The analyzer's diagnostics and model on two 5,000-line files are those of the golden snapshot
// (test/fixtures/analysis/snapshot5000.json, written only by scripts/gen-analysis-snapshot.mjs), and
// the language server publishes exactly the snapshot's LSP diagnostics on didOpen.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { startInMemory } from '../lsp/lspClient';
import { testAnalyzer } from '../lsp/wasm';
import { corpus, digest, snapshotPath, snapshotUri } from './analysisSnapshotCorpus';

type Digest = ReturnType<typeof digest>;
const golden = JSON.parse(fs.readFileSync(snapshotPath, 'utf8')) as Record<string, Digest>;

test('5,000-line files: the analysis equals the snapshot', async () => {
  const analyzer = await testAnalyzer();
  const files = corpus();
  assert.deepEqual(Object.keys(files), Object.keys(golden));
  for (const [name, text] of Object.entries(files)) {
    const a = analyzer.analyze(text);
    // Through JSON, as the golden was written (undefined fields dropped).
    assert.deepEqual(JSON.parse(JSON.stringify(digest(a, snapshotUri))), golden[name], name);
    a.dispose();
  }
  // The fixtures' file carries diagnostics (the snapshot is not a comparison of two empty lists).
  assert.ok((golden.fixtures5000?.diagnostics.length ?? 0) > 50);
});

test('5,000-line file: didOpen publishes the snapshot diagnostics', async () => {
  const c = await startInMemory();
  try {
    await c.open(snapshotUri, corpus().fixtures5000 ?? '');
    const got = await c.diagnostics(snapshotUri);
    assert.deepEqual(JSON.parse(JSON.stringify(got)), golden.fixtures5000?.lsp);
  } finally {
    await c.close();
  }
});
