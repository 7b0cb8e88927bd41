// The wasm tier's JS side: the imports a module calls (helpers, lookups, slow paths, atomics,
// faults) and the wrapper that makes a module a CompiledProgram, so the machine, tail calls and
// callbacks run it like the JS tier's code; the linear memory it runs against is wasmEnv.ts's.
import type { Insn } from '../isa';
import type { CompiledProgram, CompileOptions } from '../compiler';
import type { DirectHelperFn, Machine } from '../machine';
import type { XdpBuffer } from '../xdpRun';
import { REGION_PACKET } from '../machine';
import { ADDR_BASE } from '../memory';
import { LoadError } from '../vmFault';
import { BPF_FUNC_REDIRECT_MAP, compileWasm } from './wasmCompiler';
import { IMPORTS } from './wasmFrame';
import * as W from './wasmLayout';
import { envOf, sharedMemory, wasmApi } from './wasmEnv';
import type { WasmApi, WasmEnv } from './wasmEnv';

export type RunFn = (blk: number, main: number, ...rest: number[]) => number;
/** The module's in-module test-run loop (wasmCompiler.ts emitRepeat). */
type RepeatFn = (count: number, budget: number) => number;

const PENDING = W.SLOT_REDIR_PENDING >> 2;

/**
 * Writes the redirect record of a bpf_redirect_map hit the module answered inline
 * (SLOT_REDIR_*): the helper's own code does it (redirectMapDirect), as if it had been called.
 */
export function commitRedirect(M: Machine, env: WasmEnv, redirect: DirectHelperFn | undefined): void {
  const i32 = env.i32;
  i32[PENDING] = 0;
  if (redirect === undefined) return;
  const rh = M.rh;
  redirect(
    M,
    0,
    i32[W.SLOT_REDIR_MAP >> 2] as number,
    ADDR_BASE,
    i32[W.SLOT_REDIR_KEY_HI >> 2] as number,
    i32[W.SLOT_REDIR_KEY_LO >> 2] as number,
    0,
    i32[W.SLOT_REDIR_FLAGS >> 2] as number,
  );
  M.rh = rh;
}

