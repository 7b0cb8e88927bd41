// "XDP Lab: Configure clangd for BPF" (xdpLab.clangd.configure, issue 12 item 4): writes the .clangd
// fragment with the flags XDP Lab's clang uses. A new file is written at once; a user's .clangd is
// shown as a diff (theirs ↔ theirs + XDP Lab's document) and written only when they say so.
import * as vscode from 'vscode';
import { isBpfSource } from '../../core/analysis/bpfSource';
import { proposeClangdConfig } from '../../node/clangdSetup';
import { readConfig } from '../config';
import { missingFolder } from '../nextStep';
import { offer } from '../preconditions';
import { CLANGD_EXTENSION_ID } from './clangd';

const PROPOSAL_SCHEME = 'xdp-lab-clangd-proposal';
const proposals = new Map<string, string>();
let providerRegistered = false;

function showProposal(text: string): vscode.Uri {
  if (!providerRegistered) {
    providerRegistered = true;
    vscode.workspace.registerTextDocumentContentProvider(PROPOSAL_SCHEME, {
      provideTextDocumentContent: (uri) => proposals.get(uri.toString()) ?? '',
    });
  }
  const uri = vscode.Uri.from({ scheme: PROPOSAL_SCHEME, path: `/proposed-${proposals.size + 1}/.clangd` });
  proposals.set(uri.toString(), text);
  return uri;
}

/** The folder given (the offer passes its workspace folder), else the active file's, else one picked. */
async function pickFolder(arg: unknown): Promise<vscode.WorkspaceFolder | vscode.Uri | undefined> {
  if (arg instanceof vscode.Uri) return arg;
  const active = vscode.window.activeTextEditor?.document.uri;
  const own = active && vscode.workspace.getWorkspaceFolder(active);
  if (own) return own;
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length <= 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder: 'Folder whose .clangd gets the BPF flags' });
}

/** BPF sources of the folder not named *.bpf.c (the fragment's PathMatch names them), relative paths. */
async function otherBpfFiles(folder: vscode.Uri): Promise<string[]> {
  const found = await vscode.workspace.findFiles(
    new vscode.RelativePattern(folder, '**/*.{c,h}'),
    '**/{node_modules,.git,build}/**',
    2000,
  );
  const out: string[] = [];
  for (const uri of found) {
    if (/\.bpf\.[ch]$/.test(uri.path)) continue;
    const head = new TextDecoder().decode((await vscode.workspace.fs.readFile(uri)).subarray(0, 20000));
    if (isBpfSource(uri.path, head)) out.push(vscode.workspace.asRelativePath(uri, false));
  }
  return out.sort();
}

/** Writes (or, for a user's file, proposes) the .clangd; returns its URI when it was written. */
export async function configureClangd(arg?: unknown): Promise<vscode.Uri | undefined> {
  const target = await pickFolder(arg);
  const folder = target instanceof vscode.Uri ? target : target?.uri;
  if (!folder || folder.scheme !== 'file') {
    await offer(missingFolder('Configure clangd for BPF', 'its .clangd file gets the BPF flags'), {
      level: 'info',
    });
    return undefined;
  }
  const config = readConfig(folder);
  const proposal = proposeClangdConfig(folder.fsPath, {
    includePaths: config.clangIncludePaths,
    extraArgs: config.clangExtraArgs,
    otherBpfFiles: await otherBpfFiles(folder),
  });
  const file = vscode.Uri.file(proposal.file);
  if (proposal.action === 'unchanged') {
    void vscode.window.showInformationMessage("XDP Lab: .clangd already has XDP Lab's BPF flags.");
    return file;
  }
  if (proposal.action !== 'created') {
    // The user's file: never rewritten without their word. The diff shows exactly what changes.
    await vscode.commands.executeCommand(
      'vscode.diff',
      file,
      showProposal(proposal.text),
      ".clangd ↔ with XDP Lab's BPF flags",
    );
    const yes = proposal.action === 'appended' ? 'Append to .clangd' : "Update XDP Lab's part";
    const pick = await vscode.window.showInformationMessage(
      proposal.action === 'appended'
        ? 'XDP Lab: add a document with BPF flags to your .clangd? Your settings stay as they are (see the diff).'
        : "XDP Lab: update XDP Lab's document in .clangd? The rest of the file stays as it is (see the diff).",
      { modal: true },
      yes,
    );
    if (pick !== yes) return undefined;
  }
  await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(proposal.text));
  const restart = vscode.extensions.getExtension(CLANGD_EXTENSION_ID) ? ['Restart clangd'] : [];
  void vscode.window
    .showInformationMessage(
      `XDP Lab: wrote ${vscode.workspace.asRelativePath(file)} — clangd now parses BPF files with -target bpf and XDP Lab's include paths.`,
      'Open .clangd',
      ...restart,
    )
    .then(async (pick) => {
      if (pick === 'Open .clangd') await vscode.window.showTextDocument(file);
      if (pick === 'Restart clangd') await vscode.commands.executeCommand('clangd.restart');
    });
  return file;
}
