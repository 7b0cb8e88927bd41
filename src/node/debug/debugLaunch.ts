// Turns the launch arguments of debug type `xdp-lab` into what the core session runs: the object
// (a .c compiled with clang first), the frame (a raw file, the N-th frame of a scenario's traffic, or
// the default UDP frame of core/packet/frameBuilder), the map preload JSON, and — when that frame's
// device runs libxdp's dispatcher — every component's object. Errors name the field.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { LaunchArguments, LaunchComponent, LaunchInput } from '../../core/debug/dapMessages';
import { buildFrame } from '../../core/packet/frameBuilder';
import { scenarioFrame } from '../../core/scenario/scenarioFrame';
import { parseScenarioText } from '../../core/scenario/scenarioParse';
import { ClangFailedError, ClangMissingError, compileBpfC } from '../clang';
import type { ClangOptions } from '../clang';
import { kernelBtfOptions } from '../kernelBtf';
import { KernelConfigError } from '../kernelConfig';

/** The frame a launch without `frame` runs on: frameBuilder's example UDP frame (10.0.0.1 → 10.0.0.2, port 9). */
export const DEFAULT_FRAME_SPEC = { udp: { sport: 4000, dport: 9 } };

async function read(file: string, field: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(file));
  } catch (e) {
    throw new Error(`${field}: cannot read ${file}: ${(e as Error).message.replace(/^[A-Z]+: /, '')}`);
  }
}

/** How a launch compiles a `.c` (the extension passes one that reuses the check it compiled before the session). */
export type CompileC = (file: string, clang: ClangOptions) => Promise<Uint8Array>;

const clangCompile: CompileC = async (file, clang) => (await compileBpfC(file, clang)).object;

/** An object's bytes: a `.c` compiled with clang, anything else read as an ELF object. */
async function objectBytes(
  file: string,
  field: string,
  clang: ClangOptions,
  compile: CompileC = clangCompile,
): Promise<Uint8Array> {
  if (!file.endsWith('.c')) return read(file, field);
  try {
    return await compile(file, clang);
  } catch (e) {
    if (e instanceof ClangMissingError) throw new Error(`${field}: ${e.message}`);
    if (e instanceof ClangFailedError)
      throw new Error(`${field}: ${e.message}${e.stderr ? `\n${e.stderr.trimEnd()}` : ''}`);
    throw new Error(`${field}: ${(e as Error).message}`);
  }
}

