// The debuggee: the objects loaded from bytes (one, or every object of a libxdp dispatcher chain in one
// system, as the simulator loads a scenario), the program or chain under debug, its recorded run, and
// the memory of any step of that run (a kept memory moved along the store log, else a replay to it).
import { Btf } from '../elf/btf';
import { parseElf } from '../elf/elfFile';
import { loadObject } from '../elf/loadObject';
import type { LoadedObject, LoadOptions } from '../elf/loadObject';
import type { BpfMap } from '../maps/bpfMap';
import { preloadMaps } from '../maps/mapPreload';
import { setGlobal } from '../elf/globals';
import { readXdpRunConfigs } from '../elf/xdpRunConfig';
import type { XdpRunConfig } from '../elf/xdpRunConfig';
import { BpfSystem } from '../vm/bpfSystem';
import { buildDispatcher } from '../xdp/dispatcherSetup';
import { RedirectInfo } from '../xdp/redirectInfo';
import type { XdpDispatcher } from '../xdp/xdpDispatcher';
import type { XdpProgramHandle } from '../vm/xdpRun';
import { DwarfTypes } from './dwarfTypes';
import { ADDR_BASE } from '../vm/memory';
import type { Region } from '../vm/memory';
import type { RunnableProgram } from '../vm/machine';
import { testRunBuffer } from '../vm/xdpBuffer';
import type { XdpBuffer } from '../vm/xdpRun';
import type { XdpProgram } from '../vm/xdpProgram';
import type { LaunchComponent, LaunchInput } from './dapMessages';
import { ObjectDebugInfo, ProgramDebugInfo } from './programDebugInfo';
import { RecordedRun } from './recordedRun';
import { VerifierKinds } from './verifierKinds';
import type { RunSetup } from './recordedRun';

export class LaunchError extends Error {}

/** Step memories kept (each is one loaded object: a few hundred KiB). */
const MEMORY_CACHE = 8;

/** A kept memory and the step it currently shows (it moves: the same object serves many steps). */
interface KeptMemory {
  at: number;
  memory: StepMemory;
}

/** One loaded object of the debuggee: its DWARF, C types and programs. */
export interface DebugObject {
  readonly debugInfo: ObjectDebugInfo;
  readonly types: DwarfTypes | undefined;
  readonly programs: readonly XdpProgram[];
  /** The object's bytes (the verifier walks them for the Registers' kinds). */
  readonly bytes: Uint8Array;
}

/** A chain component as the session shows it (libxdp's order). */
export interface ChainComponent {
  /** The scenario's program name. */
  name: string;
  program: XdpProgram;
  priority: number;
  chainCallActions: number;
}

/** The machine memory of one step: regions, the packet buffer and the maps. */
export interface StepMemory {
  R: readonly Region[];
  buffer: XdpBuffer;
  maps: readonly BpfMap[];
  redirect: RedirectInfo;
  printk: readonly string[];
}

export class DebugTarget {
  /** The first object's DWARF (the only one's, without a chain). */
  readonly debugInfo: ObjectDebugInfo;
  readonly objects: readonly DebugObject[];
  /** Every program of every object (instruction addresses index this list). */
  readonly programs: readonly XdpProgram[];
  /** The program under debug; with a chain, the first component in run order. */
  readonly program: XdpProgram;
  /** libxdp's dispatcher chain in run order, when the frame's device runs one. */
  readonly chain: readonly ChainComponent[] | undefined;
  /** The recording's dispatcher: which component decided (lastChain) after the run. */
  readonly dispatcher: XdpDispatcher | undefined;
  readonly run: RecordedRun;
  private readonly infos = new Map<RunnableProgram, ProgramDebugInfo>();
  /** The verifier's register kinds per program (null: it has none), walked on first use. */
  private readonly kinds = new Map<string, VerifierKinds | null>();
  /** Memories of recent stops, least recently used first; the recording's own machine starts at the end. */
  private readonly kept: KeptMemory[] = [];
  /**
   * The host's kernel BTF as loadObject and verifyObject take it, read and parsed once for the
   * recording, every replay and the verifier's walks (a replay reloads the object: parsing vmlinux
   * each time would cost a replay ~0.2 s); absent → the bundled BTF, as in `run`.
   */
  readonly btf: { targetBtf?: () => Btf | undefined; targetBtfName?: string } & Pick<
    LoadOptions,
    'kconfig' | 'kconfigExtra' | 'kernelFacts'
  >;
  /** The BTF CO-RE resolved against (loadObject's name for it), when an object has CO-RE relocations. */
  readonly coreBtfName: string | undefined;

