// elkjs's worker script, bundled as text (esbuild's elkWorkerText plugin, esbuild.mjs): the page
// starts it from a blob: URL, the only kind of worker a VS Code webview may start.
declare module 'elkjs/lib/elk-worker.min.js' {
  const source: string;
  export default source;
}
