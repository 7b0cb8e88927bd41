// Activation: registers commands and providers only (two-phase start, as vscode-eslint does).
// Heavy work — the language client, the engine, the visualizer, SSH — starts on first use.
import * as vscode from 'vscode';
import { registerCapture } from './capture/register';
import { registerExample } from './example/register';
import { registerDebug } from './debug/register';
import { registerJsonDiagnostics } from './jsonDiagnostics';
import { registerLanguage } from './language/register';
import { output } from './output';
import { registerProgram } from './program/register';
import { registerSimulation } from './simulation/register';

export function activate(context: vscode.ExtensionContext): void {
  const log = output();
  try {
    context.subscriptions.push(
      log,
      vscode.commands.registerCommand('xdpLab.output.show', () => log.show()),
    );
    registerLanguage(context);
    registerProgram(context);
    registerSimulation(context);
    registerCapture(context);
    registerExample(context);
    registerDebug(context);
    registerJsonDiagnostics(context);
    const manifest = context.extension.packageJSON as { version?: string };
    log.info(`XDP Lab ${manifest.version ?? '?'} activated`);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    log.error(`activation failed: ${message}`);
    void vscode.window.showErrorMessage(`XDP Lab failed to activate: ${message}`);
  }
}

export function deactivate(): void {
  // Subscriptions are disposed by VS Code; the language client registers its own stop there.
}