export async function prepareLaunch(
  args: LaunchArguments,
  opts: { cwd?: string; clang?: ClangOptions; compile?: CompileC } = {},
): Promise<LaunchInput> {
  const cwd = opts.cwd ?? process.cwd();
  if (typeof args.program !== 'string' || !args.program)
    throw new Error('program: missing (the path of a .c file or of a BPF object)');
  const program = path.resolve(cwd, args.program);
  const object = await objectBytes(program, 'program', opts.clang ?? {}, opts.compile);

  let frame: Uint8Array;
  let frameLabel: string;
  let cpu = typeof args.cpu === 'number' ? args.cpu : 0;
  let ingressIfindex = typeof args.ingressIfindex === 'number' ? args.ingressIfindex : 1;
  let scenarioMaps: Record<string, { key: unknown; value: unknown }[]> | undefined;
  let conntrack: LaunchInput['conntrack'];
  let rxQueueIndex = typeof args.rxQueueIndex === 'number' ? args.rxQueueIndex : 0;
  let chain: LaunchInput['chain'];
  const f = args.frame;
  if (f === undefined || f === null || f === '') {
    frame = buildFrame(DEFAULT_FRAME_SPEC);
    frameLabel = 'the default UDP frame (10.0.0.1:4000 → 10.0.0.2:9)';
  } else if (typeof f === 'string') {
    const file = path.resolve(cwd, f);
    frame = await read(file, 'frame');
    frameLabel = path.basename(file);
  } else if (typeof f === 'object' && typeof f.scenario === 'string') {
    const file = path.resolve(cwd, f.scenario);
    const text = new TextDecoder().decode(await read(file, 'frame.scenario'));
    let scenario;
    try {
      scenario = parseScenarioText(text);
    } catch (e) {
      throw new Error(`frame.scenario: ${(e as Error).message}`);
    }
    const index = f.index ?? 1;
    const at = scenarioFrame(scenario, index);
    if (typeof at === 'string') throw new Error(`frame.index: ${at}`);
    const { entry, rx } = at;
    if (!entry.frame)
      throw new Error(
        `frame.index: frame ${index} comes from a pcap (${entry.pcap ?? '?'}); give the frame as a file`,
      );
    frame = entry.frame;
    cpu = typeof args.cpu === 'number' ? args.cpu : entry.cpu;
    rxQueueIndex = typeof args.rxQueueIndex === 'number' ? args.rxQueueIndex : entry.queue;
    frameLabel = `frame ${index} of ${path.basename(file)} (${entry.path})`;
    // Its context: the receiving device (a veth's peer, or the NIC itself) and the scenario's map
    // entries (ifindex values by device name). Entries naming programs or AF_XDP sockets are left out.
    if (rx && typeof args.ingressIfindex !== 'number') ingressIfindex = rx.ifindex;
    // libxdp's dispatcher on that device: every component runs, as the simulator runs them.
    const entries = rx?.xdp?.chain;
    if (entries && args.chain !== false) {
      const components: LaunchComponent[] = [];
      // Programs of one file share one object: read (or compile) it once.
      const bytesByFile = new Map<string, Promise<Uint8Array>>();
      const objectOf = (abs: string, field: string): Promise<Uint8Array> => {
        let b = bytesByFile.get(abs);
        if (!b) bytesByFile.set(abs, (b = objectBytes(abs, field, opts.clang ?? {}, opts.compile)));
        return b;
      };
      for (const e of entries) {
        const sp = scenario.programs.find((p) => p.name === e.program);
        if (sp?.file === undefined)
          throw new Error(
            `frame.scenario: chain program '${e.program}' on ${rx?.name ?? '?'} has no local object (an unknown program of an imported host)`,
          );
        const abs = path.resolve(path.dirname(file), sp.file);
        components.push({
          name: e.program,
          file: abs,
          object: await objectOf(abs, `frame.scenario: chain program '${e.program}'`),
          objectName: path.basename(abs).split('.')[0] || 'obj',
          ...(sp.function ? { function: sp.function } : {}),
          ...(e.priority !== undefined ? { priority: e.priority } : {}),
          ...(e.chainCallActions ? { chainCallActions: e.chainCallActions } : {}),
          ...(sp.globals ? { globals: sp.globals } : {}),
        });
      }
      chain = { device: rx?.name ?? '?', components };
    }
    const ifindexOf = (v: unknown): unknown =>
      typeof v === 'string' ? (scenario.devices.find((d) => d.name === v)?.ifindex ?? v) : v;
    // The scenario's conntrack table as it is before the first frame (as its maps are).
    if (scenario.conntrack?.length) conntrack = scenario.conntrack;
    scenarioMaps = {};
    for (const [name, entries] of Object.entries(scenario.maps)) {
      const kept = entries.flatMap((e) => {
        const v = e.value;
        if (typeof v !== 'object') return [{ key: e.key, value: ifindexOf(v) }];
        if ('ifindex' in v && v.program === undefined) return [{ key: e.key, value: ifindexOf(v.ifindex) }];
        return [];
      });
      if (kept.length) scenarioMaps[name] = kept;
    }
  } else throw new Error('frame: give a file path or { "scenario": PATH, "index": N }');

  const kernel = kernelOptions(args.kconfig, cwd);
  let maps: unknown = scenarioMaps && Object.keys(scenarioMaps).length ? scenarioMaps : undefined;
  if (typeof args.maps === 'string' && args.maps) {
    const file = path.resolve(cwd, args.maps);
    try {
      maps = JSON.parse(new TextDecoder().decode(await read(file, 'maps')));
    } catch (e) {
      throw new Error(`maps: ${file} is not JSON: ${(e as Error).message}`);
    }
  }
  return {
    object,
    objectName: path.basename(program).split('.')[0] || 'obj',
    frame,
    frameLabel,
    ...(maps !== undefined ? { maps } : {}),
    ...(conntrack ? { conntrack } : {}),
    ...(typeof args.function === 'string' && args.function ? { function: args.function } : {}),
    stopOnEntry: args.stopOnEntry === true,
    ingressIfindex,
    rxQueueIndex,
    cpu,
    ...(typeof args.budget === 'number' ? { budget: args.budget } : {}),
    ...(chain ? { chain } : {}),
    // CO-RE against the running kernel's BTF when this host has one, as `run` and `verify` resolve it.
    ...kernel,
  };
}

/**
 * The running kernel's BTF and config, with the launch's `kconfig` file read first (as `run --kconfig
 * FILE`): read now, so a bad path fails the launch naming the field, whether or not the object needs it.
 */
function kernelOptions(kconfig: unknown, cwd: string): ReturnType<typeof kernelBtfOptions> {
  if (kconfig === undefined || kconfig === null || kconfig === '') return kernelBtfOptions();
  if (typeof kconfig !== 'string')
    throw new Error('kconfig: give the path of a kernel config file (CONFIG_X=… lines, plain or gzip)');
  try {
    return kernelBtfOptions(path.resolve(cwd, kconfig));
  } catch (e) {
    if (e instanceof KernelConfigError) throw new Error(`kconfig: ${e.message}`);
    throw e;
  }
}
