// The visualizer page: a fixed shell with a strict Content-Security-Policy — nothing by default,
// scripts only with this load's nonce, styles and images only from the extension's dist folder
// (plus blob: images for the PNG export, and ELK's blob: worker). No data is ever interpolated into it: the model arrives
// by postMessage after "ready". Pure (no vscode import) so tests render the same page in Chromium.
import { checkNonce, htmlAttr, webviewPage } from '../webviewPage';

/** Style text safe inside <style>…</style>: no end tag can end it early. */
const styleText = (css: string): string => css.replace(/<\/(style)/gi, '<\\/$1');

export interface VisualizerHtmlOptions {
  /** webview.cspSource */
  cspSource: string;
  /** A fresh random nonce per page load (base64/hex characters only). */
  nonce: string;
  /** webview.asWebviewUri(dist/webview/visualizer.js) and .css, as strings. */
  scriptUri: string;
  styleUri: string;
  /** Extra script tags carrying the nonce (the standalone test's fake VS Code API), before the bundle. */
  preludeScripts?: readonly string[];
  /**
   * The bundle's and the stylesheet's text, to inline instead of loading `scriptUri`/`styleUri`:
   * code-server serves webview resources through a service worker that the first resource-loading
   * webview of a new browser profile can miss (webviewPage.ts; seen with this panel opened from the
   * walkthrough in a fresh window: a blank page).
   */
  inline?: { readonly script: string; readonly style: string };
}

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    `default-src 'none'`,
    `script-src 'nonce-${nonce}'`,
    // The nonce admits the page's own inlined stylesheet (VisualizerHtmlOptions.inline), nothing else.
    `style-src ${cspSource} 'nonce-${nonce}'`,
    `img-src ${cspSource} blob:`,
    `font-src ${cspSource}`,
    // ELK's layouts run in a worker made from a blob: of the bundled script (elkInWorker.ts).
    `worker-src blob:`,
  ].join('; ');
}

export function visualizerHtml(o: VisualizerHtmlOptions): string {
  checkNonce(o.nonce, 'visualizer');
  return webviewPage({
    title: 'XDP Lab: redirect flow',
    csp: contentSecurityPolicy(o.cspSource, o.nonce),
    nonce: o.nonce,
    scriptUri: o.scriptUri,
    ...(o.inline ? { inlineBundle: o.inline.script } : {}),
    preludeScripts: o.preludeScripts ?? [],
    head: o.inline
      ? `<style nonce="${o.nonce}">${styleText(o.inline.style)}</style>`
      : `<link rel="stylesheet" href="${htmlAttr(o.styleUri)}">`,
  });
}
