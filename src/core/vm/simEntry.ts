// The simulator's per-program entry into the VM (bpf_prog_run_xdp as veth_xdp_rcv calls it, one
// frame at a time): what XdpProgram.exec does for an untraced run, in a function of the program's
// own — and it watches the packet, so the simulator learns whether the run wrote its frame.
import type { CompiledProgram } from './compiler';
import { DEFAULT_BUDGET } from './machineMemory';
import type { Machine } from './machine';
import { ADDR_BASE, REGION_CTX } from './memory';
import { VmFault } from './vmFault';
import type { ModuleRun, WasmProgram } from './wasm/wasmTier';
import { SLOT_CPU, SLOT_N, SLOT_REDIR_PENDING, SLOT_RH } from './wasm/wasmLayout';
import type { XdpProgram } from './xdpProgram';
import type { ProgramFault, XdpBuffer, XdpRunContext } from './xdpRun';

/**
 * The generated entry: one run of `prog` (compiled: `fast`; on the wasm tier `w` is its module) on
 * `buffer` in `ctx`; r0 as u32.
 */
type EntryFn = (
  M: Machine,
  prog: XdpProgram,
  fast: CompiledProgram,
  buffer: XdpBuffer,
  ctx: XdpRunContext,
  mem: { readonly pending: readonly unknown[]; sweep(): void },
  budget: number,
  w: ModuleRun | undefined,
) => number;

/**
 * exec()'s untraced run: the map-value caches swept (no map-value pointer outlives a run), the run
 * slot and CPU set, the packet entered LOCKED (its first write takes the slow path and marks it
 * dirty, as test runs watch it: Machine.packetDirty), the per-run counters reset, the program
 * called and its tail calls followed; the slot is cleared even when the run faults.
 */
const BODY = (CALL: string): string => `
if (M.xdp !== null) throw new Error('XdpProgram.run: a run is already in progress in this system (runs do not nest)');
if (mem.pending.length) mem.sweep();
const slot = M.xdpSlot;
slot.buffer = buffer;
if (slot.ctx !== ctx) slot.ctx = ctx;
M.xdp = slot;
M.cpu = ctx.cpu;
M.enterFrame();
M.n = 0;
M.depth = 0;
if (M.cs.length) M.cs.length = 0;
M.tail = null;
M.tailCount = 0;
M.budget = budget;
M.tracing = false;
if (M.current !== prog) M.current = prog;
try {
  ${CALL}
  while (M.tail !== null) {
    const next = M.tail;
    M.tail = null;
    M.depth = 0;
    M.cs.length = 0;
    M.current = next;
    lo = next.compiled(false)(M, 0, ${REGION_CTX}, ${ADDR_BASE}, 0, 0, 0, 0, 0, 0, 0, 0);
  }
  return lo >>> 0;
} finally {
  M.xdp = null;
  M.ctxImage[12] = 0;
  if (M.kernelRefs.length) M.dropKernelRefs();
}`;

/** The JS tier's call: the compiled function. */
const JS_CALL = `let lo = fast(M, 0, ${REGION_CTX}, ${ADDR_BASE}, 0, 0, 0, 0, 0, 0, 0, 0);`;

/**
 * The wasm tier's call: a frame whose page is in the machine's linear memory (XdpBuffer.at: the
 * simulator's pool takes pages from it) runs in the module itself — the packet's region-table entry
 * and the CPU slot brought up to date as the module's wrapper does (wasmTier.ts enter), the inline
 * redirect committed after it, r0's high word and the instruction count read back — without the
 * wrapper's checks of the machine, the frame and the budget (fixed here: one machine, a new frame
 * per run, the default budget). Any other frame (a buffer of its own: longer than a page) goes
 * through the wrapper, which moves it into linear memory for the run and back.
 */
const WASM_CALL = `let lo;
  const at = buffer.at;
  if (at === undefined || at < 0) lo = fast(M, 0, ${REGION_CTX}, ${ADDR_BASE}, 0, 0, 0, 0, 0, 0, 0, 0);
  else {
    const e = w.env;
    if (e.cpu !== M.cpu) {
      e.cpu = M.cpu;
      e.i32[${SLOT_CPU >> 2}] = M.cpu;
    }
    if (e.seenMoves !== M.windowMoves) {
      e.seenMoves = M.windowMoves;
      e.packetAt(buffer.bytes, at);
    }
    lo = w.run(0, 1, ${REGION_CTX}, ${ADDR_BASE}, 0, 0, 0, 0, 0, 0, 0, 0, budget, 0, 0);
    if (e.i32[${SLOT_REDIR_PENDING >> 2}] !== 0) w.commit(M, e);
    M.rh = e.i32[${SLOT_RH >> 2}];
    M.n = e.f64[${SLOT_N >> 3}];
  }`;

