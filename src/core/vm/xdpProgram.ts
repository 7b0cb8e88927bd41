// A loaded XDP program: its linked instruction stream, line info, and compiled forms. Implements the
// simulator's XdpProgramHandle (xdpRun.ts) and BPF_PROG_TEST_RUN semantics for `xdp-lab run`.
import { helperByName } from '../bpf/helperCatalog';
import { RedirectInfo } from '../xdp/redirectInfo';
import { compile } from './compiler';
import { makeRunLoop } from './runLoop';
import type { RunLoop } from './runLoop';
import type { CompiledProgram, CompileOptions } from './compiler';
import type { Insn } from './isa';
import { DEFAULT_BUDGET, REGION_CTX } from './machine';
import type { Machine, RunnableProgram } from './machine';
import { ADDR_BASE, pairToBigInt } from './memory';
import type { BpfSystem } from './bpfSystem';
import { VmFault } from './vmFault';
import { testRunBuffer, testRunOutput } from './xdpBuffer';
import type { ProgramFault, XdpBuffer, XdpProgramHandle, XdpRunContext, XdpRunResult } from './xdpRun';

/** BPF_JMP | BPF_CALL: a helper call when src is 0. */
const BPF_CALL_OP = 0x85;
/** Helper ids of the calls that write the redirect info (§2), from the one helper table. */
const REDIRECT_HELPER_IDS: ReadonlySet<number> = new Set(
  ['bpf_redirect', 'bpf_redirect_map'].map((name) => {
    const helper = helperByName(name);
    if (!helper) throw new Error(`helper catalog lacks ${name}`);
    return helper.id;
  }),
);

/**
 * The per-instruction callback of a traced run. Made here, not inline in exec(): a closure there
 * would make V8 allocate its captured context on every run, traced or not.
 */
function tracer(M: Machine, onStep: (step: TraceStep) => void): (pc: number, ...regs: number[]) => void {
  return (pc, ...r) => {
    const regs: bigint[] = [];
    for (let i = 0; i < 22; i += 2) regs.push(pairToBigInt(r[i] as number, r[i + 1] as number));
    onStep({ program: M.current?.name ?? '', pc, regs });
  };
}

/** Where an instruction came from (BTF line info). */
export interface SourceLine {
  file: string;
  line: number;
  column: number;
  text: string;
}

/** One step of a traced run: the program, pc and r0–r10 before the instruction executes. */
export interface TraceStep {
  program: string;
  pc: number;
  regs: bigint[];
}

export interface RunOptions {
  /** Instruction budget (default 1 M). */
  budget?: number;
  /** Called before every instruction (slow path, for the stepper). */
  onStep?: (step: TraceStep) => void;
  /**
   * The same without allocating: pc, then r0–r10 as (hi, lo) int32 pairs (the debugger's recorder,
   * src/core/debug/recordedRun.ts). Takes precedence over onStep.
   */
  onRawStep?: (pc: number, ...regs: number[]) => void;
}

export interface TestRunOptions extends RunOptions {
  ingressIfindex?: number;
  rxQueueIndex?: number;
  cpu?: number;
  repeat?: number;
  /** Monotonic clock in ns for nsPerRun (the host's; core has none of its own). */
  now?: () => bigint;
}

export interface TestRunResult extends XdpRunResult {
  retval: number;
  dataOut: Uint8Array;
  nsPerRun?: number;
  redirect: RedirectInfo;
}

export interface XdpProgramSpec {
  name: string;
  section: string;
  attach: 'xdp' | 'devmap' | 'cpumap';
  frags: boolean;
  insns: Insn[];
  /** Source line per pc where line info starts a new line. */
  lines: Map<number, SourceLine>;
  compileOptions: CompileOptions;
  /** Compile on first run instead of at load: a load only to verify never runs the program, and
   * compiling katran's balancer was 20–75 ms of its verification time. */
  lazy?: boolean;
}

export class XdpProgram implements XdpProgramHandle, RunnableProgram {
  readonly id: number;
  readonly name: string;
  readonly section: string;
  readonly attach: 'xdp' | 'devmap' | 'cpumap';
  readonly frags: boolean;
  readonly insns: readonly Insn[];
  private readonly lineStarts: Map<number, SourceLine>;
  private fast: CompiledProgram | undefined;
  private traced: CompiledProgram | undefined;
  private readonly compileOptions: CompileOptions;

  constructor(
    readonly system: BpfSystem,
    spec: XdpProgramSpec,
  ) {
    this.name = spec.name;
    this.section = spec.section;
    this.attach = spec.attach;
    this.frags = spec.frags;
    this.insns = spec.insns;
    this.lineStarts = spec.lines;
    this.compileOptions = spec.compileOptions;
    // throws LoadError: refuse at load time. The system's tier (js/wasm) unless the spec names one.
    if (!spec.lazy) this.fast = compile(spec.insns, { tier: system.tier, ...spec.compileOptions });
    this.id = system.allocProgId();
  }

  compiled(trace: boolean): CompiledProgram {
    if (!trace)
      return (this.fast ??= compile(this.insns, { tier: this.system.tier, ...this.compileOptions }));
    this.traced ??= compile(this.insns, { ...this.compileOptions, trace: true });
    return this.traced;
  }

