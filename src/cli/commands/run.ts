// `xdp-lab run`: runs one XDP program of an object (or C file) on one frame like BPF_PROG_TEST_RUN
// (cli.md "xdp-lab run"): retval, action, data_out, every map after the run, faults with source lines.
import { readFileSync } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { verifierWarning } from '../../core/analysis/verdictText';
import { xdpActionByValue } from '../../core/bpf/xdpActions';
import { JsonTextError, parseJsonText } from '../../core/jsonText';
import { GlobalError, parseGlobalAssignment, setGlobal } from '../../core/elf/globals';
import { defaultSizedNote, ElfError, LoadError, loadObject } from '../../core/elf/loadObject';
import { dumpMaps, MapPreloadError, preloadMaps, toHex } from '../../core/maps/mapPreload';
import { PerfEventArrayMap, RingBufMap } from '../../core/maps/ringbuf';
import { TestRunError } from '../../core/vm/xdpBuffer';
import { ConntrackError } from '../../core/xdp/conntrack';
import type { ConntrackSpec } from '../../core/xdp/conntrack';
import { ClangFailedError, ClangMissingError, compileBpfC } from '../../node/clang';
import { kconfigOptionSpec, kernelOptions } from '../kernelOptions';
import { intOption, parseArgs, stringOption, U32_MAX } from '../args';
import { CliError, usageError } from '../cliError';
import type { CliCommand } from '../command';
import { tierOption } from '../tierOption';

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
  tier: 'string',
  json: 'boolean',
  include: 'string[]',
  global: 'string[]',
  'map-size': 'string[]',
  conntrack: 'string',
  ...kconfigOptionSpec,
} as const;

/** The process's CPU time in ns. */
const cpuNs = (): bigint => {
  const u = process.cpuUsage();
  return BigInt(u.user + u.system) * 1000n;
};

/** Inputs beyond this are refused before reading: BPF objects, frames and map files are far smaller. */
const MAX_INPUT_BYTES = 256 * 2 ** 20;

async function readInput(file: string, what: string): Promise<Uint8Array> {
  try {
    const st = await stat(file);
    if (st.isDirectory()) throw usageError(file, `is a directory: the ${what} must be a file`);
    const size = st.size;
    if (size > MAX_INPUT_BYTES)
      throw usageError(
        file,
        `the ${what} is ${(size / 2 ** 20).toFixed(0)} MiB, more than the ${MAX_INPUT_BYTES / 2 ** 20} MiB xdp-lab reads`,
      );
    const b = await readFile(file);
    return new Uint8Array(b.buffer, b.byteOffset, b.byteLength); // no copy
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw usageError(file, `cannot read the ${what}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}`);
  }
}

/** "does not compile: LINE:COL: error: …", the first error of clang's stderr without the file's path. */
export function clangFirstError(file: string, stderr: string): string {
  const first = stderr.split('\n').find((l) => /\berror: /.test(l));
  if (!first) return 'does not compile (clang failed)';
  const at = first.indexOf(`${file}:`);
  return `does not compile: ${(at >= 0 ? first.slice(at + file.length + 1) : first).trim()}`;
}

