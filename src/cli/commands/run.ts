// `xdp-lab run`: runs one XDP program of an object (or C file) on one frame like BPF_PROG_TEST_RUN
// (cli.md "xdp-lab run"): retval, action, data_out, every map after the run, faults with source lines.
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { verifierWarning } from '../../core/analysis/verdictText';
import { xdpActionByValue } from '../../core/bpf/xdpActions';
import { ElfError, LoadError, loadObject } from '../../core/elf/loadObject';
import { dumpMaps, MapPreloadError, preloadMaps, toHex } from '../../core/maps/mapPreload';
import { PerfEventArrayMap, RingBufMap } from '../../core/maps/ringbuf';
import { TestRunError } from '../../core/vm/xdpBuffer';
import { ClangFailedError, ClangMissingError, compileBpfC } from '../../node/clang';
import { intOption, parseArgs, stringOption } from '../args';
import { CliError, usageError } from '../cliError';
import type { CliCommand } from '../command';

const spec = {
  prog: 'string',
  data: 'string',
  maps: 'string',
  ifindex: 'string',
  'rx-queue': 'string',
  repeat: 'string',
  cpu: 'string',
  cpus: 'string',
  budget: 'string',
  json: 'boolean',
  include: 'string[]',
} as const;

async function readInput(file: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    throw usageError(file, `cannot read the ${what}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}`);
  }
}

/** Reads OBJ, compiling a .c file with clang first (cli.md "Common rules"). */
export async function objectBytes(
  file: string,
  includes: readonly string[],
  signal: AbortSignal,
): Promise<Uint8Array> {
  if (!file.endsWith('.c')) return readInput(file, 'object');
  try {
    return (await compileBpfC(file, { includePaths: includes, signal })).object;
  } catch (e) {
    if (e instanceof ClangMissingError) throw usageError('clang', e.message);
    if (e instanceof ClangFailedError)
      throw usageError(file, e.message + (e.stderr ? `\n${e.stderr.trimEnd()}` : ''));
    throw e;
  }
}

