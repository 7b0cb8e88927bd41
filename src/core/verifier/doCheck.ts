// The main walk (verifier.c do_check, push_stack/pop_stack, check_ld_imm; is_state_visited in
// stateCache.ts, calls and exits in funcCall.ts, loops in sccLoops.ts): every path from the entry,
// instruction by instruction, asking the state cache at prune points whether an explored path
// covers this one (it stops early).
import { auxPtrTypeOf, saveAuxPtrType } from './auxPtrType';
import * as I from '../vm/isa';
import type { Insn } from '../vm/isa';
import { checkAluOp, readReg, writeReg } from './aluOp';
import {
  callbackArgs,
  callbackState,
  findPrevEntry,
  scheduleCallback,
  widenImpreciseScalars,
} from './callbacks';
import { isCall, isExit, isMayGoto, isPseudoCall, jaOffset, PRUNE_CALLBACK } from './cfg';
import { checkCondJmp } from './condJmp';
import { fail, regTypeStr, VerifyFail } from './env';
import { ksymLdImm } from './ksymVars';
import type { VerifierEnv } from './env';
import { checkHelperCall, clearAllPktPointers } from './helperCall';
import { checkKfuncCall } from './kfuncs';
import { checkMemAccess } from './memAccess';
import type { Reg } from './regState';
import { markKnownP, markRegKnown, markUnknown, Reg as RegClass } from './regState';
import { toS64 } from './pair64';
import { tnumIsConst } from './tnum';
import type { Checkpoint, PathStep } from './state';
import { FuncState, VState } from './state';
import { StackLiveness, withStackLiveness } from './liveness';
import type { HistEntry } from './precision';
import { DST_REG_STACK, markPrecise, SLOTS_PER_FRAME, SRC_REG_STACK } from './precision';
import { checkCallWhileLocked } from './spinLock';
import { checkExit, checkFuncCall } from './funcCall';
import { stackAccessEntry } from './jmpHistory';
import { pathDone, StateCache } from './stateCache';

export interface DoCheckResult {
  processed: number;
  states: number;
  /** The most states kept at one time (peak_states). */
  peak: number;
  error?: { lines: string[]; insn: number; path: PathStep | undefined };
}

/** Pending branch (struct bpf_verifier_stack_elem). */
interface Pending {
  st: VState;
  pc: number;
}

function initState(env: VerifierEnv, entry: number): VState {
  const f = new FuncState(0, -1, entry);
  const g = env.globalFuncs.get(entry);
  if (entry !== 0 && g) {
    // btf_prepare_func_args: each argument as the prototype declares it.
    g.params.forEach((p, i) => {
      const r = f.regs[i + 1] as Reg;
      markUnknown(r);
      if (p.kind === 'bad') fail(p.why);
      if (p.kind === 'ctx') {
        markRegKnown(r, 0n);
        r.type = 'ctx';
      } else if (p.kind === 'mem') {
        markRegKnown(r, 0n);
        r.type = 'mem';
        r.maybeNull = true;
        r.memSize = p.size;
        r.id = ++env.idGen;
      }
    });
  } else {
    const r1 = f.regs[1] as Reg;
    markUnknown(r1);
    markRegKnown(r1, 0n);
    r1.type = 'ctx';
  }
  const r10 = f.regs[10] as Reg;
  markUnknown(r10);
  markRegKnown(r10, 0n);
  r10.type = 'stack';
  r10.frameno = 0;
  return new VState([f]);
}

/** do_check from `entry` (0: the main program, else a global sub-program); counts on from `already`. */
export function doCheck(env: VerifierEnv, insnLimit: number, entry = 0, already = 0): DoCheckResult {
  const live = new StackLiveness(
    env.insns,
    env.cfg.subprogs,
    (pc) => env.cfg.prunePoints[pc] === PRUNE_CALLBACK,
  );
  return withStackLiveness(live, () => walk(env, live, insnLimit, entry, already));
}

