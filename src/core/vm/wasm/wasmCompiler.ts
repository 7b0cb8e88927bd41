// Compiles eBPF into one WebAssembly module (the wasm tier), mirroring compiler.ts instruction by
// instruction: basic blocks in a `loop` + `br_table` dispatcher nested so forward jumps are direct
// `br`s, per-block instruction counts and budget checks, helpers and bpf-to-bpf calls, tail calls.
import * as I from '../isa';
import type { Insn } from '../isa';
import { ADDR_BASE, STACK_SIZE } from '../memory';
import { findLabels } from '../blockLabels';
import { analyzeInit, defsUses, MAIN_ENTRY, SUB_ENTRY } from '../initAnalysis';
import type { CompileOptions } from '../compiler';
import { LoadError } from '../vmFault';
import {
  callImport,
  emitAccess,
  emitArrayLookup,
  emitAtomicAdd,
  emitAtomicAddress,
  emitFrameAccess,
  emitRedirectHit,
} from './wasmAccess';
import { emitAlu32, emitAlu64, emitCond } from './wasmAlu';
import * as F from './wasmFrame';
import {
  BUDGET_FAULT,
  FN,
  L_B,
  L_DEPTH,
  L_FAULT_MSG,
  L_FAULT_PC,
  L_FLAG0,
  L_N,
  P_ARG,
  P_BLK,
  P_BUDGET,
  P_D0,
  P_MAIN,
  P_N,
  R,
  RUN_FN,
  STACK0,
} from './wasmFrame';
import { assembleModule, ByteSink, F64, I32, I64, Op, VOID } from './wasmEmitter';
import * as W from './wasmLayout';

/** bpf_map_lookup_elem's and bpf_redirect_map's helper ids (include/uapi/linux/bpf.h). */
const BPF_FUNC_MAP_LOOKUP_ELEM = 1;
export const BPF_FUNC_REDIRECT_MAP = 51;

export interface WasmCompiled {
  bytes: Uint8Array;
  /** pc → the `blk` argument of `run` that starts there (-1: not an entry or dispatch target). */
  entryOfPc: Int32Array;
  /** Fault messages, by the id the module passes to the `fault` import. */
  messages: string[];
}

/**
 * Compiles `insns` (already validated by the JS tier's generator) into a module. `unlimited`
 * leaves the budget checks out (runs with no instruction budget: they still count instructions).
 */
