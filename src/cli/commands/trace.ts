// `xdp-lab trace` (../shared/specs/cli.md): a tracepoint capture on a remote host over SSH, printed
// in the summary shape of `xdp-lab simulate`. Host keys are verified before anything is sent; Ctrl+C
// or a lost connection stops the remote capture and prints what was captured (exit 1).
import { writeFile } from 'node:fs/promises';
import type { CaptureFile } from '../../core/trace/captureFile';
import { ratesBetween, type BpftraceSnapshot, type RateRow } from '../../core/trace/bpftraceCapture';
import { deviceNames } from '../../core/trace/hostProbe';
import { errnoByName } from '../../core/trace/errnos';
import { tracepointRows, type XdpSummary } from '../../core/trace/summary';
import { formatEvent } from '../../core/trace/tracepoints';
import { CaptureError, probeHost, runCapture, type CaptureTool } from '../../node/ssh/remoteCapture';
import type { SshOptions } from '../../node/ssh/sshSession';
import { parseSshTarget, targetLabel } from '../../node/ssh/sshTarget';
import { intOption, parseArgs, stringOption } from '../args';
import { CliError, usageError } from '../cliError';
import type { CliCommand, CliIo } from '../command';
import { ensureHostKey, sshOptionSpec, sshOptionsOf } from '../sshArgs';

const usage = `xdp-lab trace --host [USER@]HOST[:PORT] [--identity FILE] [--tool bpftrace|perf] [--duration S] [--json]
xdp-lab trace --hosts H1,H2,… [same options]
  --host H                 user@host:port, or a Host alias of ~/.ssh/config (HostName, User, Port,
                           IdentityFile, ProxyJump are honoured: the system ssh client reads them)
  --hosts LIST             a fleet: the same capture on every host at once (comma-separated, repeatable;
                           an item with * or ? takes every matching Host of the ssh config). One host
                           failing does not stop the others; prints the merged counts and a column per
                           host (--json: {"merged": …, "hosts": {H: …}}); --save DIR writes one
                           <host>.xdpcapture.json each
  --identity FILE          private key (ssh -i)
  --ssh-config FILE        ssh config to use instead of ~/.ssh/config (ssh -F)
  --tool bpftrace|perf     bpftrace counts (default) or perf record + perf script events
  --duration S             seconds to capture (default 10; 0 = until Ctrl+C)
  --device NAME            only events of this device (repeatable; checked against the host's devices)
  --event xdp:NAME         perf: record only this tracepoint (repeatable; checked against the host)
  --sudo                   use 'sudo -n' when the remote user is not root
  --accept-new-host-key    add an unknown host key to known_hosts (as OpenSSH's accept-new)
  --save FILE              also write the capture as FILE (.xdpcapture.json)
  --events-out FILE        perf: write every event, one 'xdp:NAME: fields' line each
  --rates                  print per-second rates (per CPU, errors by errno) to stderr, like xdp-monitor
  --verbose                log every ssh command line to stderr
  --json                   print one JSON document: {"kernel", "tracepoints", "errno", "devmapXmit", …}
exit: 0 complete; 1 stopped or connection lost (what was captured is printed) — with --hosts, also when
any host failed; 2 bad usage, host key refused, or the host cannot trace`;

/** One xdp-monitor-like block: events per second per tracepoint and CPU, new errors by errno. */
export function formatRates(
  rows: RateRow[],
  prev: BpftraceSnapshot | undefined,
  cur: BpftraceSnapshot,
): string {
  const out = [`xdp-lab: [${cur.tick}s] rates`];
  for (const r of rows) {
    if (!r.perSecond) continue;
    const cpus = Object.entries(r.perCpu)
      .filter(([, v]) => v)
      .map(([c, v]) => `cpu${c} ${v.toFixed(0)}`)
      .join(', ');
    out.push(`  ${r.name.padEnd(28)} ${r.perSecond.toFixed(0).padStart(9)}/s${cpus ? `  (${cpus})` : ''}`);
  }
  for (const [tp, hist] of Object.entries(cur.summary.errno))
    for (const [e, n] of Object.entries(hist)) {
      const d = n - (prev?.summary.errno[tp]?.[e] ?? 0);
      if (d) out.push(`  ${tp} ${e}: ${d}/s`);
    }
  const xmits =
    (cur.summary.tracepoints['xdp:xdp_devmap_xmit'] ?? 0) -
    (prev?.summary.tracepoints['xdp:xdp_devmap_xmit'] ?? 0);
  const sent = cur.summary.devmapXmit.sent - (prev?.summary.devmapXmit.sent ?? 0);
  if (xmits) out.push(`  devmap bulk average: ${(sent / xmits).toFixed(1)} frames per xmit`);
  for (const [act, n] of Object.entries(cur.exceptions)) out.push(`  exceptions ${act}: ${n} total`);
  if (out.length === 1) out.push('  idle');
  return out.join('\n') + '\n';
}