  /** The source line of `pc`: the nearest line-info record at or before it. */
  sourceOf(pc: number): SourceLine | undefined {
    for (let p = pc; p >= 0; p--) {
      const l = this.lineStarts.get(p);
      if (l) return l;
    }
    return undefined;
  }

  /**
   * The source line of the first call to a redirect helper (bpf_redirect / bpf_redirect_map): the
   * line a redirect drop points at, since that call wrote the redirect info step 2 consumed.
   */
  redirectCallSource(): SourceLine | undefined {
    const pc = this.insns.findIndex(
      (i) => i.op === BPF_CALL_OP && i.src === 0 && REDIRECT_HELPER_IDS.has(i.imm),
    );
    return pc >= 0 ? this.sourceOf(pc) : undefined;
  }

  lineOf(pc: number): string | undefined {
    const l = this.sourceOf(pc);
    if (!l) return undefined;
    return `${l.file.split('/').pop() ?? l.file}:${l.line}`;
  }

  /** Runs once on `buffer` in `ctx` (the simulator's entry point). */
  run(buffer: XdpBuffer, ctx: XdpRunContext, opts: RunOptions = {}): XdpRunResult {
    const action = this.exec(buffer, ctx, opts.budget ?? DEFAULT_BUDGET, opts.onStep, opts.onRawStep);
    const insns = this.system.machine.n;
    const fault = this.lastFault;
    if (fault === undefined) return { action, insns };
    this.lastFault = undefined;
    return { action: 0, insns, fault };
  }

  /**
   * The simulator's per-frame entry: r0 as the action, or 0 with the fault left for takeFault() —
   * no result or options object per run (a 1 M-frame simulation made ~600 MB of them).
   */
  runAction(buffer: XdpBuffer, ctx: XdpRunContext): number {
    return this.exec(buffer, ctx, DEFAULT_BUDGET, undefined);
  }

  /** The fault of the last runAction() (undefined when it ran to its exit), cleared by reading. */
  takeFault(): ProgramFault | undefined {
    const f = this.lastFault;
    this.lastFault = undefined;
    return f;
  }

  /** The fault of the last exec() that faulted (then exec returned 0). */
  private lastFault: ProgramFault | undefined;
  /** This program's own test-run loop (runLoop.ts: its call site sees only this program). */
  private loop: RunLoop | undefined;
  /** Set during test runs: exec() watches for the run's first packet write (Machine.packetDirty). */
  private watchPacket = false;

  /**
   * One run without allocating (the per-run path of test runs and the simulator): r0 as an
   * unsigned 32-bit action, or 0 with `lastFault` set.
   */
  private exec(
    buffer: XdpBuffer,
    ctx: XdpRunContext,
    budget: number,
    onStep: ((step: TraceStep) => void) | undefined,
    onRawStep?: (pc: number, ...regs: number[]) => void,
  ): number {
    const M = this.system.machine;
    if (M.xdp)
      throw new Error('XdpProgram.run: a run is already in progress in this system (runs do not nest)');
    // No map-value pointer outlives a run: caches that grew past their limit are dropped now.
    const mem = this.system.mapMemory;
    if (mem.pending.length) mem.sweep();
    const slot = M.xdpSlot;
    slot.buffer = buffer;
    slot.ctx = ctx;
    M.xdp = slot;
    M.cpu = ctx.cpu;
    M.enterPacket(this.watchPacket);
    M.n = 0;
    M.depth = 0;
    if (M.cs.length) M.cs.length = 0; // only a fault leaves frames behind
    M.tail = null;
    M.tailCount = 0;
    M.budget = budget;
    const trace = onStep !== undefined || onRawStep !== undefined;
    M.tracing = trace;
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- the tail-call loop moves on to other programs
    let prog: RunnableProgram = this;
    // The debugger's raw hook (pc + register pairs, nothing allocated per step) wins over onStep.
    if (onRawStep) M.trace = onRawStep;
    else if (onStep) M.trace = tracer(M, onStep);
    try {
      for (;;) {
        M.current = prog;
        const lo = prog.compiled(trace)(M, 0, REGION_CTX, ADDR_BASE, 0, 0, 0, 0, 0, 0, 0, 0);
        if (M.tail === null) return lo >>> 0;
        prog = M.tail;
        M.tail = null;
        M.depth = 0;
        M.cs.length = 0;
      }
    } catch (e) {
      if (!(e instanceof VmFault)) throw e;
      this.lastFault = this.faultOf(M, e);
      return 0;
    } finally {
      M.xdp = null;
      M.ctxImage[12] = 0;
      if (M.kernelRefs.length) M.dropKernelRefs();
      if (trace) {
        M.trace = undefined;
        M.tracing = false;
      }
    }
  }

  /** A fault as a run reports it: the program it happened in (a tail call's target) and its line. */
  private faultOf(M: Machine, e: VmFault): ProgramFault {
    const line = M.current?.lineOf(e.pc);
    const where = M.current && M.current !== this ? `${M.current.name}: ` : '';
    return { pc: e.pc, ...(line ? { line } : {}), message: where + e.message };
  }

