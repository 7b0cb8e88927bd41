// The same extension-host suites under @vscode/test-electron, for machines that can download VS
// Code desktop (update.code.visualstudio.com) — not these CI machines, which use run.mjs
// (code-server + payload URL). Test-electron 2.5.x is pinned because 3.x needs Node >= 22.
// usage: npm run build && node test/e2e/runElectron.mjs [--version stable|1.95.0] [--grep PATTERN]
import fs from 'node:fs';
import path from 'node:path';
import { buildSuite } from './lib/buildSuite.mjs';
import { ROOT } from './lib/codeServer.mjs';

const argv = process.argv.slice(2);
const opt = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};

let runTests;
try {
  ({ runTests } = await import('@vscode/test-electron'));
} catch {
  console.error('@vscode/test-electron is not installed: run `npm ci` (it is a devDependency)');
  process.exit(1);
}
if (!fs.existsSync(path.join(ROOT, 'dist/extension.js'))) {
  console.error('dist/extension.js is missing: run `npm run build` first');
  process.exit(1);
}

const work = path.join(ROOT, '.cache/e2e-electron');
fs.rmSync(work, { recursive: true, force: true });
const workspace = path.join(work, 'examples');
fs.cpSync(path.join(ROOT, 'examples'), workspace, { recursive: true });
const testsPath = await buildSuite(path.join(work, 'suite'));

try {
  await runTests({
    version: opt('--version') ?? 'stable',
    extensionDevelopmentPath: ROOT,
    extensionTestsPath: testsPath,
    extensionTestsEnv: {
      XDP_LAB_E2E_RESULT: path.join(work, 'mocha-result.json'),
      ...(opt('--grep') ? { XDP_LAB_E2E_GREP: opt('--grep') } : {}),
    },
    launchArgs: [
      workspace,
      '--disable-extensions',
      '--disable-workspace-trust',
      '--user-data-dir',
      path.join(work, 'user-data'),
    ],
  });
  console.log('extension-host suites passed (VS Code desktop)');
} catch (e) {
  console.error(`extension-host suites failed: ${e instanceof Error ? e.message : e}`);
  process.exit(1);
}
