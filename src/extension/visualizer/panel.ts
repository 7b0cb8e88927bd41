// The visualizer's WebviewPanel host: one panel per scenario file. It serves the strict-CSP page,
// speaks the typed endpoint (every inbound message validated; only known methods routed), answers
// "ready" with a full snapshot, runs the scenario again when the scenario or one of its programs is
// saved, opens sources only inside the workspace, and writes exports where the user says.
import crypto from 'node:crypto';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import * as vscode from 'vscode';
import {
  visualizerProtocol as P,
  type ExportKind,
  type TrafficEdit,
  type VisModel,
  type VisStatus,
} from '../../protocol/visualizer';
import { Endpoint } from '../../protocol/webviewEndpoint';
import { PROGRESS_REDRAW_MS, progressText, stoppedText } from '../../core/xdp/summaryText';
import { countsOfModel } from '../../protocol/visualizerFromSimulation';
import { withObserved, type ObservedCapture } from '../../protocol/visualizerObserved';
import { snapshotParams, type PackedTimeline } from '../../protocol/visualizerTimelinePack';
import { readConfig } from '../config';
import { output } from '../output';
import { visualizerHtml } from './html';
import { PANEL_PCAP_FRAMES } from './runner';
import { disposeSpareWorker, runScenario, type ScenarioRun } from './workerRun';
import { scenarioLaunch } from '../../node/debug/scenarioLaunch';
import { resolveSourcePath } from './sourcePath';
import { revealJsonProblems } from '../jsonDiagnostics';

export const VISUALIZER_VIEW_TYPE = 'xdpLab.visualizer';

const panels = new Map<string, VisualizerPanel>();
const keyOf = (scenario: vscode.Uri | undefined): string => scenario?.toString() ?? '(model)';
let comparisons = 0;
/** disposeSpareWorker is registered with the extension's subscriptions once. */
let spareDisposalRegistered = false;

/** A capture a comparison panel lays onto its scenario's simulation ("Compare with simulation"). */
export interface ComparedCapture {
  capture: ObservedCapture;
  /** host · kernel · start time. */
  title: string;
  /** The .xdpcapture.json it came from, when it is a file: the panel then survives a reload. */
  file?: string;
}

export class VisualizerPanel implements vscode.Disposable {
  private readonly endpoint: Endpoint;
  private readonly key: string;
  /** Said with the next result (a restored comparison whose capture is gone). */
  private notice: string | undefined;
  private readonly disposables: vscode.Disposable[] = [];
  /** The finished run on screen: its worker answers the stepper, "Debug this frame" and exports. */
  private last: ScenarioRun | undefined;
  private model: VisModel | undefined;
  /** The model's timeline packed, when `model.timeline` is left empty (a run made in its worker). */
  private timeline: PackedTimeline | undefined;
  /** The counts so far of the run in progress (a view that loads mid-run starts from these). */
  private partial: VisModel | undefined;
  /** The view has the partial model's topology, so counts alone update it. */
  private partialShown = false;
  private progress: { framesInjected: number; framesTotal: number } | undefined;
  private status: VisStatus = { state: 'empty', message: 'not run yet' };
  private running: AbortController | undefined;
  private edits: readonly TrafficEdit[] | undefined;
  private rerunTimer: NodeJS.Timeout | undefined;
  private stepLine: vscode.TextEditorDecorationType | undefined;