  constructor(readonly input: LaunchInput) {
    this.btf = targetBtfOf(input);
    const sources = input.chain ? uniqueObjects(input.chain.components) : [input];
    const infos = sources.map((src) => {
      try {
        return new ObjectDebugInfo(parseElf(src.object));
      } catch (e) {
        const what = input.chain ? `chain program '${src.objectName}'` : 'program';
        throw new LaunchError(`${what}: ${(e as Error).message}`);
      }
    });
    this.debugInfo = infos[0] as ObjectDebugInfo;
    const first = this.fresh();
    this.coreBtfName = first.objs.map((o) => o.targetBtfName).find((n) => n !== undefined);
    this.objects = infos.map((debugInfo, i) => ({
      debugInfo,
      bytes: (sources[i] as { object: Uint8Array }).object,
      types: debugInfo.dwarf ? new DwarfTypes(debugInfo.dwarf) : undefined,
      programs: first.objs[i]?.programs ?? [],
    }));
    this.programs = first.objs.flatMap((o) => o.programs);
    this.program = first.setup.program;
    this.dispatcher = first.setup.chain;
    this.chain = first.setup.chain?.components.map((c) => ({
      name: c.name,
      program: c.prog as XdpProgram,
      priority: c.priority,
      chainCallActions: c.chainCallActions,
    }));
    this.run = RecordedRun.record(first.setup);
    this.kept.push({ at: this.run.length, memory: first.memory });
  }

  /** A new system, objects, maps and buffer exactly as the launch described them (every replay starts here). */
  private fresh(): { objs: LoadedObject[]; setup: RunSetup; memory: StepMemory } {
    const inp = this.input;
    const objs: LoadedObject[] = [];
    let prog: XdpProgram | undefined;
    let chain: XdpDispatcher | undefined;
    if (inp.chain) {
      const loaded = loadChain(inp.chain.components, this.btf);
      objs.push(...loaded.objs);
      chain = loaded.dispatcher;
      prog = chain.components[0]?.prog as XdpProgram;
    } else {
      let obj: LoadedObject;
      try {
        obj = loadObject(inp.object, { name: inp.objectName, ...this.btf });
      } catch (e) {
        throw new LaunchError(`program: ${(e as Error).message}`);
      }
      objs.push(obj);
      prog = inp.function
        ? obj.program(inp.function)
        : (obj.programs.find((p) => p.attach === 'xdp') ?? obj.programs[0]);
      if (!prog) {
        const known = obj.programs.map((p) => p.name).join(', ') || 'none';
        throw new LaunchError(
          inp.function
            ? `function: no XDP program named '${inp.function}' in the object (programs: ${known})`
            : 'program: the object has no XDP program',
        );
      }
    }
    const obj = objs[0] as LoadedObject;
    const maps = objs.flatMap((o) => o.maps);
    if (inp.maps !== undefined)
      try {
        // A chain takes the scenario's entries for the maps its objects have (the rest are other programs').
        preloadMaps(inp.chain ? onlyMaps(inp.maps, maps) : inp.maps, maps);
      } catch (e) {
        throw new LaunchError(`maps: ${(e as Error).message}`);
      }
    try {
      (inp.conntrack ?? []).forEach((c, i) => obj.system.conntrack.add(c, `conntrack[${i}]`));
    } catch (e) {
      throw new LaunchError(`frame.scenario: ${(e as Error).message}`);
    }
    let buffer: XdpBuffer;
    try {
      const t = testRunBuffer(inp.frame);
      buffer = { ...t, bytes: t.bytes.slice(), frags: t.frags.map((f) => f.slice()) };
    } catch (e) {
      throw new LaunchError(`frame: ${(e as Error).message}`);
    }
    const redirect = new RedirectInfo();
    redirect.reset();
    const setup: RunSetup = {
      program: prog,
      ...(chain ? { chain } : {}),
      buffer,
      ctx: {
        ingressIfindex: inp.ingressIfindex,
        rxQueueIndex: inp.rxQueueIndex,
        egressIfindex: 0,
        cpu: inp.cpu,
        redirect,
      },
      ...(inp.budget !== undefined ? { budget: inp.budget } : {}),
    };
    const memory: StepMemory = {
      R: obj.system.machine.R,
      buffer,
      maps,
      redirect,
      printk: obj.system.printk,
    };
    return { objs, setup, memory };
  }

