// File names inside the built playground folder (dist/playground/), shared by the page, its workers
// and scripts/buildPlayground.mjs (which writes them). One table, so a rename cannot split them.
export const playgroundAssets = {
  treeSitterRuntime: 'tree-sitter.wasm',
  treeSitterC: 'tree-sitter-c.wasm',
  /** Helper docs parsed at build time from the build machine's uapi bpf.h. */
  helperDocs: 'helper-docs.json',
  injectionGrammar: 'xdp-c.injection.tmLanguage.json',
  serverWorker: 'serverWorker.js',
  simWorker: 'simWorker.js',
  editorWorker: 'editorWorker.js',
  textMateWorker: 'textMateWorker.js',
  visualizerPage: 'visualizer.html',
  /** The example programs: source and prebuilt object side by side, and their scenarios. */
  examplesDir: 'examples',
} as const;

/** The examples the build ships (source, object, scenario), by base name. */
export const playgroundExamples = [
  {
    name: 'redirect',
    source: 'redirect.bpf.c',
    object: 'redirect.bpf.o',
    scenario: 'redirect.xdpscenario.json',
  },
] as const;
