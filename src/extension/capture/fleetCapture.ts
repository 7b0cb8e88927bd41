// "Capture XDP Tracepoints on Several Hosts" (issue 15 item 3, the editor half of `trace --hosts`):
// a multi-pick of ssh config Hosts (plus typed ones), the captures in parallel, one host failing
// shown in its column (and a warning) while the others go on, merged counts plus a column per host.
import * as vscode from 'vscode';
import type { CaptureFile } from '../../core/trace/captureFile';
import { fleetMerged } from '../../core/trace/fleetSummary';
import { cannotCapture, type HostProbe } from '../../core/trace/hostProbe';
import { emptySummary, type XdpSummary } from '../../core/trace/summary';
import { probeHost, runCapture, type CaptureTool } from '../../node/ssh/remoteCapture';
import { checkHostKey } from '../../node/ssh/sshSession';
import { parseSshTarget, targetLabel } from '../../node/ssh/sshTarget';
import type { FleetHostState } from '../../protocol/capture';
import { readConfig } from '../config';
import { durationProblem } from '../nextStep';
import { output } from '../output';
import {
  holdCaptureSlot,
  releaseCaptureSlot,
  remoteError,
  sshOptions,
  verifyHostKey,
} from './captureCommands';
import { CapturePanel } from './capturePanel';
import { sshConfigHostItems } from './sshConfigItems';

const plural = (n: number, what: string): string => `${n} ${what}${n === 1 ? '' : 's'}`;

/** Names typed in the pick: comma or space separated. */
const typedNames = (value: string): string[] =>
  value
    .split(/[\s,]+/)
    .map((s) => s.trim())
    .filter(Boolean);

/** A multi-pick of ~/.ssh/config Hosts; typed names (comma-separated) are added checked. */
async function pickHosts(): Promise<string[] | undefined> {
  const hosts = await sshConfigHostItems();
  const qp = vscode.window.createQuickPick();
  qp.title = 'XDP Lab: hosts to capture on';
  qp.placeholder = 'Check Hosts of ~/.ssh/config, or type more (user@host:port, comma-separated)';
  qp.canSelectMany = true;
  // Nothing to check and nothing typed: the pick says what to type, and Enter keeps it open.
  const hint: vscode.QuickPickItem = {
    label: '$(info) Type hosts: user@host[:port], comma-separated, or add Hosts to ~/.ssh/config',
    alwaysShow: true,
  };
  qp.items = hosts.length ? hosts : [hint];
  qp.onDidChangeValue((v) => {
    const kept = qp.selectedItems.filter((i) => hosts.includes(i));
    const typed = typedNames(v)
      .filter((n) => !hosts.some((h) => h.label === n))
      .map((n) => ({ label: n, description: 'typed', alwaysShow: true }));
    qp.items = [...typed, ...hosts];
    qp.selectedItems = [...typed, ...kept];
  });
  const picked = await new Promise<string[] | undefined>((resolve) => {
    qp.onDidAccept(() => {
      const names = qp.selectedItems.filter((i) => i !== hint).map((i) => i.label);
      const chosen = names.length ? names : typedNames(qp.value);
      if (!chosen.length) return void (qp.items = [hint, ...hosts]);
      resolve(chosen);
    });
    qp.onDidHide(() => resolve(undefined));
    qp.show();
  });
  qp.dispose();
  return picked?.length ? [...new Set(picked)] : undefined;
}

export async function startFleetCapture(
  context: vscode.ExtensionContext,
  again?: { hosts: string[]; duration: number },
): Promise<void> {
  const controller = new AbortController();
  if (!holdCaptureSlot(controller)) {
    void vscode.window.showWarningMessage('XDP Lab: a capture is already running (XDP Lab: Stop Capture).');
    return;
  }
  try {
    const hosts = again?.hosts ?? (await pickHosts());
    if (!hosts) return;
    let duration = again?.duration ?? readConfig().captureDefaultDuration;
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
    await runFleet(context, hosts, duration, controller);
  } finally {
    releaseCaptureSlot(controller);
  }
}

