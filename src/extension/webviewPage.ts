// The one HTML shell every XDP Lab webview panel uses: a strict Content-Security-Policy, scripts only
// with this load's nonce, and no data interpolated (state arrives by postMessage after "ready").
// Pure (no vscode import), so browser tests serve the very page a panel shows.

export interface WebviewPageOptions {
  readonly title: string;
  /** The full Content-Security-Policy; it must not allow inline script without the nonce. */
  readonly csp: string;
  /** A fresh random nonce per load (base64/hex characters, ≥ 16). */
  readonly nonce: string;
  /** webview.asWebviewUri(the bundle), as a string. */
  readonly scriptUri: string;
  /** Markup for <head> after the CSP (stylesheet link or a nonce'd style block): built by the caller, no data. */
  readonly head?: string;
  /** Extra scripts carrying the nonce, before the bundle (browser tests' fake VS Code API). */
  readonly preludeScripts?: readonly string[];
  /** Initial content of #root. */
  readonly placeholder?: string;
  /**
   * The bundle's text, to inline instead of loading `scriptUri`: code-server serves webview
   * resources through a service worker, which the first webview of a new browser profile can miss
   * (the page then stays on its placeholder; seen with the Run result panel in a fresh window).
   */
  readonly inlineBundle?: string;
}

/** Escapes a value for a double-quoted HTML attribute. */
export const htmlAttr = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function checkNonce(nonce: string, panel: string): void {
  if (!/^[A-Za-z0-9+/=_-]{16,}$/.test(nonce))
    throw new Error(`${panel}: the nonce must be ≥16 base64/hex characters`);
}

export function webviewPage(o: WebviewPageOptions): string {
  const prelude = (o.preludeScripts ?? [])
    .map((src) => `<script nonce="${o.nonce}">${src}</script>`)
    .join('\n');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${htmlAttr(o.csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${o.head ?? ''}
<title>${o.title.replace(/&/g, '&amp;').replace(/</g, '&lt;')}</title>
</head>
<body>
<div id="root">${o.placeholder ?? ''}</div>
${prelude}
${
  o.inlineBundle !== undefined
    ? `<script nonce="${o.nonce}">${scriptText(o.inlineBundle)}</script>`
    : `<script nonce="${o.nonce}" src="${htmlAttr(o.scriptUri)}"></script>`
}
</body>
</html>
`;
}

/** Script text safe inside <script>…</script>: no end tag or comment opener can end it early. */
export const scriptText = (js: string): string =>
  js.replace(/<\/(script)/gi, '<\\/$1').replace(/<!--/g, '<\\!--');
