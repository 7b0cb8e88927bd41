// XDP C language support (issue #5 replaces this): the language client and its commands.
import type * as vscode from 'vscode';
import { registerNotAvailable } from '../notAvailable';

export function registerLanguage(context: vscode.ExtensionContext): void {
  registerNotAvailable(context, 'xdpLab.server.restart', 'Restart XDP C Language Server', 5);
  registerNotAvailable(context, 'xdpLab.program.compile', 'Compile with clang', 5);
  registerNotAvailable(context, 'xdpLab.program.verify', 'Verify in Kernel', 5);
}
