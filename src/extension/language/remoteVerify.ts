// The verification host on save (issue 15 item 1, setting xdpLab.verify.host): after each compile the
// server names the object (xdpLab/didCompile); here, in the extension host, the host's kernel judges it
// over ssh (src/node/ssh/remoteVerify) and the answer goes back to the server (xdpLab/remoteVerdict),
// which shows it beside our verifier's. Loaded on the first compile with a host set; never blocks a save.
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import * as vscode from 'vscode';
import type { LanguageClient } from 'vscode-languageclient/node';
import { RemoteVerifyError, remoteVerifyObject } from '../../node/ssh/remoteVerify';
import { checkHostKey } from '../../node/ssh/sshSession';
import { parseSshTarget, targetLabel } from '../../node/ssh/sshTarget';
import {
  remoteVerdictNotification,
  type DidCompileParams,
  type RemoteVerdictParams,
} from '../../protocol/lsp';
import { remoteError, sshOptions, verifyHostKey } from '../capture/captureCommands';
import { readConfig } from '../config';
import { output } from '../output';

/** One verify per document at a time: a newer compile cancels the older one's. */
const running = new Map<string, AbortController>();
/** The last failure shown per host: the same one is not shown again on every save. */
const shownFailure = new Map<string, string>();
/** Hosts whose key was checked (or refused) this session: the modal is asked once, not per save. */
const keyChecked = new Map<string, boolean>();
let controlDir: string | undefined;

/**
 * ssh's control socket in a short private dir, or none (no multiplexing) where that cannot be had:
 * a unix socket path must stay under 104 bytes with ssh's 40-character %C and its 17-character temp
 * suffix, so a long TMPDIR falls back to /tmp; Windows' OpenSSH has no ControlMaster.
 */
function controlPath(): string | undefined {
  if (process.platform === 'win32') return undefined;
  if (controlDir === undefined)
    for (const base of [os.tmpdir(), '/tmp']) {
      if (base.length > 30) continue;
      try {
        controlDir = mkdtempSync(path.join(base, 'xlssh-'));
        break;
      } catch {
        // not writable: try the next
      }
    }
  return controlDir !== undefined ? path.join(controlDir, '%C') : undefined;
}

/** Removes the control socket dir (the masters exit by ControlPersist on their own). */
export function disposeRemoteVerify(): void {
  for (const c of running.values()) c.abort();
  running.clear();
  if (controlDir) rmSync(controlDir, { recursive: true, force: true });
  controlDir = undefined;
}

export async function verifyOnHost(
  context: vscode.ExtensionContext,
  client: LanguageClient,
  p: DidCompileParams,
): Promise<void> {
  const hostText = readConfig(vscode.Uri.parse(p.uri)).verifyHost;
  if (!hostText) return;
  const send = (v: Omit<RemoteVerdictParams, 'uri' | 'generation'>): void =>
    void client.sendNotification(remoteVerdictNotification, { uri: p.uri, generation: p.generation, ...v });
  const retry = (): Promise<void> => verifyOnHost(context, client, p);
  const fail = (host: string, message: string): void => {
    send({ host, error: message });
    if (shownFailure.get(host) === message) return output().warn(`verify on ${host}: ${message}`);
    shownFailure.set(host, message);
    remoteError(`verify on ${host}: ${message}`, retry, 'warning');
  };
  const target = parseSshTarget(hostText);
  if (typeof target === 'string') return fail(hostText, `xdpLab.verify.host: ${target}`);
  const label = targetLabel(target);

  running.get(p.uri)?.abort();
  const ctrl = new AbortController();
  running.set(p.uri, ctrl);
  const { ssh, askpass } = await sshOptions(context, label);
  try {
    if (!keyChecked.has(label)) {
      const key = await checkHostKey(target, ssh);
      if (key.kind === 'unreachable') return fail(label, key.message);
      // Unknown: the fingerprint modal; changed: the refusal. Asked once per host and session.
      const trusted = key.kind === 'known' || (await verifyHostKey(target, ssh, retry));
      keyChecked.set(label, trusted);
    }
    if (!keyChecked.get(label)) return send({ host: label, error: 'host key not trusted' });
    const bytes = new Uint8Array(await readFile(p.objectPath));
    const socket = controlPath();
    const r = await remoteVerifyObject(target, socket ? { ...ssh, controlPath: socket } : ssh, bytes, {
      sudo: readConfig().captureUseSudo,
      signal: ctrl.signal,
    });
    if (ctrl.signal.aborted) return;
    const log = output();
    for (const v of r.programs)
      log.info(
        `kernel ${r.kernel.release} on ${label} (${r.kernel.loader}): ${v.name} ${v.verdict}` +
          (v.error ? ` at ${v.error.file ?? '?'}:${v.error.line ?? '?'}: ${v.error.message}` : ''),
      );
    for (const n of r.notes) log.info(n);
    shownFailure.delete(label);
    send({
      host: label,
      kernel: { release: r.kernel.release, loader: r.kernel.loader },
      report: { programs: r.programs },
    });
  } catch (e) {
    if (ctrl.signal.aborted) return;
    if (e instanceof RemoteVerifyError) return fail(label, e.message);
    fail(label, e instanceof Error ? e.message : String(e));
  } finally {
    if (running.get(p.uri) === ctrl) running.delete(p.uri);
    await askpass.dispose();
  }
}