function walk(
  env: VerifierEnv,
  live: StackLiveness,
  insnLimit: number,
  entry: number,
  already: number,
): DoCheckResult {
  const { insns, cfg } = env;
  const cache = new StateCache(env, live);
  const pending: Pending[] = [];
  let processed = already;
  // env->jmps_processed and the counts at the last kept state carry over to global sub-programs.
  const counts = env.counts;
  let st: VState;
  try {
    st = initState(env, entry);
  } catch (e) {
    if (e instanceof VerifyFail)
      return {
        processed,
        states: cache.states,
        peak: cache.peak,
        error: { lines: e.lines, insn: entry, path: undefined },
      };
    throw e;
  }
  let pc = entry;
  for (;;) {
    try {
      for (;;) {
        if (++processed > insnLimit) fail(`BPF program is too large. Processed ${processed} insn`);
        st.insnIdx = pc;
        env.onInsn?.(pc, st);
        if (cfg.prunePoints[pc] && cache.visit(st, pc, processed)) break;
        const insn = insns[pc] as Insn;
        const cls = insn.op & 7;
        if (cls === I.BPF_JMP || cls === I.BPF_JMP32) counts.jmps++;
        // do_check's push_jmp_history at a jump point, the stack access's own entry (a spill or a
        // fill: backtracking follows its slot) or a conditional jump's on a stack pointer.
        const spill = stackAccessEntry(st, insn);
        const flags = stackRegFlags(st, insn);
        const entry = cfg.jmpPoints[pc] === 1 || spill || flags !== 0;
        if (entry) st.jmpHistoryCnt++;
        linkedAt = entry ? -1 : pc;
        // This instruction's history entry: the taken branch of a jump shares it.
        curHist = { pc, spi: spill ? stackSlotOf(st, insn) : 0, flags, linked: undefined, prev: st.hist };
        live.resetWrites(st, pc);
        // A synchronous callback's exit goes back to its helper call (prepare_func_exit).
        const cbExit =
          ((cls === I.BPF_JMP && (insn.op & 0xf0) === I.JMP_EXIT) || isTailCallExit(st, insn)) &&
          st.cur.callbackRange &&
          !st.cur.async;
        const next = isMayGoto(insn)
          ? mayGotoStep(cache.visited, st, insn, pc, pending, curHist)
          : step(env, st, insn, pc, pending);
        if (cbExit) {
          const prev = findPrevEntry(cache.visited.get(next), st);
          if (prev) widenImpreciseScalars(prev, st);
        }
        live.commitWrites(st);
        st.hist = curHist;
        if (next < 0) {
          pathDone(st.parent, cache.done);
          live.update(st);
          break;
        }
        pc = next;
      }
    } catch (e) {
      if (e instanceof VerifyFail)
        return {
          processed,
          states: cache.states,
          peak: cache.peak,
          error: { lines: e.lines, insn: pc, path: st.path },
        };
      throw e;
    }
    const p = pending.pop();
    if (!p) return { processed, states: cache.states, peak: cache.peak };
    st = p.st;
    pc = p.pc;
  }
}

/** The slot code (precision.ts HistEntry) of a fixed-offset stack load/store, else 0 (for backtracking). */
function stackSlotOf(st: VState, insn: Insn): number {
  const cls = insn.op & 7;
  let base: number;
  if (cls === I.BPF_LDX) base = insn.src;
  else if (cls === I.BPF_STX || cls === I.BPF_ST) base = insn.dst;
  else return 0;
  const r = base <= 10 ? st.cur.peekReg(base) : undefined;
  if (!r || r.type !== 'stack' || !tnumIsConst(r.varOff)) return 0;
  const off = r.off + Number(toS64(r.varOff.vh, r.varOff.vl)) + insn.off;
  if (off >= 0 || off < -512) return 0;
  return r.frameno * SLOTS_PER_FRAME + Math.floor((-off - 1) / 8) + 1;
}

/** The jump not yet in the history whose linked registers may add its entry (check_cond_jmp_op). */
let linkedAt = -1;
/** The history entry of the instruction being checked (step's taken branch shares it). */
let curHist: HistEntry = { pc: 0, spi: 0, flags: 0, linked: undefined, prev: undefined };

/**
 * check_cond_jmp_op's INSN_F_DST_REG_STACK / INSN_F_SRC_REG_STACK: a conditional jump comparing a
 * stack pointer has a history entry, and backtracking does not ask that register for precision.
 */
