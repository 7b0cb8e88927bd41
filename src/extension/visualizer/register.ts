// The visualizer's entry points (issue #6): the xdpLab.visualizer.open command (palette, editor title
// of a *.xdpscenario.json, CodeLens "Simulate", a capture result) and the serializer that brings
// panels back after a reload. Only registration happens at activation; the panel code loads on use.
import path from 'node:path';
import * as vscode from 'vscode';
import { parseJsonText } from '../../core/jsonText';
import { checkCaptureFile, type CaptureFile } from '../../core/trace/captureFile';
import { visPersistedState, type VisPersistedState } from '../../protocol/visualizer';
import { output } from '../output';
import { observedTitle } from '../../protocol/visualizerObserved';
import { captureToViewModel } from './fromCapture';
import type { ComparedCapture } from './panel';
import type { ScenarioRun } from './workerRun';
import { revealJsonProblems } from '../jsonDiagnostics';

type PanelModule = typeof import('./panel');
let loaded: Promise<PanelModule> | undefined;
const load = (): Promise<PanelModule> => (loaded ??= import('./panel'));

/** An XDP program's section, as the language server's CodeLens finds it (xdp, xdp.frags, xdp/devmap, …). */
const XDP_SECTION = /SEC\(\s*"xdp[^"]*"\s*\)/;

const isScenario = (uri: vscode.Uri | undefined): boolean => !!uri && /\.xdpscenario\.json$/.test(uri.path);

const asUri = (a: unknown): vscode.Uri | undefined =>
  a instanceof vscode.Uri
    ? a
    : typeof a === 'string' && /^[a-z][\w+.-]*:/i.test(a)
      ? vscode.Uri.parse(a)
      : undefined;

/**
 * The CodeLens "Simulate" above an XDP program passes (document URI, function name): the workspace's
 * scenarios that run that program, or a new starter scenario when there is none.
 */
async function scenarioForProgram(
  program: vscode.Uri,
  fn: string | undefined,
): Promise<vscode.Uri | undefined> {
  const found = await vscode.workspace.findFiles('**/*.xdpscenario.json', '**/node_modules/**', 200);
  const matches: vscode.Uri[] = [];
  for (const u of found) {
    try {
      const json = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(u))) as {
        programs?: { file?: unknown; function?: unknown }[];
      };
      const uses = (json.programs ?? []).some(
        (p) =>
          typeof p.file === 'string' &&
          path.resolve(path.dirname(u.fsPath), p.file) === program.fsPath &&
          (fn === undefined || p.function === undefined || p.function === fn),
      );
      if (uses) matches.push(u);
    } catch {
      // not JSON yet (being edited): not a match
    }
  }
  if (matches.length === 1) return matches[0];
  if (matches.length > 1) {
    const pick = await vscode.window.showQuickPick(
      matches.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })),
      { placeHolder: `Scenario to simulate ${fn ?? path.basename(program.fsPath)} in` },
    );
    return pick?.uri;
  }
  await vscode.commands.executeCommand('xdpLab.scenario.create', program);
  const created = vscode.window.activeTextEditor?.document.uri;
  return created && isScenario(created) ? created : undefined;
}

/** The scenario to show: the argument, the active editor's file, or the user's pick of the workspace's. */
async function pickScenario(arg: unknown, fn?: unknown): Promise<vscode.Uri | undefined> {
  const uri = asUri(arg);
  if (uri && isScenario(uri)) return uri;
  if (uri && uri.scheme === 'file' && /\.c$/.test(uri.path))
    return scenarioForProgram(uri, typeof fn === 'string' ? fn : undefined);
  const active = vscode.window.activeTextEditor?.document;
  if (active && isScenario(active.uri)) return active.uri;
  // From the palette with an XDP program in the editor: what the "Simulate" CodeLens above it does
  // (its scenarios, or a starter scenario made for it) — issue 13 item 10.
  if (
    active &&
    active.uri.scheme === 'file' &&
    /\.c$/.test(active.uri.path) &&
    XDP_SECTION.test(active.getText())
  )
    return scenarioForProgram(active.uri, undefined);
  const found = await vscode.workspace.findFiles('**/*.xdpscenario.json', '**/node_modules/**', 50);
  if (found.length === 1) return found[0];
  if (!found.length) {
    const create = 'Create Starter Scenario';
    const choice = await vscode.window.showInformationMessage(
      'XDP Lab: the visualizer shows a scenario, and this workspace has no *.xdpscenario.json. Open an XDP program (SEC("xdp")) and run this command again, or create a starter scenario for one.',
      create,
    );
    if (choice !== create) return undefined;
    await vscode.commands.executeCommand('xdpLab.scenario.create');
    const created = vscode.window.activeTextEditor?.document.uri;
    return created && isScenario(created) ? created : undefined;
  }
  const pick = await vscode.window.showQuickPick(
    found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })),
    { placeHolder: 'Scenario to visualize' },
  );
  return pick?.uri;
}

