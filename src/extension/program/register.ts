// Running a program in the engine VM (issue #3 replaces this).
import type * as vscode from 'vscode';
import { registerNotAvailable } from '../notAvailable';

export function registerProgram(context: vscode.ExtensionContext): void {
  registerNotAvailable(context, 'xdpLab.program.run', 'Run Program on a Frame', 3);
}
