// Builds the XDP Lab playground (issue #8) into dist/playground/: a static folder that can be served
// from anywhere, with every asset inside it (nothing is fetched from the network at run time).
// Kept apart from esbuild.mjs's four bundles, and out of the .vsix (.vscodeignore lists dist/* files).
//
//   main.js (+ chunks/)   the page: Monaco through monaco-languageclient's MonacoVscodeApiWrapper
//                         (TextMate + themes), the language client, the simulator host, the UI
//   serverWorker.js       the XDP C language server (src/server/startServer.ts) in a Web Worker
//   simWorker.js          the simulator (src/core) in a Web Worker
//   editorWorker.js, textMateWorker.js   Monaco's own workers
//   visualizer/           the SAME dist/webview/visualizer.{js,css} as the extension, plus a shim
//   examples/             example sources, their prebuilt objects (clang at build time) and scenarios
//
// Usage: node scripts/buildPlayground.mjs [--dev]   (needs `npm run build` first for the
// visualizer bundle; builds it when missing). Prints the size of every output file.
import * as esbuild from 'esbuild';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'dist/playground');
// Minified without source maps unless --dev (the folder is what gets hosted; --dev is for debugging).
const production = !process.argv.includes('--dev');
const rel = (p) => path.relative(root, p);

/** Layering (house-style "Allowed imports"), checked on the metafile like esbuild.mjs does. */
const allowed = ['playground', 'core', 'protocol', 'server', 'webview'];
function checkLayers(metafile) {
  const problems = [];
  for (const [file, input] of Object.entries(metafile.inputs)) {
    if (!/^src\//.test(file)) continue;
    if (/^src\/(server\/node|node)\//.test(file))
      problems.push(`${file} is Node-only code in a browser bundle`);
    const layer = /^src\/([^/]+)\//.exec(file)?.[1];
    if (layer && !allowed.includes(layer))
      problems.push(`${file} (src/${layer}) is not allowed in the playground`);
    for (const imp of input.imports)
      if (imp.path === 'vscode' || /^node:/.test(imp.path)) problems.push(`${file} imports '${imp.path}'`);
  }
  if (problems.length) throw new Error('playground layering:\n  ' + problems.join('\n  '));
}

/**
 * The monaco-vscode packages import their CSS as modules and register it themselves (registerCss reads
 * the module's default export as a string), and name their assets with `new URL('./x', import.meta.url)`.
 * esbuild does neither out of the box (see @codingame/monaco-vscode-api's README, "Prerequisites"), so:
 *  - a .css file under node_modules becomes a JS module whose default export is the bundled CSS text
 *    (url() assets such as the codicon font inlined as data: URLs, so the text is self-contained);
 *  - a relative `new URL('./x', import.meta.url)` becomes an import of x through the file loader, so the
 *    asset is copied into assets/ and the URL resolves next to the chunk that uses it.
 */
const monacoAssets = {
  name: 'monaco-assets',
  setup(build) {
    build.onLoad({ filter: /\.css$/ }, async (args) => {
      if (!args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const r = await esbuild.build({
        entryPoints: [args.path],
        bundle: true,
        write: false,
        minify: production,
        logLevel: 'silent',
        loader: {
          '.ttf': 'dataurl',
          '.woff': 'dataurl',
          '.woff2': 'dataurl',
          '.svg': 'dataurl',
          '.png': 'dataurl',
          '.gif': 'dataurl',
        },
      });
      return { contents: `export default ${JSON.stringify(r.outputFiles[0].text)};`, loader: 'js' };
    });
    build.onLoad({ filter: /\.m?js$/ }, async (args) => {
      if (!/[\\/]node_modules[\\/](@codingame|monaco-languageclient)[\\/]/.test(args.path)) return undefined;
      const text = await fs.promises.readFile(args.path, 'utf8');
      if (!text.includes('import.meta.url')) return undefined;
      const imports = [];
      const contents = text.replace(
        /new URL\((['"])(\.\.?\/[^'"]+)\1,\s*import\.meta\.url\)/g,
        (_m, _q, spec) => {
          const target = path.resolve(path.dirname(args.path), spec);
          if (!fs.existsSync(target)) return `new URL(${JSON.stringify(spec)}, import.meta.url)`;
          const id = `__xdpLabAsset${imports.length}`;
          imports.push(`import ${id} from ${JSON.stringify('xdp-lab-asset:' + target)};`);
          return `new URL(${id}, import.meta.url)`;
        },
      );
      return {
        contents: imports.join('\n') + '\n' + contents,
        loader: 'js',
        resolveDir: path.dirname(args.path),
      };
    });
    build.onResolve({ filter: /^xdp-lab-asset:/ }, (args) => ({
      path: args.path.slice('xdp-lab-asset:'.length),
      namespace: 'xdp-lab-asset',
    }));
    build.onLoad({ filter: /.*/, namespace: 'xdp-lab-asset' }, async (args) => ({
      contents: await fs.promises.readFile(args.path),
      loader: 'file',
    }));
  },
};

const common = {
  bundle: true,
  minify: production,
  sourcemap: production ? false : 'linked',
  metafile: true,
  logLevel: 'warning',
  target: 'es2022',
  platform: 'browser',
  format: 'esm',
  assetNames: 'assets/[name]-[hash]',
  chunkNames: 'chunks/[name]-[hash]',
  plugins: [monacoAssets],
  // web-tree-sitter imports these only when it runs under Node (ENVIRONMENT_IS_NODE).
  external: ['fs/promises', 'module'],
  define: { 'process.env.NODE_ENV': production ? '"production"' : '"development"' },
};

function run(cmd, args) {
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8' });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.status}):\n${r.stderr}`);
  return r.stdout;
}

/** Example programs: the source and the object clang builds from it, side by side, and the scenario. */
function buildExamples() {
  const dir = path.join(out, 'examples');
  fs.mkdirSync(dir, { recursive: true });
  const triple = run('uname', ['-m']).trim();
  for (const name of ['redirect']) {
    const src = path.join(root, 'examples', `${name}.bpf.c`);
    fs.copyFileSync(src, path.join(dir, `${name}.bpf.c`));
    fs.copyFileSync(
      path.join(root, 'examples', `${name}.xdpscenario.json`),
      path.join(dir, `${name}.xdpscenario.json`),
    );
    run(process.env.CLANG ?? 'clang', [
      '-O2',
      '-g',
      '-target',
      'bpf',
      `-I/usr/include/${triple}-linux-gnu`,
      '-c',
      src,
      '-o',
      path.join(dir, `${name}.bpf.o`),
    ]);
  }
}

/** Helper docs of the build machine's uapi header (the browser has none to read). */
async function writeHelperDocs() {
  const header = '/usr/include/linux/bpf.h';
  if (!fs.existsSync(header)) return;
  const r = await esbuild.build({
    entryPoints: ['src/core/analysis/uapiHelperDocs.ts'],
    bundle: true,
    write: false,
    format: 'cjs',
    platform: 'neutral',
    absWorkingDir: root,
  });
  const mod = { exports: {} };
  new Function('module', 'exports', r.outputFiles[0].text)(mod, mod.exports);
  const docs = mod.exports.parseUapiHelperDocs(fs.readFileSync(header, 'utf8'));
  fs.writeFileSync(
    path.join(out, 'helper-docs.json'),
    JSON.stringify({
      source: header,
      docs: Object.fromEntries(docs),
    }),
  );
}

/** What VS Code reads from package.json's contributes: the injection grammar and the semantic token scopes. */
function writeContributes() {
  const pkg = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8'));
  const c = pkg.contributes;
  fs.writeFileSync(
    path.join(out, 'contributes.json'),
    JSON.stringify({
      grammars: c.grammars,
      semanticTokenTypes: c.semanticTokenTypes,
      semanticTokenScopes: c.semanticTokenScopes,
    }),
  );
  for (const g of c.grammars) fs.copyFileSync(path.join(root, g.path), path.join(out, path.basename(g.path)));
}

function copyStatic() {
  const copies = [
    ['node_modules/web-tree-sitter/tree-sitter.wasm', 'tree-sitter.wasm'],
    ['node_modules/tree-sitter-c/tree-sitter-c.wasm', 'tree-sitter-c.wasm'],
    ['src/playground/index.html', 'index.html'],
    ['src/playground/playground.css', 'playground.css'],
    ['src/playground/visualizer.html', 'visualizer/index.html'],
    // The visualizer: the extension's own bundle, not a second build.
    ['dist/webview/visualizer.js', 'visualizer/visualizer.js'],
    ['dist/webview/visualizer.css', 'visualizer/visualizer.css'],
  ];
  for (const [from, to] of copies) {
    fs.mkdirSync(path.dirname(path.join(out, to)), { recursive: true });
    fs.copyFileSync(path.join(root, from), path.join(out, to));
  }
}

export async function buildPlayground() {
  const t0 = Date.now();
  if (!fs.existsSync(path.join(root, 'dist/webview/visualizer.js'))) run(process.execPath, ['esbuild.mjs']);
  fs.rmSync(out, { recursive: true, force: true });
  fs.mkdirSync(out, { recursive: true });
  const results = [];
  results.push(
    await esbuild.build({
      ...common,
      absWorkingDir: root,
      entryPoints: { main: 'src/playground/main.ts' },
      outdir: out,
      splitting: true,
    }),
  );
  for (const [name, entry] of Object.entries({
    serverWorker: 'src/playground/serverWorker.ts',
    simWorker: 'src/playground/simWorker.ts',
    editorWorker: '@codingame/monaco-vscode-editor-api/esm/vs/editor/editor.worker.js',
    textMateWorker: '@codingame/monaco-vscode-textmate-service-override/worker',
    'visualizer/shim': 'src/playground/visualizerShim.ts',
  }))
    results.push(
      await esbuild.build({
        ...common,
        absWorkingDir: root,
        entryPoints: { [name]: entry },
        outdir: out,
        // web-tree-sitter's ESM build reads import.meta.url; inside a module worker that is the worker's URL.
        format: name === 'visualizer/shim' ? 'iife' : 'esm',
      }),
    );
  for (const r of results) checkLayers(r.metafile);
  copyStatic();
  writeContributes();
  await writeHelperDocs();
  buildExamples();
  const sizes = playgroundSizes();
  return { ms: Date.now() - t0, sizes };
}

/** Every file of the folder with its size (source maps apart): the bundle-size report. */
export function playgroundSizes() {
  const rows = [];
  const walk = (d) => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else rows.push({ file: path.relative(out, p), bytes: fs.statSync(p).size });
    }
  };
  walk(out);
  return rows.sort((a, b) => b.bytes - a.bytes);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { ms, sizes } = await buildPlayground();
  const code = sizes.filter((s) => !s.file.endsWith('.map'));
  const total = code.reduce((a, s) => a + s.bytes, 0);
  for (const s of code.slice(0, 25))
    console.error(`  ${(s.bytes / 1024).toFixed(0).padStart(7)} KiB  ${s.file}`);
  if (code.length > 25) console.error(`  … ${code.length - 25} smaller files`);
  console.error(
    `playground: ${rel(out)} ${(total / 1024 / 1024).toFixed(2)} MiB in ${code.length} files (maps apart), built in ${ms} ms`,
  );
}
