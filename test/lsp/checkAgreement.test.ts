// `xdp-lab check` (dist/cli.js) and the language server report the same diagnostics on the same
// files: same analyzer, same positions, codes and severities (issue #5 "Done means").
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { DiagnosticSeverity } from 'vscode-languageserver';
import { startInMemory } from './lspClient';
import type { TestClient } from './lspClient';

const root = path.resolve(__dirname, '../..');
const cli = path.join(root, 'dist/cli.js');
const fixtures = path.join(root, 'test/fixtures/analysis');
const files = ['ok', 'bad'].flatMap((d) =>
  fs
    .readdirSync(path.join(fixtures, d))
    .filter((f) => f.endsWith('.c'))
    .map((f) => path.join(fixtures, d, f)),
);
const sev = {
  [DiagnosticSeverity.Error]: 'error',
  [DiagnosticSeverity.Warning]: 'warning',
  [DiagnosticSeverity.Information]: 'info',
  [DiagnosticSeverity.Hint]: 'info',
} as Record<number, string>;

let c: TestClient;
before(async () => {
  c = await startInMemory();
});
after(() => c.close());

test(
  'check --json equals the server diagnostics on every corpus file, and exits 1 exactly when there are errors',
  { skip: !fs.existsSync(cli) && 'dist/cli.js not built' },
  async () => {
    for (const file of files) {
      const run = spawnSync(process.execPath, [cli, 'check', '--json', file], { encoding: 'utf8' });
      const out = JSON.parse(run.stdout) as {
        diagnostics: { line: number; character: number; severity: string; code: string }[];
      };
      const fromCli = out.diagnostics.map((d) => `${d.line}:${d.character} ${d.severity} ${d.code}`).sort();
      const uri = pathToFileURL(file).href;
      await c.open(uri, fs.readFileSync(file, 'utf8'));
      const diags = await c.diagnostics(uri);
      const fromServer = diags
        .map(
          (d) => `${d.range.start.line}:${d.range.start.character} ${sev[d.severity ?? 1]} ${String(d.code)}`,
        )
        .sort();
      assert.deepEqual(fromCli, fromServer, path.basename(file));
      assert.equal(run.status, fromCli.some((x) => x.includes(' error ')) ? 1 : 0, path.basename(file));
      if (file.includes('/bad/')) assert.ok(fromCli.length > 0, `${path.basename(file)} has diagnostics`);
    }
  },
);

test(
  'check: usage errors exit 2 with one line',
  { skip: !fs.existsSync(cli) && 'dist/cli.js not built' },
  () => {
    const missing = spawnSync(process.execPath, [cli, 'check', '/nonexistent/x.bpf.c'], { encoding: 'utf8' });
    assert.equal(missing.status, 2);
    assert.match(missing.stderr, /^xdp-lab: \/nonexistent\/x\.bpf\.c : cannot read it/);
    assert.equal(missing.stderr.trim().split('\n').length, 1);
    const none = spawnSync(process.execPath, [cli, 'check'], { encoding: 'utf8' });
    assert.equal(none.status, 2);
  },
);
