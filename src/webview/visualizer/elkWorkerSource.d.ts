// elkjs's worker script, bundled as text (esbuild's loader '.min.js': 'text', esbuild.mjs): the page
// starts it from a blob: URL, the only kind of worker a VS Code webview may start.
declare module 'elkjs/lib/elk-worker.min.js' {
  const source: string;
  // esbuild's text loader gives the file's text as the module's default export.
  // eslint-disable-next-line no-restricted-syntax
  export default source;
}