function stackRegFlags(st: VState, insn: Insn): number {
  const cls = insn.op & 7;
  if (cls !== I.BPF_JMP && cls !== I.BPF_JMP32) return 0;
  const op = insn.op & 0xf0;
  if (op === I.JMP_JA || op === I.JMP_CALL || op === I.JMP_EXIT || insn.dst > 10) return 0;
  let flags = st.cur.peekReg(insn.dst).type === 'stack' ? DST_REG_STACK : 0;
  if (insn.op & I.BPF_X && insn.src <= 10 && st.cur.peekReg(insn.src).type === 'stack')
    flags |= SRC_REG_STACK;
  return flags;
}

/** A load's result and a store's value, copied into scratch registers (no allocation per insn). */
const LOADED = new RegClass();
const STORED = new RegClass();

/** One instruction; returns the next pc, or -1 when this path ended at the main exit. */
function step(env: VerifierEnv, st: VState, insn: Insn, pc: number, pending: Pending[]): number {
  const cls = insn.op & 7;
  const f = st.cur;
  switch (cls) {
    case I.BPF_ALU:
    case I.BPF_ALU64:
      checkAluOp(env, st, insn);
      return pc + 1;
    case I.BPF_LDX: {
      const mode = insn.op & 0xe0;
      if ((mode !== I.BPF_MEM && mode !== I.BPF_MEMSX) || insn.imm !== 0)
        fail('BPF_LDX uses reserved fields');
      readReg(st, insn.src);
      writeReg(st, insn.dst);
      const size = I.sizeBytes(insn.op);
      const dst = LOADED;
      dst.assign(f.peekReg(insn.dst));
      const srcType = auxPtrTypeOf(f.peekReg(insn.src));
      checkMemAccess(
        env,
        st,
        insn.src,
        insn.off,
        size,
        'read',
        dst,
        undefined,
        undefined,
        mode === I.BPF_MEMSX,
      );
      saveAuxPtrType(env.auxPtrTypes, pc, srcType, true);
      f.reg(insn.dst).assign(dst);
      return pc + 1;
    }
    case I.BPF_STX: {
      const mode = insn.op & 0xe0;
      if (mode === I.BPF_ATOMIC) return checkAtomic(env, st, insn, pc);
      if (mode !== I.BPF_MEM || insn.imm !== 0) fail('BPF_STX uses reserved fields');
      const value = readReg(st, insn.src);
      readReg(st, insn.dst);
      const zero = checkMemAccess(
        env,
        st,
        insn.dst,
        insn.off,
        I.sizeBytes(insn.op),
        'write',
        undefined,
        STORED.assign(value),
        undefined,
        false,
        insn.src,
      );
      saveAuxPtrType(env.auxPtrTypes, pc, auxPtrTypeOf(f.peekReg(insn.dst)), false);
      if (zero) markPrecise(env.insns, st, 1 << insn.src);
      return pc + 1;
    }
    case I.BPF_ST: {
      if ((insn.op & 0xe0) !== I.BPF_MEM || insn.src !== 0) fail('BPF_ST uses reserved fields');
      readReg(st, insn.dst);
      checkMemAccess(
        env,
        st,
        insn.dst,
        insn.off,
        I.sizeBytes(insn.op),
        'write',
        undefined,
        undefined,
        insn.imm,
        false,
      );
      saveAuxPtrType(env.auxPtrTypes, pc, auxPtrTypeOf(f.peekReg(insn.dst)), false);
      return pc + 1;
    }
    case I.BPF_LD: {
      const mode = insn.op & 0xe0;
      if (mode === I.BPF_ABS || mode === I.BPF_IND)
        fail('BPF_LD_[ABS|IND] instructions not allowed for this program type');
      if (!I.isLdImm64(insn)) fail('invalid BPF_LD mode');
      checkLdImm(env, st, insn, pc);
      return pc + 2;
    }
    case I.BPF_JMP:
    case I.BPF_JMP32: {
      const op = insn.op & 0xf0;
      if (op === I.JMP_CALL) {
        if (cls !== I.BPF_JMP) fail(`unknown opcode ${insn.op.toString(16)}`);
        if (isPseudoCall(insn)) return checkFuncCall(env, st, insn, pc);
        checkCallWhileLocked(st, insn.src === I.PSEUDO_KFUNC_CALL ? 'kfunc' : 'helper', insn.imm);
        if (insn.src === I.PSEUDO_KFUNC_CALL) {
          const name = env.kfuncAt(pc);
          if (!name) fail(`kernel btf_id ${insn.imm} is not a function`);
          checkKfuncCall(env, st, name, pc);
          return pc + 1;
        }
        if (insn.src !== 0) fail('BPF_CALL uses reserved fields');
        const cbArgs = callbackArgs(st, insn.imm);
        checkHelperCall(env, st, insn.imm, pc);
        if (cbArgs && scheduleCallback(env, st, insn.imm, cbArgs))
          pending.push(callbackState(env, st, insn.imm, pc, cbArgs));
        if (isTailCallExit(st, insn)) return tailCallExit(env, st, pc, pending);
        return pc + 1;
      }
      if (op === I.JMP_JA) {
        if (insn.src || insn.dst || (cls === I.BPF_JMP && insn.imm) || (cls === I.BPF_JMP32 && insn.off))
          fail('BPF_JA uses reserved fields');
        return pc + jaOffset(insn) + 1;
      }
      if (op === I.JMP_EXIT) {
        if (cls !== I.BPF_JMP || insn.src || insn.imm || insn.off || insn.dst)
          fail('BPF_EXIT uses reserved fields');
        return checkExit(env, st);
      }
      const out = checkCondJmp(st, insn, pc, env.cfg.live);
      if (out.linked) {
        // collect_linked_regs before the branch splits: both branches share the entry.
        curHist.linked = out.linked;
        if (linkedAt === pc) {
          st.jmpHistoryCnt++;
          (out.other as VState).jmpHistoryCnt++;
        }
      }
      if (out.pred >= 0) {
        let mask = 0;
        if (f.peekReg(insn.dst).type === 'scalar') mask |= 1 << insn.dst;
        if (insn.op & I.BPF_X && f.peekReg(insn.src).type === 'scalar') mask |= 1 << insn.src;
        if (mask) markPrecise(env.insns, st, mask);
      }
      const target = pc + insn.off + 1;
      if (out.pred === 1) return target;
      if (out.pred === 0) return pc + 1;
      const other = out.other as VState;
      other.hist = curHist;
      other.path = { insn: pc, taken: true, prev: st.path };
      st.path = { insn: pc, taken: false, prev: st.path };
      if (st.parent) st.parent.branches++;
      pending.push({ st: other, pc: target });
      if (pending.length > 8192) fail('The sequence of 8193 jumps is too complex.');
      return pc + 1;
    }
    default:
      fail(`unknown insn class ${cls}`);
  }
}

