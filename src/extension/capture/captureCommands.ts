// The capture commands (loaded on first use by register.ts): pick a host, verify its key (asking
// with the fingerprint when unknown, refusing when changed), probe it, run a capture under a
// cancellable progress notification, show the results panel, export and save/reopen captures.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import * as vscode from 'vscode';
import { ratesBetween, type BpftraceSnapshot } from '../../core/trace/bpftraceCapture';
import { checkCaptureFile, type CaptureFile } from '../../core/trace/captureFile';
import { cannotCapture, deviceNames, type HostProbe } from '../../core/trace/hostProbe';
import { compareSummaries } from '../../core/trace/compareSummary';
import { parseJsonText } from '../../core/jsonText';
import { emptySummary } from '../../core/trace/summary';
import { formatEvent } from '../../core/trace/tracepoints';
import { startAskpass, type Askpass } from '../../node/ssh/askpass';
import { CaptureError, probeHost, runCapture, type CaptureTool } from '../../node/ssh/remoteCapture';
import { acceptHostKey, checkHostKey, type SshOptions } from '../../node/ssh/sshSession';
import { parseSshTarget, targetLabel, type SshTarget } from '../../node/ssh/sshTarget';
import { observedTitle } from '../../protocol/visualizerObserved';
import { readConfig } from '../config';
import { durationProblem, missingScenario } from '../nextStep';
import { offer } from '../preconditions';
import { output } from '../output';
import { showComparison } from '../visualizer/register';
import { CapturePanel } from './capturePanel';
import { SSH_CONFIG_ITEM, sshConfigHostItems } from './sshConfigItems';
import { revealJsonProblems } from '../jsonDiagnostics';

type Mode = 'counts' | 'perf' | 'rates';

let running: AbortController | undefined;

/** One capture at a time, fleets included (fleetCapture.ts): false when one is running. */
export function holdCaptureSlot(controller: AbortController): boolean {
  if (running) return false;
  running = controller;
  return true;
}

export function releaseCaptureSlot(controller: AbortController): void {
  if (running === controller) running = undefined;
}

