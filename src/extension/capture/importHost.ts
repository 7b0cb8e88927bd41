// "XDP Lab: Import Host as Scenario" (issue 15 item 2): pick or type a host, verify its key as the
// capture commands do, read its XDP setup over SSH (node/ssh/remoteImport.ts, programs matched to the
// workspace's objects by kernel tag), write `<host>.xdpscenario.json` in the workspace and open the
// visualizer on it. The scenario is a normal one: edit a map entry, save, and the panel re-runs.
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import { findObjects, ImportError, importRemoteHost, localPrograms } from '../../node/ssh/remoteImport';
import { targetLabel, type SshTarget } from '../../node/ssh/sshTarget';
import { readConfig } from '../config';
import { output } from '../output';
import { requireFolder } from '../preconditions';
import { pickHost, remoteError, sshOptions, verifyHostKey } from './captureCommands';

/** A file name for the host: `user@host:port` → `host-port` (no path or shell characters). */
export function scenarioFileName(t: SshTarget): string {
  const base = `${t.host}${t.port ? `-${t.port}` : ''}`.replace(/[^A-Za-z0-9_.-]/g, '_');
  return `${base}.xdpscenario.json`;
}

export async function importHostScenario(
  context: vscode.ExtensionContext,
  again?: { text: string; target: SshTarget },
): Promise<void> {
  const folder = await requireFolder('Import Host as Scenario', 'the scenario is written into it');
  if (!folder) return;
  const host = again ?? (await pickHost());
  if (!host) return;
  const label = targetLabel(host.target);
  const retry = () => importHostScenario(context, host);
  const { ssh, askpass } = await sshOptions(context, label);
  try {
    if (!(await verifyHostKey(host.target, ssh, retry))) return;
    const dir = folder.uri.fsPath;
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `XDP Lab: importing ${label}`,
        cancellable: true,
      },
      async (progress, token) => {
        const controller = new AbortController();
        token.onCancellationRequested(() => controller.abort());
        progress.report({ message: 'tagging the workspace objects' });
        const local = await localPrograms(await findObjects([dir]), dir);
        for (const s of local.skipped) output().info(`import: skipped ${s}`);
        progress.report({ message: 'reading the host' });
        return importRemoteHost(host.target, ssh, {
          sudo: readConfig().captureUseSudo,
          local: local.programs,
          signal: controller.signal,
        });
      },
    );
    const file = path.join(dir, scenarioFileName(host.target));
    await writeFile(file, JSON.stringify(result.scenario, null, 2) + '\n');
    for (const n of result.notes) output().info(`import ${label}: ${n}`);
    const matched = result.programs.filter((p) => p.file).length;
    const uri = vscode.Uri.file(file);
    await vscode.window.showTextDocument(uri, { preview: false });
    await vscode.commands.executeCommand('xdpLab.visualizer.open', uri);
    void vscode.window.showInformationMessage(
      `XDP Lab: ${label} (Linux ${result.kernel}) imported as ${path.basename(file)}: ${(result.scenario.devices as unknown[]).length} devices, ${result.programs.length} XDP programs, ${matched} matched to workspace objects. Add traffic to simulate it.`,
    );
  } catch (e) {
    if (e instanceof ImportError) remoteError(e.message, retry);
    else throw e;
  } finally {
    await askpass.dispose();
  }
}