/**
 * A tail call in a sub-program (check_helper_call's BPF_FUNC_tail_call with curframe > 0): one that
 * succeeds returns to the sub-program's caller, so it is an exit of the sub-program as well as a call.
 */
export const isTailCallExit = (st: VState, insn: Insn): boolean =>
  insn.op === (I.BPF_JMP | I.JMP_CALL) && insn.src === 0 && insn.imm === 12 && st.frames.length > 1;

/**
 * check_helper_call for a tail call in a sub-program (6.18's "bpf: properly verify tail call
 * behavior"): the call that fails falls through, a branch pushed with the state as the call left it
 * (R0 unset, packet pointers intact: nothing happened); the call that succeeds returns to the
 * caller with an unknown R0 and every packet pointer invalidated (the program called may have moved
 * the packet), prepare_func_exit. Returns the caller's next instruction (or the callback's helper
 * call, or -1 for an async callback: checkExit).
 */
function tailCallExit(env: VerifierEnv, st: VState, pc: number, pending: Pending[]): number {
  // No branch step on either path: the listed path names conditional jumps only, as the kernel's
  // log does (kernelLogPath.ts).
  const other = st.clone();
  other.hist = curHist;
  if (st.parent) st.parent.branches++;
  pending.push({ st: other, pc: pc + 1 });
  if (pending.length > 8192) fail('The sequence of 8193 jumps is too complex.');
  clearAllPktPointers(st);
  markUnknown(st.cur.reg(0));
  return checkExit(env, st);
}

/**
 * check_cond_jmp_op for may_goto: the fall-through (one more iteration) is a new state with one
 * more may_goto_depth, its imprecise scalars widened against the state this loop entered with; the
 * current state takes the jump (the budget ran out).
 */