async function runFleet(
  context: vscode.ExtensionContext,
  hosts: readonly string[],
  duration: number,
  controller: AbortController,
): Promise<void> {
  const cfg = readConfig();
  const retry = () => startFleetCapture(context, { hosts: [...hosts], duration });
  const states: FleetHostState[] = hosts.map((host) => ({ host, state: 'connecting' }));
  const startedAt = new Date();
  const merged = (status: string, message?: string): CaptureFile => {
    const kernels = [...new Set(states.flatMap((s) => (s.kernel ? [s.kernel] : [])))];
    return {
      format: 'xdp-lab-capture',
      version: 1,
      host: `${plural(hosts.length, 'host')}: ${hosts.join(', ')}`,
      tool: 'bpftrace',
      kernel: kernels.join(', ') || 'unknown',
      startedAt: startedAt.toISOString(),
      durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
      status,
      ...(message ? { message } : {}),
      summary: fleetMerged(states.flatMap((s) => (s.summary ? [s.summary] : []))),
      devices: {},
    };
  };
  const panel = CapturePanel.create(
    context,
    `XDP capture: ${plural(hosts.length, 'host')}`,
    merged('running'),
    true,
    () => controller.abort(),
  );
  const set = (i: number, s: Omit<FleetHostState, 'host'>): void => {
    states[i] = { host: hosts[i] as string, ...s };
    panel.update(merged('running'), true, undefined, [...states]);
  };
  panel.update(merged('running'), true, undefined, [...states]);

  const captureOne = async (i: number): Promise<void> => {
    const text = hosts[i] as string;
    const target = parseSshTarget(text);
    if (typeof target === 'string') {
      set(i, { state: 'failed', error: target });
      remoteError(`${text}: ${target}`, retry, 'warning');
      return;
    }
    const label = targetLabel(target);
    const { ssh, askpass } = await sshOptions(context, label);
    let kernel: string | undefined;
    try {
      const key = await checkHostKey(target, ssh);
      if (key.kind === 'changed' || key.kind === 'unreachable') throw new Error(key.message);
      // An unknown key: the same modal with its fingerprint as a single capture.
      if (key.kind === 'unknown' && !(await verifyHostKey(target, ssh, retry)))
        throw new Error('the host key was not trusted');
      const probe: HostProbe = await probeHost(target, ssh, cfg.captureUseSudo, controller.signal);
      kernel = probe.kernel;
      output().info(`${label}: kernel ${probe.kernel}, user ${probe.user}; ${probe.notes.join('; ')}`);
      let tool: CaptureTool = 'bpftrace';
      const why = cannotCapture(probe, tool);
      if (why) {
        if (probe.bpftrace !== undefined || cannotCapture(probe, 'perf')) throw new Error(why);
        tool = 'perf';
      }
      set(i, { state: 'attaching', kernel });
      const result = await runCapture(target, ssh, probe, {
        tool,
        durationSeconds: duration,
        signal: controller.signal,
        onAttached: () =>
          set(i, { state: 'capturing', kernel, summary: states[i]?.summary ?? emptySummary() }),
        onSnapshot: (snap) => set(i, { state: 'capturing', kernel, summary: snap.summary }),
      });
      const summary: XdpSummary = result.summary;
      if (result.status === 'failed' || result.status === 'connection-lost') {
        set(i, { state: 'failed', kernel, summary, error: result.message ?? result.status });
        remoteError(`${label}: ${result.message ?? result.status}`, retry, 'warning');
      } else set(i, { state: 'done', status: result.status, kernel, summary });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      set(i, { state: 'failed', error: message, ...(kernel ? { kernel } : {}) });
      remoteError(`${label}: ${message}`, retry, 'warning');
    } finally {
      await askpass.dispose();
    }
  };

  await vscode.window.withProgress(
    {
      location: vscode.ProgressLocation.Notification,
      title: `XDP Lab: capturing on ${plural(hosts.length, 'host')}`,
      cancellable: true,
    },
    async (progress, token) => {
      token.onCancellationRequested(() => controller.abort());
      progress.report({ message: duration ? `${duration} s — cancel to stop early` : 'until stopped' });
      await Promise.all(hosts.map((_, i) => captureOne(i)));
    },
  );
  const failed = states.filter((s) => s.state === 'failed');
  const statuses = [...new Set(states.flatMap((s) => (s.status ? [s.status] : [])))];
  panel.update(
    merged(
      failed.length === hosts.length ? 'failed' : statuses.length === 1 ? (statuses[0] as string) : 'mixed',
      failed.length
        ? `${failed.length} of ${hosts.length} hosts failed: ${failed.map((s) => s.host).join(', ')}`
        : undefined,
    ),
    false,
    undefined,
    [...states],
  );
}