/** The imports of a module instance for machine M (wasmCompiler.ts IMPORTS, in order). */
function importsFor(
  M: Machine,
  env: WasmEnv,
  messages: string[],
  redirect: DirectHelperFn | undefined,
): Record<string, unknown> {
  const slotRh = W.SLOT_RH >> 2;
  const fns: Record<(typeof IMPORTS)[number], unknown> = {
    call(
      pc: number,
      id: number,
      a1h: number,
      a1l: number,
      a2h: number,
      a2l: number,
      a3h: number,
      a3l: number,
      a4h: number,
      a4l: number,
      a5h: number,
      a5l: number,
    ): number {
      const i32 = env.i32;
      const A = M.A;
      A[0] = a1h;
      A[1] = a1l;
      A[2] = a2h;
      A[3] = a2l;
      A[4] = a3h;
      A[5] = a3l;
      A[6] = a4h;
      A[7] = a4l;
      A[8] = a5h;
      A[9] = a5l;
      const n = env.f64[W.SLOT_N >> 3] as number;
      M.n = n;
      M.depth = i32[W.SLOT_DEPTH >> 2] as number;
      const moves = M.windowMoves;
      if (i32[PENDING] !== 0) commitRedirect(M, env, redirect); // before anything reads the record
      const lo = M.call(pc, id);
      i32[slotRh] = M.rh;
      // Written only when they change (stores to a shared memory cost): only a tail call sets the
      // flag, only callbacks (bpf_loop …) add instructions.
      const tail = M.tail !== null ? 1 : 0;
      if (tail !== env.tailFlag) i32[W.SLOT_TAIL >> 2] = env.tailFlag = tail;
      if (M.n !== n) env.n = M.n;
      // Only a helper that moved the packet's window (adjust_head/tail/meta) or unlocked it with a
      // write changes the packet's table entry and the context image.
      if (M.windowMoves !== moves) env.refreshPacket();
      return lo;
    },
    ld(pc: number, size: number, sx: number, h: number, lo: number, off: number): number {
      const a = lo + off - ADDR_BASE;
      const m = M.R[h];
      let v: number;
      if (m !== undefined && a >= m.lo && a + size <= m.hi) {
        const dv = m.dv;
        let hi = 0;
        if (size === 8) {
          v = dv.getInt32(a, true);
          hi = dv.getInt32(a + 4, true);
        } else if (size === 4) v = dv.getInt32(a, true);
        else if (size === 2) v = sx ? dv.getInt16(a, true) : dv.getUint16(a, true);
        else v = sx ? dv.getInt8(a) : dv.getUint8(a);
        if (size < 8) hi = sx ? v >> 31 : 0;
        env.i32[slotRh] = hi;
        return v;
      }
      v = M.load(pc, size, sx !== 0, h, a);
      env.i32[slotRh] = M.rh;
      return v;
    },
    st(pc: number, size: number, h: number, lo: number, off: number, vh: number, vl: number): void {
      const a = lo + off - ADDR_BASE;
      const m = M.R[h];
      if (m !== undefined && a >= m.lo && a + size <= m.whi) {
        const dv = m.dv;
        if (size === 8) {
          dv.setInt32(a, vl, true);
          dv.setInt32(a + 4, vh, true);
        } else if (size === 4) dv.setInt32(a, vl, true);
        else if (size === 2) dv.setUint16(a, vl & 0xffff, true);
        else dv.setUint8(a, vl & 0xff);
        return;
      }
      M.store(pc, size, h, a, vh, vl);
      if (h === REGION_PACKET) env.refreshPacket(); // the first write unlocked it
    },
    atomic(
      pc: number,
      size: number,
      op: number,
      h: number,
      lo: number,
      off: number,
      vh: number,
      vl: number,
      r0h: number,
      r0l: number,
    ): number {
      const v = M.atomic(pc, size, op, h, lo + off - ADDR_BASE, vh, vl, r0h, r0l);
      env.i32[slotRh] = M.rh;
      if (h === REGION_PACKET) env.refreshPacket(); // the first write unlocked it
      return v;
    },
    fault(pc: number, id: number): void {
      if (env.i32[PENDING] !== 0) commitRedirect(M, env, redirect);
      M.n = env.n;
      M.fault(pc, messages[id] ?? 'fault');
    },
    budget(pc: number): void {
      if (env.i32[PENDING] !== 0) commitRedirect(M, env, redirect);
      M.outOfBudget(pc, env.n);
    },
    lookup(pc: number, mh: number, ml: number, kh: number, kl: number): number {
      const changes = env.regionChanges;
      const lo = M.lookupElem(pc, mh, ml, kh, kl);
      // A lookup changes nothing the test-run loop does between runs unless it made a value's
      // region (caches past their limit are swept between runs): only then is the loop handed back.
      if (env.regionChanges !== changes) env.i32[W.SLOT_CALLED >> 2] = 1;
      env.i32[slotRh] = M.rh;
      if (env.lookupTables[mh] !== undefined) env.remember(mh, kh, kl, M.rh);
      return lo;
    },
    tailsub(): number {
      if (env.i32[PENDING] !== 0) commitRedirect(M, env, redirect);
      M.n = env.n;
      const lo = M.tailInSubprogram();
      env.i32[slotRh] = M.rh;
      env.n = M.n;
      return lo;
    },
  };
  return fns;
}

/** One compiled module (with or without budget checks) and its instances, one per machine. */
class Variant {
  private readonly module: object;
  readonly entryOfPc: Int32Array;
  private readonly messages: string[];
  private readonly instances = new WeakMap<Machine, { run: RunFn; repeat: RepeatFn }>();
  readonly redirect: DirectHelperFn | undefined;

