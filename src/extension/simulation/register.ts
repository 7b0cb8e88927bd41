// Scenarios, the simulator and the visualizer (issues #4 and #6 replace this).
import type * as vscode from 'vscode';
import { registerNotAvailable } from '../notAvailable';
import { registerVisualizer } from '../visualizer/register';

export function registerSimulation(context: vscode.ExtensionContext): void {
  registerNotAvailable(context, 'xdpLab.scenario.create', 'Create Starter Scenario', 4);
  registerNotAvailable(context, 'xdpLab.simulation.run', 'Simulate Scenario', 4);
  registerVisualizer(context);
}