export async function pickHost(): Promise<{ text: string; target: SshTarget } | undefined> {
  const hosts = await sshConfigHostItems();
  const qp = vscode.window.createQuickPick();
  qp.title = 'XDP Lab: remote host';
  qp.placeholder = 'A Host of ~/.ssh/config, or type user@host:port';
  // With no ~/.ssh/config Host and nothing typed, the pick says what to type; a typed host that is
  // not one stays in the pick with the reason, to be corrected (Enter on either does nothing else).
  const hint: vscode.QuickPickItem = {
    label: '$(info) Type a host: user@host[:port], or add a Host to ~/.ssh/config',
    alwaysShow: true,
  };
  const idle = (): vscode.QuickPickItem[] => (hosts.length ? hosts : [hint]);
  qp.items = idle();
  qp.onDidChangeValue((v) => {
    qp.items =
      v && !hosts.some((h) => h.label === v) ? [{ label: v, description: 'typed' }, ...hosts] : idle();
  });
  const picked = await new Promise<{ text: string; target: SshTarget } | undefined>((resolve) => {
    qp.onDidAccept(() => {
      const item = qp.selectedItems[0];
      const listed = item?.description === 'typed' || item?.description === SSH_CONFIG_ITEM;
      const text = (listed && item ? item.label : qp.value).trim();
      if (!text) return void (qp.items = [hint, ...hosts]);
      const target = parseSshTarget(text);
      if (typeof target === 'string') {
        qp.items = [{ label: `$(error) ${text}`, description: target, alwaysShow: true }, ...hosts];
        return;
      }
      resolve({ text, target });
    });
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  return picked;
}

export async function sshOptions(
  context: vscode.ExtensionContext,
  label: string,
): Promise<{ ssh: SshOptions; askpass: Askpass }> {
  const cfg = readConfig();
  const log = output();
  const asked = new Set<string>();
  const askpass = await startAskpass(async (prompt) => {
    const key = `xdpLab.ssh.${label}.${prompt}`;
    // ssh asks again only when the answer was wrong: a kept passphrase that fails is forgotten.
    if (asked.has(prompt)) await context.secrets.delete(key);
    asked.add(prompt);
    const stored = await context.secrets.get(key);
    if (stored !== undefined) return stored;
    const answer = await vscode.window.showInputBox({
      title: `SSH: ${label}`,
      prompt,
      password: true,
      ignoreFocusOut: true,
    });
    if (answer !== undefined && /passphrase/i.test(prompt)) {
      const keep = await vscode.window.showInformationMessage(
        'Keep this passphrase in VS Code SecretStorage?',
        'Keep',
        'Not now',
      );
      if (keep === 'Keep') await context.secrets.store(key, answer);
    }
    return answer;
  });
  return {
    askpass,
    ssh: { sshPath: cfg.sshPath, batchMode: false, env: askpass.env, log: (line) => log.info(`$ ${line}`) },
  };
}

/**
 * A remote failure as Remote-SSH shows one (issue 15 item 4): the message, Retry (runs the whole
 * command again) and Show Output (the ssh commands and stderr are logged there).
 */
export function remoteError(
  message: string,
  retry: () => unknown,
  severity: 'error' | 'warning' = 'error',
): void {
  output().error(message);
  const show = severity === 'error' ? vscode.window.showErrorMessage : vscode.window.showWarningMessage;
  void show(`XDP Lab: ${message}`, 'Retry', 'Show Output').then((choice) => {
    if (choice === 'Retry') void retry();
    else if (choice === 'Show Output') output().show();
  });
}

/** Verifies the host key: asks for an unknown one (with its fingerprint), refuses a changed one. */
export async function verifyHostKey(
  target: SshTarget,
  ssh: SshOptions,
  retry: () => unknown,
): Promise<boolean> {
  const key = await checkHostKey(target, ssh);
  const label = targetLabel(target);
  if (key.kind === 'known') return true;
  if (key.kind === 'changed') {
    void vscode.window.showErrorMessage(`XDP Lab: ${key.message}`, { modal: true });
    return false;
  }
  if (key.kind === 'unreachable') {
    remoteError(key.message, retry);
    return false;
  }
  const answer = await vscode.window.showWarningMessage(
    `The authenticity of host ${label} can't be established.`,
    {
      modal: true,
      detail: `Key fingerprint: ${key.fingerprints.join(', ')}\nCompare it with the host's own (ssh-keygen -lf /etc/ssh/ssh_host_*_key.pub) before trusting it.`,
    },
    'Trust and Connect',
  );
  if (answer !== 'Trust and Connect') return false;
  const file = await acceptHostKey(target, ssh, key.keyLines);
  output().info(`added host key ${key.fingerprints.join(', ')} of ${label} to ${file}`);
  return true;
}

/**
 * `again`: Retry after a failure reuses the host and duration the user already gave.
 */
export async function startCapture(
  context: vscode.ExtensionContext,
  mode: Mode,
  again?: { host: { text: string; target: SshTarget }; duration: number },
): Promise<void> {
  if (running) {
    void vscode.window.showWarningMessage('XDP Lab: a capture is already running (XDP Lab: Stop Capture).');
    return;
  }
  const host = again?.host ?? (await pickHost());
  if (!host) return;
  const cfg = readConfig();
  let duration = again?.duration ?? cfg.captureDefaultDuration;
  if (!again) {
    const d = await vscode.window.showInputBox({
      title: 'Capture duration',
      prompt: 'Seconds (0 = until stopped)',
      value: String(duration),
      validateInput: durationProblem,
    });
    if (d === undefined) return;
    duration = Number(d.trim());
  }
  const label = targetLabel(host.target);
  const retry = () => startCapture(context, mode, { host, duration });
  const { ssh, askpass } = await sshOptions(context, label);
  const controller = new AbortController();
  running = controller;
  try {
    if (!(await verifyHostKey(host.target, ssh, retry))) return;
    let probe: HostProbe;
    try {
      probe = await probeHost(host.target, ssh, cfg.captureUseSudo, controller.signal);
    } catch (e) {
      remoteError(e instanceof Error ? e.message : String(e), retry);
      return;
    }
    output().info(
      `${label}: kernel ${probe.kernel}, user ${probe.user}, tracepoints ${probe.tracepoints.join(' ')}; ${probe.notes.join('; ')}`,
    );
    let tool: CaptureTool = mode === 'perf' ? 'perf' : 'bpftrace';
    const why = cannotCapture(probe, tool);
    if (why) {
      if (tool === 'bpftrace' && probe.bpftrace === undefined && probe.perf && mode === 'counts') {
        const use = await vscode.window.showWarningMessage(`XDP Lab: ${why}`, 'Record with perf');
        if (use !== 'Record with perf') return;
        tool = 'perf';
      } else {
        remoteError(`${label}: ${why}`, retry);
        return;
      }
    }
    const startedAt = new Date();
    const base = (): CaptureFile => ({
      format: 'xdp-lab-capture',
      version: 1,
      host: host.text,
      tool,
      kernel: probe.kernel,
      startedAt: startedAt.toISOString(),
      durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
      status: 'running',
      summary: { ...emptySummary(), kernel: probe.kernel },
      devices: Object.fromEntries(Object.entries(deviceNames(probe))),
      programNames: Object.fromEntries(probe.programs.map((p) => [String(p.id), p.name])),
    });
    const panel = CapturePanel.create(context, `XDP capture: ${label}`, base(), true, () =>
      controller.abort(),
    );
    let prev: BpftraceSnapshot | undefined;
    const result = await vscode.window.withProgress(
      {
        location: vscode.ProgressLocation.Notification,
        title: `XDP Lab: capturing on ${label}`,
        cancellable: true,
      },
      async (progress, token) => {
        token.onCancellationRequested(() => controller.abort());
        return runCapture(host.target, ssh, probe, {
          tool,
          durationSeconds: duration,
          signal: controller.signal,
          onAttached: () =>
            progress.report({ message: duration ? `${duration} s — cancel to stop early` : 'until stopped' }),
          onSnapshot: (snap) => {
            const rates =
              mode === 'rates'
                ? { seconds: 1, rows: ratesBetween(prev, snap, 1), exceptions: snap.exceptions }
                : undefined;
            prev = snap;
            const total = Object.values(snap.summary.tracepoints).reduce((a, b) => a + b, 0);
            progress.report({ message: `${snap.tick} s, ${total} events` });
            panel.update(
              { ...base(), summary: { ...snap.summary, kernel: probe.kernel }, programs: snap.programs },
              true,
              rates,
            );
          },
        });
      },
    );
    const capture: CaptureFile = {
      ...base(),
      status: result.status,
      ...(result.message ? { message: result.message } : {}),
      summary: result.summary,
      programs: result.programs,
      ...(tool === 'perf' ? { events: result.events.map(formatEvent) } : {}),
    };
    panel.update(capture, false);
    if (result.parseErrors.length) output().warn(result.parseErrors.slice(0, 20).join('\n'));
    if (result.message) {
      output().warn(result.message);
      // Stopping an until-stopped capture is its normal end; losses and failures need attention.
      if (result.status === 'connection-lost' || result.status === 'failed')
        remoteError(result.message, retry, 'warning');
    }
  } catch (e) {
    const message = e instanceof CaptureError || e instanceof Error ? e.message : String(e);
    remoteError(`${label}: ${message}`, retry);
  } finally {
    running = undefined;
    await askpass.dispose();
  }
}

export function stopCapture(): void {
  if (!running) {
    void vscode.window.showInformationMessage('XDP Lab: no capture is running.');
    return;
  }
  running.abort();
}

export async function openCapture(context: vscode.ExtensionContext, uri?: vscode.Uri): Promise<void> {
  const target =
    uri ??
    (
      await vscode.window.showOpenDialog({
        title: 'XDP Lab: a saved capture (*.xdpcapture.json)',
        canSelectMany: false,
        filters: { 'XDP capture': ['xdpcapture.json', 'json'] },
      })
    )?.[0];
  if (!target) return;
  let parsed: unknown;
  try {
    parsed = parseJsonText(await readFile(target.fsPath, 'utf8'));
  } catch (e) {
    void vscode.window.showErrorMessage(
      `XDP Lab: ${target.fsPath}: ${e instanceof Error ? e.message : String(e)}`,
    );
    void revealJsonProblems(target, 'capture');
    return;
  }
  const capture = checkCaptureFile(parsed);
  if (typeof capture === 'string') {
    void vscode.window.showErrorMessage(`XDP Lab: ${target.fsPath}: ${capture}`);
    void revealJsonProblems(target, 'capture');
    return;
  }
  CapturePanel.create(context, `XDP capture: ${path.basename(target.fsPath)}`, capture, false).file =
    target.fsPath;
}

/**
 * "Compare Capture with Simulation": runs a scenario through the simulator (the visualizer's runner,
 * so C programs compile the same way) and shows predicted vs observed in the capture's panel (a
 * table) and on the scenario's graph in the visualizer (every count "predicted / observed"), with
 * flows matched by device name (scenario and host ifindexes differ). The capture is `captureUri` (a
 * *.xdpcapture.json), else the last capture panel's (live or reopened), else one the user picks.
 */
export async function compareCapture(
  context: vscode.ExtensionContext,
  captureUri?: vscode.Uri,
  scenarioUri?: vscode.Uri,
): Promise<void> {
  let panel = CapturePanel.latest;
  if (captureUri || !panel || panel.current.running) {
    const before = CapturePanel.latest;
    await openCapture(context, captureUri);
    panel = CapturePanel.latest;
    if (!panel || (captureUri && panel === before)) return;
  }
  const capture = panel.current.capture;
  const active = vscode.window.activeTextEditor?.document.uri;
  let scenario: vscode.Uri | undefined =
    scenarioUri ?? (active?.path.endsWith('.xdpscenario.json') ? active : undefined);
  if (!scenario) {
    const found = await vscode.workspace.findFiles('**/*.xdpscenario.json', '**/node_modules/**', 200);
    if (!found.length) {
      const hasFolder = (vscode.workspace.workspaceFolders?.length ?? 0) > 0;
      void offer(missingScenario('Compare Capture with Simulation', hasFolder), { level: 'info' });
      return;
    }
    scenario = (
      await vscode.window.showQuickPick(
        found.map((u) => ({ label: vscode.workspace.asRelativePath(u), uri: u })),
        // A capture panel updating (or a notification) must not take the choice away.
        { title: 'Scenario to compare with the capture', ignoreFocusOut: true },
      )
    )?.uri;
    if (!scenario) return;
  }
  const cfg = readConfig();
  const { runScenario } = await import('../visualizer/workerRun');
  const out = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: 'XDP Lab: simulating for the comparison' },
    () =>
      runScenario({
        scenarioPath: scenario.fsPath,
        maxEvents: 1,
        clangPath: cfg.clangPath,
        includePaths: cfg.clangIncludePaths,
        clangArgs: cfg.clangExtraArgs,
        log: (level, message) => output()[level](message),
      }),
  );
  const predictedNames = Object.fromEntries(out.model.devices.map((d) => [String(d.ifindex), d.name]));
  const rows = compareSummaries(out.model.summary, capture.summary, {
    predicted: predictedNames,
    observed: capture.devices,
  });
  panel.setComparison({ scenario: vscode.workspace.asRelativePath(scenario), rows });
  await showComparison(
    context,
    scenario,
    { capture, title: observedTitle(capture), ...(panel.current.file ? { file: panel.current.file } : {}) },
    out,
  );
}
