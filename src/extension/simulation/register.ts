// Scenarios and the simulator (issue #4): Create Starter Scenario and Simulate Scenario; the
// visualizer registers its own command (issue #6). Heavy modules load on first use.
import * as vscode from 'vscode';
import { registerVisualizer } from '../visualizer/register';

export function registerSimulation(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('xdpLab.scenario.create', async (arg: unknown) =>
      (await import('./createScenarioCommand')).createStarterScenario(arg),
    ),
    vscode.commands.registerCommand('xdpLab.simulation.run', async (arg: unknown) =>
      (await import('./simulateCommand')).simulateScenario(arg),
    ),
  );
  registerVisualizer(context);
}
