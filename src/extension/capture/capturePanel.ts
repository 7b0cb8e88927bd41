// The host side of the capture results panel: a fixed HTML shell (strict CSP, script by nonce from
// dist/webview), the typed endpoint, save/export on request, and a serializer so a panel showing a
// finished capture survives a window reload.
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import { captureCsv, checkCaptureFile, type CaptureFile } from '../../core/trace/captureFile';
import {
  captureDidUpdate,
  captureExport,
  captureReady,
  captureStop,
  type CaptureLiveRates,
  type CaptureViewState,
} from '../../protocol/capture';
import { Endpoint, type WireMessage } from '../../protocol/webviewEndpoint';
import { output } from '../output';
import { captureHtml } from './captureHtml';

export const captureViewType = 'xdpLab.captureResults';

function shell(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const scriptUri = webview
    .asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'capture.js'))
    .toString();
  return captureHtml({ nonce: randomBytes(18).toString('base64'), scriptUri });
}

export class CapturePanel {
  private readonly endpoint: Endpoint;
  private running: boolean;
  private rates: CaptureLiveRates | undefined;
  private comparison: CaptureViewState['comparison'];
  private fleet: CaptureViewState['fleet'];
  /** The .xdpcapture.json this capture was opened from or saved as (a comparison can be restored from it). */
  file: string | undefined;
  /** The panel shown last: "Compare with simulation" uses its capture. */
  static latest: CapturePanel | undefined;

  constructor(
    private readonly panel: vscode.WebviewPanel,
    extensionUri: vscode.Uri,
    private capture: CaptureFile,
    running: boolean,
    private readonly onStop: () => void = () => undefined,
  ) {
    this.running = running;
    panel.webview.options = {
      enableScripts: true,
      localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')],
    };
    this.endpoint = new Endpoint({
      post: (m: WireMessage) => void panel.webview.postMessage(m),
      timers: { set: (fn, ms) => setTimeout(fn, ms), clear: (t) => clearTimeout(t as NodeJS.Timeout) },
      onError: (e) => output().warn(`capture panel: ${e.message}`),
    });
    this.endpoint.onRequest(captureReady, () => this.state());
    this.endpoint.onNotification(captureStop, () => this.onStop());
    this.endpoint.onRequest(captureExport, ({ format }) => this.export(format));
    panel.webview.onDidReceiveMessage((m: unknown) => this.endpoint.handleMessage(m));
    CapturePanel.latest = this;
    panel.onDidChangeViewState((e) => {
      if (e.webviewPanel.active) CapturePanel.latest = this;
    });
    panel.onDidDispose(() => {
      this.endpoint.dispose();
      if (CapturePanel.latest === this) CapturePanel.latest = undefined;
    });
    panel.webview.html = shell(panel.webview, extensionUri);
  }

  static create(
    context: vscode.ExtensionContext,
    title: string,
    capture: CaptureFile,
    running: boolean,
    onStop?: () => void,
  ): CapturePanel {
    const panel = vscode.window.createWebviewPanel(captureViewType, title, vscode.ViewColumn.Active, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview')],
    });
    return new CapturePanel(panel, context.extensionUri, capture, running, onStop);
  }

  /** `fleet`: a fleet capture's hosts (`capture` then holds their merged counts). */
  update(
    capture: CaptureFile,
    running: boolean,
    rates?: CaptureLiveRates,
    fleet?: CaptureViewState['fleet'],
  ): void {
    this.capture = capture;
    this.running = running;
    this.rates = rates;
    this.fleet = fleet;
    this.endpoint.sendNotification(captureDidUpdate, this.state());
  }

  get current(): { capture: CaptureFile; running: boolean; file?: string } {
    return { capture: this.capture, running: this.running, ...(this.file ? { file: this.file } : {}) };
  }

  setComparison(comparison: CaptureViewState['comparison']): void {
    this.comparison = comparison;
    this.endpoint.sendNotification(captureDidUpdate, this.state());
    this.panel.reveal();
  }

  private state(): CaptureViewState {
    const { events, ...rest } = this.capture;
    return {
      capture: rest,
      running: this.running,
      eventCount: events?.length ?? 0,
      ...(this.rates ? { rates: this.rates } : {}),
      ...(this.comparison ? { comparison: this.comparison } : {}),
      ...(this.fleet ? { fleet: this.fleet } : {}),
    };
  }

  private async export(format: 'xdpcapture' | 'json' | 'csv'): Promise<string | null> {
    const c = this.capture;
    const base = `${c.host.replace(/[^A-Za-z0-9_.-]/g, '_')}-${c.startedAt.slice(0, 19).replace(/[:T]/g, '-')}`;
    const ext = format === 'xdpcapture' ? 'xdpcapture.json' : format;
    const ws = vscode.workspace.workspaceFolders?.[0]?.uri;
    const uri = await vscode.window.showSaveDialog({
      ...(ws ? { defaultUri: vscode.Uri.joinPath(ws, `${base}.${ext}`) } : {}),
      filters: format === 'csv' ? { CSV: ['csv'] } : { JSON: ['json'] },
    });
    if (!uri) return null;
    const text =
      format === 'xdpcapture'
        ? JSON.stringify(c, null, 1) + '\n'
        : format === 'csv'
          ? captureCsv(c)
          : JSON.stringify({ kernel: c.kernel, ...c.summary }, null, 2) + '\n';
    await writeFile(uri.fsPath, text);
    if (format === 'xdpcapture') this.file = uri.fsPath;
    return uri.fsPath;
  }
}

/** Restores panels of finished captures after a reload, from the state the view kept (validated). */
export function registerCaptureSerializer(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.window.registerWebviewPanelSerializer(captureViewType, {
      deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        const capture = checkCaptureFile((state as { capture?: unknown } | undefined)?.capture);
        if (typeof capture === 'string') {
          panel.webview.html =
            '<!DOCTYPE html><html><body>This capture cannot be restored; reopen its .xdpcapture.json file.</body></html>';
          return Promise.resolve();
        }
        new CapturePanel(
          panel,
          context.extensionUri,
          { ...capture, status: capture.status === 'running' ? 'stopped' : capture.status },
          false,
        );
        return Promise.resolve();
      },
    }),
  );
}
