// bpf_spin_lock / bpf_spin_unlock (verifier.c process_spin_lock, acquire_lock_state, the active_locks
// checks of do_check_insn and check_resource_leak): the lock must be the map value's
// `struct bpf_spin_lock` at a constant offset, one lock at a time, no calls and no exit while held.
import { helperByName } from '../bpf/helperCatalog';
import { fail } from './env';
import { constVarOff } from './mapFields';
import type { Reg, VMap } from './regState';
import type { VState } from './state';

/** The lock a state holds (the REF_TYPE_LOCK entry of its acquired_refs). */
export interface ActiveLock {
  /** reg->id of the map value the lock is in. */
  readonly id: number;
  readonly map: VMap;
  /** Instruction of the bpf_spin_lock call. */
  readonly insn: number;
}

export const SPIN_LOCK_ID = helperByName('bpf_spin_lock')?.id ?? -1;
export const SPIN_UNLOCK_ID = helperByName('bpf_spin_unlock')?.id ?? -1;

/** reg_may_point_to_spin_lock: such a map value keeps its id after a NULL check. */
export function mayPointToSpinLock(r: Reg): boolean {
  return r.type === 'map_value' && (r.map?.fields?.some((f) => f.kind === 'spin_lock') ?? false);
}

/** process_spin_lock for helper argument `regno` (a map value, type already checked). */
export function processSpinLock(st: VState, regno: number, isLock: boolean, pc: number): void {
  const reg = st.cur.peekReg(regno);
  const c = constVarOff(reg);
  if (c === undefined)
    fail(`R${regno} doesn't have constant offset. bpf_spin_lock has to be at the constant offset`);
  const map = reg.map as VMap;
  if (!map.fields) fail(`map '${map.name}' has to have BTF in order to use bpf_spin_lock`);
  const lock = map.fields.find((f) => f.kind === 'spin_lock');
  if (!lock) fail(`map '${map.name}' has no valid bpf_spin_lock`);
  if (lock.off !== c + reg.off)
    fail(`off ${c + reg.off} doesn't point to 'struct bpf_spin_lock' that is at ${lock.off}`);
  if (isLock) {
    if (st.lock) fail('Locking two bpf_spin_locks are not allowed');
    st.lock = { id: reg.id, map, insn: pc };
    return;
  }
  if (!st.lock) fail('bpf_spin_unlock without taking a lock');
  if (st.lock.id !== reg.id || st.lock.map !== map) fail('bpf_spin_unlock of different lock');
  st.lock = undefined;
}

/** do_check_insn's BPF_CALL rule: while a lock is held, only bpf_spin_unlock (and static calls). */
export function checkCallWhileLocked(st: VState, kind: 'helper' | 'kfunc', helperId: number): void {
  if (!st.lock) return;
  if (kind === 'kfunc' || helperId !== SPIN_UNLOCK_ID)
    fail('function calls are not allowed while holding a lock');
}

/** check_resource_leak's first rule, at the main program's (or a global function's) exit. */
export function checkExitWhileLocked(st: VState, prefix: string): void {
  if (st.lock) fail(`${prefix} cannot be used inside bpf_spin_lock-ed region`);
}

/** check_func_call: a global function is verified without the lock, so it may not be called under one. */
export function checkGlobalCallWhileLocked(st: VState): void {
  if (st.lock)
    fail('global function calls are not allowed while holding a lock,', 'use static function instead');
}
