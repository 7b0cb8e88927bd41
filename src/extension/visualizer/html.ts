// The visualizer page: a fixed shell with a strict Content-Security-Policy — nothing by default,
// scripts only with this load's nonce, styles and images only from the extension's dist folder
// (plus blob: images for the PNG export). No data is ever interpolated into it: the model arrives
// by postMessage after "ready". Pure (no vscode import) so tests render the same page in Chromium.

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
}

const attr = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [
    `default-src 'none'`,
    `script-src 'nonce-${nonce}'`,
    `style-src ${cspSource}`,
    `img-src ${cspSource} blob:`,
    `font-src ${cspSource}`,
  ].join('; ');
}

export function visualizerHtml(o: VisualizerHtmlOptions): string {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(o.nonce))
    throw new Error('visualizer: the nonce must be ≥16 base64/hex characters');
  const csp = contentSecurityPolicy(o.cspSource, o.nonce);
  const prelude = (o.preludeScripts ?? [])
    .map((src) => `<script nonce="${o.nonce}">${src}</script>`)
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(o.styleUri)}">
<title>XDP Lab: redirect flow</title>
</head>
<body>
<div id="root"></div>
${prelude}
<script nonce="${o.nonce}" src="${attr(o.scriptUri)}"></script>
</body>
</html>
`;
}
