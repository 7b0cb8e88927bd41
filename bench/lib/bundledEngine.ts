// The engine as it ships, for benches: the named core modules bundled by esbuild into one CommonJS
// file and required (running the TypeScript through tsx would measure the loader's live-binding
// getters on every imported constant, not the engine).
import { createRequire } from 'node:module';
import fs from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';

const src = path.resolve(import.meta.dirname, '../../src');

/**
 * `modules`: paths under src/ whose exports are re-exported whole (`core/vm/rawRun`);
 * `namespaces`: name → path, re-exported as one namespace each (`{ A: 'core/vm/asm' }`).
 */
export function bundledEngine<T>(
  dir: string,
  modules: readonly string[],
  namespaces: Readonly<Record<string, string>> = {},
): T {
  const entry = path.join(dir, 'entry.ts');
  fs.writeFileSync(
    entry,
    [
      ...modules.map((m) => `export * from ${JSON.stringify(path.join(src, m))};`),
      ...Object.entries(namespaces).map(
        ([n, m]) => `export * as ${n} from ${JSON.stringify(path.join(src, m))};`,
      ),
    ].join('\n'),
  );
  const out = path.join(dir, 'engine.cjs');
  esbuild.buildSync({
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'es2022',
    outfile: out,
    logLevel: 'error',
  });
  return createRequire(import.meta.url)(out) as T;
}
