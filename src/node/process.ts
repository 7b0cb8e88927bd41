// Child processes for every Node shell: argv arrays only (never a shell), output streamed line by
// line, and cancellation through an AbortSignal that kills the whole process group (house style
// "Processes"), so an ssh client and anything it started locally die together.
import { spawn } from 'node:child_process';

export interface SpawnOptions {
  readonly signal?: AbortSignal;
  readonly env?: NodeJS.ProcessEnv;
  readonly cwd?: string;
  /** Text written to stdin; the pipe stays open when `keepStdinOpen` (a remote watchdog reads it). */
  readonly stdin?: string;
  readonly keepStdinOpen?: boolean;
  /** Called for each complete stdout line (without the newline). */
  readonly onStdoutLine?: (line: string) => void;
  readonly onStderrLine?: (line: string) => void;
  /** Keep stdout in ProcessResult.stdout (default true); a streamed capture turns it off. */
  readonly collectStdout?: boolean;
  /** Milliseconds between SIGTERM and SIGKILL of the group on abort. */
  readonly killGraceMs?: number;
}

export interface ProcessResult {
  /** Exit code, or null when killed by a signal. */
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
  /** True when the AbortSignal fired before the process ended. */
  readonly aborted: boolean;
}

export interface RunningProcess {
  readonly pid: number | undefined;
  readonly done: Promise<ProcessResult>;
  /** Closes stdin: the polite way to ask a process that watches stdin to finish. */
  closeStdin(): void;
}

function lineSplitter(onLine: ((line: string) => void) | undefined): {
  push(chunk: string): void;
  end(): void;
} {
  let rest = '';
  return {
    push(chunk) {
      if (!onLine) return;
      rest += chunk;
      let i: number;
      while ((i = rest.indexOf('\n')) >= 0) {
        onLine(rest.slice(0, i));
        rest = rest.slice(i + 1);
      }
    },
    end() {
      if (onLine && rest.length) onLine(rest);
      rest = '';
    },
  };
}

/** Starts `argv` in its own process group. Rejects only when the program cannot be started. */
export function startProcess(argv: readonly string[], options: SpawnOptions = {}): RunningProcess {
  const [file, ...args] = argv;
  if (!file) throw new Error('startProcess: empty argv');
  const child = spawn(file, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    detached: true, // its own process group, so abort kills everything it started
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  let aborted = false;
  const out = lineSplitter(options.onStdoutLine);
  const err = lineSplitter(options.onStderrLine);
  child.stdout.setEncoding('utf8');
  child.stderr.setEncoding('utf8');
  const collect = options.collectStdout ?? true;
  child.stdout.on('data', (d: string) => {
    if (collect) stdout += d;
    out.push(d);
  });
  child.stderr.on('data', (d: string) => {
    stderr += d;
    err.push(d);
  });
  child.stdin.on('error', () => undefined); // EPIPE when the child exits first
  if (options.stdin !== undefined) child.stdin.write(options.stdin);
  if (!options.keepStdinOpen) child.stdin.end();

  let killTimer: NodeJS.Timeout | undefined;
  const killGroup = (sig: NodeJS.Signals): void => {
    if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    try {
      process.kill(-child.pid, sig);
    } catch {
      // already gone
    }
  };
  const onAbort = (): void => {
    aborted = true;
    killGroup('SIGTERM');
    killTimer = setTimeout(() => killGroup('SIGKILL'), options.killGraceMs ?? 2000);
    killTimer.unref();
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });

  const done = new Promise<ProcessResult>((resolve, reject) => {
    child.on('error', (e) => {
      options.signal?.removeEventListener('abort', onAbort);
      reject(e);
    });
    child.on('close', (code, signal) => {
      options.signal?.removeEventListener('abort', onAbort);
      if (killTimer) clearTimeout(killTimer);
      out.end();
      err.end();
      resolve({ code, signal, stdout, stderr, aborted });
    });
  });
  return {
    pid: child.pid,
    done,
    closeStdin: () => {
      if (!child.stdin.destroyed) child.stdin.end();
    },
  };
}

/** Runs `argv` to completion and returns its output. */
export function runProcess(argv: readonly string[], options: SpawnOptions = {}): Promise<ProcessResult> {
  return startProcess(argv, options).done;
}
