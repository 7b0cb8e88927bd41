// "XDP Lab: Create Example Workspace" (xdpLab.example.create, the walkthrough's first step; issue 12
// item 6): copies the example program and its scenarios, shipped in the .vsix, into a new folder
// inside one the user picks, and opens it — someone who installed from a marketplace has no checkout.
import * as vscode from 'vscode';

/** The example as the .vsix ships it (`examples/`, allowlisted in .vscodeignore). */
export const EXAMPLE_FILES = [
  'redirect.bpf.c',
  'redirect.xdpscenario.json',
  'redirect-fixed.xdpscenario.json',
  'redirect-nic.xdpscenario.json',
] as const;
const FOLDER_NAME = 'xdp-lab-example';
/** globalState key: the example folder a reload is about to open (its program opens then). */
const PENDING_KEY = 'xdpLab.example.pendingOpen';

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

export interface CreateExampleOptions {
  /** Open the new folder (default true). Tests pass false. */
  open?: boolean;
}

/**
 * Creates `xdp-lab-example` (or -2, -3, … when taken) in `parent` or a folder the user picks, and
 * opens it: in this window when no folder is open, else in a new one; a folder inside the current
 * workspace just shows the program. Returns the new folder.
 */
export async function createExample(
  context: vscode.ExtensionContext,
  parentArg?: unknown,
  opts: CreateExampleOptions = {},
): Promise<vscode.Uri | undefined> {
  let parent = parentArg instanceof vscode.Uri ? parentArg : undefined;
  if (!parent) {
    const picked = await vscode.window.showOpenDialog({
      title: 'XDP Lab: where to create the example (a new folder xdp-lab-example goes inside)',
      canSelectFiles: false,
      canSelectFolders: true,
      canSelectMany: false,
      openLabel: 'Create the example here',
      ...(vscode.workspace.workspaceFolders?.[0]
        ? { defaultUri: vscode.workspace.workspaceFolders[0].uri }
        : {}),
    });
    parent = picked?.[0];
  }
  if (!parent) return undefined;
  let target = vscode.Uri.joinPath(parent, FOLDER_NAME);
  for (let n = 2; await exists(target); n++) target = vscode.Uri.joinPath(parent, `${FOLDER_NAME}-${n}`);
  try {
    await vscode.workspace.fs.createDirectory(target);
    for (const name of EXAMPLE_FILES)
      await vscode.workspace.fs.copy(
        vscode.Uri.joinPath(context.extensionUri, 'examples', name),
        vscode.Uri.joinPath(target, name),
      );
  } catch (e) {
    void vscode.window.showErrorMessage(
      `XDP Lab: cannot create the example in ${parent.fsPath}: ${e instanceof Error ? e.message : String(e)}`,
    );
    return undefined;
  }
  if (opts.open === false) return target;
  const program = vscode.Uri.joinPath(target, 'redirect.bpf.c');
  const inWorkspace = vscode.workspace.getWorkspaceFolder(target) !== undefined;
  if (inWorkspace) {
    await vscode.window.showTextDocument(program);
    return target;
  }
  // Opening a folder restarts the extension host: the program opens when XDP Lab activates there.
  await context.globalState.update(PENDING_KEY, target.toString());
  await vscode.commands.executeCommand('vscode.openFolder', target, {
    forceNewWindow: (vscode.workspace.workspaceFolders?.length ?? 0) > 0,
  });
  return target;
}

/** At activation: the example folder a reload just opened shows its program. */
export async function openPendingExample(context: vscode.ExtensionContext): Promise<void> {
  const pending = context.globalState.get<string>(PENDING_KEY);
  if (!pending) return;
  const folder = vscode.workspace.workspaceFolders?.find((f) => f.uri.toString() === pending);
  if (!folder) return;
  await context.globalState.update(PENDING_KEY, undefined);
  await vscode.window.showTextDocument(vscode.Uri.joinPath(folder.uri, 'redirect.bpf.c'));
}