  constructor(
    private readonly api: WasmApi,
    insns: readonly Insn[],
    opts: CompileOptions,
    unlimited: boolean,
  ) {
    this.redirect = opts.helperDirect?.(BPF_FUNC_REDIRECT_MAP);
    const w = compileWasm(insns, opts, unlimited, sharedMemory ? W.MAX_PAGES : undefined);
    try {
      this.module = new api.Module(w.bytes);
    } catch (e) {
      // The engine's limits (e.g. V8's 65 520 br_table entries: one per basic block).
      throw new LoadError(
        `the wasm tier cannot compile this program (${(e as Error).message}); use the js tier`,
      );
    }
    this.entryOfPc = w.entryOfPc;
    this.messages = w.messages;
  }

  private lastM: Machine | undefined;
  private lastRun: RunFn | undefined;
  /** The `repeat` export of the instance runFor() last returned the `run` of. */
  lastRepeat: RepeatFn | undefined;

  runFor(M: Machine, env: WasmEnv): RunFn {
    if (M === this.lastM && this.lastRun) return this.lastRun;
    let r = this.instances.get(M);
    if (!r) {
      const inst = new this.api.Instance(this.module, {
        e: { ...importsFor(M, env, this.messages, this.redirect), mem: env.memory },
      });
      r = { run: inst.exports['run'] as RunFn, repeat: inst.exports['repeat'] as RepeatFn };
      this.instances.set(M, r);
    }
    this.lastM = M;
    this.lastRun = r.run;
    this.lastRepeat = r.repeat;
    return r.run;
  }
}

/**
 * Compiles `insns` to a wasm module and returns it as a CompiledProgram (same calling convention as
 * the JS tier's function). Runs without a budget use a second module without the budget checks
 * (compiled on first use). Throws LoadError when the engine has no WebAssembly.
 */
export function compileWasmTier(insns: readonly Insn[], opts: CompileOptions): CompiledProgram {
  if (!wasmApi) throw new LoadError('this JavaScript engine has no WebAssembly (use the js tier)');
  const api = wasmApi;
  const checked = new Variant(api, insns, opts, false);
  let unchecked: Variant | undefined;
  let lastM: Machine | undefined;
  let lastEnv: WasmEnv | undefined;
  const fast: FastEntry = {
    M: undefined,
    env: undefined,
    run: undefined,
    repeat: undefined,
    bytes: undefined,
    commit: (M: Machine, e: WasmEnv): void => commitRedirect(M, e, checked.redirect),
    lo: 0,
  };
  /**
   * Every entry but the common one: a new machine, a callback or sub-program entry, no budget, a
   * frame outside linear memory. Remembers what the common entry may skip (fast*).
   */
  function enter(
    S: unknown,
    pc: number,
    a1h: number,
    a1l: number,
    a2h: number,
    a2l: number,
    a3h: number,
    a3l: number,
    a4h: number,
    a4l: number,
    a5h: number,
    a5l: number,
  ): number {
    const M = S as Machine;
    const e = M === lastM && lastEnv ? lastEnv : (lastEnv = envOf(M));
    lastM = M;
    const variant = M.budget === Infinity ? (unchecked ??= new Variant(api, insns, opts, true)) : checked;
    const run = variant.runFor(M, e);
    const blk = pc === 0 ? 0 : (variant.entryOfPc[pc] ?? -1);
    if (blk < 0) return M.fault(pc, 'no instruction starts at pc ' + pc);
    // An XDP run whose frame is not in linear memory (an unshared memory's, a frame too big): its
    // bytes move in for the run and back after it (the slow path). A test run's frame with a shared
    // memory is already there: nothing to copy, nothing to undo (no try/finally on the way).
    const x = M.xdp;
    if (x !== null && !e.packetIn && !e.holds(x.buffer.bytes) && x.buffer.bytes.length <= W.PACKET_CAPACITY)
      return runMoved(
        variant.redirect,
        M,
        e,
        x.buffer,
        run,
        blk,
        pc,
        a1h,
        a1l,
        a2h,
        a2l,
        a3h,
        a3l,
        a4h,
        a4l,
        a5h,
        a5l,
      );
    if (e.cpu !== M.cpu) {
      e.cpu = M.cpu;
      e.i32[W.SLOT_CPU >> 2] = M.cpu;
    }
    if (e.seenMoves !== M.windowMoves) {
      e.seenMoves = M.windowMoves;
      e.refreshPacket();
    }
    if (variant === checked && pc === 0 && (x === null || !e.packetIn)) {
      fast.M = M;
      fast.env = e;
      fast.run = run;
      fast.repeat = variant.lastRepeat;
      fast.bytes = x?.buffer.bytes;
    } else fast.M = undefined;
    // A fault leaves through an import that has set M.n already (fault, budget, call).
    const lo = run(
      blk,
      pc === 0 ? 1 : 0,
      a1h,
      a1l,
      a2h,
      a2l,
      a3h,
      a3l,
      a4h,
      a4l,
      a5h,
      a5l,
      M.budget,
      M.n,
      M.depth,
    );
    if (e.i32[PENDING] !== 0) commitRedirect(M, e, variant.redirect);
    M.rh = e.i32[W.SLOT_RH >> 2] as number;
    M.n = e.f64[W.SLOT_N >> 3] as number; // (not the getter: a call V8 did not inline here)
    return lo;
  }

  const program = commonEntry(fast, enter) as WasmProgram;
  program.repeatRuns = repeatInModule(fast);
  program.moduleFor = (M: Machine): ModuleRun => {
    const e = envOf(M);
    return { run: checked.runFor(M, e), env: e, commit: fast.commit };
  };
  return program;
}