/** The kernel's possible CPUs (per-CPU maps hold one value each), as /sys reports them. */
function possibleCpus(): number {
  try {
    const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
    return text.split(',').reduce((n, part) => {
      const [a, b] = part.split('-').map(Number);
      return n + (b === undefined ? 1 : b - (a ?? 0) + 1);
    }, 0);
  } catch {
    return os.cpus().length || 1;
  }
}

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'Run one XDP program of an object on one frame (like BPF_PROG_TEST_RUN)',
  usage:
    'xdp-lab run OBJ [--prog NAME] --data FILE [--maps FILE.json] [--ifindex N] [--rx-queue N] [--repeat N] [--cpu N] [--cpus N] [--budget N] [--include DIR] [--json]',
  async run(argv, io) {
    const args = parseArgs(argv, spec, 'run');
    const [objFile, ...extra] = args.positionals;
    if (!objFile) throw usageError('run', 'missing OBJ (an ELF object or a .c file)');
    if (extra.length) throw usageError('run', `unexpected argument '${extra[0]}'`);
    const dataFile = stringOption(args, 'data');
    if (!dataFile) throw usageError('run', 'missing --data FILE (the raw frame, from the Ethernet header)');
    const json = args.options.get('json') === true;
    const repeat = intOption(args, 'repeat', 'run', 1) ?? 1;
    const ifindex = intOption(args, 'ifindex', 'run', 1) ?? 1;
    const rxQueue = intOption(args, 'rx-queue', 'run', 0) ?? 0;
    const cpu = intOption(args, 'cpu', 'run', 0) ?? 0;
    const cpus = intOption(args, 'cpus', 'run', 1) ?? possibleCpus();
    if (cpu >= cpus) throw usageError('run', `--cpu ${cpu} is not below the number of CPUs (${cpus})`);
    const budget = intOption(args, 'budget', 'run', 1);

    const bytes = await objectBytes(
      objFile,
      (args.options.get('include') as string[] | undefined) ?? [],
      io.signal,
    );
    const frame = await readInput(dataFile, 'frame');
    let obj;
    try {
      obj = loadObject(bytes, {
        name: path.basename(objFile).split('.')[0] || 'obj',
        systemOptions: { possibleCpus: cpus },
      });
    } catch (e) {
      if (e instanceof ElfError || e instanceof LoadError) throw usageError(objFile, e.message);
      throw e;
    }
    const name = stringOption(args, 'prog');
    const prog = name ? obj.program(name) : (obj.programs.find((p) => p.attach === 'xdp') ?? obj.programs[0]);
    if (!prog) {
      const known = obj.programs.map((p) => p.name).join(', ');
      const why = name
        ? `no XDP program named '${name}' (programs: ${known || 'none'})`
        : 'the object has no XDP program';
      throw usageError(objFile, why);
    }
    // A program the kernel would refuse still runs here, but not silently (issue 11).
    const warning = verifierWarning(bytes, prog.name);
    if (warning) io.stderr(`warning: ${warning}\n`);
    const mapsFile = stringOption(args, 'maps');
    if (mapsFile) {
      const text = new TextDecoder().decode(await readInput(mapsFile, 'map preload file'));
      try {
        preloadMaps(JSON.parse(text), obj.maps);
      } catch (e) {
        if (e instanceof SyntaxError) throw usageError(mapsFile, `not JSON: ${e.message}`);
        if (e instanceof MapPreloadError) throw usageError(mapsFile, e.message);
        throw e;
      }
    }
    let result;
    try {
      result = prog.testRun(frame, {
        repeat,
        ingressIfindex: ifindex,
        rxQueueIndex: rxQueue,
        cpu,
        ...(budget ? { budget } : {}),
        now: () => process.hrtime.bigint(),
      });
    } catch (e) {
      if (e instanceof TestRunError) throw usageError(dataFile, e.message);
      throw e;
    }
    const action = xdpActionByValue(result.retval)?.name ?? `unknown action ${result.retval}`;
    if (result.fault) {
      const fault = { pc: result.fault.pc, line: result.fault.line ?? null, message: result.fault.message };
      if (json) io.stdout(JSON.stringify({ fault, program: prog.name, insns: result.insns }) + '\n');
      else
        io.stderr(
          `xdp-lab: ${prog.name} faulted at pc ${fault.pc}${fault.line ? ` (${fault.line})` : ''}: ${fault.message}\n`,
        );
      return 1;
    }
    const sys = obj.system;
    // Ring buffer and perf event records the program emitted (hex), by map name.
    const records: Record<string, string[]> = {};
    for (const m of obj.maps)
      if (m instanceof RingBufMap || m instanceof PerfEventArrayMap) {
        if (m.records.length) records[m.name] = m.records.map((r) => toHex(r.data));
      }
    const out = {
      program: prog.name,
      retval: result.retval,
      action,
      dataOut: toHex(result.dataOut),
      maps: dumpMaps(obj.maps),
      insns: result.insns,
      nsPerRun: result.nsPerRun ?? 0,
      printk: sys.printk,
      ...(Object.keys(records).length ? { records } : {}),
      ...(sys.notes.length ? { notes: sys.notes } : {}),
    };
    if (json) {
      io.stdout(JSON.stringify(out) + '\n');
      return 0;
    }
    const lines = [
      `${prog.name}: ${action} (retval ${result.retval}), ${result.insns} instructions, ${out.nsPerRun.toFixed(1)} ns/run over ${repeat} run${repeat === 1 ? '' : 's'}`,
      `data_out (${result.dataOut.length} bytes): ${out.dataOut}`,
    ];
    for (const [mapName, entries] of Object.entries(out.maps)) {
      const shown = entries.filter(
        (e) => /[^0]/.test(e.value) || (e.values ?? []).some((v) => /[^0]/.test(v)),
      );
      lines.push(
        `map ${mapName}: ${entries.length} entr${entries.length === 1 ? 'y' : 'ies'}${shown.length < entries.length ? ` (${shown.length} non-zero shown)` : ''}`,
      );
      for (const e of shown.slice(0, 32))
        lines.push(`  ${e.key} → ${e.values ? e.values.join(' | ') : e.value}`);
    }
    for (const l of sys.printk) lines.push(`trace_printk: ${l}`);
    for (const n of sys.notes) lines.push(`note: ${n}`);
    io.stdout(lines.join('\n') + '\n');
    return 0;
  },
};

export { CliError };