/**
 * One program's entry. Made from source per program, as runLoop.ts makes the test-run loop: V8
 * keeps call feedback per function, so the program's compiled function is the one target its call
 * site sees (inlined), and a scenario loaded later — new compiled functions — does not deoptimise
 * the entries of the earlier ones. Same results as XdpProgram.runAction: r0, or 0 and a fault.
 */
export class SimEntry {
  /** The fault of the last run (undefined when it ran to its exit). */
  fault: ProgramFault | undefined = undefined;
  /** Whether the last run wrote its packet's bytes or moved its window (or faulted). */
  wrote = false;
  private entry: EntryFn;
  private fast: CompiledProgram | undefined;
  /** The wasm tier's module on this machine (undefined on the JS tier). */
  private module: ModuleRun | undefined;
  /** The program's system's machine and map memory (fixed for its life): read once, not per run. */
  private readonly machine: Machine;
  private readonly mem: { readonly pending: readonly unknown[]; sweep(): void };

  /**
   * `linearPages`: the frames' XdpBuffer.at offsets are in this program's machine's linear memory
   * (the simulator's pages come from its system): on the wasm tier such a frame runs where it lies.
   */
  constructor(
    readonly prog: XdpProgram,
    private readonly linearPages = false,
  ) {
    this.machine = prog.system.machine;
    this.mem = prog.system.mapMemory;
    this.entry = makeEntry(false);
  }

  /**
   * The compiled program and entry of the first run: those of an earlier entry whose JS-tier
   * program has the same source — a simulation run again (a scenario reloaded, the bench's measured
   * run) keeps the optimised code instead of compiling and warming both up again. The source is all
   * the function is: its constants are the load's resolved values, the machine it runs on is an
   * argument (M), and the helpers it closes over are the shared table's (helperTable.ts).
   */
  private bind(): CompiledProgram {
    const fast = this.prog.compiled(false);
    const moduleFor = (fast as WasmProgram).moduleFor;
    if (moduleFor !== undefined && this.linearPages) {
      // The wasm tier: the module's instance on this machine, called from an entry of its own.
      this.module = moduleFor(this.machine);
      this.entry = makeEntry(true);
      return (this.fast = fast);
    }
    const source = fast.toString();
    if (!source.startsWith(JS_TIER_PREFIX)) return (this.fast = fast);
    const hit = warm.get(source);
    if (hit !== undefined) {
      this.entry = hit.entry;
      return (this.fast = hit.fast);
    }
    if (warm.size >= WARM_MAX) warm.clear();
    warm.set(source, { fast, entry: this.entry });
    return (this.fast = fast);
  }

  /** Runs the program once on `buffer` in `ctx`: r0 as an unsigned action, or 0 with `fault` set. */
  run(buffer: XdpBuffer, ctx: XdpRunContext): number {
    const prog = this.prog;
    const M = this.machine;
    this.fault = undefined;
    // Bound before the entry is read: the callee is evaluated before the arguments, so reading
    // this.entry first would make a new SimEntry's first run call its constructor's entry, not the
    // warm one bind() picks — and that second target alone makes the call site polymorphic (a
    // generic call per frame for the rest of the process).
    const fast = this.fast !== undefined ? this.fast : this.bind();
    try {
      const action = this.entry(M, prog, fast, buffer, ctx, this.mem, DEFAULT_BUDGET, this.module);
      this.wrote = M.packetDirty;
      return action;
    } catch (e) {
      if (!(e instanceof VmFault)) throw e;
      this.fault = faultOf(M, prog, e);
      this.wrote = true;
      return 0;
    }
  }
}

/** A new entry function (its own call feedback, see SimEntry). */
function makeEntry(wasm: boolean): EntryFn {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function(
    `"use strict"; return function simEntry(M, prog, fast, buffer, ctx, mem, budget, w) {${BODY(wasm ? WASM_CALL : JS_CALL)}\n};`,
  ) as () => EntryFn;
  return factory();
}

/** How the JS tier's compiled program begins (compiler.ts); the wasm tier's wrappers do not. */
const JS_TIER_PREFIX = 'function bpfProgram(';
/** Compiled programs and their entries by the program's source, kept across simulations. */
const warm = new Map<string, { readonly fast: CompiledProgram; readonly entry: EntryFn }>();
/** Sources kept at most (the map is emptied when full: a process loads few distinct programs). */
const WARM_MAX = 32;

/** A fault as XdpProgram reports it: the program it happened in (a tail call's target) and its line. */
function faultOf(M: Machine, prog: XdpProgram, e: VmFault): ProgramFault {
  const line = M.current?.lineOf(e.pc);
  const where = M.current && M.current !== prog ? `${M.current.name}: ` : '';
  return { pc: e.pc, ...(line ? { line } : {}), message: where + e.message };
}
