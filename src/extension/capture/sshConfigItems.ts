// The Hosts of the user's ~/.ssh/config as quick-pick items: the single-host pick (captureCommands)
// and the fleet's multi-pick (fleetCapture) offer the same list, marked the same way.
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import { sshConfigHosts } from '../../node/ssh/sshTarget';

/** The description that marks an item as a Host of ~/.ssh/config (not typed by the user). */
export const SSH_CONFIG_ITEM = '~/.ssh/config';

/** One item per `Host` of ~/.ssh/config (none when the file is missing or unreadable). */
export async function sshConfigHostItems(): Promise<vscode.QuickPickItem[]> {
  const config = await readFile(path.join(os.homedir(), '.ssh', 'config'), 'utf8').catch(() => '');
  return sshConfigHosts(config).map((h) => ({ label: h, description: SSH_CONFIG_ITEM }));
}
