// The machine-wide kernel-lab lock: tracepoints are global, so two kernel test files (or another
// engineer's bpftrace) running at once would count each other's frames. flock(1) on one file.
import { spawn } from 'node:child_process';
import fs from 'node:fs';

export const KERNEL_LOCK_FILE = '/tmp/xdp-lab-kernel.lock';

/** Holds the lock until release() or until this process exits (the holder child then sees EOF). */
export interface KernelLock {
  /** Ends the holder and resolves once flock(1) has exited, i.e. once the lock is free again: a
   * caller that blocks synchronously on the lock next (spawnSync of `flock`) must await it, or it
   * waits on its own lock (closing the pipe only queues the EOF on this process's event loop). */
  release(): Promise<void>;
}

/** Waits (up to `timeoutMs`, default 15 min) for the kernel lock. Re-entrant with respect to
 * ancestors: under `flock /tmp/xdp-lab-kernel.lock npm run test:kernel` it returns at once
 * instead of deadlocking against its own parent. */
export async function acquireKernelLock(timeoutMs = 15 * 60_000): Promise<KernelLock> {
  fs.closeSync(fs.openSync(KERNEL_LOCK_FILE, 'a'));
  if (heldByAncestor()) return { release: () => Promise.resolve() };
  const holder = spawn(
    'flock',
    [
      '-w',
      String(Math.ceil(timeoutMs / 1000)),
      KERNEL_LOCK_FILE,
      'sh',
      '-c',
      'echo locked; exec cat >/dev/null',
    ],
    {
      stdio: ['pipe', 'pipe', 'pipe'],
    },
  );
  let stderr = '';
  holder.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  await new Promise<void>((resolve, reject) => {
    holder.stdout.on('data', (d: Buffer) => {
      if (d.toString().includes('locked')) resolve();
    });
    holder.on('exit', (code) =>
      reject(
        new Error(`could not take ${KERNEL_LOCK_FILE} (flock exit ${code}): ${stderr.trim() || 'timed out'}`),
      ),
    );
  });
  holder.unref();
  (holder.stdout as unknown as { unref?: () => void }).unref?.();
  const exited = new Promise<void>((resolve) => {
    if (holder.exitCode !== null || holder.signalCode !== null) resolve();
    else holder.once('exit', () => resolve());
  });
  return {
    release: () => {
      // Referenced again: a caller awaiting the exit must keep the event loop alive until it comes
      // (an unreferenced child's exit would let the process end with the await still pending).
      holder.ref();
      holder.stdin.end();
      return exited;
    },
  };
}

function heldByAncestor(): boolean {
  const ino = fs.statSync(KERNEL_LOCK_FILE).ino;
  const holders = new Set<number>();
  for (const line of fs.readFileSync('/proc/locks', 'utf8').split('\n')) {
    // "1: FLOCK  ADVISORY  WRITE 4242 fd:01:1234567 0 EOF" ("->" marks waiters, not holders)
    const m = /^\d+:\s+FLOCK\s+\S+\s+\S+\s+(\d+)\s+[0-9a-f]+:[0-9a-f]+:(\d+)\s/.exec(line);
    if (m && Number(m[2]) === ino) holders.add(Number(m[1]));
  }
  if (!holders.size) return false;
  for (let pid = process.pid; pid > 1;) {
    if (holders.has(pid)) return true;
    let stat: string;
    try {
      stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      return false;
    }
    // the comm field may hold spaces and parentheses: ppid is the 2nd field after the last ')'
    pid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
  }
  return false;
}