  /** Opens (or reveals) the panel of a scenario file and runs it. */
  static show(context: vscode.ExtensionContext, scenario: vscode.Uri): VisualizerPanel {
    const existing = panels.get(keyOf(scenario));
    if (existing) {
      existing.panel.reveal();
      void existing.run();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(
      VISUALIZER_VIEW_TYPE,
      title(scenario),
      vscode.ViewColumn.Beside,
      webviewOptions(context),
    );
    const p = new VisualizerPanel(context, panel, scenario);
    void p.run();
    return p;
  }

  /**
   * A comparison: runs `scenario` like a scenario panel (Re-run, Stop, follows saves) and shows the
   * capture's counts on the same graph, predicted / observed. `first`: a run already made.
   */
  static showComparison(
    context: vscode.ExtensionContext,
    scenario: vscode.Uri,
    observed: ComparedCapture,
    first?: ScenarioRun,
  ): VisualizerPanel {
    const panel = vscode.window.createWebviewPanel(
      VISUALIZER_VIEW_TYPE,
      `Compare: ${path.basename(scenario.fsPath).replace(/\.xdpscenario\.json$/, '')}`,
      vscode.ViewColumn.Active,
      webviewOptions(context),
    );
    const p = new VisualizerPanel(context, panel, scenario, observed);
    if (first) {
      p.show(first);
      p.status = { state: 'ready' };
      p.sendSnapshot();
    } else void p.run();
    return p;
  }

  /** Shows a model computed elsewhere (a capture, issue #7): no scenario, no re-run. */
  static showModel(context: vscode.ExtensionContext, model: VisModel): VisualizerPanel {
    const panel = vscode.window.createWebviewPanel(
      VISUALIZER_VIEW_TYPE,
      `Flow: ${model.title}`,
      vscode.ViewColumn.Active,
      webviewOptions(context),
    );
    const p = new VisualizerPanel(context, panel, undefined);
    p.model = model;
    p.status = { state: 'ready' };
    p.sendSnapshot();
    return p;
  }

  /** A panel VS Code restored after a reload (the serializer hands over its persisted state). */
  static revive(
    context: vscode.ExtensionContext,
    panel: vscode.WebviewPanel,
    scenario: vscode.Uri | undefined,
    observed?: ComparedCapture,
    notice?: string,
  ): VisualizerPanel {
    panel.webview.options = webviewOptions(context);
    const p = new VisualizerPanel(context, panel, scenario, observed);
    p.notice = notice;
    if (scenario) void p.run();
    else
      p.status = { state: 'empty', message: 'this panel showed a capture; open the capture again to see it' };
    return p;
  }

  private constructor(
    private readonly context: vscode.ExtensionContext,
    readonly panel: vscode.WebviewPanel,
    readonly scenario: vscode.Uri | undefined,
    private readonly observed?: ComparedCapture,
  ) {
    // A comparison is not the scenario's own panel: "Open Visualizer" on the scenario opens another.
    this.key = observed ? `compare:${keyOf(scenario)}#${++comparisons}` : keyOf(scenario);
    panels.set(this.key, this);
    // The worker kept loaded for the next run ends with the extension (workerRun.ts prewarm).
    if (!spareDisposalRegistered) {
      spareDisposalRegistered = true;
      context.subscriptions.push({ dispose: disposeSpareWorker });
    }
    const log = output();
    this.endpoint = new Endpoint({
      post: (m) => void panel.webview.postMessage(m),
      timers: { set: (fn, ms) => setTimeout(fn, ms), clear: (h) => clearTimeout(h as NodeJS.Timeout) },
      timeoutMs: 30_000,
      onError: (e) => log.warn(`visualizer: ${e.message}`),
    });
    this.endpoint.onNotification(P.ready, () => this.sendSnapshot());
    this.endpoint.onNotification(P.cancel, () => this.stop());
    this.endpoint.onRequest(P.openSource, (p) =>
      this.openSource(p.file, p.line, p.column, p.preserveFocus ?? false),
    );
    this.endpoint.onRequest(P.traceFrame, async (p) => {
      if (!this.last) return { ok: false, message: 'no simulation in this panel to step through', steps: [] };
      try {
        return await this.last.trace(p.frame);
      } catch (e) {
        return { ok: false, message: e instanceof Error ? e.message : String(e), steps: [] };
      }
    });
    this.endpoint.onNotification(P.debugFrame, (p) => void this.debugFrame(p.frame));
    this.endpoint.onRequest(P.rerun, async (p) => {
      if (!this.scenario) return { ok: false, message: 'this panel has no scenario to run' };
      if (p.traffic) this.edits = p.traffic;
      const ok = await this.run();
      return ok ? { ok: true } : { ok: false, message: this.status.message ?? 'the run failed' };
    });
    this.endpoint.onRequest(P.export, (p) => this.export(p.kind, p.content));
    this.disposables.push(
      panel.webview.onDidReceiveMessage((m: unknown) => this.endpoint.handleMessage(m)),
      panel.onDidDispose(() => this.dispose()),
      vscode.workspace.onDidSaveTextDocument((doc) => this.onSaved(doc.uri)),
    );
    panel.webview.html = pageHtml(context, panel.webview);
  }

  /** "Debug this frame": that frame of the scenario, in its context, under the xdp-lab debugger. */
  private async debugFrame(id: number): Promise<void> {
    let index: number | undefined;
    try {
      index = await this.last?.trafficFrameNumber(id);
    } catch (e) {
      output().warn(`visualizer: frame ${id}: ${e instanceof Error ? e.message : String(e)}`);
    }
    if (!this.scenario || index === undefined) {
      void vscode.window.showWarningMessage(
        `XDP Lab: frame ${id} is not in the kept record of this run; re-run the scenario and pick it again.`,
      );
      return;
    }
    // The program the frame meets first: the one attached to the device that receives it.
    let at: ReturnType<typeof scenarioLaunch>;
    try {
      at = scenarioLaunch(this.scenario.fsPath, await readFile(this.scenario.fsPath, 'utf8'), index);
    } catch (e) {
      at = e instanceof Error ? e.message : String(e);
    }
    if (typeof at === 'string') {
      void vscode.window.showWarningMessage(`XDP Lab: frame ${index} cannot be debugged: ${at}.`);
      return;
    }
    const { chainOn, ...launch } = at;
    const ok = await vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(this.scenario), {
      type: 'xdp-lab',
      request: 'launch',
      // On a libxdp dispatcher the session runs every program of the chain (src/node/debug/debugLaunch.ts).
      name: `Debug frame ${index} of ${path.basename(this.scenario.fsPath)}${chainOn ? ` (libxdp chain on ${chainOn})` : ''}`,
      ...launch,
      stopOnEntry: true,
    });
    if (!ok) void vscode.window.showErrorMessage(`XDP Lab: the debugger did not start for frame ${index}.`);
  }