/** A wasm-tier program: a CompiledProgram, its in-module test-run loop (runLoop.ts), its module. */
export type WasmProgram = CompiledProgram & {
  repeatRuns?: InModuleLoop;
  /** The module of budget-checked runs on machine M, for an entry of its own (simEntry.ts). */
  moduleFor?: (M: Machine) => ModuleRun;
};

/**
 * What an entry that calls a module itself needs (the simulator's, core/vm/simEntry.ts): the `run`
 * export of the budget-checked module's instance for one machine — (block 0, 1, r1..r5 as (hi, lo)
 * pairs, budget, n, depth) for a run from the program's start — the machine's linear memory, and
 * the redirect commit to call when SLOT_REDIR_PENDING is set after the run.
 */
export interface ModuleRun {
  readonly run: RunFn;
  readonly env: WasmEnv;
  readonly commit: (M: Machine, e: WasmEnv) => void;
}

/**
 * Up to `count` repetitions of a test run inside the module (its `repeat` export: bpf_test_run's
 * loop around the JITed program), entered as the common entry is (same machine and frame, budget
 * checked, nothing moved); 0 when that does not hold. runLoop.ts has done the repetition's
 * bookkeeping and calls it only when nothing needs doing between runs (no written packet, no tail
 * call, no regions to sweep); the module stops after a run that called into JS. Returns the runs
 * done; r0 of the last in `loop.lo` (its high word in M.rh), its instruction count in M.n.
 */
export type InModuleLoop = ((M: Machine, count: number) => number) & { lo: number };

function repeatInModule(fast: FastEntry): InModuleLoop {
  const loop = ((M: Machine, count: number): number => {
    const e = fast.env;
    const repeat = fast.repeat;
    const x = M.xdp;
    if (
      M !== fast.M ||
      e === undefined ||
      repeat === undefined ||
      M.budget === Infinity ||
      (x !== null && x.buffer.bytes !== fast.bytes) ||
      e.cpu !== M.cpu ||
      e.seenMoves !== M.windowMoves
    )
      return 0;
    const k = repeat(count, M.budget);
    loop.lo = e.i32[W.SLOT_LAST_R0 >> 2] as number;
    if (e.i32[PENDING] !== 0) fast.commit(M, e);
    M.rh = e.i32[W.SLOT_RH >> 2] as number;
    M.n = e.f64[W.SLOT_N >> 3] as number;
    return k;
  }) as InModuleLoop;
  loop.lo = 0;
  return loop;
}