  /**
   * The repetitions of an untraced test run in one loop, as the kernel's bpf_test_run() loops over
   * one xdp_buff: the run state is set once, and each repetition only restores a frame the last one
   * wrote, resets the redirect record and the per-run counters, and calls the compiled program (no
   * exec() per repetition: its entry and exit were most of a short program's time). Returns r0 of
   * the last run, or 0 with `lastFault` set.
   */
  private repeatRuns(frame: TestRunFrame, ctx: XdpRunContext, budget: number, repeat: number): number {
    const M = this.system.machine;
    if (M.xdp)
      throw new Error('XdpProgram.run: a run is already in progress in this system (runs do not nest)');
    const mem = this.system.mapMemory;
    const buffer = frame.buffer;
    const slot = M.xdpSlot;
    slot.buffer = buffer;
    slot.ctx = ctx;
    M.xdp = slot;
    M.cpu = ctx.cpu;
    M.budget = budget;
    M.tracing = false;
    const fast = this.compiled(false);
    const loop = (this.loop ??= makeRunLoop());
    let action = 0;
    try {
      action = loop(M, this, fast, frame, ctx.redirect, mem, repeat);
    } catch (e) {
      if (!(e instanceof VmFault)) throw e;
      this.lastFault = this.faultOf(M, e);
      action = 0;
    } finally {
      M.xdp = null;
      M.ctxImage[12] = 0;
      if (M.kernelRefs.length) M.dropKernelRefs();
    }
    return action;
  }

  /** BPF_PROG_TEST_RUN: `repeat` runs, each on a fresh copy of `frame`; maps keep their state. */
  testRun(frame: Uint8Array, opts: TestRunOptions = {}): TestRunResult {
    const repeat = Math.max(1, opts.repeat ?? 1);
    const redirect = new RedirectInfo();
    const ctx: XdpRunContext = {
      ingressIfindex: opts.ingressIfindex ?? 1,
      rxQueueIndex: opts.rxQueueIndex ?? 0,
      egressIfindex: 0,
      cpu: opts.cpu ?? 0,
      redirect,
    };
    const template = testRunBuffer(frame); // throws TestRunError for runts
    // The same shape as every other XdpBuffer (a spread would give the run path a second map).
    const buffer: XdpBuffer = {
      bytes: this.system.machine.testRunBytes(template.bytes), // the wasm tier's memory, if any
      dataMeta: template.dataMeta,
      data: template.data,
      dataEnd: template.dataEnd,
      frags: template.frags.map((f) => f.slice()),
    };
    const budget = opts.budget ?? DEFAULT_BUDGET;
    const onStep = opts.onStep;
    const onRawStep = opts.onRawStep;
    let action = 0;
    const run = new TestRunFrame(template, buffer);
    const M = this.system.machine;
    const t0 = opts.now?.();
    this.watchPacket = true;
    try {
      if (onStep === undefined && onRawStep === undefined) action = this.repeatRuns(run, ctx, budget, repeat);
      else
        for (let i = 0; i < repeat; i++) {
          if (i > 0 && M.packetDirty) run.restore();
          redirect.reset(); // plain test-run mode: every repetition is its own context (§1.2)
          action = this.exec(buffer, ctx, budget, onStep, onRawStep);
          if (this.lastFault) break;
        }
    } finally {
      this.watchPacket = false;
    }
    const t1 = opts.now?.();
    const fault = this.lastFault;
    this.lastFault = undefined;
    const insns = this.system.machine.n;
    const out: TestRunResult = fault
      ? { action: 0, insns, fault, retval: 0, dataOut: testRunOutput(buffer), redirect }
      : { action, insns, retval: action, dataOut: testRunOutput(buffer), redirect };
    if (t0 !== undefined && t1 !== undefined) out.nsPerRun = Number(t1 - t0) / repeat;
    return out;
  }
}

/**
 * A test run's frame between repetitions: a run can only have written the headroom and the frame
 * (tail growth zero-fills what it exposes), so restoring [0, end of frame) gives every repetition a
 * fresh copy (bpf_test_run reinitialises the xdp_buff the same way).
 */
class TestRunFrame {
  private readonly frameBytes: Uint8Array;

  constructor(
    private readonly template: XdpBuffer,
    readonly buffer: XdpBuffer,
  ) {
    this.frameBytes = template.bytes.subarray(template.dataMeta, template.dataEnd);
  }

  /** Called when the last repetition wrote the packet (Machine.packetDirty). */
  restore(): void {
    const t = this.template;
    const b = this.buffer;
    // The window never moved (the usual case): only the frame's bytes can have changed.
    if (b.dataMeta === t.dataMeta && b.data === t.data && b.dataEnd === t.dataEnd)
      b.bytes.set(this.frameBytes, t.dataMeta);
    else {
      b.bytes.set(t.bytes.subarray(0, t.dataEnd));
      b.dataMeta = t.dataMeta;
      b.data = t.data;
      b.dataEnd = t.dataEnd;
    }
    if (t.frags.length > 0 || b.frags.length) b.frags = t.frags.map((f) => f.slice());
  }
}