export function compileWasm(
  insns: readonly Insn[],
  opts: CompileOptions = {},
  unlimited = false,
  sharedMaxPages?: number,
): WasmCompiled {
  const n = insns.length;
  const labels = [...findLabels(insns)].sort((a, b) => a - b);
  const blockOfPc = new Int32Array(n).fill(-1);
  labels.forEach((pc, b) => (blockOfPc[pc] = b));
  // Only blocks entered through the dispatcher get a br_table entry (forward jumps are direct).
  const dispatched = dispatchTargets(insns);
  const dispatchOf = new Int32Array(n).fill(-1);
  dispatched.forEach((pc, k) => (dispatchOf[pc] = k));
  const N = labels.length;
  const helperArgs = opts.helperArgs ?? ((): number => 5);
  const init =
    opts.uninitFaults === false
      ? { flagged: new Map<number, number[]>(), tracked: [] as number[] }
      : analyzeInit(insns, helperArgs);
  const tracked = init.tracked;
  const flagOf = (r: number): number => L_FLAG0 + tracked.indexOf(r);
  const messages: string[] = [];
  const msg = (m: string): number => {
    const k = messages.indexOf(m);
    if (k >= 0) return k;
    messages.push(m);
    return messages.length - 1;
  };

  const c = new ByteSink();
  // ---- prologue --------------------------------------------------------------------------------
  for (let r = 1; r <= 5; r++) {
    const h = P_ARG + 2 * (r - 1);
    c.get(h).op(Op.i64ExtendI32U).i64(32).op(Op.i64Shl);
    c.get(h + 1)
      .op(Op.i64ExtendI32U)
      .op(Op.i64Or)
      .set(R(r));
  }
  c.get(P_D0).set(L_DEPTH);
  const setR10 = (): void => {
    c.get(L_DEPTH).i32(STACK0).op(Op.i32Add).op(Op.i64ExtendI32U).i64(32).op(Op.i64Shl);
    c.i64(ADDR_BASE + 512)
      .op(Op.i64Or)
      .set(R(10));
  };
  setR10();
  c.get(P_N).byte(0xfc).u32(6).set(L_N); // i64.trunc_sat_f64_s
  c.get(P_BUDGET).byte(0xfc).u32(6).set(L_B);
  for (const r of tracked) {
    c.i32((MAIN_ENTRY >> r) & 1)
      .i32((SUB_ENTRY >> r) & 1)
      .get(P_MAIN)
      .op(Op.select)
      .set(flagOf(r));
  }

  // ---- shared emitters -------------------------------------------------------------------------
  /** Structured constructs opened inside the current block's code (labels between it and W_*). */
  let open = 0;
  let j = 0; // current block index
  let selfLoop = false;
  const depthOfBlock = (t: number): number => t - j - 1 + open;
  const depthOfDispatcher = (): number => N - 1 - j + open;
  const addN = (k: number): void => {
    if (k > 0) c.get(L_N).i64(k).op(Op.i64Add).set(L_N);
  };
  const storeN = (): void => {
    c.i32(0).get(L_N).byte(0xb9).mem(0x39, W.SLOT_N); // f64.convert_i64_s, f64.store
  };
  const loadN = (): void => {
    c.i32(0).mem(0x2b, W.SLOT_N).byte(0xfc).u32(6).set(L_N); // f64.load, i64.trunc_sat_f64_s
  };
  /**
   * Faults leave through one exit block after the dispatcher: calls in the hot code would make
   * V8's register allocator spill the loop's registers around them (3× slower loops).
   */
  const toFault = (pc: number, id: number): void => {
    c.i32(pc)
      .set(L_FAULT_PC)
      .i32(id)
      .set(L_FAULT_MSG)
      .br(depthOfDispatcher() + 1);
  };
  const fault = (pc: number, m: string): void => toFault(pc, msg(m));
  /** n > B: the budget fault (a `br_if` with the pc set beforehand keeps the loop branch-light). */
  const budgetCheck = (pc: number): void => {
    if (unlimited) return;
    c.i32(pc).set(L_FAULT_PC).i32(BUDGET_FAULT).set(L_FAULT_MSG);
    c.get(L_N)
      .get(L_B)
      .op(Op.i64GtS)
      .brIf(depthOfDispatcher() + 1);
  };
  const setFlags = (regs: number[], v: 0 | 1): void => {
    for (const r of regs) if (tracked.includes(r)) c.i32(v).set(flagOf(r));
  };
  /** r0 = (sext(memory[RH]) << 32) | u32(lo on the stack). */
  const r0FromImport = (): void => {
    c.set(F.TEMP_I32);
    c.i32(0).mem(Op.i64Load32S, W.SLOT_RH).i64(32).op(Op.i64Shl);
    c.get(F.TEMP_I32).op(Op.i64ExtendI32U).op(Op.i64Or).set(R(0));
  };
  const returnR0 = (): void => {
    c.i32(0).get(R(0)).i64(32).op(Op.i64ShrU).op(Op.i32WrapI64).mem(Op.i32Store, W.SLOT_RH);
    storeN();
    c.get(R(0)).op(Op.i32WrapI64).op(Op.return);
  };
  const frameAddr = (): void => {
    c.get(L_DEPTH).i32(W.FRAME_BYTES).op(Op.i32Mul);
  };
  const goBlock = (tpc: number): void => {
    c.i32(dispatchOf[tpc] as number)
      .set(P_BLK)
      .br(depthOfDispatcher());
  };
  /** Returns from a bpf-to-bpf call: restores r6–r9 and the flags, jumps to the return block. */
  const returnToCaller = (): void => {
    c.get(L_DEPTH).i32(1).op(Op.i32Sub).set(L_DEPTH);
    for (let r = 6; r <= 9; r++) {
      frameAddr();
      c.mem(Op.i64Load, W.CALL_STACK + 8 * (r - 6)).set(R(r));
    }
    tracked.forEach((r, k) => {
      frameAddr();
      c.mem(Op.i32Load, W.CALL_STACK + W.FRAME_FLAGS)
        .i32(k)
        .op(Op.i32ShrU)
        .i32(1)
        .op(Op.i32And)
        .set(flagOf(r));
    });
    setFlags([0], 1);
    setFlags([1, 2, 3, 4, 5], 0);
    setR10();
    frameAddr();
    c.mem(Op.i32Load, W.CALL_STACK + W.FRAME_RETURN).set(P_BLK);
    c.br(depthOfDispatcher());
  };
  /** Jumps to block `t` from pc (the count of the block so far is already added). */
  const jumpTo = (pc: number, tpc: number): void => {
    const t = blockOfPc[tpc] as number;
    if (tpc <= pc) budgetCheck(pc);
    if (t > j) c.br(depthOfBlock(t));
    else if (t === j && selfLoop) c.br(open - 1);
    else goBlock(tpc);
  };

  // ---- the dispatcher --------------------------------------------------------------------------
  c.op(Op.block).byte(VOID); // the fault exit
  c.op(Op.loop).byte(VOID);
  for (let b = 0; b < N; b++) c.op(Op.block).byte(VOID);
  c.get(P_BLK).op(Op.brTable).u32(dispatched.length);
  for (const pc of dispatched) c.u32(blockOfPc[pc] as number);
  c.u32(0);

  let k = 0;
  for (let pc = 0; pc < n; pc++) {
    const i = insns[pc] as Insn;
    if (blockOfPc[pc] !== -1) {
      addN(k);
      k = 0;
      if (selfLoop) {
        c.op(Op.end); // the block's own loop
        open--;
      }
      c.op(Op.end); // W_b: code of block b follows
      j = blockOfPc[pc] as number;
      selfLoop = jumpsToItself(insns, labels, j);
      if (selfLoop) {
        c.op(Op.loop).byte(VOID);
        open++;
      }
    }
    k++;
    for (const r of init.flagged.get(pc) ?? []) {
      c.get(flagOf(r)).op(Op.i32Eqz).op(Op.if).byte(VOID);
      open++;
      fault(pc, `read of uninitialised register r${r} (the verifier rejects the program: "R${r} !read_ok")`);
      open--;
      c.op(Op.end);
    }
    const cls = I.opClass(i.op);
    const defined = (): void => {
      if (I.isLdImm64(i) || cls !== I.BPF_JMP) setFlags(defsUses(i, helperArgs).defs, 1);
    };
    const d = i.dst;
    const s = i.src;
    const x = (i.op & I.BPF_X) !== 0;
    if (cls === I.BPF_ALU64) {
      emitAlu64(c, i, R(d), x ? R(s) : -1);
      defined();
      continue;
    }
    if (cls === I.BPF_ALU) {
      emitAlu32(c, i, R(d), x ? R(s) : -1);
      defined();
      continue;
    }
    if (cls === I.BPF_JMP || cls === I.BPF_JMP32) {
      const code = i.op & 0xf0;
      if (code === I.JMP_EXIT) {
        addN(k);
        k = 0;
        c.get(L_DEPTH).get(P_D0).op(Op.i32Eq).op(Op.if).byte(VOID);
        returnR0();
        c.op(Op.end);
        returnToCaller();
        continue;
      }
      if (code === I.JMP_CALL) {
        addN(k);
        k = 0;
        if (s === I.PSEUDO_CALL) {
          budgetCheck(pc);
          c.get(L_DEPTH).get(P_D0).op(Op.i32Sub).i32(7).op(Op.i32GeS);
          c.get(L_DEPTH).i32(8).op(Op.i32GeS).op(Op.i32Or).op(Op.if).byte(VOID);
          open++;
          fault(pc, 'call depth exceeds 8 frames');
          open--;
          c.op(Op.end);
          for (let r = 6; r <= 9; r++) {
            frameAddr();
            c.get(R(r)).mem(Op.i64Store, W.CALL_STACK + 8 * (r - 6));
          }
          frameAddr();
          c.i32(0);
          tracked.forEach((r, q) => c.get(flagOf(r)).i32(q).op(Op.i32Shl).op(Op.i32Or));
          c.mem(Op.i32Store, W.CALL_STACK + W.FRAME_FLAGS);
          frameAddr();
          c.i32(dispatchOf[pc + 1] ?? 0).mem(Op.i32Store, W.CALL_STACK + W.FRAME_RETURN);
          setFlags([0, 6, 7, 8, 9], 0);
          setFlags([1, 2, 3, 4, 5], 1);
          c.get(L_DEPTH).i32(1).op(Op.i32Add).set(L_DEPTH);
          setR10();
          goBlock(pc + i.imm + 1);
          continue;
        }
        if (i.imm === BPF_FUNC_MAP_LOOKUP_ELEM) {
          // The machine's direct lookup (Machine.lookupElem, as the JS tier calls it): r1 and r2 as
          // arguments, nothing through the argument slots; the value's region is in the table.
          emitArrayLookup(c, R(0), R(1), R(2), () => {
            storeN();
            c.i32(pc);
            for (const r of [1, 2]) {
              c.get(R(r)).i64(32).op(Op.i64ShrU).op(Op.i32WrapI64);
              c.get(R(r)).op(Op.i32WrapI64);
            }
            c.call(FN.lookup); // sets SLOT_CALLED itself when it made a region
            r0FromImport();
          });
          setFlags([0], 1);
          setFlags([1, 2, 3, 4, 5], 0);
          continue;
        }
        const helperCall = (): void => {
          storeN();
          c.i32(0).get(L_DEPTH).mem(Op.i32Store, W.SLOT_DEPTH);
          // r1–r5 as (hi, lo) arguments: the import writes them straight into Machine.A.
          c.i32(pc).i32(i.imm);
          for (let r = 1; r <= 5; r++) {
            c.get(R(r)).i64(32).op(Op.i64ShrU).op(Op.i32WrapI64);
            c.get(R(r)).op(Op.i32WrapI64);
          }
          callImport(c, FN.call);
          r0FromImport();
          loadN();
        };
        // A bpf_redirect_map hit into a described map is answered here (its record written by JS
        // later: SLOT_REDIR_*); misses, odd flags and other maps take the helper.
        if (i.imm === BPF_FUNC_REDIRECT_MAP && opts.helperDirect?.(i.imm) !== undefined)
          emitRedirectHit(c, R(0), R(1), R(2), R(3), helperCall);
        else helperCall();
        setFlags([0], 1);
        setFlags([1, 2, 3, 4, 5], 0);
        if (opts.tailCallHelper === i.imm) {
          // A taken tail call never returns (see compiler.ts).
          c.i32(0).mem(Op.i32Load, W.SLOT_TAIL).op(Op.if).byte(VOID);
          open++;
          c.get(L_DEPTH).get(P_D0).op(Op.i32Eq).op(Op.if).byte(VOID);
          returnR0();
          c.op(Op.end);
          callImport(c, FN.tailsub);
          r0FromImport();
          loadN();
          returnToCaller();
          open--;
          c.op(Op.end);
        }
        continue;
      }
      const tpc = cls === I.BPF_JMP32 && code === I.JMP_JA ? pc + i.imm + 1 : pc + i.off + 1;
      if (code === I.JMP_JA) {
        addN(k);
        k = 0;
        jumpTo(pc, tpc);
        continue;
      }
      emitCond(c, i, R(d), x ? R(s) : -1);
      c.op(Op.if).byte(VOID);
      open++;
      addN(k);
      jumpTo(pc, tpc);
      open--;
      c.op(Op.end);
      continue;
    }
    if (cls === I.BPF_LD) {
      const next = insns[pc + 1] as Insn;
      let v: bigint;
      if (i.src === 0) v = (BigInt(next.imm) << 32n) | BigInt(i.imm >>> 0);
      else {
        if (!opts.resolveLdImm64) throw new LoadError(`pc ${pc}: ld_imm64 with src_reg ${i.src} needs maps`);
        const r = opts.resolveLdImm64(pc, i, next);
        v = (BigInt(r.hi | 0) << 32n) | BigInt(r.lo >>> 0);
      }
      c.i64(BigInt.asIntN(64, v)).set(R(d));
      defined();
      pc++;
      continue;
    }
    // Loads and stores.
    const mode = i.op & 0xe0;
    const size = I.sizeBytes(i.op);
    // Through r10 at a constant offset inside the frame: no check (emitFrameAccess).
    const inFrame = (base: number): boolean => base === 10 && i.off >= -STACK_SIZE && i.off + size <= 0;
    if (cls === I.BPF_LDX) {
      const what = { load: R(d), sx: mode === I.BPF_MEMSX };
      if (inFrame(s)) emitFrameAccess(c, size, R(10), STACK_SIZE + i.off, what);
      else emitAccess(c, pc, size, R(s), i.off, what);
      defined();
      continue;
    }
    if (cls === I.BPF_ST || (cls === I.BPF_STX && mode === I.BPF_MEM)) {
      const what = { store: cls === I.BPF_ST ? { imm: i.imm } : { reg: R(s) } };
      if (inFrame(d)) emitFrameAccess(c, size, R(10), STACK_SIZE + i.off, what);
      else emitAccess(c, pc, size, R(d), i.off, what);
      continue;
    }
    // Atomics: the JS machine does them (Machine.atomic) on the region's bytes; a plain add inline.
    const atomicCall = (): void => {
      c.i32(pc).i32(size).i32(i.imm);
      emitAtomicAddress(c, R(d), i.off);
      c.get(R(s)).i64(32).op(Op.i64ShrU).op(Op.i32WrapI64).get(R(s)).op(Op.i32WrapI64);
      c.get(R(0)).i64(32).op(Op.i64ShrU).op(Op.i32WrapI64).get(R(0)).op(Op.i32WrapI64);
      storeN();
      callImport(c, FN.atomic);
    };
    if (i.imm === 0x00) {
      emitAtomicAdd(c, size, R(d), i.off, R(s), () => {
        atomicCall();
        c.op(Op.drop);
      });
      defined();
      continue;
    }
    atomicCall();
    const fetchInto = i.imm === I.ATOMIC_CMPXCHG ? 0 : i.imm & I.ATOMIC_FETCH ? s : -1;
    if (fetchInto < 0) c.op(Op.drop);
    else {
      c.set(F.TEMP_I32);
      c.i32(0).mem(Op.i64Load32S, W.SLOT_RH).i64(32).op(Op.i64Shl);
      c.get(F.TEMP_I32).op(Op.i64ExtendI32U).op(Op.i64Or).set(R(fetchInto));
    }
    defined();
  }
  addN(k);
  if (selfLoop) c.op(Op.end);
  c.op(Op.end); // the dispatcher loop
  c.i32(n).set(L_FAULT_PC).i32(msg('the program ran past its last instruction')).set(L_FAULT_MSG);
  c.op(Op.end); // the fault exit:
  storeN();
  c.get(L_FAULT_MSG).i32(BUDGET_FAULT).op(Op.i32Eq).op(Op.if).byte(VOID);
  c.get(L_FAULT_PC).call(FN.budget);
  c.op(Op.end);
  c.get(L_FAULT_PC).get(L_FAULT_MSG).call(FN.fault).op(Op.unreachable);

  const types = [
    { params: Array<number>(12).fill(I32), results: [I32] }, // call(pc, id, r1h, r1l, … r5h, r5l)
    { params: [I32, I32, I32, I32, I32, I32], results: [I32] }, // ld(pc, size, sx, h, lo, off)
    { params: [I32, I32, I32, I32, I32, I32, I32], results: [] }, // st(pc, size, h, lo, off, vh, vl)
    { params: [I32, I32, I32, I32, I32, I32, I32, I32, I32, I32], results: [I32] }, // atomic
    { params: [I32, I32], results: [] }, // fault(pc, msg)
    { params: [I32], results: [] }, // budget(pc)
    { params: [], results: [I32] }, // tailsub()
    { params: [I32, I32, I32, I32, I32], results: [I32] }, // lookup(pc, mh, ml, kh, kl)
    { params: [I32, I32, ...Array<number>(10).fill(I32), F64, F64, I32], results: [I32] }, // run
    { params: [I32, F64], results: [I32] }, // repeat(count, budget)
  ];
  const bytes = assembleModule({
    types,
    imports: F.IMPORTS.map((name, t) => ({ name, type: t })),
    memoryPages: 1,
    ...(sharedMaxPages !== undefined ? { sharedMaxPages } : {}),
    funcs: [
      {
        type: RUN_FN,
        locals: [
          { count: F.I64_LOCALS, type: I64 },
          { count: F.I32_LOCALS + tracked.length, type: I32 },
        ],
        body: c,
      },
      { type: RUN_FN + 1, locals: [{ count: 2, type: I32 }], body: emitRepeat() },
    ],
    exports: [
      { name: 'run', func: RUN_FN },
      { name: 'repeat', func: RUN_FN + 1 },
    ],
  });
  return { bytes, entryOfPc: dispatchOf, messages };
}

