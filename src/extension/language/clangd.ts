// Living beside clangd (issue 12 item 4): is clangd serving C files in this window (setting
// xdpLab.clangd.coexist: vscode-clangd enabled, or a clangd binary plus a clangd config in the
// workspace), told to the language server; and the one-click offer to configure clangd for BPF.
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { hasXdpLabFragment } from '../../core/clangd/clangdConfig';
import { clangdConfigFiles, findOnPath } from '../../node/clangdSetup';
import { clangdStatusNotification } from '../../protocol/lsp';
import type { ClangdStatusParams } from '../../protocol/lsp';
import { readConfig } from '../config';
import { output } from '../output';

/** vscode-clangd's extension id. */
export const CLANGD_EXTENSION_ID = 'llvm-vs-code-extensions.vscode-clangd';
/** workspaceState key: the user said "Don't Ask Again" to the offer. */
const DONT_ASK_KEY = 'xdpLab.clangd.dontAsk';

/** Whether clangd serves C files here, by the setting and what is installed. */
export function detectClangd(): { active: boolean; why: string } {
  const mode = readConfig().clangdCoexist;
  if (mode === 'never') return { active: false, why: 'xdpLab.clangd.coexist is "never"' };
  if (mode === 'always') return { active: true, why: 'xdpLab.clangd.coexist is "always"' };
  if (vscode.extensions.getExtension(CLANGD_EXTENSION_ID))
    return { active: true, why: `the ${CLANGD_EXTENSION_ID} extension is enabled` };
  const configured = (vscode.workspace.workspaceFolders ?? [])
    .filter((f) => f.uri.scheme === 'file')
    .flatMap((f) => clangdConfigFiles(f.uri.fsPath));
  if (configured.length) {
    const bin = findOnPath('clangd');
    if (bin) return { active: true, why: `${bin} is on PATH and the workspace has ${configured[0] ?? ''}` };
  }
  return { active: false, why: 'no vscode-clangd extension, no clangd binary with a clangd config' };
}

let active = false;
const clients = new Set<LanguageClient>();

function send(client: LanguageClient): void {
  client
    .sendNotification(clangdStatusNotification, { active } satisfies ClangdStatusParams)
    .catch((e: unknown) => output().warn(`clangd status: ${e instanceof Error ? e.message : String(e)}`));
}

function refresh(): void {
  const d = detectClangd();
  if (d.active === active) return;
  active = d.active;
  output().info(`clangd ${active ? 'serves' : 'does not serve'} C files here (${d.why})`);
  clients.forEach(send);
}

/** Tells a started client whether clangd is there now, and again whenever that changes. */
export function attachClangdStatus(client: LanguageClient): vscode.Disposable {
  clients.add(client);
  send(client);
  return { dispose: () => void clients.delete(client) };
}

/** Once per window, on the first BPF document: offer to write the .clangd when clangd is there without it. */
let offered = false;
export async function offerClangdConfig(
  context: vscode.ExtensionContext,
  doc: vscode.TextDocument,
): Promise<void> {
  if (offered || !active || context.workspaceState.get(DONT_ASK_KEY)) return;
  const folder = vscode.workspace.getWorkspaceFolder(doc.uri);
  if (!folder || folder.uri.scheme !== 'file') return;
  offered = true;
  try {
    const text = new TextDecoder().decode(
      await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, '.clangd')),
    );
    if (hasXdpLabFragment(text)) return;
  } catch {
    // no .clangd yet
  }
  const pick = await vscode.window.showInformationMessage(
    `XDP Lab: clangd serves ${folder.name} too, and without BPF flags it reports errors of its own on BPF files ('asm/types.h' not found, CO-RE builtins unknown). Add XDP Lab's flags (-target bpf and its include paths) to .clangd?`,
    'Configure clangd',
    "Don't Ask Again",
  );
  if (pick === 'Configure clangd')
    await vscode.commands.executeCommand('xdpLab.clangd.configure', folder.uri);
  else if (pick === "Don't Ask Again") await context.workspaceState.update(DONT_ASK_KEY, true);
}

export function registerClangd(context: vscode.ExtensionContext): void {
  active = detectClangd().active;
  const watcher = vscode.workspace.createFileSystemWatcher(
    '**/{.clangd,compile_commands.json,compile_flags.txt}',
  );
  context.subscriptions.push(
    watcher,
    watcher.onDidCreate(refresh),
    watcher.onDidDelete(refresh),
    vscode.extensions.onDidChange(refresh),
    vscode.workspace.onDidChangeWorkspaceFolders(refresh),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('xdpLab.clangd')) refresh();
    }),
    vscode.commands.registerCommand('xdpLab.clangd.configure', async (arg?: unknown) =>
      (await import('./clangdConfigure')).configureClangd(arg),
    ),
  );
}
