// Remote captures over ssh (issue #7): the capability probe, the bpftrace counts capture (streamed
// every second) and the perf record + perf script capture. Every remote process runs inside one
// wrapper that (1) bounds it with `timeout` on the host, (2) stops it when ssh's stdin closes — the
// user stopped, or the connection dropped — and (3) removes its temporary directory on every exit.
import { BpftraceStream, buildBpftraceScript, type BpftraceSnapshot } from '../../core/trace/bpftraceCapture';
import { cannotCapture, hostProbeScript, parseHostProbe, type HostProbe } from '../../core/trace/hostProbe';
import { addProgramEvent, type ProgramTable } from '../../core/trace/programCounts';
import { emptySummary, summarize, type XdpSummary } from '../../core/trace/summary';
import { type XdpEvent } from '../../core/trace/tracepoints';
import { parsePerfScriptLine, TraceParseError } from '../../core/trace/perfScriptParse';
import { shJoin } from './shellQuote';
import { runRemoteScript, sshFailure, startRemoteScript, type SshOptions } from './sshSession';
import { targetLabel, type SshTarget } from './sshTarget';

/** A capture that cannot start or failed, with a message for the user. */
export class CaptureError extends Error {
  constructor(
    message: string,
    readonly offerPerf = false,
  ) {
    super(message);
  }
}

export async function probeHost(
  t: SshTarget,
  o: SshOptions,
  allowSudo: boolean,
  signal?: AbortSignal,
): Promise<HostProbe> {
  const r = await runRemoteScript(t, o, hostProbeScript, {
    vars: { USE_SUDO: allowSudo ? '1' : '0' },
    ...(signal ? { signal } : {}),
  });
  const failure = sshFailure(r, t);
  if (failure) throw new CaptureError(failure);
  const p = parseHostProbe(r.stdout, allowSudo);
  if (typeof p === 'string') throw new CaptureError(`${targetLabel(t)}: ${p}`);
  return p;
}

export type CaptureTool = 'bpftrace' | 'perf';

export interface CaptureOptions {
  readonly tool: CaptureTool;
  /** Seconds; 0 runs until `signal` fires (bounded on the host by `untilStoppedLimitSeconds`). */
  readonly durationSeconds: number;
  /** perf: the `xdp:*` events to record (default: every one the host has). Checked against the probe. */
  readonly events?: readonly string[];
  /** Device names to restrict the capture to. Checked against the probe; only ifindexes reach the host. */
  readonly devices?: readonly string[];
  /** Aborting stops the capture politely; what was captured so far is returned. */
  readonly signal?: AbortSignal;
  readonly onSnapshot?: (snapshot: BpftraceSnapshot) => void;
  /** Fires once the remote tracer has attached (bpftrace: attached_probes; perf: started). */
  readonly onAttached?: () => void;
  readonly untilStoppedLimitSeconds?: number;
}

export type CaptureStatus = 'complete' | 'stopped' | 'connection-lost' | 'failed';

export interface CaptureResult {
  readonly status: CaptureStatus;
  /** For anything but 'complete', what happened, in words. */
  readonly message?: string;
  readonly summary: XdpSummary;
  /** prog_id → redirects, redirect errors by errno, exceptions by verdict. */
  readonly programs: ProgramTable;
  /** perf captures: the parsed events (with header); bpftrace captures: none. */
  readonly events: XdpEvent[];
  /** Lines that did not parse, each naming its line. */
  readonly parseErrors: readonly string[];
  readonly snapshots: number;
  readonly remoteCommand: string;
}

/** Validates requested names against the probe, so only known names are ever used. */
export function resolveCaptureNames(
  probe: HostProbe,
  opts: Pick<CaptureOptions, 'events' | 'devices'>,
): { events: string[]; ifindexes: number[] } {
  const events = opts.events?.length ? [...opts.events] : [...probe.tracepoints];
  for (const e of events)
    if (!probe.tracepoints.includes(e))
      throw new CaptureError(
        `tracepoint '${e}' does not exist on this host (kernel ${probe.kernel} has: ${probe.tracepoints.join(', ') || 'none'})`,
      );
  const ifindexes: number[] = [];
  for (const d of opts.devices ?? []) {
    const dev = probe.devices.find((x) => x.name === d);
    if (!dev) throw new CaptureError(`device ${JSON.stringify(d)} does not exist on this host`);
    ifindexes.push(dev.ifindex);
  }
  return { events, ifindexes };
}

