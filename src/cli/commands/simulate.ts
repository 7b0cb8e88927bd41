// `xdp-lab simulate SCENARIO.json [--json] [--events FILE] [--pcap-dir DIR] [--result FILE]`
// (../shared/specs/cli.md): runs a scenario through the redirect simulator and prints the summary.
// Events stream to the file as perf-script text while the simulation runs (memory stays flat).
import { closeSync, mkdirSync, openSync, readFileSync, statSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { ScenarioError } from '../../core/scenario/scenarioParse';
import { parseJsonText } from '../../core/jsonText';
import { loadScenario } from '../../core/scenario/scenarioLoad';
import { PcapWriter } from '../../core/packet/pcap';
import { formatEvent } from '../../core/trace/tracepoints';
import {
  Simulation,
  SimulationAborted,
  SimulationSetupError,
  type SimulationProgress,
} from '../../core/xdp/simulation';
import type { SimulationResult } from '../../core/xdp/simulationResult';
import { framesSoFar, PROGRESS_REDRAW_MS, progressText, summaryText } from '../../core/xdp/summaryText';
import {
  compareOutcome,
  FAIL_ON_KINDS,
  formatDifferences,
  outcomeProblems,
  type FailOn,
} from '../../core/xdp/outcomeCheck';
import { kconfigOptionSpec, KCONFIG_USAGE, kernelOptions } from '../kernelOptions';
import { compileBpfC } from '../../node/clang';
import { createNodeHost } from '../../node/nodeHost';
import { parseArgs, stringOption } from '../args';
import { CliError, usageError } from '../cliError';
import { tierOption } from '../tierOption';
import type { CliCommand } from '../command';

const NAME = 'simulate';
/** Scenario files are small; anything bigger is not one (hostile input must not exhaust memory). */
const MAX_SCENARIO_BYTES = 16 << 20;
/** --pcap files are written when this many bytes of a device's records are pending. */
const PCAP_WRITE_BYTES = 64 << 10;

/** Buffered synchronous writer: bounded memory however many lines are written. */
class LineSink {
  private buf: string[] = [];
  private size = 0;
  constructor(private readonly fd: number) {}
  line(text: string): void {
    this.buf.push(text);
    this.size += text.length + 1;
    if (this.size > 1 << 16) this.flush();
  }
  flush(): void {
    if (!this.buf.length) return;
    writeSync(this.fd, this.buf.join('\n') + '\n');
    this.buf = [];
    this.size = 0;
  }
  close(): void {
    this.flush();
    closeSync(this.fd);
  }
}

function openOut(file: string, what: string): number {
  try {
    return openSync(file, 'w');
  } catch (e) {
    throw usageError(file, `cannot write ${what}: ${(e as Error).message}`);
  }
}

function parseFailOn(values: readonly string[] | undefined): FailOn[] {
  const kinds = (values ?? [])
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
  for (const k of kinds)
    if (!(FAIL_ON_KINDS as readonly string[]).includes(k))
      throw usageError(NAME, `--fail-on takes ${FAIL_ON_KINDS.join(' or ')}, got '${k}'`);
  return [...new Set(kinds as FailOn[])];
}

function readExpectation(file: string): unknown {
  let text: string;
  try {
    if (statSync(file).size > MAX_SCENARIO_BYTES)
      throw usageError(file, `larger than ${MAX_SCENARIO_BYTES >> 20} MiB: not an expected summary`);
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw usageError(file, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
  }
  let value: unknown;
  try {
    value = parseJsonText(text);
  } catch (e) {
    throw usageError(file, `not JSON: ${(e as Error).message}`);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw usageError(file, 'an expected summary is a JSON object (save one with xdp-lab simulate --json)');
  return value;
}

export const simulateCommand: CliCommand = {
  name: NAME,
  summary: 'Run a scenario through the XDP_REDIRECT simulator',
  usage:
    'xdp-lab simulate SCENARIO.json [--json] [--events FILE] [--pcap-dir DIR] [--result FILE]\n' +
    '  --events FILE    every tracepoint event, one per line, as perf script prints it\n' +
    '  --pcap-dir DIR   one <device>.pcap per device with what it transmitted\n' +
    '  --result FILE    the full simulation result (topology, events, timeline) as JSON\n' +
    '  --expect FILE    compare with an expected summary (a saved --json, whole or trimmed); exit 1 with the differences\n' +
    '  --fail-on drops|errors   exit 1 when the run has redirect errors/exceptions (errors) or loses any frame\n' +
    "                   other than by the program's own XDP_DROP (drops); comma-separated\n" +
    '  --tier js|wasm|auto   which VM compiler runs the programs (default: js, the faster on one frame per run)\n' +
    KCONFIG_USAGE.trimEnd(),
  async run(argv, io) {
    const args = parseArgs(
      argv,
      {
        json: 'boolean',
        events: 'string',
        'pcap-dir': 'string',
        result: 'string',
        expect: 'string',
        'fail-on': 'string[]',
        tier: 'string',
        ...kconfigOptionSpec,
      },
      NAME,
    );
    // Without --tier: the simulator's own default (simulationTier.ts), not exec/run's.
    const tier = stringOption(args, 'tier') !== undefined ? tierOption(args, NAME) : undefined;
    const failOn = parseFailOn(args.options.get('fail-on') as string[] | undefined);
    const expectFile = stringOption(args, 'expect');
    // Read the expectation before the run: a missing or broken file is bad input (exit 2), not a failed run.
    const expected = expectFile !== undefined ? readExpectation(expectFile) : undefined;
    if (args.positionals.length !== 1)
      throw usageError(NAME, 'give exactly one scenario file (xdp-lab simulate SCENARIO.json)');
    const file = args.positionals[0] as string;
    // A program where a scenario belongs: say which command takes it (not "not valid JSON").
    if (/\.(c|o)$/.test(file))
      throw usageError(
        file,
        'a program, not a scenario: simulate runs a scenario (*.xdpscenario.json, see scenario.md); `xdp-lab run FILE --data FRAME` runs a program on one frame',
      );
    let text: string;
    try {
      if (statSync(file).size > MAX_SCENARIO_BYTES)
        throw usageError(file, `larger than ${MAX_SCENARIO_BYTES >> 20} MiB: not a scenario`);
      text = readFileSync(file, 'utf8');
    } catch (e) {
      if (e instanceof CliError) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      throw usageError(
        file,
        code === 'ENOENT'
          ? 'cannot read: ENOENT (no such file)'
          : code === 'EISDIR'
            ? 'cannot read: EISDIR (a directory: give the scenario file, *.xdpscenario.json)'
            : `cannot read: ${code ?? (e as Error).message}`,
      );
    }
    const kernel = kernelOptions(args);
    const host = createNodeHost((level, message) => io.stderr(`[${level}] ${message}\n`));
    let sim: Simulation;
    try {
      const input = await loadScenario(file, text, {
        host,
        compileC: async (c: string) => (await compileBpfC(c, { signal: io.signal })).object,
        ...kernel,
        ...(tier !== undefined ? { tier } : {}),
      });
      for (const w of input.verifierWarnings) io.stderr(`warning: ${w}\n`);
      const eventsFile = stringOption(args, 'events');
      const pcapDir = stringOption(args, 'pcap-dir');
      const events =
        eventsFile !== undefined ? new LineSink(openOut(eventsFile, 'the events file')) : undefined;
      const pcaps = new Map<string, { fd: number; writer: PcapWriter }>();
      if (pcapDir !== undefined) {
        try {
          mkdirSync(pcapDir, { recursive: true });
        } catch (e) {
          throw usageError(pcapDir, `cannot create: ${(e as Error).message}`);
        }
      }
      sim = new Simulation(input, {
        maxEvents: stringOption(args, 'result') !== undefined ? 200_000 : 0,
        maxSteps: stringOption(args, 'result') !== undefined ? 200_000 : 0,
        ...(events ? { onEvent: (ev) => events.line(formatEvent(ev.event)) } : {}),
        ...(pcapDir !== undefined
          ? {
              onTransmit: (device, frame) => {
                let p = pcaps.get(device);
                if (!p) {
                  p = {
                    fd: openOut(path.join(pcapDir, `${device}.pcap`), 'a pcap file'),
                    writer: new PcapWriter(),
                  };
                  pcaps.set(device, p);
                }
                p.writer.add(frame);
                // A write(2) per 64 KiB, not per frame; the rest when the run ends (below).
                if (p.writer.pending >= PCAP_WRITE_BYTES)
                  for (const chunk of p.writer.drain()) writeSync(p.fd, chunk);
              },
            }
          : {}),
      });
      // In slices, so Ctrl+C is heard (a synchronous run would ignore it to the end) and a
      // terminal sees progress; the events file and pcaps are closed whatever happens.
      let last: SimulationProgress | undefined;
      let drawn = -Infinity;
      let result: SimulationResult;
      try {
        result = await sim.runInSlices({
          now: () => performance.now(),
          pause: () => new Promise<void>((resolve) => setImmediate(resolve)),
          signal: io.signal,
          onProgress: (p) => {
            last = p;
            const now = performance.now();
            if (io.interactive && now - drawn >= PROGRESS_REDRAW_MS) {
              drawn = now;
              io.stderr(`\rxdp-lab: simulating ${path.basename(file)}: ${progressText(p)}\x1b[K`);
            }
          },
        });
      } catch (e) {
        if (!(e instanceof SimulationAborted)) throw e;
        // Interrupted: what was counted so far, said to be partial, and the shell's 130.
        const summary = last?.partial.summary;
        if (summary)
          io.stdout(
            args.options.get('json') === true
              ? JSON.stringify(summary, null, 2) + '\n'
              : summaryText(summary),
          );
        io.stderr(
          `xdp-lab: ${file} : interrupted after ${framesSoFar({ framesInjected: last?.framesInjected ?? 0, framesTotal: sim.framesTotal() })}${summary ? '; the summary covers those' : ''}\n`,
        );
        return 130;
      } finally {
        if (io.interactive && last) io.stderr('\r\x1b[K');
        events?.close();
        for (const p of pcaps.values()) {
          try {
            // What the run wrote, also when it was stopped (Ctrl+C) or failed: the frames so far.
            for (const chunk of p.writer.drain()) writeSync(p.fd, chunk);
          } finally {
            closeSync(p.fd);
          }
        }
      }
      const resultFile = stringOption(args, 'result');
      if (resultFile !== undefined) writeFileSync(resultFile, JSON.stringify(result) + '\n');
      if (args.options.get('json') === true) io.stdout(JSON.stringify(result.summary, null, 2) + '\n');
      else io.stdout(summaryText(result.summary));
      if (args.options.get('json') === true)
        for (const w of result.summary.warnings) io.stderr(`xdp-lab: warning : ${w}\n`);
      let status = 0;
      if (expectFile !== undefined) {
        const diffs = compareOutcome(expected, result.summary);
        if (diffs.length) {
          io.stderr(
            `xdp-lab: ${file}: the outcome differs from ${expectFile} (${diffs.length} difference${diffs.length === 1 ? '' : 's'}):\n${formatDifferences(diffs)}\n`,
          );
          status = 1;
        } else io.stderr(`xdp-lab: ${file}: the outcome matches ${expectFile}\n`);
      }
      if (failOn.length) {
        const problems = outcomeProblems(result.summary, failOn);
        if (problems.length) {
          io.stderr(
            `xdp-lab: ${file}: --fail-on ${failOn.join(',')}: ${problems.length} problem${problems.length === 1 ? '' : 's'}:\n${problems.map((p) => `  ${p}`).join('\n')}\n`,
          );
          status = 1;
        }
      }
      return status;
    } catch (e) {
      if (e instanceof ScenarioError || e instanceof SimulationSetupError)
        throw usageError(`${file} ${e.path}`, e.why);
      throw e;
    }
  },
};
