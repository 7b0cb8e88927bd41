// Running a program in the engine VM (issue #3): XDP Lab: Run Program on a Frame. The language
// server's CodeLens passes {uri, function}; from the palette the active editor is used. The command's
// module loads on first use.
import * as vscode from 'vscode';

export function registerProgram(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    // The CodeLens passes (document URI, function name) as two arguments; other callers one object.
    vscode.commands.registerCommand('xdpLab.program.run', async (arg: unknown, fn: unknown) =>
      (await import('./runProgram')).runProgram(
        context.extensionUri,
        typeof fn === 'string' ? { uri: arg, function: fn } : arg,
      ),
    ),
  );
}