/**
 * `repeat(count, budget)`: up to `count` runs of the program from its start with the context in r1,
 * as bpf_test_run loops over the JITed program; it stops after a run that called an import
 * (SLOT_CALLED: the JS side may have work between repetitions — a written packet to restore, a
 * tail call, map regions to sweep) and returns the runs done, r0 of the last in SLOT_LAST_R0.
 * A run that touched nothing outside the module leaves nothing to do between runs but a new
 * redirect record (SLOT_REDIR_PENDING cleared).
 */
function emitRepeat(): ByteSink {
  const COUNT = 0;
  const BUDGET = 1;
  const K = 2;
  const LO = 3;
  const c = new ByteSink();
  c.op(Op.loop).byte(VOID);
  c.i32(0).i32(0).mem(Op.i32Store, W.SLOT_CALLED);
  c.i32(0).i32(0).mem(Op.i32Store, W.SLOT_REDIR_PENDING);
  c.i32(0).i32(1).i32(F.REGION_CTX).i32(ADDR_BASE);
  for (let k = 0; k < 8; k++) c.i32(0);
  c.get(BUDGET).i32(0).byte(0xb7).i32(0); // budget, n = 0.0 (f64.convert_i32_s), depth 0
  c.call(RUN_FN).set(LO);
  c.get(K).i32(1).op(Op.i32Add).tee(K);
  c.get(COUNT).op(Op.i32LtS);
  c.i32(0).mem(Op.i32Load, W.SLOT_CALLED).op(Op.i32Eqz).op(Op.i32And).brIf(0);
  c.op(Op.end);
  c.i32(0).get(LO).mem(Op.i32Store, W.SLOT_LAST_R0);
  c.get(K);
  return c;
}