  /** The memory after the run ended. */
  get endMemory(): StepMemory {
    return this.memoryAt(this.run.length);
  }

  /**
   * Memory as it was before step `step` ran (`run.length` and past it: after the end). A kept memory
   * with no hidden step (call, exit) between it and `step` moves there along the store log; otherwise
   * a fresh load replays the run up to `step`. The memory returned is valid until the next call.
   */
  memoryAt(step: number): StepMemory {
    const run = this.run;
    const s = Math.max(0, Math.min(step, run.length));
    const seg = run.stores.segment(s);
    let best = -1;
    for (let k = 0; k < this.kept.length; k++) {
      const m = this.kept[k] as KeptMemory;
      if (run.stores.segment(m.at) !== seg) continue;
      if (best < 0 || Math.abs(m.at - s) < Math.abs((this.kept[best] as KeptMemory).at - s)) best = k;
    }
    let m: KeptMemory;
    if (best >= 0) {
      m = this.kept.splice(best, 1)[0] as KeptMemory;
      if (m.at !== s) run.stores.move(m.memory.R, m.at, s);
      m.at = s;
    } else {
      m = { at: s, memory: this.replayMemory(s) };
      if (this.kept.length >= MEMORY_CACHE) this.kept.shift();
    }
    this.kept.push(m); // most recently used last
    return m.memory;
  }

  /** A new memory at `step` by replaying the run from a fresh load (not kept). */
  replayMemory(step: number): StepMemory {
    const f = this.fresh();
    RecordedRun.replayTo(f.setup, step);
    return f.memory;
  }

  /** The loaded object a program belongs to (the first for a program of none: a replay's copy). */
  objectOf(p: RunnableProgram): DebugObject {
    return (
      this.objects.find((o) => o.programs.includes(p as XdpProgram)) ??
      this.objects.find((o) => o.programs.some((x) => x.name === p.name)) ??
      (this.objects[0] as DebugObject)
    );
  }

  info(p: RunnableProgram): ProgramDebugInfo {
    let i = this.infos.get(p);
    if (!i) {
      const prog =
        this.programs.find((x) => x === p) ?? this.programs.find((x) => x.name === p.name) ?? this.program;
      i = new ProgramDebugInfo(this.objectOf(prog).debugInfo, prog);
      this.infos.set(p, i);
    }
    return i;
  }

  /**
   * The verifier's register kinds of a program: walked once, in the adapter's idle time after a stop
   * (DapSession.idle) or, when Registers are asked for first, then.
   */
  verifierKinds(p: RunnableProgram): VerifierKinds | undefined {
    const key = this.kindsKey(p);
    let k = this.kinds.get(key);
    if (k === undefined) {
      const obj = this.objectOf(p);
      const prog = obj.programs.find((x) => x.name === p.name);
      k = (prog && VerifierKinds.of(obj.bytes, p.name, prog.insns.length, this.btf)) ?? null;
      this.kinds.set(key, k);
    }
    return k ?? undefined;
  }

  /** Whether the verifier's kinds of `p` are walked already (a Registers request answers from them). */
  hasVerifierKinds(p: RunnableProgram): boolean {
    return this.kinds.has(this.kindsKey(p));
  }

  private kindsKey(p: RunnableProgram): string {
    return `${this.objects.indexOf(this.objectOf(p))}/${p.name}`;
  }

  /** The C types of a program's object. */
  typesOf(p: RunnableProgram): DwarfTypes | undefined {
    return this.objectOf(p).types;
  }

  /** Index of a program in `programs` (the high word of instruction addresses). */
  programIndex(p: RunnableProgram): number {
    const i = this.programs.indexOf(p as XdpProgram);
    return i >= 0 ? i : this.programs.findIndex((x) => x.name === p.name);
  }

  /** The chain component step i belongs to, when the run is a chain's. */
  componentAt(step: number): ChainComponent | undefined {
    return this.chain?.[this.run.component(step)];
  }
}

/** The launch's target BTF as a lazy parse-once reader (scenarioLoad.ts does the same for a scenario's objects). */
function targetBtfOf(input: LaunchInput): DebugTarget['btf'] {
  const kconfig = {
    ...(input.kconfig ? { kconfig: input.kconfig } : {}),
    ...(input.kconfigExtra ? { kconfigExtra: input.kconfigExtra } : {}),
    ...(input.kernelFacts ? { kernelFacts: input.kernelFacts } : {}),
  };
  const source = input.targetBtf;
  if (!source) return kconfig;
  let parsed: Btf | null | undefined;
  return {
    ...kconfig,
    targetBtf: () => {
      if (parsed === undefined) {
        const raw = source();
        parsed = raw ? new Btf(raw) : null;
      }
      return parsed ?? undefined;
    },
    ...(input.targetBtfName !== undefined ? { targetBtfName: input.targetBtfName } : {}),
  };
}

