// Running system commands for the kernel lab: argv arrays only (never a shell string), and errors
// that name the command, its exit status and its stderr so a failing kernel test says why.
import { spawnSync } from 'node:child_process';

/** A command that exited non-zero (or could not start); the message holds argv and stderr. */
export class CommandError extends Error {
  constructor(
    readonly argv: readonly string[],
    readonly status: number | null,
    readonly stdout: string,
    readonly stderr: string,
  ) {
    super(
      `command failed (${status === null ? 'did not start or was killed' : `exit ${status}`}): ${argv.join(' ')}\n${stderr.trim() || stdout.trim()}`,
    );
    this.name = 'CommandError';
  }
}

export interface RunOptions {
  /** Bytes or text written to the command's stdin. */
  input?: string | Uint8Array;
  /** Do not throw on a non-zero exit; the caller inspects `status`. */
  allowFailure?: boolean;
  /** Milliseconds before the command is killed (default 60 s): a hung tool must not hang the tier. */
  timeoutMs?: number;
}

export interface RunResult {
  status: number | null;
  stdout: string;
  stderr: string;
}

/** Runs argv synchronously; throws CommandError on failure unless `allowFailure`. */
export function run(argv: readonly string[], opts: RunOptions = {}): RunResult {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('run(): empty argv');
  const r = spawnSync(cmd, args, {
    input: opts.input,
    encoding: 'utf8',
    timeout: opts.timeoutMs ?? 60_000,
    maxBuffer: 1 << 26,
  });
  const res = {
    status: r.status,
    stdout: r.stdout ?? '',
    stderr: (r.stderr ?? '') + (r.error ? String(r.error) : ''),
  };
  if (!opts.allowFailure && res.status !== 0)
    throw new CommandError(argv, res.status, res.stdout, res.stderr);
  return res;
}

/** argv prefix that runs a command inside network namespace `ns` without remounting /sys
 * (`ip netns exec` would hide /sys/fs/bpf — see kernel-lab.md "Real redirect on veth pairs"). */
export function inNetns(ns: string | undefined, argv: readonly string[]): string[] {
  return ns ? ['nsenter', `--net=/run/netns/${ns}`, ...argv] : [...argv];
}

/** True when `tool` is on PATH. */
export function hasTool(tool: string): boolean {
  return run(['sh', '-c', 'command -v "$1"', 'sh', tool], { allowFailure: true }).status === 0;
}
