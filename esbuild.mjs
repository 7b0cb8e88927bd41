// One build script, four bundles (extension, server, webview, cli) plus the assets they load at run time.
// After building, checks the layering rule of docs/architecture.md against esbuild's metafile, so a
// stray `import 'vscode'` in src/core (or a webview importing node code) fails the build, not a user.
import * as esbuild from 'esbuild';
import fs from 'node:fs';
import { builtinModules } from 'node:module';

const args = new Set(process.argv.slice(2));
const watch = args.has('--watch');
const production = args.has('--production');
const pkg = JSON.parse(fs.readFileSync('package.json', 'utf8'));

const common = {
  bundle: true,
  sourcemap: true,
  minify: production,
  metafile: true,
  logLevel: 'warning',
  target: 'es2022',
  define: { XDP_LAB_VERSION: JSON.stringify(pkg.version) },
};

/** Which source folders each folder may import (house-style.md "Allowed imports"). */
const allowed = {
  core: ['core'],
  protocol: ['protocol', 'core'],
  node: ['node', 'core'],
  server: ['server', 'core', 'protocol', 'node'],
  webview: ['webview', 'core', 'protocol'],
  cli: ['cli', 'core', 'node', 'protocol'],
  extension: ['extension', 'protocol', 'node', 'core'],
  playground: ['playground', 'core', 'protocol', 'server', 'webview'],
};
const nodeOnlyForbidden = ['core', 'protocol', 'webview'];

function layerOf(file) {
  const m = /^src\/([^/]+)\//.exec(file);
  return m ? m[1] : undefined;
}

function checkLayers(metafile, bundle) {
  const problems = [];
  for (const [file, input] of Object.entries(metafile.inputs)) {
    const layer = layerOf(file);
    if (!layer || !allowed[layer]) continue;
    for (const imp of input.imports) {
      const target = layerOf(imp.path);
      if (target && !allowed[layer].includes(target)) problems.push(`${file} imports ${imp.path}`);
      const bare = imp.path.replace(/^node:/, '');
      if (
        !target &&
        nodeOnlyForbidden.includes(layer) &&
        (imp.path === 'vscode' || builtinModules.includes(bare))
      )
        problems.push(`${file} imports '${imp.path}' (core, protocol and webview must run in a browser)`);
    }
  }
  if (problems.length) {
    throw new Error(`layering violations in the ${bundle} bundle:\n  ` + problems.join('\n  '));
  }
}

/** Node bundles take web-tree-sitter's CommonJS build: its ESM build reads import.meta.url, which a cjs bundle lacks. */
const nodeTreeSitter = { alias: { 'web-tree-sitter': './node_modules/web-tree-sitter/tree-sitter.cjs' } };

const bundles = [
  {
    name: 'extension',
    entryPoints: ['src/extension/extension.ts'],
    outfile: 'dist/extension.js',
    platform: 'node',
    format: 'cjs',
    external: ['vscode'],
  },
  {
    // The visualizer's simulation, in a worker thread of the extension host (workerRun.ts starts it).
    name: 'simWorker',
    entryPoints: ['src/extension/visualizer/simWorker.ts'],
    outfile: 'dist/simWorker.js',
    platform: 'node',
    format: 'cjs',
  },
  {
    name: 'server',
    entryPoints: ['src/server/server.ts'],
    outfile: 'dist/server.js',
    platform: 'node',
    format: 'cjs',
    ...nodeTreeSitter,
  },
  {
    name: 'cli',
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/cli.js',
    platform: 'node',
    format: 'cjs',
    ...nodeTreeSitter,
    banner: { js: '#!/usr/bin/env node' },
  },
  {
    // The language server for a browser worker (playground): no clang/bpftool; web-tree-sitter's
    // Node-only dynamic imports stay unresolved because a worker never takes that path.
    name: 'server-web',
    entryPoints: ['src/server/browserServerMain.ts'],
    outfile: 'dist/server-web.js',
    platform: 'browser',
    format: 'iife',
    external: ['fs/promises', 'module'],
  },
  {
    name: 'webview',
    entryPoints: ['src/webview/visualizer/main.ts'],
    outdir: 'dist/webview',
    entryNames: 'visualizer',
    platform: 'browser',
    format: 'iife',
    // elkjs's worker script, as text the page starts from a blob: (src/webview/visualizer/elkInWorker.ts).
    loader: { '.min.js': 'text' },
  },
  {
    name: 'captureView',
    entryPoints: ['src/webview/capture/main.ts'],
    outfile: 'dist/webview/capture.js',
    platform: 'browser',
    format: 'iife',
  },
  {
    name: 'runResultView',
    entryPoints: ['src/webview/runResult/main.ts'],
    outfile: 'dist/webview/runResult.js',
    platform: 'browser',
    format: 'iife',
  },
];

/** Files copied next to the bundles: the tree-sitter runtime and C grammar the analyzer loads. */
function copyAssets() {
  fs.mkdirSync('dist', { recursive: true });
  const copies = [
    ['node_modules/web-tree-sitter/tree-sitter.wasm', 'dist/tree-sitter.wasm'],
    ['node_modules/tree-sitter-c/tree-sitter-c.wasm', 'dist/tree-sitter-c.wasm'],
  ];
  for (const [from, to] of copies) if (fs.existsSync(from)) fs.copyFileSync(from, to);
}

/** The scenario JSON Schema VS Code validates *.xdpscenario.json with comes from core, the one source. */
async function writeScenarioSchema() {
  const src = 'src/core/scenario/scenarioSchema.ts';
  if (!fs.existsSync(src)) return;
  const out = await esbuild.build({
    entryPoints: [src],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'neutral',
  });
  const mod = { exports: {} };
  new Function('module', 'exports', out.outputFiles[0].text)(mod, mod.exports);
  fs.writeFileSync(
    'dist/scenario.schema.json',
    JSON.stringify(mod.exports.scenarioJsonSchema, null, 2) + '\n',
  );
}

async function buildAll() {
  const t0 = Date.now();
  const sizes = [];
  for (const { name, ...options } of bundles) {
    const result = await esbuild.build({ ...common, ...options });
    checkLayers(result.metafile, name);
    for (const [out, meta] of Object.entries(result.metafile.outputs))
      if (!out.endsWith('.map')) sizes.push(`${out} ${(meta.bytes / 1024).toFixed(0)} KiB`);
  }
  copyAssets();
  await writeScenarioSchema();
  fs.chmodSync('dist/cli.js', 0o755);
  console.error(`build: ${sizes.join(', ')} in ${Date.now() - t0} ms`);
}

if (watch) {
  for (const { name, ...options } of bundles) {
    const ctx = await esbuild.context({
      ...common,
      ...options,
      plugins: [
        {
          name: 'layers',
          setup(b) {
            b.onEnd((r) => {
              if (r.metafile) {
                try {
                  checkLayers(r.metafile, name);
                } catch (e) {
                  console.error(String(e));
                }
              }
              console.error(`[watch] ${name} rebuilt (${r.errors.length} errors)`);
            });
          },
        },
      ],
    });
    await ctx.watch();
  }
  copyAssets();
  await writeScenarioSchema();
} else {
  await buildAll();
}
