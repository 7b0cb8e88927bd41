// The capture panel's page: a fixed shell with a strict Content-Security-Policy (nothing by default;
// the script and the one style block only with this load's nonce). No data is interpolated: the
// capture arrives by postMessage after the view's "ready". Pure (no vscode import), so the browser
// test serves the very same page.
import { checkNonce, webviewPage } from '../webviewPage';

export interface CaptureHtmlOptions {
  /** A fresh random nonce per load (base64 characters). */
  readonly nonce: string;
  /** webview.asWebviewUri(dist/webview/capture.js), as a string. */
  readonly scriptUri: string;
  /** Extra scripts carrying the nonce, before the bundle (the browser test's fake VS Code API). */
  readonly preludeScripts?: readonly string[];
}

export function captureHtml(o: CaptureHtmlOptions): string {
  checkNonce(o.nonce, 'capture panel');
  return webviewPage({
    title: 'XDP capture',
    csp: `default-src 'none'; script-src 'nonce-${o.nonce}'; style-src 'nonce-${o.nonce}'`,
    nonce: o.nonce,
    scriptUri: o.scriptUri,
    preludeScripts: o.preludeScripts ?? [],
    placeholder: 'Loading…',
    head: `<style nonce="${o.nonce}">
body { font-family: var(--vscode-font-family, sans-serif); color: var(--vscode-foreground); padding: 0 1em; }
table { border-collapse: collapse; margin-bottom: 1em; }
td, th { border-bottom: 1px solid var(--vscode-panel-border, #8884); padding: 2px 8px; text-align: left; vertical-align: top; }
.num { text-align: right; font-variant-numeric: tabular-nums; } .dim { opacity: .7; } .fleet td { max-width: 24em; }
.warn { color: var(--vscode-editorWarning-foreground, #b80); } .fix { margin-top: 2px; }
button { margin-right: 6px; color: var(--vscode-button-foreground, #fff); background: var(--vscode-button-background, #06c); border: none; padding: 4px 10px; cursor: pointer; }
</style>`,
  });
}