  dispose(): void {
    if (panels.get(this.key) === this) panels.delete(this.key);
    this.running?.abort();
    this.last?.dispose();
    if (this.rerunTimer) clearTimeout(this.rerunTimer);
    this.endpoint.dispose();
    this.stepLine?.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }

  private sendSnapshot(): void {
    this.partialShown = false;
    if (this.running && this.partial) {
      this.endpoint.sendNotification(P.didSnapshot, snapshotParams(this.partial, this.status));
      this.partialShown = true;
    } else if (this.model)
      this.endpoint.sendNotification(P.didSnapshot, snapshotParams(this.model, this.status, this.timeline));
    else this.endpoint.sendNotification(P.didStatus, this.status);
  }

  /** A simulated model as this panel shows it: with the capture's counts when it is a comparison. */
  private view(model: VisModel): VisModel {
    const o = this.observed;
    if (!o) return model;
    const m = withObserved(model, o.capture, o.title);
    return o.file && m.observed ? { ...m, observed: { ...m.observed, file: o.file } } : m;
  }

  /**
   * Stops the run in progress. Its counts so far become the panel's model (no timeline, so no
   * stepping or pcap); a stopped run is a result the user asked for, not an error.
   */
  private stop(): void {
    const ctl = this.running;
    if (!ctl) return;
    ctl.abort();
    this.running = undefined;
    const partial = this.partial;
    this.partial = undefined;
    if (partial) {
      this.model = partial;
      this.timeline = undefined;
      this.last?.dispose();
      this.last = undefined;
    }
    this.status = {
      state: 'ready',
      message: stoppedText(this.progress),
    };
    output().info(`visualizer: ${this.status.message}`);
    this.sendSnapshot();
  }

