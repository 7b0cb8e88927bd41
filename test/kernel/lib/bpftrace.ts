// bpftrace captures for kernel tests: start a script in JSON mode, wait for its attached_probes
// line (never a fixed sleep), stop it with SIGINT and return the maps it prints on exit.
import { spawn, type ChildProcess } from 'node:child_process';
import { killGroup, type Lab } from './lab';

export interface BpftraceResult {
  /** Every map printed (the last print of each wins), e.g. { '@exc': { '6002': 5 } }. */
  maps: Record<string, unknown>;
  /** Every JSON line bpftrace printed, in order (printf lines have type "printf"). */
  lines: { type: string; data?: unknown }[];
  stderr: string;
}

export class BpftraceCapture {
  private readonly lines: { type: string; data?: unknown }[] = [];
  private stderr = '';
  private readonly exited: Promise<number | null>;

  private constructor(private readonly child: ChildProcess) {
    let buf = '';
    child.stdout!.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl).trim();
        buf = buf.slice(nl + 1);
        if (!line) continue;
        try {
          this.lines.push(JSON.parse(line) as { type: string; data?: unknown });
        } catch {
          this.lines.push({ type: 'text', data: line });
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => (this.stderr += d.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }

  /** The bpftrace process id (its process group leader). */
  get pid(): number | undefined {
    return this.child.pid;
  }

  /** Starts `bpftrace -f json -e script` and resolves once its probes are attached. The process
   * is registered with `lab` (killed on dispose). Rejects with bpftrace's stderr if it fails. */
  static async start(script: string, lab?: Lab, timeoutMs = 60_000): Promise<BpftraceCapture> {
    const child = spawn('bpftrace', ['-f', 'json', '-e', script], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    lab?.track(child);
    const cap = new BpftraceCapture(child);
    const started = Date.now();
    await new Promise<void>((resolve, reject) => {
      const timer = setInterval(() => {
        if (cap.lines.some((l) => l.type === 'attached_probes')) {
          clearInterval(timer);
          resolve();
        } else if (child.exitCode !== null || child.signalCode !== null || Date.now() - started > timeoutMs) {
          clearInterval(timer);
          killGroup(child);
          reject(new Error(`bpftrace did not attach its probes:\n${cap.stderr.trim()}\nscript: ${script}`));
        }
      }, 10);
    });
    return cap;
  }

  /** Stops bpftrace (SIGINT: it prints its maps and exits) and returns what it printed. */
  async stop(timeoutMs = 30_000): Promise<BpftraceResult> {
    if (this.child.exitCode === null) this.child.kill('SIGINT');
    const timer = setTimeout(() => killGroup(this.child), timeoutMs);
    await this.exited;
    clearTimeout(timer);
    const maps: Record<string, unknown> = {};
    for (const l of this.lines)
      if (l.type === 'map' && l.data && typeof l.data === 'object') Object.assign(maps, l.data);
    return { maps, lines: this.lines, stderr: this.stderr };
  }
}

export interface XdpCountFilter {
  /** Count only events of this program (probes with prog_id). */
  progId?: number;
  /** Count only events on these ifindexes (ifindex, or from_ifindex for xdp_devmap_xmit). */
  ifindexes?: readonly number[];
}

/** A bpftrace script counting xdp_exception, xdp_redirect, xdp_redirect_err and xdp_devmap_xmit
 * events into @events[probe name], filtered by prog id / ifindex so other tests' frames are not
 * counted; also @err[-err] for redirect errors and @sent/@drops for devmap transmits. */
export function xdpCountScript(f: XdpCountFilter = {}): string {
  const cond = (ifField: string, withProg: boolean): string => {
    const parts: string[] = [];
    if (withProg && f.progId !== undefined) parts.push(`args->prog_id == ${f.progId}`);
    if (f.ifindexes?.length)
      parts.push(`(${f.ifindexes.map((i) => `args->${ifField} == ${i}`).join(' || ')})`);
    return parts.length ? `/${parts.join(' && ')}/` : '';
  };
  return [
    `tracepoint:xdp:xdp_exception ${cond('ifindex', true)} { @events[probe] = count(); }`,
    `tracepoint:xdp:xdp_redirect ${cond('ifindex', true)} { @events[probe] = count(); }`,
    `tracepoint:xdp:xdp_redirect_err ${cond('ifindex', true)} { @events[probe] = count(); @err[-args->err] = count(); }`,
    `tracepoint:xdp:xdp_devmap_xmit ${cond('from_ifindex', false)} { @events[probe] = count(); @sent = sum(args->sent); @drops = sum(args->drops); }`,
  ].join('\n');
}