/** What the common entry may skip checking, as enter() last found it (machine undefined: nothing). */
interface FastEntry {
  M: Machine | undefined;
  env: WasmEnv | undefined;
  run: RunFn | undefined;
  repeat: RepeatFn | undefined;
  bytes: Uint8Array | undefined;
  /** commitRedirect with the program's bpf_redirect_map. */
  commit: (M: Machine, e: WasmEnv) => void;
  lo: number;
}

/**
 * The common entry — a run of the program from its start, on the machine and (for XDP runs) the
 * frame bytes of the last run, with the budget checked, nothing moved since — checks only that and
 * calls the module; anything else goes to `enter`. Small, so that V8 inlines it into the run loop,
 * and made from source once per program (as compiler.ts makes the JS tier's functions; the text is
 * this file's) so that its call into the module sees one export: V8 inlines the JS-to-Wasm call
 * only at a monomorphic site, and a closure shared by all programs would have one site for all.
 */
function commonEntry(fast: FastEntry, enter: CompiledProgram): CompiledProgram {
  const args = 'a1h, a1l, a2h, a2l, a3h, a3l, a4h, a4l, a5h, a5l';
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function(
    'fast',
    'enter',
    `"use strict"; return function wasmProgram(M, pc, ${args}) {
  const x = M.xdp;
  const e = fast.env;
  if (M !== fast.M || pc !== 0 || M.budget === Infinity || (x !== null && x.buffer.bytes !== fast.bytes) ||
      e.cpu !== M.cpu || e.seenMoves !== M.windowMoves)
    return enter(M, pc, ${args});
  const run = fast.run;
  const lo = run(0, 1, ${args}, M.budget, M.n, M.depth);
  if (e.i32[${PENDING}] !== 0) fast.commit(M, e);
  M.rh = e.i32[${W.SLOT_RH >> 2}];
  M.n = e.f64[${W.SLOT_N >> 3}];
  return lo;
};`,
  ) as (fast: FastEntry, enter: CompiledProgram) => CompiledProgram;
  return factory(fast, enter);
}

/** A run whose packet is moved into linear memory for its duration (see wasmProgram). */
function runMoved(
  redirect: DirectHelperFn | undefined,
  M: Machine,
  e: WasmEnv,
  b: XdpBuffer,
  run: RunFn,
  blk: number,
  pc: number,
  ...args: number[]
): number {
  const moved = b.bytes;
  const end0 = b.dataEnd;
  const view = e.packetView(moved.length);
  view.set(e.prefix(moved, end0, 0));
  b.bytes = view;
  const movedView = b.view;
  b.view = e.packetDataView(moved.length);
  M.syncPacket();
  // Read-only until the run's first write (Machine.lockPacket): an unwritten packet is not
  // copied back, and a test run does not restore it.
  M.lockPacket();
  e.packetIn = true;
  if (e.cpu !== M.cpu) {
    e.cpu = M.cpu;
    e.i32[W.SLOT_CPU >> 2] = M.cpu;
  }
  if (e.seenMoves !== M.windowMoves) {
    e.seenMoves = M.windowMoves;
    e.refreshPacket();
  }
  try {
    const lo = run(blk, pc === 0 ? 1 : 0, ...args, M.budget, M.n, M.depth);
    if (e.i32[PENDING] !== 0) commitRedirect(M, e, redirect);
    M.rh = e.i32[W.SLOT_RH >> 2] as number;
    return lo;
  } finally {
    M.n = e.n;
    const wrote = M.packetDirty;
    if (wrote) moved.set(e.prefix(b.bytes, Math.max(end0, b.dataEnd), 1));
    b.bytes = moved;
    b.view = movedView;
    M.syncPacket();
    M.packetDirty = wrote;
    e.packetIn = false;
    e.refreshPacket();
  }
}
