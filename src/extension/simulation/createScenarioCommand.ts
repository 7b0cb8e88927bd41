// "XDP Lab: Create Starter Scenario" (xdpLab.scenario.create): writes <program>.xdpscenario.json
// next to the active BPF C file (never overwriting one) from core's starterScenario, and opens it.
import path from 'node:path';
import * as vscode from 'vscode';
import { probeStarterProgram, type StarterProbe } from '../../core/scenario/starterProbe';
import { scanSource, starterScenario } from '../../core/scenario/starterScenario';
import { compileBpfC } from '../../node/clang';
import { readConfig } from '../config';
import { output } from '../output';
import { requireProgram } from '../preconditions';

export async function createStarterScenario(arg: unknown): Promise<void> {
  // The program: the argument, else the active/shown/workspace XDP program (preconditions.ts).
  const uri = await requireProgram('Create Starter Scenario', 'xdp', arg, (opened) =>
    createStarterScenario(opened),
  );
  if (!uri) return;
  if (!/\.c$/.test(uri.path)) {
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
  const text = starterScenario(path.basename(uri.fsPath), doc.getText(), await probeProgram(uri, doc));
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
  await vscode.window.showTextDocument(target);
}

/**
 * Compiles the program and runs its first XDP program on the starter frame to learn the redirect
 * keys it uses (core/scenario/starterProbe.ts). Without clang, or when the source does not build,
 * the starter keeps its default entries and the output channel says why.
 */
async function probeProgram(uri: vscode.Uri, doc: vscode.TextDocument): Promise<StarterProbe | undefined> {
  const main = scanSource(doc.getText()).programs.find((p) => !/devmap|cpumap/.test(p.section));
  if (!main) return undefined;
  const cfg = readConfig(uri);
  try {
    if (doc.isDirty) await doc.save();
    const r = await compileBpfC(uri.fsPath, {
      clang: cfg.clangPath,
      includePaths: [path.dirname(uri.fsPath), ...cfg.clangIncludePaths],
      extraArgs: cfg.clangExtraArgs,
    });
    const probe = probeStarterProgram(r.object, main.function);
    if (probe.problem) output().warn(`starter scenario: ${probe.problem}; map entries at default keys`);
    else output().info(`starter scenario: ${main.function} looked up ${JSON.stringify(probe.redirectKeys)}`);
    return probe;
  } catch (e) {
    output().warn(
      `starter scenario: ${path.basename(uri.fsPath)} was not compiled (${e instanceof Error ? e.message : String(e)}); map entries at default keys`,
    );
    return undefined;
  }
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}