  /** Runs the scenario (cancelling a run in progress); true when a new model was sent. */
  async run(): Promise<boolean> {
    if (!this.scenario) return false;
    this.running?.abort();
    const ctl = new AbortController();
    this.running = ctl;
    this.status = { state: 'running', message: `simulating ${path.basename(this.scenario.fsPath)}…` };
    this.endpoint.sendNotification(P.didStatus, this.status);
    const cfg = readConfig(this.scenario);
    const name = path.basename(this.scenario.fsPath);
    // A long run shows its counts as they grow: the first report puts its topology on screen, later
    // ones (at most 4 a second: each relayouts the graph) update the counts. A view that becomes
    // ready meanwhile gets the latest report as its snapshot (sendSnapshot).
    this.partial = undefined;
    this.partialShown = false;
    this.progress = undefined;
    let lastReport = 0;
    const onProgress = (partial: VisModel, p: { framesInjected: number; framesTotal: number }): void => {
      if (ctl.signal.aborted) return;
      partial = this.view(partial);
      this.partial = partial;
      this.progress = p;
      const now = Date.now();
      if (this.partialShown && now - lastReport < PROGRESS_REDRAW_MS) return;
      lastReport = now;
      this.status = { state: 'running', message: `simulating ${name}: ${progressText(p)}…` };
      if (!this.partialShown)
        this.endpoint.sendNotification(P.didSnapshot, snapshotParams(partial, this.status));
      else
        this.endpoint.sendNotification(P.didUpdate, { counts: countsOfModel(partial), status: this.status });
      this.partialShown = true;
    };
    try {
      const out = await runScenario({
        scenarioPath: this.scenario.fsPath,
        ...(this.edits ? { edits: this.edits } : {}),
        // The panel keeps at most 100 000 steps: a snapshot is one postMessage. A comparison keeps
        // none: its redirects are drawn per target from the summary, as a capture sees them.
        maxEvents: this.observed ? 1 : Math.max(1, Math.min(cfg.maxEvents, 100_000)),
        clangPath: cfg.clangPath,
        includePaths: cfg.clangIncludePaths,
        clangArgs: cfg.clangExtraArgs,
        log: (level, message) => output()[level](`visualizer: ${message}`),
        signal: ctl.signal,
        onProgress,
      });
      if (ctl.signal.aborted) {
        out.dispose();
        return false;
      }
      this.partial = undefined;
      this.show(out);
      output().info(
        `visualizer: ${name} simulated ${out.where === 'worker' ? 'in a worker thread' : 'in the extension host'}`,
      );
      this.status = { state: 'ready', message: this.notice ?? (this.edits ? 'with traffic edits' : '') };
      this.sendSnapshot();
      return true;
    } catch (e) {
      if (ctl.signal.aborted) return false;
      const message = e instanceof Error ? e.message : String(e);
      output().error(`visualizer: ${message}`);
      // A problem in the scenario file itself is marked on its token (the panel keeps the focus).
      if (this.scenario) void revealJsonProblems(this.scenario, 'scenario', false);
      this.status = { state: 'error', message };
      this.endpoint.sendNotification(P.didStatus, this.status);
      return false;
    } finally {
      if (this.running === ctl) {
        this.running = undefined;
        this.partial = undefined;
      }
    }
  }

  /** A finished run becomes the panel's model (the previous run's worker is let go). */
  private show(run: ScenarioRun): void {
    if (this.last !== run) this.last?.dispose();
    this.last = run;
    this.model = this.view(run.model);
    this.timeline = run.timeline;
  }

  /** Follow edits: saving the scenario or a file the run read re-runs (debounced). */
  private onSaved(uri: vscode.Uri): void {
    if (!this.scenario || uri.scheme !== 'file') return;
    const inputs = new Set([this.scenario.fsPath, ...(this.last?.inputs ?? [])].map((p) => path.resolve(p)));
    if (!inputs.has(path.resolve(uri.fsPath))) return;
    if (uri.fsPath === this.scenario.fsPath) this.edits = undefined; // the file now says what it wants
    if (this.rerunTimer) clearTimeout(this.rerunTimer);
    this.rerunTimer = setTimeout(() => void this.run(), 150);
  }

  private async openSource(
    file: string,
    line: number,
    column: number | undefined,
    preserveFocus: boolean,
  ): Promise<{ opened: boolean; message?: string }> {
    const roots = (vscode.workspace.workspaceFolders ?? [])
      .filter((f) => f.uri.scheme === 'file')
      .map((f) => f.uri.fsPath);
    const base = this.scenario ? path.dirname(this.scenario.fsPath) : undefined;
    const r = resolveSourcePath(file, base, roots);
    if (!r.ok) {
      output().warn(`visualizer: refused to open ${JSON.stringify(file)}: ${r.reason}`);
      return { opened: false, message: r.reason };
    }
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(r.path));
    const ln = Math.min(Math.max(0, line - 1), Math.max(0, doc.lineCount - 1));
    const pos = new vscode.Position(ln, Math.max(0, (column ?? 1) - 1));
    const editor = await vscode.window.showTextDocument(doc, {
      viewColumn: vscode.ViewColumn.One,
      selection: new vscode.Range(pos, pos),
      preserveFocus,
      preview: preserveFocus,
    });
    // The stepper's current line stays highlighted (one decoration per panel, moved each step).
    if (preserveFocus) {
      this.stepLine ??= vscode.window.createTextEditorDecorationType({
        isWholeLine: true,
        backgroundColor: new vscode.ThemeColor('editor.stackFrameHighlightBackground'),
      });
      editor.setDecorations(this.stepLine, [new vscode.Range(pos, pos)]);
      editor.revealRange(new vscode.Range(pos, pos), vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }
    return { opened: true };
  }