export function humanPrograms(c: CaptureFile): string {
  const rows = Object.entries(c.programs ?? {});
  if (!rows.length) return '';
  const out = ['', 'programs:'];
  for (const [id, p] of rows) {
    const extra = [
      ...Object.entries(p.errors).map(([k, v]) => `${k}×${v}`),
      ...Object.entries(p.exceptions).map(([k, v]) => `${k}×${v}`),
    ].join(' ');
    out.push(
      `  ${id} ${JSON.stringify(c.programNames?.[id] ?? '?')}: redirected ${p.redirects}${extra ? `, ${extra}` : ''}`,
    );
  }
  return out.join('\n') + '\n';
}

export function humanSummary(s: XdpSummary, names: Record<number, string>): string {
  const out: string[] = [`kernel ${s.kernel ?? '?'}`, '', 'tracepoint                       events'];
  for (const r of tracepointRows(s))
    if (r.count || s.tracepoints[r.name] !== undefined) out.push(`${r.name.padEnd(32)} ${r.count}`);
  for (const [tp, hist] of Object.entries(s.errno)) {
    out.push('', `errors of ${tp}:`);
    for (const [name, n] of Object.entries(hist)) {
      const info = errnoByName(name);
      out.push(`  ${name} × ${n}${info ? ` — ${info.meaning}. Fix: ${info.fix}` : ''}`);
    }
  }
  out.push('', `devmap xmit: sent ${s.devmapXmit.sent}, drops ${s.devmapXmit.drops}`);
  if (s.cpumap.enqueue.processed || s.cpumap.kthread.processed)
    out.push(
      `cpumap: enqueue processed ${s.cpumap.enqueue.processed} drops ${s.cpumap.enqueue.drops}; kthread processed ${s.cpumap.kthread.processed} drops ${s.cpumap.kthread.drops}`,
    );
  const flows = Object.values(s.flows);
  if (flows.length) {
    out.push('', 'flows:');
    for (const f of flows) {
      const n = (i: number): string => `${JSON.stringify(names[i] ?? '?')}(${i})`;
      const errs = Object.entries(f.errors)
        .map(([k, v]) => `${k}×${v}`)
        .join(' ');
      out.push(
        `  ${n(f.ifindex)} → ${n(f.to_ifindex)}: redirected ${f.redirects}, sent ${f.sent}, drops ${f.drops}${errs ? `, errors ${errs}` : ''}`,
      );
    }
  }
  return out.join('\n') + '\n';
}

/** What every host of one `trace` run shares. */
export interface TraceSettings {
  tool: CaptureTool;
  duration: number;
  ssh: SshOptions;
  sudo: boolean;
  acceptNewHostKey: boolean;
  events: string[];
  devices: string[];
  rates: boolean;
}

/** One host's capture: the file `--save` writes and what the summary printers need. */
export interface HostCapture {
  hostText: string;
  label: string;
  file: CaptureFile;
  names: Record<number, string>;
  result: Awaited<ReturnType<typeof runCapture>>;
}

/**
 * Captures on one host: verifies its key, probes it, runs the capture. Throws CliError (exit 2) for
 * a refused key, an unreachable host or one that cannot trace; `log` gets the progress lines.
 */
export async function captureHost(
  hostText: string,
  set: TraceSettings,
  log: (line: string) => void,
  signal: AbortSignal,
): Promise<HostCapture> {
  const target = parseSshTarget(hostText);
  if (typeof target === 'string') throw usageError(hostText, target);
  const label = targetLabel(target);
  const { ssh, tool, duration } = set;
  await ensureHostKey(target, ssh, set.acceptNewHostKey, log);

  let probe;
  try {
    probe = await probeHost(target, ssh, set.sudo, signal);
  } catch (e) {
    if (e instanceof CaptureError) throw new CliError(2, label, e.message);
    throw e;
  }
  log(
    `${label}: kernel ${probe.kernel}, user ${probe.user}, ${probe.bpftrace?.version ?? 'bpftrace missing'}, ${probe.perf?.version ?? 'perf missing'}, ${probe.tracepoints.length} xdp tracepoints`,
  );
  const startedAt = new Date();
  let prev: BpftraceSnapshot | undefined;
  let result;
  try {
    result = await runCapture(target, ssh, probe, {
      tool,
      durationSeconds: duration,
      events: set.events,
      devices: set.devices,
      signal,
      onAttached: () =>
        log(`capturing with ${tool} on ${label}${duration ? ` for ${duration} s` : ' until Ctrl+C'}`),
      onSnapshot: (snap) => {
        if (set.rates) {
          log(
            formatRates(ratesBetween(prev, snap, 1), prev, snap)
              .replace(/^xdp-lab: /, '')
              .trimEnd(),
          );
          prev = snap;
          return;
        }
        const counts = Object.entries(snap.summary.tracepoints)
          .map(([k, v]) => `${k}=${v}`)
          .join(' ');
        log(`[${snap.tick}s] ${counts || 'no events yet'}`);
      },
    });
  } catch (e) {
    if (e instanceof CaptureError) throw new CliError(2, label, e.message);
    throw e;
  }
  for (const err of result.parseErrors.slice(0, 10)) log(err);
  const names = deviceNames(probe);
  const file: CaptureFile = {
    format: 'xdp-lab-capture',
    version: 1,
    host: hostText,
    tool,
    kernel: probe.kernel,
    startedAt: startedAt.toISOString(),
    durationSeconds: (Date.now() - startedAt.getTime()) / 1000,
    status: result.status,
    ...(result.message ? { message: result.message } : {}),
    summary: result.summary,
    devices: Object.fromEntries(Object.entries(names)),
    programs: result.programs,
    programNames: Object.fromEntries(probe.programs.map((p) => [String(p.id), p.name])),
    ...(tool === 'perf' ? { events: result.events.map(formatEvent) } : {}),
  };
  return { hostText, label, file, names, result };
}

