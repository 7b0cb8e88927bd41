// The extension's manifest as the extension host sees it, for suites that check contributions.
import * as vscode from 'vscode';

export const EXTENSION_ID = 'xdp-lab.xdp-lab';

export interface ContributedCommand {
  command: string;
  title: string;
  category?: string;
}

export function xdpLabExtension(): vscode.Extension<unknown> {
  const ext = vscode.extensions.getExtension(EXTENSION_ID);
  if (!ext) throw new Error(`extension ${EXTENSION_ID} is not installed in this extension host`);
  return ext;
}

export function contributedCommands(): ContributedCommand[] {
  const pkg = xdpLabExtension().packageJSON as { contributes?: { commands?: ContributedCommand[] } };
  return pkg.contributes?.commands ?? [];
}

/** The first workspace folder (the scratch copy of examples/). */
export function workspaceUri(): vscode.Uri {
  const ws = vscode.workspace.workspaceFolders?.[0];
  if (!ws) throw new Error('no workspace folder is open (the runner opens a copy of examples/)');
  return ws.uri;
}