/**
 * The wrapper around one remote capture command. PREPARE runs first (inside $T); CAPTURE — one simple
 * command, so $! is the tracer's own pid (via sudo/timeout, which relay signals) — runs in the
 * background with stdin from /dev/null; STARTED runs beside it (perf's enable handshake); a watchdog
 * reads ssh's stdin and sends SIGINT to the capture when stdin closes (stop or connection loss),
 * SIGKILL 5 s later; AFTER (perf script) runs once it ended; the EXIT trap removes $T. POSIX sh gives
 * background jobs /dev/null as stdin, hence the explicit fd 3.
 */
function wrapper(parts: { prepare?: string; capture: string; started?: string; after?: string }): string {
  return `T=$(mktemp -d /tmp/xdp-lab.XXXXXX) || { echo 'xdp-lab: mktemp failed on the host' >&2; exit 97; }
trap 'rm -rf "$T"' EXIT
trap 'exit 143' INT TERM HUP PIPE
${parts.prepare ?? ''}
exec 3<&0
${parts.capture} </dev/null &
pid=$!
( cat <&3 >/dev/null 2>&1; kill -INT $pid 2>/dev/null; sleep 5; kill -KILL $pid 2>/dev/null ) >/dev/null 2>&1 &
wd=$!
exec 3<&-
${
  parts.started
    ? `( ${parts.started} ) </dev/null &
st=$!`
    : 'st='
}
wait $pid
rc=$?
kill $wd $st 2>/dev/null
${parts.after ?? ''}
exit $rc
`;
}

/** Printed on stderr by the perf wrapper once perf acknowledged "enable" on its control FIFO. */
const perfRecording = 'xdp-lab: perf recording';

const connectionLost =
  /Connection (?:to .* )?closed|Broken pipe|Timeout, server .* not responding|Connection reset|Connection timed out|client_loop/i;

