// Writes test/fixtures/analysis/snapshot5000.json: the analyzer's diagnostics and model digest on the
// two 5,000-line files of test/unit/analysisSnapshotCorpus.ts. Run only when a change of the
// analyzer's output is intended: node scripts/gen-analysis-snapshot.mjs — then review the diff.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';

if (process.argv[2] !== '--child') {
  // The corpus and the analyzer are TypeScript: run again under tsx (as scripts/bench.mjs does).
  const r = spawnSync(process.execPath, ['--import', 'tsx', import.meta.filename, '--child'], {
    stdio: 'inherit',
  });
  process.exit(r.status ?? 1);
}
const { corpus, digest, snapshotPath, snapshotUri } = await import('../test/unit/analysisSnapshotCorpus.ts');
const { testAnalyzer } = await import('../test/lsp/wasm.ts');
const analyzer = await testAnalyzer();
const out = {};
for (const [name, text] of Object.entries(corpus())) {
  const a = analyzer.analyze(text);
  out[name] = digest(a, snapshotUri);
  a.dispose();
}
fs.writeFileSync(snapshotPath, JSON.stringify(out, null, 1) + '\n');
console.log(
  `wrote ${snapshotPath}: ${Object.entries(out)
    .map(([k, v]) => `${k} ${v.diagnostics.length} diagnostics`)
    .join(', ')}`,
);
