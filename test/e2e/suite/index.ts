// Extension-host test entry (extensionTestsPath): the contract @vscode/test-electron and the
// code-server payload route share — export run() returning a Promise that rejects on failures.
// Loads every *.test.js bundled beside this file into mocha (tdd ui: suite/test).
import fs from 'node:fs';
import Mocha from 'mocha';
import path from 'node:path';

interface TestRecord {
  title: string;
  state: 'passed' | 'failed';
  durationMs: number;
  error?: string;
}

export function run(): Promise<void> {
  const mocha = new Mocha({ ui: 'tdd', color: false, timeout: 60_000, reporter: 'spec' });
  const grep = process.env.XDP_LAB_E2E_GREP;
  if (grep) mocha.grep(grep);
  for (const f of fs.readdirSync(__dirname).sort())
    if (f.endsWith('.test.js')) mocha.addFile(path.join(__dirname, f));
  const records: TestRecord[] = [];
  return new Promise((resolve, reject) => {
    const runner = mocha.run((failures) => {
      // The editor-tier runner reads this file for its per-test summary; test-electron ignores it.
      const out = process.env.XDP_LAB_E2E_RESULT;
      if (out) fs.writeFileSync(out, JSON.stringify({ failures, tests: records }, null, 1));
      if (failures) reject(new Error(`${failures} extension-host tests failed`));
      else resolve();
    });
    runner.on('pass', (t) =>
      records.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration ?? 0 }),
    );
    runner.on('fail', (t, err: unknown) =>
      records.push({
        title: t.fullTitle(),
        state: 'failed',
        durationMs: t.duration ?? 0,
        error: err instanceof Error ? (err.stack ?? err.message) : String(err),
      }),
    );
  });
}
