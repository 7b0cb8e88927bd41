// Commands of pillars that have not landed yet still exist in the palette and say so plainly.
import * as vscode from 'vscode';

export function registerNotAvailable(
  context: vscode.ExtensionContext,
  command: string,
  title: string,
  issue: number,
): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(command, () =>
      vscode.window.showInformationMessage(
        `XDP Lab: "${title}" is not available yet in this build (issue #${issue}).`,
      ),
    ),
  );
}
