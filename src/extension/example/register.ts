// The example workspace command (walkthrough step 1). The copy code loads on first use.
import * as vscode from 'vscode';
import { output } from '../output';

export function registerExample(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand('xdpLab.example.create', async (parent?: unknown) =>
      (await import('./createExample')).createExample(context, parent),
    ),
  );
  // Only when a folder was just opened by that command (a globalState flag): cheap otherwise.
  if (context.globalState.get('xdpLab.example.pendingOpen'))
    void import('./createExample')
      .then((m) => m.openPendingExample(context))
      .catch((e: unknown) => output().warn(`example: ${e instanceof Error ? e.message : String(e)}`));
}