/** A saved capture as the comparison needs it (title as "Compare with simulation" writes it). */
async function readComparedCapture(uri: vscode.Uri): Promise<ComparedCapture> {
  const file = await readCaptureFile(uri);
  return {
    capture: file,
    title: observedTitle(file),
    file: uri.fsPath,
  };
}

async function readCaptureFile(uri: vscode.Uri): Promise<CaptureFile> {
  const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  let parsed: unknown;
  try {
    parsed = parseJsonText(text);
  } catch (e) {
    void revealJsonProblems(uri, 'capture');
    throw new Error(
      `${vscode.workspace.asRelativePath(uri)}: not JSON (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  const file = checkCaptureFile(parsed);
  if (typeof file === 'string') {
    void revealJsonProblems(uri, 'capture');
    throw new Error(`${vscode.workspace.asRelativePath(uri)}: ${file}`);
  }
  return file;
}

/** A saved capture: its redirect paths and drops as a graph (no frames, so no timeline). */
async function showCapture(context: vscode.ExtensionContext, uri: vscode.Uri): Promise<void> {
  const file = await readCaptureFile(uri);
  const title = `${file.host} · ${file.kernel} · ${path.basename(uri.fsPath).replace(/\.xdpcapture\.json$/, '')}`;
  (await load()).VisualizerPanel.showModel(context, captureToViewModel(file, title));
}

/**
 * "Compare with simulation": a panel that runs `scenario` and lays the capture's counts onto it. It
 * re-runs like any scenario panel (Re-run, saves) and, when the capture is a file, comes back after
 * a reload. `first`: a run the caller already made, shown without running again.
 */
export async function showComparison(
  context: vscode.ExtensionContext,
  scenario: vscode.Uri,
  observed: ComparedCapture,
  first?: ScenarioRun,
): Promise<void> {
  (await load()).VisualizerPanel.showComparison(context, scenario, observed, first);
}

export function registerVisualizer(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('xdpLab.visualizer.open', async (arg: unknown, fn: unknown) => {
      try {
        const capture = asUri(arg) ?? vscode.window.activeTextEditor?.document.uri;
        if (capture && /\.xdpcapture\.json$/.test(capture.path)) return await showCapture(context, capture);
        const scenario = await pickScenario(arg, fn);
        if (scenario) (await load()).VisualizerPanel.show(context, scenario);
      } catch (e) {
        const message = e instanceof Error ? e.message : String(e);
        output().error(`visualizer: ${message}`);
        void vscode.window.showErrorMessage(`XDP Lab: ${message}`);
      }
    }),
    vscode.window.registerWebviewPanelSerializer('xdpLab.visualizer', {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel, state: unknown) {
        // The state comes from the webview: untrusted. Only a scenario path that still exists is used,
        // and a capture file only when it still reads as a capture.
        let scenario: vscode.Uri | undefined;
        let observed: ComparedCapture | undefined;
        let notice: string | undefined;
        if (visPersistedState.check(state, 'state') === undefined) {
          const st = state as VisPersistedState;
          const s = st.scenario;
          if (s && /\.xdpscenario\.json$/.test(s)) {
            const uri = vscode.Uri.file(s);
            try {
              await vscode.workspace.fs.stat(uri);
              scenario = uri;
            } catch {
              output().warn(`visualizer: the restored panel's scenario ${s} no longer exists`);
            }
          }
          if (scenario && st.capture && /\.xdpcapture\.json$/.test(st.capture)) {
            try {
              observed = await readComparedCapture(vscode.Uri.file(st.capture));
            } catch (e) {
              notice = `the compared capture cannot be read (${e instanceof Error ? e.message : String(e)}): the simulation alone`;
            }
          } else if (scenario && st.compared)
            notice =
              'the compared capture was not saved as .xdpcapture.json, so it did not survive the reload: the simulation alone';
          if (notice) output().warn(`visualizer: ${notice}`);
        }
        (await load()).VisualizerPanel.revive(context, panel, scenario, observed, notice);
      },
    }),
  );
}