  private async export(
    kind: ExportKind,
    content: string | undefined,
  ): Promise<{ saved?: string; message?: string }> {
    const dir = this.scenario
      ? path.dirname(this.scenario.fsPath)
      : (vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? '.');
    const stem = this.scenario
      ? path.basename(this.scenario.fsPath).replace(/\.xdpscenario\.json$|\.json$/, '')
      : 'capture';
    if (kind === 'pcap') {
      let pcaps: ReadonlyMap<string, Uint8Array> | undefined;
      try {
        pcaps = await this.last?.pcaps();
      } catch (e) {
        return { message: `the run's pcaps are not at hand: ${e instanceof Error ? e.message : String(e)}` };
      }
      if (!pcaps?.size) return { message: 'no transmitted frames were recorded in this run' };
      const picked = await vscode.window.showOpenDialog({
        canSelectFolders: true,
        canSelectFiles: false,
        defaultUri: vscode.Uri.file(dir),
        openLabel: `Save ${pcaps.size} pcap file${pcaps.size > 1 ? 's' : ''} here`,
      });
      const folder = picked?.[0];
      if (!folder) return {};
      for (const [device, bytes] of pcaps)
        await vscode.workspace.fs.writeFile(
          vscode.Uri.joinPath(folder, `${stem}-${safeName(device)}.pcap`),
          bytes,
        );
      const cut = [...(this.last?.transmitted ?? [])].filter(([, n]) => n > PANEL_PCAP_FRAMES);
      if (cut.length)
        return {
          saved: folder.fsPath,
          message: `each pcap holds the first ${PANEL_PCAP_FRAMES.toLocaleString('en-US')} frames (${cut
            .map(([d, n]) => `${d} sent ${n.toLocaleString('en-US')}`)
            .join(', ')}); xdp-lab simulate --pcap-dir writes them all`,
        };
      return { saved: folder.fsPath };
    }
    // The event stream is the simulator's tracepoints in perf-script text (what `xdp-lab simulate
    // --events` writes and the capture parser reads); the panel's own timeline only without a run.
    if (kind === 'events' && this.last) {
      try {
        content = await this.last.eventsText();
      } catch (e) {
        return { message: `the run's events are not at hand: ${e instanceof Error ? e.message : String(e)}` };
      }
    }
    if (content === undefined) return { message: `nothing to export as ${kind}` };
    const ext = { svg: 'flow.svg', png: 'flow.png', events: this.last ? 'events.txt' : 'events.jsonl' }[kind];
    const target = await vscode.window.showSaveDialog({
      defaultUri: vscode.Uri.file(path.join(dir, `${stem}.${ext}`)),
      saveLabel: `Export ${kind}`,
    });
    if (!target) return {};
    const bytes = kind === 'png' ? Buffer.from(content, 'base64') : Buffer.from(content, 'utf8');
    if (
      kind === 'png' &&
      !bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]))
    )
      return { message: 'the PNG from the panel is not a PNG; not saved' };
    if (kind === 'svg' && !/^<\?xml[^>]*>\s*<svg[\s>]/.test(content))
      return { message: 'the SVG from the panel is not an SVG document; not saved' };
    await vscode.workspace.fs.writeFile(target, bytes);
    return { saved: target.fsPath };
  }
}

const safeName = (s: string): string => s.replace(/[^A-Za-z0-9_.-]/g, '_');

function title(scenario: vscode.Uri): string {
  return `Flow: ${path.basename(scenario.fsPath).replace(/\.xdpscenario\.json$/, '')}`;
}

function webviewOptions(
  context: vscode.ExtensionContext,
): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, 'dist')],
    retainContextWhenHidden: false,
  };
}

function pageHtml(context: vscode.ExtensionContext, webview: vscode.Webview): string {
  const dist = vscode.Uri.joinPath(context.extensionUri, 'dist', 'webview');
  const script = vscode.Uri.joinPath(dist, 'visualizer.js');
  const style = vscode.Uri.joinPath(dist, 'visualizer.css');
  // Inlined: no resource fetch through code-server's service worker (html.ts `inline`); a page
  // that cannot read them (a broken install) loads them by URI and says what failed there.
  let inline: { script: string; style: string } | undefined;
  try {
    inline = { script: readFileSync(script.fsPath, 'utf8'), style: readFileSync(style.fsPath, 'utf8') };
  } catch {
    inline = undefined;
  }
  return visualizerHtml({
    cspSource: webview.cspSource,
    nonce: crypto.randomBytes(18).toString('base64url'),
    scriptUri: webview.asWebviewUri(script).toString(),
    styleUri: webview.asWebviewUri(style).toString(),
    ...(inline ? { inline } : {}),
  });
}
