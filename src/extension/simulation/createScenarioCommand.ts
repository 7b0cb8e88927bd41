// "XDP Lab: Create Starter Scenario" (xdpLab.scenario.create): writes <program>.xdpscenario.json
// next to the active BPF C file (never overwriting one) from core's starterScenario, and opens it.
import path from 'node:path';
import * as vscode from 'vscode';
import { starterScenario } from '../../core/scenario/starterScenario';

export async function createStarterScenario(arg: unknown): Promise<void> {
  const uri = arg instanceof vscode.Uri ? arg : vscode.window.activeTextEditor?.document.uri;
  if (!uri || !/\.c$/.test(uri.path)) {
    void vscode.window.showInformationMessage(
      'XDP Lab: open an XDP program (*.bpf.c / *.c) to create a scenario for it.',
    );
    return;
  }
  const doc = await vscode.workspace.openTextDocument(uri);
  const base = path.basename(uri.fsPath).replace(/(\.bpf)?\.c$/, '');
  const dir = vscode.Uri.joinPath(uri, '..');
  let target = vscode.Uri.joinPath(dir, `${base}.xdpscenario.json`);
  for (let n = 2; await exists(target); n++)
    target = vscode.Uri.joinPath(dir, `${base}-${n}.xdpscenario.json`);
  const text = starterScenario(path.basename(uri.fsPath), doc.getText());
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
  await vscode.window.showTextDocument(target);
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
