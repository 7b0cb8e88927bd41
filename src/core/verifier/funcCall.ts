// BPF-to-BPF calls and exits (verifier.c check_func_call, prepare_func_exit, check_return_code):
// a static sub-program runs in a new frame of the caller's state, a global one is checked against
// its prototype only; an exit pops the frame, ends a callback's iteration or checks the program's R0.
import type { Insn } from '../vm/isa';
import { checkCallbackReturn } from './callbacks';
import { fail, regTypeStr, VerifyFail } from './env';
import type { VerifierEnv } from './env';
import { checkHelperMem, checkPtrOffReg } from './memAccess';
import { isNullReg, markNotInit, markRegKnown, markUnknown } from './regState';
import { readReg } from './aluOp';
import { FuncState, MAX_CALL_FRAMES } from './state';
import type { VState } from './state';
import { updateStackLiveness } from './liveness';
import { markPrecise } from './precision';
import { checkExitWhileLocked, checkGlobalCallWhileLocked } from './spinLock';

/**
 * check_func_call: a static sub-program is verified in the caller's context; a global one only has
 * its arguments checked against its prototype (btf_check_subprog_call) and returns a scalar.
 */
export function checkFuncCall(env: VerifierEnv, st: VState, insn: Insn, pc: number): number {
  if (st.frames.length >= MAX_CALL_FRAMES)
    fail(`the call stack of ${st.frames.length + 1} frames is too deep !`);
  const target = pc + insn.imm + 1;
  const g = env.globalFuncs.get(target);
  if (g) {
    checkGlobalCallWhileLocked(st);
    const num = env.cfg.subprogs.indexOf(target);
    try {
      g.params.forEach((p, i) => {
        const regno = i + 1;
        const r = st.cur.peekReg(regno);
        if (p.kind === 'scalar' && r.type !== 'scalar') fail(`R${regno} is not a scalar`);
        if (p.kind === 'ctx') {
          if (r.type !== 'ctx') fail(`arg#${i} expects pointer to ctx`);
          checkPtrOffReg(r, regno, false);
        }
        if (p.kind === 'mem' && !isNullReg(r)) {
          if (r.type === 'not_init') fail(`R${regno} !read_ok`);
          checkHelperMem(st, regno, p.size, 'read', false, true);
        }
      });
    } catch (e) {
      if (e instanceof VerifyFail) e.lines.push(`Caller passes invalid args into func#${num} ('${g.name}')`);
      throw e;
    }
    if (!env.calledGlobals.includes(target)) env.calledGlobals.push(target);
    for (let r = 1; r <= 5; r++) markNotInit(st.cur.reg(r));
    markUnknown(st.cur.reg(0));
    return pc + 1;
  }
  const caller = st.cur;
  const callee = new FuncState(st.frames.length, pc, target);
  for (let r = 1; r <= 5; r++) callee.reg(r).assign(caller.peekReg(r));
  const fp = callee.reg(10);
  markUnknown(fp);
  markRegKnown(fp, 0n);
  fp.type = 'stack';
  fp.frameno = callee.frameno;
  for (let r = 0; r <= 5; r++) markNotInit(caller.reg(r));
  st.frames.push(callee);
  return target;
}

/** BPF_EXIT: prepare_func_exit in a subprogram, check_return_code in the main program. */
export function checkExit(env: VerifierEnv, st: VState): number {
  if (st.cur.callbackRange) {
    // prepare_func_exit for a callback: its R0 is range-checked, the caller's R0 stays the helper's.
    markPrecise(env.insns, st, 1);
    checkCallbackReturn(st.cur.peekReg(0), st.cur);
    if (st.cur.async) return -1;
    updateStackLiveness(st);
    // Back to the helper call, which is checked again and schedules the callback once more: the
    // states at the call converge (is_state_visited prunes) when more iterations change nothing.
    const callee = st.frames.pop() as FuncState;
    return callee.callsite;
  }
  if (st.frames.length > 1) {
    // prepare_func_exit: R0 goes back as it is (a void static function leaves it unset).
    const callee = st.cur;
    const r0 = callee.peekReg(0);
    if (r0.type === 'stack' && r0.frameno === callee.frameno)
      fail('cannot return stack pointer to the caller');
    // The callee's stack is dead now: its liveness reaches the caller's instance.
    updateStackLiveness(st);
    st.frames.pop();
    st.cur.reg(0).assign(r0);
    return callee.callsite + 1;
  }
  if (st.cur.subprog !== 0) {
    // A global sub-program's own exit (check_return_code for subprograms).
    checkExitWhileLocked(st, 'BPF_EXIT instruction in main prog');
    const r0 = readReg(st, 0);
    if (r0.type !== 'scalar')
      fail(`At subprogram exit the register R0 is not a scalar value (${regTypeStr(r0)})`);
    return -1;
  }
  checkExitWhileLocked(st, 'BPF_EXIT instruction in main prog');
  checkReferenceLeak(st, 'BPF_EXIT instruction in main prog');
  readReg(st, 0);
  return -1;
}

/**
 * check_resource_leak's reference part (check_reference_leak): every reference still held is
 * named, then what would leak it (the main program's exit, a tail call).
 */
export function checkReferenceLeak(st: VState, prefix: string): void {
  if (!st.refs.length) return;
  fail(
    ...st.refs.map((r) => `Unreleased reference id=${r.id} alloc_insn=${r.insn}`),
    `${prefix} would lead to reference leak`,
  );
}