/** The distinct objects of a chain (components of one file share one), in the chain's order. */
function uniqueObjects(components: readonly LaunchComponent[]): LaunchComponent[] {
  const seen = new Set<string>();
  return components.filter((c) => !seen.has(c.file) && (seen.add(c.file), true));
}

/** The scenario's map entries for the maps `maps` has (a chain's objects), by name. */
function onlyMaps(json: unknown, maps: readonly BpfMap[]): unknown {
  if (!json || typeof json !== 'object' || Array.isArray(json)) return json;
  return Object.fromEntries(Object.entries(json).filter(([name]) => maps.some((m) => m.name === name)));
}

/**
 * Every object of a chain loaded into one system (as scenarioLoad.ts loads a scenario's) and the
 * dispatcher the simulator builds from them (xdp/dispatcherSetup.ts: the scenario's priorities and
 * chain-call actions, else each object's XDP_RUN_CONFIG, sorted by libxdp's cmp_xdp_programs).
 */
function loadChain(
  components: readonly LaunchComponent[],
  btf: DebugTarget['btf'],
): {
  objs: LoadedObject[];
  dispatcher: XdpDispatcher;
} {
  if (!components.length) throw new LaunchError('chain: the device runs a dispatcher with no programs');
  const system = new BpfSystem();
  const byFile = new Map<string, LoadedObject>();
  const configs = new Map<string, Map<string, XdpRunConfig>>();
  const programs = new Map<string, XdpProgramHandle>();
  for (const c of components) {
    let obj = byFile.get(c.file);
    if (!obj) {
      try {
        obj = loadObject(c.object, { system, name: c.objectName, ...btf });
        configs.set(c.file, readXdpRunConfigs(c.object));
      } catch (e) {
        throw new LaunchError(`chain program '${c.name}' (${c.file}): ${(e as Error).message}`);
      }
      byFile.set(c.file, obj);
    }
    const prog = c.function
      ? obj.program(c.function)
      : (obj.programs.find((p) => p.attach === 'xdp') ?? obj.programs[0]);
    if (!prog)
      throw new LaunchError(
        `chain program '${c.name}': no XDP program ${c.function ? `named '${c.function}' ` : ''}in ${c.file}`,
      );
    programs.set(c.name, prog);
    for (const [name, value] of Object.entries(c.globals ?? {}))
      try {
        setGlobal(obj.globals, name, value);
      } catch (e) {
        throw new LaunchError(`chain program '${c.name}': globals.${name}: ${(e as Error).message}`);
      }
  }
  const d = buildDispatcher(
    components.map((c, i) => ({
      program: c.name,
      ...(c.priority !== undefined ? { priority: c.priority } : {}),
      ...(c.chainCallActions ? { chainCallActions: c.chainCallActions } : {}),
      path: `chain[${i}]`,
    })),
    programs,
    (e, p) => configs.get(components.find((c) => c.name === e.program)?.file ?? '')?.get(p.name),
    1 + Math.max(0, ...[...programs.values()].map((p) => p.id)),
  );
  if (typeof d === 'string') throw new LaunchError(`chain: ${d}`);
  return { objs: [...byFile.values()], dispatcher: d };
}

/** Instruction addresses the Disassembly view shows: program index + 1 in the high word, pc * 8 below. */
export const insnAddress = (progIndex: number, pc: number): string =>
  '0x' + ((BigInt(progIndex + 1) << 32n) + BigInt(pc * 8)).toString(16);

export function parseInsnAddress(ref: string, byteOffset = 0): { progIndex: number; pc: number } | undefined {
  let v: bigint;
  try {
    v = BigInt(ref) + BigInt(byteOffset);
  } catch {
    return undefined;
  }
  const hi = Number(v >> 32n);
  const lo = Number(v & 0xffffffffn);
  if (hi < 1 || lo % 8) return undefined;
  return { progIndex: hi - 1, pc: lo / 8 };
}

/** A VM pointer (region id in the high word, ADDR_BASE + offset below) split for reading. */
export function splitPointer(v: bigint): { region: number; offset: number } {
  return { region: Number((v >> 32n) & 0xffffffffn), offset: Number(v & 0xffffffffn) - ADDR_BASE };
}