/** The `--json` document of one host (cli.md: the summary's shape plus host, tool, status, …). */
export function hostJson(c: HostCapture): Record<string, unknown> {
  const { kernel: _k, ...rest } = c.result.summary;
  return {
    kernel: c.file.kernel,
    ...rest,
    host: c.hostText,
    tool: c.file.tool,
    status: c.result.status,
    devicesByIfindex: c.file.devices,
    programs: c.result.programs,
    programNames: c.file.programNames,
  };
}

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(
    argv,
    {
      ...sshOptionSpec,
      host: 'string',
      hosts: 'string[]',
      tool: 'string',
      duration: 'string',
      device: 'string[]',
      event: 'string[]',
      save: 'string',
      'events-out': 'string',
      rates: 'boolean',
      json: 'boolean',
    },
    'trace',
  );
  if (args.positionals.length) throw usageError('trace', `unexpected argument '${args.positionals[0]}'`);
  const hostText = stringOption(args, 'host');
  const fleet = args.options.get('hosts') as string[] | undefined;
  if (!hostText && !fleet) throw usageError('trace', '--host (or --hosts for several) is required');
  if (hostText && fleet) throw usageError('trace', 'give --host or --hosts, not both');
  const tool = (stringOption(args, 'tool') ?? 'bpftrace') as CaptureTool;
  if (tool !== 'bpftrace' && tool !== 'perf')
    throw usageError('trace', `--tool must be bpftrace or perf, got '${String(tool)}'`);
  const duration = intOption(args, 'duration', 'trace', 0) ?? 10;
  const json = args.options.get('json') === true;
  const config = stringOption(args, 'ssh-config');
  const rates = args.options.get('rates') === true;
  if (rates && tool !== 'bpftrace') throw usageError('trace', '--rates needs --tool bpftrace');
  const settings: TraceSettings = {
    tool,
    duration,
    sudo: args.options.get('sudo') === true,
    acceptNewHostKey: args.options.get('accept-new-host-key') === true,
    events: (args.options.get('event') as string[] | undefined) ?? [],
    devices: (args.options.get('device') as string[] | undefined) ?? [],
    rates,
    ssh: sshOptionsOf(args, io),
  };
  if (fleet) {
    const { runFleet } = await import('./traceFleet');
    return runFleet(fleet, settings, config, args, io);
  }

  const c = await captureHost(
    hostText as string,
    settings,
    (line) => io.stderr(`xdp-lab: ${line}\n`),
    io.signal,
  );
  const { result, file, label } = c;
  const save = stringOption(args, 'save');
  if (save) await writeFile(save, JSON.stringify(file, null, 1) + '\n');
  const eventsOut = stringOption(args, 'events-out');
  if (eventsOut) await writeFile(eventsOut, result.events.map((e) => formatEvent(e) + '\n').join(''));
  if (json) io.stdout(JSON.stringify(hostJson(c), null, 2) + '\n');
  else io.stdout(humanSummary(result.summary, c.names) + humanPrograms(file));
  if (result.status === 'failed') throw new CliError(1, label, result.message ?? 'capture failed');
  if (result.status !== 'complete') {
    io.stderr(`xdp-lab: ${label} : ${result.message ?? result.status}\n`);
    return 1;
  }
  return 0;
}

export const traceCommand: CliCommand = {
  name: 'trace',
  summary: 'Capture xdp:* tracepoints on a remote host over SSH (bpftrace or perf)',
  usage,
  run,
};
