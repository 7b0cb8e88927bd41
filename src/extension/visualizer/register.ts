// The visualizer's entry points (issue #6): the xdpLab.visualizer.open command (palette, editor title
// of a *.xdpscenario.json, CodeLens "Simulate", a capture result) and the serializer that brings
// panels back after a reload. Only registration happens at activation; the panel code loads on use.
import path from 'node:path';
import * as vscode from 'vscode';
import { checkCaptureFile } from '../../core/trace/captureFile';
import { visPersistedState, type VisModel } from '../../protocol/visualizer';
import { output } from '../output';
import { captureToViewModel } from './fromCapture';

type PanelModule = typeof import('./panel');
let loaded: Promise<PanelModule> | undefined;
const load = (): Promise<PanelModule> => (loaded ??= import('./panel'));

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
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && isScenario(active)) return active;
  const found = await vscode.workspace.findFiles('**/*.xdpscenario.json', '**/node_modules/**', 50);
  if (found.length === 1) return found[0];
  if (!found.length) {
    void vscode.window.showInformationMessage(
      'XDP Lab: no *.xdpscenario.json in this workspace. Create one with "XDP Lab: Create Starter Scenario" (or the "Simulate" CodeLens above an XDP program).',
    );
    return undefined;
  }
  const pick = await vscode.window.showQuickPick(
    found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })),
    { placeHolder: 'Scenario to visualize' },
  );
  return pick?.uri;
}

/** A saved capture: its redirect paths and drops as a graph (no frames, so no timeline). */
async function showCapture(context: vscode.ExtensionContext, uri: vscode.Uri): Promise<void> {
  const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    throw new Error(
      `${vscode.workspace.asRelativePath(uri)}: not JSON (${e instanceof Error ? e.message : String(e)})`,
    );
  }
  const file = checkCaptureFile(parsed);
  if (typeof file === 'string') throw new Error(`${vscode.workspace.asRelativePath(uri)}: ${file}`);
  const title = `${file.host} · ${file.kernel} · ${path.basename(uri.fsPath).replace(/\.xdpcapture\.json$/, '')}`;
  (await load()).VisualizerPanel.showModel(context, captureToViewModel(file, title));
}

/** For other pillars (capture results): open a panel on a model they computed. */
export async function showVisualizerModel(context: vscode.ExtensionContext, model: VisModel): Promise<void> {
  (await load()).VisualizerPanel.showModel(context, model);
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
        // The state comes from the webview: untrusted. Only a scenario path that still exists is used.
        let scenario: vscode.Uri | undefined;
        if (visPersistedState.check(state, 'state') === undefined) {
          const s = (state as { scenario?: string }).scenario;
          if (s && /\.xdpscenario\.json$/.test(s)) {
            const uri = vscode.Uri.file(s);
            try {
              await vscode.workspace.fs.stat(uri);
              scenario = uri;
            } catch {
              output().warn(`visualizer: the restored panel's scenario ${s} no longer exists`);
            }
          }
        }
        (await load()).VisualizerPanel.revive(context, panel, scenario);
      },
    }),
  );
}
