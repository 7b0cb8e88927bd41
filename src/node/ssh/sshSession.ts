// Talking to a remote host through the system OpenSSH client (docs/remote.md says why): the argv
// of every ssh call, host-key verification before anything is sent, and remote commands run as
// `sh -c '<script>'` with the script quoted for the remote shell. Every command line is logged
// exactly as run; no secret is ever part of it (passphrases travel through SSH_ASKPASS only).
import { mkdtemp, readFile, rm, appendFile, mkdir } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runProcess, startProcess, type ProcessResult, type RunningProcess } from '../process';
import { shJoin, shQuote } from './shellQuote';
import { targetLabel, type SshTarget } from './sshTarget';

export interface SshOptions {
  /** The ssh client (`xdpLab.capture.sshPath`). */
  readonly sshPath?: string;
  /** `-F FILE`: an ssh config instead of ~/.ssh/config (tests). */
  readonly configFile?: string;
  /** `-i FILE`. */
  readonly identityFile?: string;
  /** No prompts at all (CLI): keys from the agent or unencrypted files only. */
  readonly batchMode: boolean;
  /** Extra environment for ssh (SSH_ASKPASS, SSH_ASKPASS_REQUIRE, DISPLAY). */
  readonly env?: NodeJS.ProcessEnv;
  readonly connectTimeoutSeconds?: number;
  /** Receives every command line exactly as run. */
  readonly log?: (line: string) => void;
  /**
   * Multiplexing (ssh ControlMaster=auto) on this socket path for remote scripts, the master kept
   * for `controlPersistSeconds` after the last one: the editor's verify on every save reuses one
   * authenticated connection instead of a new one per save.
   */
  readonly controlPath?: string;
  readonly controlPersistSeconds?: number;
}

/** The result of checking the host's key against known_hosts before connecting for real. */
export type HostKeyStatus =
  | { readonly kind: 'known' }
  | { readonly kind: 'unknown'; readonly fingerprints: readonly string[]; readonly keyLines: string }
  | { readonly kind: 'changed'; readonly fingerprint: string; readonly message: string }
  | { readonly kind: 'unreachable'; readonly message: string };

/** Text for logs: the argv quoted as a POSIX shell would need it (so it can be pasted). */
export function commandLine(argv: readonly string[]): string {
  return shJoin(argv);
}

function baseArgs(t: SshTarget, o: SshOptions, extra: readonly string[]): string[] {
  const args = [o.sshPath ?? 'ssh'];
  if (o.configFile) args.push('-F', o.configFile);
  if (o.identityFile) args.push('-i', o.identityFile);
  args.push(
    '-o',
    `BatchMode=${o.batchMode ? 'yes' : 'no'}`,
    '-o',
    `ConnectTimeout=${o.connectTimeoutSeconds ?? 15}`,
    // Connection loss is noticed within ~6 s even when no data flows (until-stopped captures).
    '-o',
    'ServerAliveInterval=2',
    '-o',
    'ServerAliveCountMax=3',
    '-o',
    'LogLevel=ERROR',
    ...extra,
  );
  if (t.port) args.push('-p', String(t.port));
  if (t.user) args.push('-l', t.user);
  return args;
}

function env(o: SshOptions): NodeJS.ProcessEnv {
  return { ...process.env, ...o.env };
}

function parseFingerprints(text: string): string[] {
  return [...text.matchAll(/SHA256:[A-Za-z0-9+/=]+/g)].map((m) => m[0]);
}

/** The effective ssh settings for the target (`ssh -G`): known-hosts files, host name, port. */
async function sshG(t: SshTarget, o: SshOptions): Promise<Map<string, string>> {
  const argv = [...baseArgs(t, o, []), '-G', '--', t.host];
  o.log?.(commandLine(argv));
  const r = await runProcess(argv, { env: env(o) });
  const m = new Map<string, string>();
  for (const line of r.stdout.split('\n')) {
    const i = line.indexOf(' ');
    if (i > 0 && !m.has(line.slice(0, i))) m.set(line.slice(0, i), line.slice(i + 1));
  }
  return m;
}

/**
 * Checks the host key with StrictHostKeyChecking=yes and no authentication at all
 * (PreferredAuthentications=none), so nothing is sent and nothing is asked: a known key ends in
 * "Permission denied" (or success), an unknown or changed one in OpenSSH's refusal.
 */
export async function checkHostKey(t: SshTarget, o: SshOptions): Promise<HostKeyStatus> {
  const argv = [
    ...baseArgs(t, { ...o, batchMode: true }, [
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'PreferredAuthentications=none',
    ]),
    '--',
    t.host,
    'true',
  ];
  o.log?.(commandLine(argv));
  const r = await runProcess(argv, { env: env(o) });
  const err = r.stderr;
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(err)) {
    const fp = parseFingerprints(err)[0] ?? '(fingerprint not printed)';
    return {
      kind: 'changed',
      fingerprint: fp,
      message: `the host key of ${targetLabel(t)} has CHANGED (now ${fp}): this could be an attack (man in the middle) or a reinstalled host. Refusing to connect; if the change is expected, remove the old key with ssh-keygen -R.`,
    };
  }
  if (/No .* host key is known for|Host key verification failed/i.test(err)) return learnUnknownKey(t, o);
  if (r.code === 0 || /Permission denied/i.test(err)) return { kind: 'known' };
  return {
    kind: 'unreachable',
    message: `cannot reach ${targetLabel(t)}: ${err.trim().split('\n').pop() ?? `ssh exited ${r.code}`}`,
  };
}