/** Runs one capture on a probed host. Never throws for a remote failure after start: see status. */
export async function runCapture(
  t: SshTarget,
  o: SshOptions,
  probe: HostProbe,
  opts: CaptureOptions,
): Promise<CaptureResult> {
  const why = cannotCapture(probe, opts.tool);
  if (why) throw new CaptureError(why, opts.tool === 'bpftrace' && !probe.bpftrace && Boolean(probe.perf));
  const { events, ifindexes } = resolveCaptureNames(probe, opts);
  const duration = opts.durationSeconds > 0 ? Math.ceil(opts.durationSeconds) : 0;
  // The tracer measures the duration itself from the moment it is attached (start-up can take
  // seconds); the host-side timeout only bounds the whole run, with room for that start-up.
  const seconds = duration > 0 ? duration + 120 : (opts.untilStoppedLimitSeconds ?? 86_400);
  const sudo = probe.sudoPrefix ? ['sudo', '-n'] : [];
  const timeout = ['timeout', '-s', 'INT', '-k', '5', String(seconds)];
  let remoteScript: string;
  if (opts.tool === 'bpftrace') {
    const script = buildBpftraceScript({ available: events, ifindexes, durationSeconds: duration });
    remoteScript = wrapper({
      capture: shJoin([...sudo, ...timeout, 'bpftrace', '-f', 'json', '-e', script]),
    });
  } else {
    // perf starts disabled (-D -1) and is enabled over its control FIFO; its "ack" tells us (and the
    // user) that recording really started. The FIFOs are opened read-write so no open blocks.
    const perfArgs = [
      'perf',
      'record',
      '-a',
      '-q',
      '-D',
      '-1',
      '--control',
      'CONTROL',
      '-o',
      'PERFDATA',
      ...events.flatMap((e) => ['-e', e]),
    ];
    const sub = (text: string): string =>
      text.replace('PERFDATA', '"$T/perf.data"').replace('CONTROL', 'fifo:"$T/ctl","$T/ack"');
    remoteScript = wrapper({
      prepare: 'mkfifo "$T/ctl" "$T/ack" || exit 97',
      capture: sub(shJoin([...sudo, ...timeout, ...perfArgs])),
      started: `exec 4<>"$T/ctl" 5<>"$T/ack"; echo enable >&4; read -r a <&5; echo ${shJoin([perfRecording])} >&2${
        duration > 0 ? `; sleep ${duration}; kill -INT $pid` : ''
      }`,
      after: sub(shJoin([...sudo, 'perf', 'script', '-i', 'PERFDATA'])),
    });
  }

  const stream = new BpftraceStream();
  const perfEvents: XdpEvent[] = [];
  const parseErrors: string[] = [];
  const stderrLines: string[] = [];
  let snapshots = 0;
  let perfLine = 0;
  let attached = false;
  const onAttached = (): void => {
    if (!attached) {
      attached = true;
      opts.onAttached?.();
    }
  };
  let stopRequested = false;
  const hardKill = new AbortController();
  const run = startRemoteScript(t, o, remoteScript, {
    signal: hardKill.signal,
    keepStdinOpen: true,
    collectStdout: false, // lines are parsed as they arrive; a big perf capture is not kept twice
    onStdoutLine: (line) => {
      if (opts.tool === 'bpftrace') {
        const snap = stream.push(line);
        if (stream.attached) onAttached();
        if (snap) {
          snapshots++;
          opts.onSnapshot?.(snap);
        }
      } else {
        perfLine++;
        if (!line.trim() || /^\s*#/.test(line)) return;
        try {
          perfEvents.push(parsePerfScriptLine(line, perfLine).event);
        } catch (e) {
          if (e instanceof TraceParseError) {
            if (parseErrors.length < 100) parseErrors.push(e.message);
          } else throw e;
        }
      }
    },
    onStderrLine: (line) => {
      if (/RLIMIT_MEMLOCK/.test(line)) return; // harmless bpftrace warning (kernel-lab.md)
      if (line === perfRecording) return onAttached();
      stderrLines.push(line);
    },
  });
  let killTimer: NodeJS.Timeout | undefined;
  const stop = (): void => {
    stopRequested = true;
    run.process.closeStdin();
    // The host needs a moment for bpftrace/perf to flush (perf script may take longer).
    killTimer = setTimeout(() => hardKill.abort(), opts.tool === 'perf' ? 60_000 : 15_000);
  };
  if (opts.signal?.aborted) stop();
  else opts.signal?.addEventListener('abort', stop, { once: true });
  const r = await run.process.done;
  opts.signal?.removeEventListener('abort', stop);
  if (killTimer) clearTimeout(killTimer);

  for (const e of stream.errors) parseErrors.push(e.message);
  const final = opts.tool === 'bpftrace' ? stream.finish() : undefined;
  const summary = final ? final.summary : summarize(perfEvents);
  let programs: ProgramTable = {};
  if (final) programs = final.programs;
  else for (const ev of perfEvents) addProgramEvent(programs, ev);
  summary.kernel = probe.kernel;
  const errText = stderrLines.join('\n').trim();
  let status: CaptureStatus = stopRequested ? 'stopped' : 'complete';
  let message: string | undefined;
  if (r.code === 255 || (r.code === null && !stopRequested)) {
    status = 'connection-lost';
    message = `connection to ${targetLabel(t)} lost during the capture${errText && connectionLost.test(errText) ? ` (${errText.split('\n').pop()})` : ''}; keeping what was captured (the host-side watchdog and timeout stop the tracer)`;
  } else if (!attached) {
    status = 'failed';
    message = `${opts.tool} did not start on ${targetLabel(t)}: ${errText || `exit code ${r.code}`}`;
  }
  if (stopRequested && status === 'stopped')
    message =
      duration > 0
        ? 'capture stopped before its end; the counts cover the time it ran'
        : 'capture stopped; the counts cover the time it ran';
  return {
    status,
    ...(message ? { message } : {}),
    summary: summary ?? emptySummary(),
    programs,
    events: perfEvents,
    parseErrors,
    snapshots,
    remoteCommand: run.commandLine,
  };
}
