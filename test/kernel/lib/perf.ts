// perf captures for kernel tests: `perf record -a` started with events disabled and enabled
// through its --control FIFO, so "recording" is acknowledged by perf itself (no fixed sleep);
// stop() sends SIGINT and returns `perf script` lines, parsed into fields.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { run } from './exec';
import { killGroup, type Lab } from './lab';

export interface PerfEvent {
  comm: string;
  pid: number;
  cpu: number;
  time: number;
  /** e.g. 'xdp:xdp_redirect' */
  event: string;
  /** key=value pairs of the event text, e.g. { prog_id: '130', action: 'REDIRECT' } */
  fields: Record<string, string>;
  line: string;
}

/** Parses one `perf script` line: `ping 4946 [001] 4241.740879: xdp:xdp_redirect: prog_id=130 …`. */
export function parsePerfScriptLine(line: string): PerfEvent | undefined {
  const m = /^\s*(.+?)\s+(\d+)\s+\[(\d+)\]\s+([\d.]+):\s+(\S+):\s*(.*)$/.exec(line);
  if (!m) return undefined;
  const fields: Record<string, string> = {};
  for (const kv of m[6]!.matchAll(/(\w+)=(\S+)/g)) fields[kv[1]!] = kv[2]!;
  return {
    comm: m[1]!,
    pid: Number(m[2]),
    cpu: Number(m[3]),
    time: Number(m[4]),
    event: m[5]!,
    fields,
    line,
  };
}

export class PerfCapture {
  private stderr = '';
  private readonly exited: Promise<number | null>;

  private constructor(
    private readonly child: ChildProcess,
    private readonly dataFile: string,
  ) {
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** The perf process id (its process group leader). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Starts `perf record -a -e E…` writing into `dir` (e.g. lab.tmp) and resolves once perf has
   * acknowledged "enable" on its control FIFO. */
  static async start(events: readonly string[], dir: string, lab?: Lab): Promise<PerfCapture> {
    const ctl = path.join(dir, 'perf-ctl');
    const ack = path.join(dir, 'perf-ack');
    const data = path.join(dir, 'perf.data');
    for (const f of [ctl, ack, data]) fs.rmSync(f, { force: true });
    run(['mkfifo', ctl, ack]);
    const args = [
      'record',
      '-a',
      '-D',
      '-1',
      '--control',
      `fifo:${ctl},${ack}`,
      '-o',
      data,
      ...events.flatMap((e) => ['-e', e]),
    ];
    const child = spawn('perf', args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    lab?.track(child);
    const cap = new PerfCapture(child, data);
    try {
      // O_RDWR / O_NONBLOCK: neither open blocks, so a perf that dies early cannot hang the test.
      const w = fs.openSync(ctl, 'r+');
      const r = fs.openSync(ack, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK);
      try {
        fs.writeSync(w, 'enable\n');
        let got = '';
        while (!got.includes('ack')) {
          if (child.exitCode !== null || child.signalCode !== null)
            throw new Error(`perf record exited before recording: ${cap.stderr.trim()}`);
          const buf = Buffer.alloc(64);
          let n = 0;
          try {
            n = fs.readSync(r, buf);
          } catch (e) {
            if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
          }
          got += buf.subarray(0, n).toString();
          // 0 bytes: perf has not opened its end yet (EOF) — poll the FIFO, not a clock.
          if (n === 0) await new Promise((res) => setTimeout(res, 10));
        }
      } finally {
        fs.closeSync(w);
        fs.closeSync(r);
      }
    } catch (e) {
      killGroup(child);
      throw e;
    }
    return cap;
  }

  /** Stops perf record (SIGINT) and returns the parsed `perf script` events. */
  async stop(timeoutMs = 30_000): Promise<PerfEvent[]> {
    if (this.child.exitCode === null) this.child.kill('SIGINT');
    const timer = setTimeout(() => killGroup(this.child), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    const out = run(['perf', 'script', '-i', this.dataFile]).stdout;
    return out.split('\n').flatMap((l) => parsePerfScriptLine(l) ?? []);
  }
}