function mayGotoStep(
  visited: ReadonlyMap<number, Checkpoint[]>,
  st: VState,
  insn: Insn,
  pc: number,
  pending: Pending[],
  hist: HistEntry,
): number {
  if (insn.src !== 0 || insn.dst !== 0 || insn.imm !== 0) fail(`invalid may_goto imm ${insn.imm}`);
  const other = st.clone();
  other.mayGotoDepth++;
  // find_prev_entry(cur_st->parent): an earlier entry of this loop, not the checkpoint just kept here.
  const prev = findPrevEntry(visited.get(pc), st.parent?.state ?? st);
  if (prev) widenImpreciseScalars(prev, other);
  other.hist = hist;
  other.path = { insn: pc, taken: false, prev: st.path };
  st.path = { insn: pc, taken: true, prev: st.path };
  if (st.parent) st.parent.branches++;
  pending.push({ st: other, pc: pc + 1 });
  if (pending.length > 8192) fail('The sequence of 8193 jumps is too complex.');
  return pc + insn.off + 1;
}

/** check_atomic */
function checkAtomic(env: VerifierEnv, st: VState, insn: Insn, pc: number): number {
  const size = I.sizeBytes(insn.op);
  const ok = [0x00, 0x40, 0x50, 0xa0].map((o) => [o, o | I.ATOMIC_FETCH]).flat();
  if (!ok.includes(insn.imm) && insn.imm !== I.ATOMIC_XCHG && insn.imm !== I.ATOMIC_CMPXCHG)
    fail(`BPF_ATOMIC uses invalid atomic opcode ${(insn.imm & 0xff).toString(16).padStart(2, '0')}`);
  if (size !== 4 && size !== 8) fail('invalid atomic operand size');
  readReg(st, insn.src);
  const dst = readReg(st, insn.dst);
  if (insn.imm === I.ATOMIC_CMPXCHG) readReg(st, 0);
  if (dst.type === 'ctx' || dst.isPkt())
    fail(`BPF_ATOMIC stores into R${insn.dst} ${regTypeStr(dst)} is not allowed`);
  const fetch = (insn.imm & I.ATOMIC_FETCH) !== 0;
  const loadReg = insn.imm === I.ATOMIC_CMPXCHG ? 0 : fetch ? insn.src : -1;
  const regs = st.cur.regs;
  const out = loadReg >= 0 ? (regs[loadReg] as Reg).clone() : undefined;
  const scratch = (regs[insn.src] as Reg).clone();
  markUnknown(scratch);
  checkMemAccess(
    env,
    st,
    insn.dst,
    insn.off,
    size,
    'read',
    out ?? scratch,
    undefined,
    undefined,
    false,
    -1,
    true,
  );
  // The store's value_regno is -1: a regular write of data (a spilled pointer there is destroyed, MISC).
  checkMemAccess(
    env,
    st,
    insn.dst,
    insn.off,
    size,
    'write',
    undefined,
    undefined,
    undefined,
    false,
    -1,
    true,
  );
  if (out) (regs[loadReg] as Reg).assign(out);
  void pc;
  return pc + 1;
}

/** check_ld_imm */
function checkLdImm(env: VerifierEnv, st: VState, insn: Insn, pc: number): void {
  const next = env.insns[pc + 1] as Insn;
  if (next.op !== 0 || next.dst || next.src || next.off) fail('invalid bpf_ld_imm64 insn');
  const d = writeReg(st, insn.dst);
  if (insn.src === 0) {
    markUnknown(d);
    markKnownP(d, next.imm | 0, insn.imm | 0);
    return;
  }
  const t = env.ldImm64(pc);
  if (!t) fail('unrecognized bpf_ld_imm64 insn');
  markUnknown(d);
  markRegKnown(d, 0n);
  if (t.kind === 'map') {
    d.type = 'map_ptr';
    d.map = t.map;
  } else if (t.kind === 'map_value') {
    d.type = 'map_value';
    d.map = t.map;
    d.off = t.off;
  } else if (t.kind === 'ksym') {
    ksymLdImm(d, t.ksym);
  } else {
    d.type = 'func';
    d.memSize = t.target;
  }
}

export { isCall, isExit };
