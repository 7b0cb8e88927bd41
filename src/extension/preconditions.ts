// The preconditions the palette commands share — "needs an XDP program", "needs an open folder" —
// and the messages (nextStep.ts) that name what is missing and perform the step the user picks:
// one source of truth, so every command answers a new user the same way.
import * as vscode from 'vscode';
import { missingFolder, missingProgram, programFileKind, takes, type Need, type NextStep } from './nextStep';
import { output } from './output';

/**
 * Shows `need` (an error, or information for `level: 'info'`) and performs the step picked. `rerun`:
 * what to do with a program the user opened through "Open a Program…" (run the command on it).
 */
export async function offer(
  need: Need,
  opts: { level?: 'error' | 'info'; rerun?: (uri: vscode.Uri) => unknown } = {},
): Promise<void> {
  const show = opts.level === 'info' ? vscode.window.showInformationMessage : vscode.window.showErrorMessage;
  const pick = await show(need.message, ...need.steps);
  if (pick) await perform(pick, opts.rerun);
}

async function perform(step: NextStep, rerun?: (uri: vscode.Uri) => unknown): Promise<void> {
  switch (step) {
    case 'Open a Program…': {
      const picked = await vscode.window.showOpenDialog({
        title: 'XDP Lab: an XDP program (.c with SEC("xdp"), or its .o)',
        canSelectMany: false,
        openLabel: 'Open Program',
        filters: { 'XDP programs': ['c', 'o'], 'All files': ['*'] },
        ...(vscode.workspace.workspaceFolders?.[0]
          ? { defaultUri: vscode.workspace.workspaceFolders[0].uri }
          : {}),
      });
      const uri = picked?.[0];
      if (!uri) return;
      if (!uri.path.endsWith('.o')) await vscode.window.showTextDocument(uri);
      if (rerun) await rerun(uri);
      return;
    }
    case 'Create Example':
      return void (await vscode.commands.executeCommand('xdpLab.example.create'));
    case 'Open Folder…':
      return void (await vscode.commands.executeCommand('workbench.action.files.openFolder'));
    case 'Create Starter Scenario':
      return void (await vscode.commands.executeCommand('xdpLab.scenario.create'));
    case 'Show Output':
      return output().show();
    case 'Show Problems':
      return void (await vscode.commands.executeCommand('workbench.actions.view.problems'));
  }
}

const hasFolder = (): boolean => (vscode.workspace.workspaceFolders?.length ?? 0) > 0;

function kindOf(doc: vscode.TextDocument): ReturnType<typeof programFileKind> {
  // An output channel or a diff's side is not a program, whatever its name.
  if (doc.uri.scheme !== 'file' && doc.uri.scheme !== 'untitled') return 'other';
  return programFileKind(doc.uri.path, doc.languageId, doc.getText());
}

/**
 * The program a command acts on, or undefined after saying what is missing (with "Open a Program…"
 * and "Create Example"). In order: `arg` (a URI or URI string from a CodeLens, a menu, another
 * command) as given; the active editor when it is one (`wants`: 'xdp' — an XDP source or an object;
 * 'c' — any C file); an XDP program shown in another editor; the workspace's only *.bpf.c, or the
 * user's pick of them. A C file without SEC("xdp") in the editor is named as such, not skipped.
 */
export async function requireProgram(
  command: string,
  wants: 'xdp' | 'c',
  arg: unknown,
  rerun?: (uri: vscode.Uri) => unknown,
): Promise<vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === 'string' && /^[a-z][\w+.-]*:/i.test(arg)) return vscode.Uri.parse(arg);
  const doc = vscode.window.activeTextEditor?.document;
  const kind = doc && kindOf(doc);
  if (doc && kind && takes(wants, kind)) return doc.uri;
  const offerOpts = rerun ? { rerun } : {};
  if (doc && kind === 'c-source')
    return void (await offer(
      missingProgram(command, wants, { path: doc.uri.path, kind }, hasFolder()),
      offerOpts,
    ));
  const shown = vscode.window.visibleTextEditors.find((e) => takes(wants, kindOf(e.document)));
  if (shown) return shown.document.uri;
  const found = hasFolder() ? await workspacePrograms(wants) : [];
  if (found.length === 1) return found[0];
  if (found.length > 1) {
    const pick = await vscode.window.showQuickPick(
      found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })),
      {
        title: `${command}: which program?`,
        placeHolder: doc
          ? `${vscode.workspace.asRelativePath(doc.uri)} is not a program: pick one`
          : 'Pick a program',
        ignoreFocusOut: true,
      },
    );
    return pick?.uri;
  }
  const active = doc && kind && doc.uri.scheme === 'file' ? { path: doc.uri.path, kind } : undefined;
  await offer(missingProgram(command, wants, active, hasFolder()), offerOpts);
  return undefined;
}

/** The workspace's *.bpf.c files (up to 50); for 'xdp', only those with an XDP program. */
async function workspacePrograms(wants: 'xdp' | 'c'): Promise<vscode.Uri[]> {
  const found = await vscode.workspace.findFiles('**/*.bpf.c', '**/node_modules/**', 50);
  if (wants === 'c') return found;
  const out: vscode.Uri[] = [];
  for (const uri of found) {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    const text =
      open?.getText() ??
      new TextDecoder().decode(
        (await vscode.workspace.fs.readFile(uri).then(undefined, () => undefined)) ?? new Uint8Array(),
      );
    if (programFileKind(uri.path, 'c', text) === 'xdp-source') out.push(uri);
  }
  return out;
}

/** The first workspace folder, or undefined after saying `command` needs one (`why`). */
export async function requireFolder(
  command: string,
  why: string,
): Promise<vscode.WorkspaceFolder | undefined> {
  const folder = vscode.workspace.workspaceFolders?.[0];
  if (!folder) await offer(missingFolder(command, why));
  return folder;
}