/** Reads OBJ, compiling a .c file with clang first (cli.md "Common rules"). */
export async function objectBytes(
  file: string,
  includes: readonly string[],
  signal: AbortSignal,
  defines: readonly string[] = [],
): Promise<Uint8Array> {
  if (!file.endsWith('.c')) return readInput(file, 'object');
  // clang's own words for these ("error reading 'x.c'") do not say which of the two it is.
  const st = await stat(file).catch((e: NodeJS.ErrnoException) => {
    throw usageError(file, `cannot read the C source: ${e.message.replace(/^[A-Z]+: /, '')}`);
  });
  if (st.isDirectory()) throw usageError(file, 'is a directory: the C source must be a file');
  try {
    const extraArgs = defines.map((d) => `-D${d}`);
    return (await compileBpfC(file, { includePaths: includes, signal, extraArgs })).object;
  } catch (e) {
    if (e instanceof ClangMissingError) throw usageError('clang', e.message);
    // clang's diagnostics as clang prints them, then the one line naming the file and its first error.
    if (e instanceof ClangFailedError) throw new CliError(2, file, clangFirstError(file, e.stderr), e.stderr);
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
    'xdp-lab run OBJ [--prog NAME] --data FILE [--maps FILE.json] [--global NAME=VALUE]… [--map-size NAME=N]… [--conntrack FILE.json] [--ifindex N] [--rx-queue N] [--repeat N] [--cpu N] [--cpus N] [--budget N] [--tier js|wasm|auto] [--include DIR] [--kconfig FILE] [--json]',
  async run(argv, io) {
    const args = parseArgs(argv, spec, 'run');
    const [objFile, ...extra] = args.positionals;
    if (!objFile) throw usageError('run', 'missing OBJ (an ELF object or a .c file)');
    if (extra.length) throw usageError('run', `unexpected argument '${extra[0]}'`);
    const dataFile = stringOption(args, 'data');
    if (!dataFile) throw usageError('run', 'missing --data FILE (the raw frame, from the Ethernet header)');
    const json = args.options.get('json') === true;
    const repeat = intOption(args, 'repeat', 'run', 1, U32_MAX) ?? 1;
    const ifindex = intOption(args, 'ifindex', 'run', 1, U32_MAX) ?? 1;
    const rxQueue = intOption(args, 'rx-queue', 'run', 0, U32_MAX) ?? 0;
    const cpu = intOption(args, 'cpu', 'run', 0) ?? 0;
    const cpus = intOption(args, 'cpus', 'run', 1) ?? possibleCpus();
    if (cpu >= cpus) throw usageError('run', `--cpu ${cpu} is not below the number of CPUs (${cpus})`);
    const budget = intOption(args, 'budget', 'run', 0);
    const tier = tierOption(args, 'run');

    const bytes = await objectBytes(
      objFile,
      (args.options.get('include') as string[] | undefined) ?? [],
      io.signal,
    );
    const frame = await readInput(dataFile, 'frame');
    // --map-size NAME=N: what the program's loader sets with bpf_map__set_max_entries before load.
    const mapSizes: Record<string, number> = {};
    for (const text of (args.options.get('map-size') as string[] | undefined) ?? []) {
      const m = /^([^=]+)=(\d+)$/.exec(text);
      const n = m ? Number(m[2]) : NaN;
      if (!m || !Number.isSafeInteger(n) || n < 1 || n > 0xffffffff)
        throw usageError('--map-size', `expected NAME=N with N from 1 to 4294967295, got '${text}'`);
      mapSizes[m[1] as string] = n;
    }
    const kernel = kernelOptions(args);
    let obj;
    try {
      obj = loadObject(bytes, {
        name: path.basename(objFile).split('.')[0] || 'obj',
        systemOptions: { possibleCpus: cpus, tier },
        mapSizes,
        ...kernel,
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
    // --global NAME=VALUE: .rodata knobs and .data/.bss values before the run (a skeleton's initial values).
    for (const text of (args.options.get('global') as string[] | undefined) ?? []) {
      try {
        const { name: g, value } = parseGlobalAssignment(text);
        setGlobal(obj.globals, g, value);
      } catch (e) {
        if (e instanceof GlobalError) throw usageError('--global', e.message);
        throw e;
      }
    }
    // A program the kernel would refuse still runs here, but not silently (issue 11).
    const unknownSize = Object.keys(mapSizes).find((n) => !obj.map(n));
    if (unknownSize !== undefined)
      throw usageError('--map-size', `the object has no map named '${unknownSize}'`);
    for (const m of obj.defaultSized) io.stderr(`note: ${defaultSizedNote(m)}\n`);
    for (const n of obj.ksymNotes) io.stderr(`note: ${n}\n`);
    const warning = verifierWarning(bytes, prog.name, kernel);
    if (warning) io.stderr(`warning: ${warning}\n`);
    const mapsFile = stringOption(args, 'maps');
    if (mapsFile) {
      const text = new TextDecoder().decode(await readInput(mapsFile, 'map preload file'));
      try {
        preloadMaps(parseJsonText(text), obj.maps);
      } catch (e) {
        if (e instanceof JsonTextError) throw usageError(mapsFile, `not JSON: ${e.message}`);
        if (e instanceof MapPreloadError) throw usageError(mapsFile, e.message);
        throw e;
      }
    }
    // --conntrack FILE: the conntrack table the conntrack kfuncs look into (an array of entries).
    const ctFile = stringOption(args, 'conntrack');
    if (ctFile) {
      const text = new TextDecoder().decode(await readInput(ctFile, 'conntrack file'));
      try {
        const raw = parseJsonText(text);
        const list = Array.isArray(raw) ? raw : (raw as { conntrack?: unknown } | null)?.conntrack;
        if (!Array.isArray(list))
          throw new ConntrackError('expected an array of entries (or {"conntrack": [...]})');
        list.forEach((c, i) => obj.system.conntrack.add(c as ConntrackSpec, `$[${i}]`));
      } catch (e) {
        if (e instanceof JsonTextError) throw usageError(ctFile, `not JSON: ${e.message}`);
        if (e instanceof ConntrackError) throw usageError(ctFile, e.message);
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
        ...(budget !== undefined ? { budget: budget === 0 ? Infinity : budget } : {}),
        // Repeated runs are timed in CPU time, as the kernel's figure is (preemption off): on a
        // shared machine wall time would charge the VM for the time other processes held the CPU.
        now: repeat > 1 ? cpuNs : () => process.hrtime.bigint(),
      });
    } catch (e) {
      if (e instanceof TestRunError) throw usageError(dataFile, e.message);
      throw e;
    }
    const action = xdpActionByValue(result.retval)?.name ?? `unknown action ${result.retval}`;
    if (result.fault) {
      const poison = obj.poisonAt(prog.name, result.fault.pc);
      const message = poison
        ? `${result.fault.message}: failed to resolve CO-RE relocation <${poison.kind}> ${poison.spec} against ${obj.targetBtfName ?? 'the target BTF'}${poison.missing ? ` (${poison.missing})` : ''}`
        : result.fault.message;
      const fault = { pc: result.fault.pc, line: result.fault.line ?? null, message };
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
      ...(sys.conntrack.entries.length ? { conntrack: sys.conntrack.describe() } : {}),
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
      // Arrays always hold max_entries elements (huge ones dump only their non-zero entries).
      const def = obj.maps.find((m) => m.name === mapName)?.def;
      const total = def && (def.type === 2 || def.type === 6) ? def.maxEntries : entries.length;
      lines.push(
        `map ${mapName}: ${total} entr${total === 1 ? 'y' : 'ies'}${shown.length < total ? ` (${shown.length} non-zero shown)` : ''}`,
      );
      for (const e of shown.slice(0, 32))
        lines.push(`  ${e.key} → ${e.values ? e.values.join(' | ') : e.value}`);
    }
    for (const c of out.conntrack ?? [])
      lines.push(
        `conntrack: ${c.proto} ${c.src}:${c.sport} → ${c.dst}:${c.dport} status 0x${c.status.toString(16)} mark ${c.mark} (${Math.round(c.timeout)} s left)`,
      );
    for (const l of sys.printk) lines.push(`trace_printk: ${l}`);
    for (const n of sys.notes) lines.push(`note: ${n}`);
    io.stdout(lines.join('\n') + '\n');
    return 0;
  },
};

export { CliError };
