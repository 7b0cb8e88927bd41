// The debuggee: one object loaded from bytes, the program under debug, its recorded run, and the
// memory of any step of that run (a kept memory moved along the store log, else a replay to the step).
import { parseElf } from '../elf/elfFile';
import { loadObject } from '../elf/loadObject';
import type { LoadedObject } from '../elf/loadObject';
import type { BpfMap } from '../maps/bpfMap';
import { preloadMaps } from '../maps/mapPreload';
import { RedirectInfo } from '../xdp/redirectInfo';
import { ADDR_BASE } from '../vm/memory';
import type { Region } from '../vm/memory';
import type { RunnableProgram } from '../vm/machine';
import { testRunBuffer } from '../vm/xdpBuffer';
import type { XdpBuffer } from '../vm/xdpRun';
import type { XdpProgram } from '../vm/xdpProgram';
import type { LaunchInput } from './dapMessages';
import { ObjectDebugInfo, ProgramDebugInfo } from './programDebugInfo';
import { RecordedRun } from './recordedRun';
import type { RunSetup } from './recordedRun';

export class LaunchError extends Error {}

/** Step memories kept (each is one loaded object: a few hundred KiB). */
const MEMORY_CACHE = 8;

/** A kept memory and the step it currently shows (it moves: the same object serves many steps). */
interface KeptMemory {
  at: number;
  memory: StepMemory;
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
  readonly debugInfo: ObjectDebugInfo;
  readonly programs: readonly XdpProgram[];
  readonly program: XdpProgram;
  readonly run: RecordedRun;
  private readonly infos = new Map<string, ProgramDebugInfo>();
  /** Memories of recent stops, least recently used first; the recording's own machine starts at the end. */
  private readonly kept: KeptMemory[] = [];

  constructor(readonly input: LaunchInput) {
    let elf;
    try {
      elf = parseElf(input.object);
    } catch (e) {
      throw new LaunchError(`program: ${(e as Error).message}`);
    }
    this.debugInfo = new ObjectDebugInfo(elf);
    const first = this.fresh();
    this.programs = first.obj.programs;
    this.program = first.setup.program;
    this.run = RecordedRun.record(first.setup);
    this.kept.push({ at: this.run.length, memory: first.memory });
  }

  /** A new object, maps and buffer exactly as the launch described them (every replay starts here). */
  private fresh(): { obj: LoadedObject; setup: RunSetup; memory: StepMemory } {
    const inp = this.input;
    let obj: LoadedObject;
    try {
      obj = loadObject(inp.object, { name: inp.objectName });
    } catch (e) {
      throw new LaunchError(`program: ${(e as Error).message}`);
    }
    const prog = inp.function
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
    if (inp.maps !== undefined)
      try {
        preloadMaps(inp.maps, obj.maps);
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
      maps: obj.maps,
      redirect,
      printk: obj.system.printk,
    };
    return { obj, setup, memory };
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

  info(p: RunnableProgram): ProgramDebugInfo {
    let i = this.infos.get(p.name);
    if (!i) {
      const prog = this.programs.find((x) => x.name === p.name) ?? this.program;
      i = new ProgramDebugInfo(this.debugInfo, prog);
      this.infos.set(p.name, i);
    }
    return i;
  }

  /** Index of a program in the object (the high word of instruction addresses). */
  programIndex(name: string): number {
    return this.programs.findIndex((p) => p.name === name);
  }
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