/**
 * The pcs the dispatcher can enter, ascending: 0, callbacks and bpf-to-bpf call targets, return
 * points, and targets of backward jumps.
 */
function dispatchTargets(insns: readonly Insn[]): number[] {
  const out = new Set<number>([0]);
  for (let pc = 0; pc < insns.length; pc++) {
    const i = insns[pc] as Insn;
    if (I.isLdImm64(i)) {
      if (i.src === I.PSEUDO_FUNC) out.add(pc + i.imm + 1);
      pc++;
      continue;
    }
    const cls = I.opClass(i.op);
    if (cls !== I.BPF_JMP && cls !== I.BPF_JMP32) continue;
    const code = i.op & 0xf0;
    if (code === I.JMP_EXIT) continue;
    if (code === I.JMP_CALL) {
      if (cls === I.BPF_JMP && i.src === I.PSEUDO_CALL) {
        out.add(pc + i.imm + 1);
        out.add(pc + 1);
      }
      continue;
    }
    const t = cls === I.BPF_JMP32 && code === I.JMP_JA ? pc + i.imm + 1 : pc + i.off + 1;
    if (t <= pc) out.add(t);
  }
  return [...out].filter((pc) => pc >= 0 && pc < insns.length).sort((a, b) => a - b);
}

/** Does block `b` hold a jump back to its own first instruction? */
function jumpsToItself(insns: readonly Insn[], labels: number[], b: number): boolean {
  const start = labels[b] as number;
  const end = labels[b + 1] ?? insns.length;
  for (let pc = start; pc < end; pc++) {
    const i = insns[pc] as Insn;
    const cls = I.opClass(i.op);
    if (I.isLdImm64(i)) {
      pc++;
      continue;
    }
    if (cls !== I.BPF_JMP && cls !== I.BPF_JMP32) continue;
    const code = i.op & 0xf0;
    if (code === I.JMP_CALL || code === I.JMP_EXIT) continue;
    const t = cls === I.BPF_JMP32 && code === I.JMP_JA ? pc + i.imm + 1 : pc + i.off + 1;
    if (t === start) return true;
  }
  return false;
}