/** Fetches an unknown host's key (accept-new into a throwaway known_hosts) so it can be shown. */
async function learnUnknownKey(t: SshTarget, o: SshOptions): Promise<HostKeyStatus> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'xdp-lab-hostkey-'));
  try {
    const file = path.join(dir, 'known_hosts');
    const argv = [
      ...baseArgs(t, { ...o, batchMode: true }, [
        '-o',
        `UserKnownHostsFile=${file}`,
        '-o',
        'GlobalKnownHostsFile=/dev/null',
        '-o',
        'StrictHostKeyChecking=accept-new',
        '-o',
        'PreferredAuthentications=none',
      ]),
      '--',
      t.host,
      'true',
    ];
    o.log?.(commandLine(argv));
    await runProcess(argv, { env: env(o) });
    const keyLines = await readFile(file, 'utf8').catch(() => '');
    if (!keyLines.trim())
      return { kind: 'unreachable', message: `could not read the host key of ${targetLabel(t)}` };
    const fpr = await runProcess(['ssh-keygen', '-l', '-f', file]);
    return { kind: 'unknown', fingerprints: parseFingerprints(fpr.stdout), keyLines };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Adds a key the user accepted to the first UserKnownHostsFile ssh uses for this host. */
export async function acceptHostKey(t: SshTarget, o: SshOptions, keyLines: string): Promise<string> {
  const g = await sshG(t, o);
  const first = (g.get('userknownhostsfile') ?? '~/.ssh/known_hosts').split(/\s+/)[0] as string;
  const file = first.startsWith('~/') ? path.join(os.homedir(), first.slice(2)) : first;
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  await appendFile(file, keyLines.endsWith('\n') ? keyLines : keyLines + '\n', { mode: 0o600 });
  return file;
}

export interface RemoteRun {
  readonly process: RunningProcess;
  /** The command line as run (also given to the log). */
  readonly commandLine: string;
}

/**
 * Runs a POSIX sh script on the host (`sh -c SCRIPT`), after the host key was verified: from here on
 * StrictHostKeyChecking=yes makes OpenSSH refuse any key change. `vars` become quoted assignments
 * before the script (the only way a value reaches the remote shell).
 */
export function startRemoteScript(
  t: SshTarget,
  o: SshOptions,
  script: string,
  run: {
    vars?: Record<string, string>;
    signal?: AbortSignal;
    onStdoutLine?: (line: string) => void;
    onStderrLine?: (line: string) => void;
    keepStdinOpen?: boolean;
    collectStdout?: boolean;
    /** Text for the remote script's stdin (e.g. a file, base64-encoded). */
    stdin?: string;
  } = {},
): RemoteRun {
  const assigns = Object.entries(run.vars ?? {}).map(([k, v]) => {
    if (!/^[A-Z_][A-Z0-9_]*$/.test(k)) throw new Error(`invalid remote variable name ${k}`);
    return `${k}=${shQuote(v)}`;
  });
  const remote = `sh -c ${shQuote((assigns.length ? assigns.join('\n') + '\n' : '') + script)}`;
  const multiplex = o.controlPath
    ? [
        '-o',
        'ControlMaster=auto',
        '-o',
        `ControlPath=${o.controlPath}`,
        '-o',
        `ControlPersist=${o.controlPersistSeconds ?? 120}`,
      ]
    : [];
  const argv = [
    ...baseArgs(t, o, ['-o', 'StrictHostKeyChecking=yes', '-T', ...multiplex]),
    '--',
    t.host,
    remote,
  ];
  const line = commandLine(argv);
  o.log?.(line);
  const proc = startProcess(argv, {
    env: env(o),
    ...(run.signal ? { signal: run.signal } : {}),
    ...(run.onStdoutLine ? { onStdoutLine: run.onStdoutLine } : {}),
    ...(run.onStderrLine ? { onStderrLine: run.onStderrLine } : {}),
    ...(run.stdin !== undefined ? { stdin: run.stdin } : {}),
    keepStdinOpen: run.keepStdinOpen ?? false,
    collectStdout: run.collectStdout ?? true,
  });
  return { process: proc, commandLine: line };
}

export function runRemoteScript(
  t: SshTarget,
  o: SshOptions,
  script: string,
  run: { vars?: Record<string, string>; signal?: AbortSignal; stdin?: string } = {},
): Promise<ProcessResult> {
  return startRemoteScript(t, o, script, run).process.done;
}

/** ssh exits 255 for its own errors (auth, connection); the last stderr line says which. */
export function sshFailure(r: ProcessResult, t: SshTarget): string | undefined {
  if (r.code !== 255) return undefined;
  const last = r.stderr.trim().split('\n').filter(Boolean).pop() ?? 'connection failed';
  if (/Permission denied/i.test(last)) return `authentication to ${targetLabel(t)} failed (${last})`;
  return `ssh to ${targetLabel(t)} failed: ${last}`;
}
