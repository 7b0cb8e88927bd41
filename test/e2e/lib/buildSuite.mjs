// Bundles the extension-host mocha suites (test/e2e/suite) with esbuild: index.js (with mocha
// inside, so the suite needs no node_modules where it runs) and one NAME.test.js per test file,
// `vscode` external. The same output runs under code-server (payload URL) and @vscode/test-electron.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from './codeServer.mjs';

export const SUITE_SRC = path.join(ROOT, 'test/e2e/suite');

/** Builds into `outDir` (emptied first); returns the path of index.js. */
export async function buildSuite(outDir) {
  fs.rmSync(outDir, { recursive: true, force: true });
  const tests = fs.readdirSync(SUITE_SRC).filter((f) => f.endsWith('.test.ts'));
  await esbuild.build({
    entryPoints: [path.join(SUITE_SRC, 'index.ts'), ...tests.map((t) => path.join(SUITE_SRC, t))],
    outdir: outDir,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    external: ['vscode'],
    sourcemap: 'inline',
    logLevel: 'error',
  });
  return path.join(outDir, 'index.js');
}
