// The visualizer's entry points (issue #6): the xdpLab.visualizer.open command (palette, editor title
// of a *.xdpscenario.json, CodeLens "Simulate", a capture result) and the serializer that brings
// panels back after a reload. Only registration happens at activation; the panel code loads on use.
import * as vscode from 'vscode';
import { visPersistedState, type VisModel } from '../../protocol/visualizer';
import { output } from '../output';

type PanelModule = typeof import('./panel');
let loaded: Promise<PanelModule> | undefined;
const load = (): Promise<PanelModule> => (loaded ??= import('./panel'));

const isScenario = (uri: vscode.Uri | undefined): uri is vscode.Uri =>
  !!uri && /\.xdpscenario\.json$/.test(uri.path);

/** The scenario to show: the argument, the active editor's file, or the user's pick of the workspace's. */
async function pickScenario(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri && isScenario(arg)) return arg;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (isScenario(active)) return active;
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

/** For other pillars (capture results): open a panel on a model they computed. */
export async function showVisualizerModel(context: vscode.ExtensionContext, model: VisModel): Promise<void> {
  (await load()).VisualizerPanel.showModel(context, model);
}

export function registerVisualizer(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('xdpLab.visualizer.open', async (arg: unknown) => {
      try {
        const scenario = await pickScenario(arg);
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
