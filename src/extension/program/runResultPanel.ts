// The host side of the Run-on-a-frame result panel: a fixed page (strict CSP, the bundle by nonce),
// the typed endpoint, and the actions the view asks for (Re-run, Open as JSON). One panel is reused
// for every run, as a debugger's output would be.
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import * as vscode from 'vscode';
import {
  runResultDidUpdate,
  runResultOpenJson,
  runResultReady,
  runResultRerun,
  type RunResultView,
} from '../../protocol/runResult';
import { Endpoint, type WireMessage } from '../../protocol/webviewEndpoint';
import { output } from '../output';
import { checkNonce, webviewPage } from '../webviewPage';

export const runResultViewType = 'xdpLab.runResult';

function html(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = randomBytes(18).toString('base64');
  checkNonce(nonce, 'run result');
  const bundle = vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'runResult.js');
  const scriptUri = webview.asWebviewUri(bundle);
  // Inlined (15 KB): no resource fetch through code-server's service worker (webviewPage.ts).
  let inlineBundle: string | undefined;
  try {
    inlineBundle = fs.readFileSync(bundle.fsPath, 'utf8');
  } catch {
    inlineBundle = undefined; // the page loads it from scriptUri then
  }
  return webviewPage({
    title: 'XDP run result',
    csp: `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'`,
    nonce,
    scriptUri: scriptUri.toString(),
    ...(inlineBundle !== undefined ? { inlineBundle } : {}),
    preludeScripts: [],
    placeholder: 'Loading…',
    head: `<style nonce="${nonce}">
body { font-family: var(--vscode-font-family, sans-serif); color: var(--vscode-foreground); padding: 0 1em 2em; }
h1 { font-size: 1.3em; } h2 { font-size: 1.1em; margin-top: 1.4em; } h3 { font-size: 1em; margin-bottom: 2px; }
table { border-collapse: collapse; margin: 4px 0 10px; }
td, th { border-bottom: 1px solid var(--vscode-panel-border, #8884); padding: 2px 10px 2px 4px; text-align: left; vertical-align: top; }
tr.layer th { padding-top: 8px; opacity: .8; }
tr.changed td { background: var(--vscode-diffEditor-insertedTextBackground, #2ea04333); }
.mono, pre { font-family: var(--vscode-editor-font-family, monospace); font-size: var(--vscode-editor-font-size, 12px); }
.dim { opacity: .7; font-weight: normal; }
.badge { display: inline-block; padding: 1px 8px; border-radius: 3px; font-weight: bold; background: #8884; }
.badge.xdp_pass { background: #2ea04366; } .badge.xdp_drop, .badge.xdp_aborted, .badge.fault { background: #d1242f66; }
.badge.xdp_redirect, .badge.xdp_tx { background: #0969da66; }
.verifier-warning { border: 1px solid var(--vscode-editorWarning-foreground, #b80); background: var(--vscode-inputValidation-warningBackground, #b8800022); padding: 6px 10px; white-space: pre-wrap; }
.note { border-left: 3px solid var(--vscode-editorWarning-foreground, #b80); padding: 2px 8px; margin: 4px 0; }
.changed-byte { background: var(--vscode-diffEditor-insertedTextBackground, #2ea04366); font-weight: bold; }
.cols { display: flex; gap: 2em; flex-wrap: wrap; }
button { margin-right: 6px; color: var(--vscode-button-foreground, #fff); background: var(--vscode-button-background, #06c); border: none; padding: 4px 10px; cursor: pointer; }
</style>`,
  });
}

export interface RunResultHandlers {
  /** Runs again and returns the new result (undefined when the run could not happen; it said why). */
  rerun(): Promise<RunResultView | undefined>;
  /** The result as `xdp-lab run --json` prints it. */
  json(): unknown;
}

export class RunResultPanel {
  private static current: RunResultPanel | undefined;
  private readonly endpoint: Endpoint;

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private result: RunResultView,
    private handlers: RunResultHandlers,
  ) {
    this.endpoint = new Endpoint({
      post: (m: WireMessage) => void panel.webview.postMessage(m),
      timers: { set: (fn, ms) => setTimeout(fn, ms), clear: (t) => clearTimeout(t as NodeJS.Timeout) },
      onError: (e) => output().warn(`run result panel: ${e.message}`),
    });
    this.endpoint.onRequest(runResultReady, () => this.result);
    this.endpoint.onNotification(runResultOpenJson, () => void this.openJson());
    this.endpoint.onNotification(runResultRerun, () => void this.rerun());
    panel.webview.onDidReceiveMessage((m: unknown) => this.endpoint.handleMessage(m));
    panel.onDidDispose(() => {
      this.endpoint.dispose();
      if (RunResultPanel.current === this) RunResultPanel.current = undefined;
    });
    panel.webview.html = html(panel.webview, extensionUri);
  }

  /** Shows a result, in the panel of the previous run when it is still open. */
  static show(extensionUri: vscode.Uri, result: RunResultView, handlers: RunResultHandlers): void {
    const title = `Run: ${result.program}`;
    const existing = RunResultPanel.current;
    if (existing) {
      existing.handlers = handlers;
      existing.update(result);
      existing.panel.title = title;
      existing.panel.reveal(vscode.ViewColumn.Beside, true);
      return;
    }
    const panel = vscode.window.createWebviewPanel(
      runResultViewType,
      title,
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      {
        enableScripts: true,
        retainContextWhenHidden: true,
        localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')],
      },
    );
    RunResultPanel.current = new RunResultPanel(panel, extensionUri, result, handlers);
  }

  private update(result: RunResultView): void {
    this.result = result;
    this.endpoint.sendNotification(runResultDidUpdate, result);
  }

  private async rerun(): Promise<void> {
    const next = await this.handlers.rerun();
    if (next) this.update(next);
  }

  private async openJson(): Promise<void> {
    const doc = await vscode.workspace.openTextDocument({
      language: 'json',
      content: JSON.stringify(this.handlers.json(), null, 2) + '\n',
    });
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
  }
}
