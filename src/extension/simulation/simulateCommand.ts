// "XDP Lab: Simulate Scenario" (xdpLab.simulation.run): runs the active (or chosen) *.xdpscenario.json
// through the redirect simulator the way `xdp-lab simulate` does and shows the summary — errnos
// explained from the one errno table — and the tracepoint events in perf-script text.
import { readFile, stat } from 'node:fs/promises';
import * as vscode from 'vscode';
import { ScenarioError } from '../../core/scenario/scenarioParse';
import { loadScenario } from '../../core/scenario/scenarioLoad';
import { formatEvent } from '../../core/trace/tracepoints';
import { Simulation, SimulationSetupError } from '../../core/xdp/simulation';
import { summaryText } from '../../core/xdp/summaryText';
import { compileBpfC } from '../../node/clang';
import { createNodeHost } from '../../node/nodeHost';
import { readConfig } from '../config';
import { output } from '../output';
import { revealJsonProblems } from '../jsonDiagnostics';
import { missingScenario } from '../nextStep';
import { offer } from '../preconditions';

const MAX_SCENARIO_BYTES = 16 << 20;
/** Events printed in the output channel; the summary counts all of them. */
const SHOWN_EVENTS = 2000;

async function pickScenario(arg: unknown): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  const active = vscode.window.activeTextEditor?.document.uri;
  if (active && active.path.endsWith('.xdpscenario.json')) return active;
  const found = await vscode.workspace.findFiles('**/*.xdpscenario.json', '**/node_modules/**', 200);
  if (!found.length) {
    const hasFolder = (vscode.workspace.workspaceFolders?.length ?? 0) > 0;
    void offer(missingScenario('Simulate Scenario', hasFolder), { level: 'info' });
    return undefined;
  }
  if (found.length === 1) return found[0];
  const pick = await vscode.window.showQuickPick(
    found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })),
    { placeHolder: 'Scenario to simulate' },
  );
  return pick?.uri;
}

export async function simulateScenario(arg: unknown): Promise<void> {
  const uri = await pickScenario(arg);
  if (!uri) return;
  const file = uri.fsPath;
  const cfg = readConfig(uri);
  const log = output();
  await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `Simulating ${vscode.workspace.asRelativePath(uri)}`,
      cancellable: true,
    },
    async (_progress, token) => {
      const abort = new AbortController();
      token.onCancellationRequested(() => abort.abort());
      try {
        if ((await stat(file)).size > MAX_SCENARIO_BYTES)
          throw new Error('larger than 16 MiB: not a scenario');
        // Unsaved edits count: simulate what the editor shows.
        const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
        const text = open ? open.getText() : await readFile(file, 'utf8');
        const input = await loadScenario(file, text, {
          host: createNodeHost((level, message) => log[level === 'warn' ? 'warn' : level](message)),
          compileC: async (c: string) =>
            (
              await compileBpfC(c, {
                clang: cfg.clangPath,
                includePaths: cfg.clangIncludePaths,
                extraArgs: cfg.clangExtraArgs,
                signal: abort.signal,
              })
            ).object,
        });
        const shown: string[] = [];
        let total = 0;
        const result = new Simulation(input, {
          maxEvents: 0,
          onEvent: (ev) => {
            if (total++ < SHOWN_EVENTS) shown.push(formatEvent(ev.event));
          },
        }).run();
        log.appendLine(`── simulate ${vscode.workspace.asRelativePath(uri)}`);
        log.appendLine(summaryText(result.summary));
        log.appendLine(`events (${total}${total > SHOWN_EVENTS ? `, first ${SHOWN_EVENTS} shown` : ''}):`);
        for (const l of shown) log.appendLine(l);
        log.show(true);
        const redirects = result.summary.tracepoints['xdp:xdp_redirect'] ?? 0;
        const errors = result.summary.tracepoints['xdp:xdp_redirect_err'] ?? 0;
        const errnos = Object.entries(result.summary.errno['xdp:xdp_redirect_err'] ?? {})
          .map(([k, n]) => `${k}×${n}`)
          .join(', ');
        void vscode.window.showInformationMessage(
          `XDP Lab: ${result.summary.frames.injected} frames — ${redirects} redirected, ${errors} redirect errors${errnos ? ` (${errnos})` : ''}. Details in the XDP Lab output.`,
        );
      } catch (e) {
        const why =
          e instanceof ScenarioError || e instanceof SimulationSetupError
            ? `${e.path}: ${e.why}`
            : e instanceof Error
              ? e.message
              : String(e);
        log.error(`simulate ${file}: ${why}`);
        // A problem in the scenario file itself: marked on its token and shown (issue 12 item 5).
        void revealJsonProblems(uri, 'scenario');
        void offer({
          message: `XDP Lab: cannot simulate ${vscode.workspace.asRelativePath(uri)}: ${why}`,
          steps: ['Show Problems', 'Show Output'],
        });
      }
    },
  );
}
