// Callbacks helpers call (verifier.c push_callback_call, set_loop_callback_state,
// set_map_elem_callback_state, set_timer_callback_state, set_user_ringbuf_callback_state,
// prepare_func_exit's in_callback_fn branch):
// the callback sub-program is verified as a function called with the arguments the helper passes
// it, and must return a value in the helper's callback range.
import { CALLBACK_KINDS as KINDS } from './callbackKinds';
import type { VerifierEnv } from './env';
import { fail, regTypeStr } from './env';
import type { Reg } from './regState';
import { isNullReg, markRegKnown, markUnknown, S64_MAX, S64_MIN } from './regState';
import { CALLBACK_ENTRY, markPrecise } from './precision';
import type { Checkpoint, StackSlot } from './state';
import {
  BPF_REG_SIZE,
  FuncState,
  IdMap,
  MAX_CALL_FRAMES,
  sameBounds,
  sameCallsites,
  STACK_SPILL,
  VState,
} from './state';

/** The helper's arguments before the call clobbers them (null when `id` calls no callback). */
export function callbackArgs(st: VState, id: number): Reg[] | null {
  if (!KINDS.has(id)) return null;
  const f = st.cur;
  return [0, 1, 2, 3, 4, 5].map((r) => f.peekReg(r).clone());
}

/**
 * check_helper_call's callback cases, before push_callback_call: bpf_loop marks its flags (when 0,
 * loop_flag_is_zero) and its count precise, and schedules one more iteration only while this
 * frame's callback_depth is below the count's maximum (else the depth restarts). `args` are the
 * helper's R0–R5 before the call. False: no callback state this time.
 */
export function scheduleCallback(env: VerifierEnv, st: VState, id: number, args: Reg[]): boolean {
  if (KINDS.get(id)?.kind !== 'loop') return true;
  if (isNullReg(args[4] as Reg)) markPrecise(env.insns, st, 1 << 4);
  const count = args[1] as Reg;
  if (count.type === 'scalar') markPrecise(env.insns, st, 1 << 1);
  if (BigInt(st.cur.callbackDepth) < count.umax) return true;
  st.cur.callbackDepth = 0;
  return false;
}

function setStack(f: FuncState): void {
  const fp = f.reg(10);
  markUnknown(fp);
  markRegKnown(fp, 0n);
  fp.type = 'stack';
  fp.frameno = f.frameno;
}

/** map_ptr / map_key / map_value of `like`'s map, for map_elem and timer callbacks' R1–R3. */
function setMapArgs(f: FuncState, like: Reg): void {
  const [r1, r2, r3] = [f.reg(1), f.reg(2), f.reg(3)];
  for (const [r, type] of [
    [r1, 'map_ptr'],
    [r2, 'map_key'],
    [r3, 'map_value'],
  ] as const) {
    markUnknown(r);
    markRegKnown(r, 0n);
    r.type = type;
    r.map = like.map;
  }
}

/**
 * push_callback_call: after the helper call at `pc` was checked (`st` is the state after it), the
 * state that runs the callback. A synchronous callback (bpf_loop, bpf_for_each_map_elem) runs in a
 * new frame over the caller's; an async one (a timer's) starts from nothing but its arguments.
 */
export function callbackState(
  env: VerifierEnv,
  st: VState,
  id: number,
  pc: number,
  args: Reg[],
): { st: VState; pc: number } {
  const k = KINDS.get(id);
  if (!k) throw new Error('not a callback-calling helper');
  const fn = args[k.funcArg] as Reg;
  if (fn.type !== 'func') fail(`R${k.funcArg} type=${regTypeStr(fn)} expected=func`);
  const target = fn.memSize;
  if (k.kind === 'timer') {
    // push_async_cb: frame 0 of a state of its own; the timer's map value gives the map.
    const f = new FuncState(0, -1, target);
    f.callbackRange = [0, 0];
    f.async = true;
    setStack(f);
    setMapArgs(f, args[1] as Reg);
    const s = new VState([f]);
    s.path = st.path;
    return { st: s, pc: target };
  }
  if (st.frames.length >= MAX_CALL_FRAMES)
    fail(`the call stack of ${st.frames.length + 1} frames is too deep !`);
  const s = st.clone();
  s.cur.callbackDepth++;
  st.cur.callbackDepth = 0;
  // The caller's frame as it was at the call (its arguments unclobbered): the callback's exit
  // goes back to the call, which is checked again with them (prepare_func_exit, in_callback_fn).
  for (let r = 0; r <= 5; r++) s.cur.reg(r).assign(args[r] as Reg);
  const f = new FuncState(s.frames.length, pc, target);
  f.callbackRange = [0, 1];
  setStack(f);
  if (k.kind === 'loop') {
    // set_loop_callback_state: callback_fn(u64 index, void *ctx)
    markUnknown(f.reg(1));
    f.reg(2).assign(args[3] as Reg);
  } else if (k.kind === 'user_ringbuf') {
    // set_user_ringbuf_callback_state: callback_fn(const struct bpf_dynptr *dynptr, void *ctx), the
    // sample a const dynptr of kind local with a new id (mark_dynptr_cb_reg), R3–R5 unused.
    const r1 = f.reg(1);
    markUnknown(r1);
    markRegKnown(r1, 0n);
    r1.type = 'dynptr_ptr';
    r1.id = ++env.idGen;
    r1.dynptrKind = 'local';
    f.reg(2).assign(args[3] as Reg);
  } else {
    // set_map_elem_callback_state: callback_fn(map, key, value, ctx)
    setMapArgs(f, args[1] as Reg);
    f.reg(4).assign(args[3] as Reg);
  }
  s.frames.push(f);
  s.hist = { pc: CALLBACK_ENTRY, spi: 0, flags: 0, linked: undefined, prev: s.hist };
  s.callbackUnrollDepth++;
  if (st.parent) st.parent.branches++;
  return { st: s, pc: target };
}

/** verbose_invalid_scalar */
function invalidScalar(r0: Reg, range: readonly [number, number], where: string): string {
  let s = `${where} the register R0 has`;
  if (r0.smin > S64_MIN) s += ` smin=${r0.smin}`;
  if (r0.smax < S64_MAX) s += ` smax=${r0.smax}`;
  if (r0.smin === S64_MIN && r0.smax === S64_MAX) s += ' unknown scalar value';
  return `${s} should have been in [${range[0]}, ${range[1]}]`;
}

/** prepare_func_exit / check_return_code for a callback: R0 must be a scalar in its range. */
export function checkCallbackReturn(r0: Reg, f: FuncState): void {
  const range = f.callbackRange as readonly [number, number];
  if (f.async) {
    if (r0.type === 'not_init') fail('R0 !read_ok');
    if (r0.type !== 'scalar')
      fail(`At async callback return the register R0 is not a known value (${regTypeStr(r0)})`);
    if (r0.smin < BigInt(range[0]) || r0.smax > BigInt(range[1]))
      fail(invalidScalar(r0, range, 'At async callback return'));
    return;
  }
  if (r0.type === 'not_init') fail('R0 !read_ok');
  if (r0.type !== 'scalar') fail('R0 not a scalar value');
  if (r0.smin < BigInt(range[0]) || r0.smax > BigInt(range[1]))
    fail(invalidScalar(r0, range, 'At callback return'));
}

/**
 * find_prev_entry: the newest state kept at `pc` on the current path (still being explored, same
 * call chain, fewer kept states above it than `cur`).
 */
export function findPrevEntry(list: readonly Checkpoint[] | undefined, cur: VState): VState | undefined {
  if (!list) return undefined;
  for (let k = list.length - 1; k >= 0; k--) {
    const cp = list[k] as Checkpoint;
    if (cp.branches > 0 && sameCallsites(cp.state, cur) && cp.state.dfsDepth < cur.dfsDepth) return cp.state;
  }
  return undefined;
}

const widenIds = new IdMap();

/** maybe_widen_reg: an imprecise scalar that changed since `old` becomes unknown. */
function maybeWiden(old: Reg, cur: Reg, ids: IdMap): boolean {
  if (old.type !== 'scalar' || cur.type !== 'scalar') return false;
  if (old.precise || cur.precise) return false;
  // regs_exact
  if (
    sameBounds(old, cur) &&
    old.off === cur.off &&
    ids.ok(old.id, cur.id) &&
    ids.ok(old.refObjId, cur.refObjId)
  )
    return false;
  return true;
}

/**
 * widen_imprecise_scalars, as prepare_func_exit calls it when a callback returns to its helper call:
 * scalars (registers and spills) the iteration changed and no decision depended on are forgotten,
 * so that a counter the callback advances converges (`prev` is find_prev_entry's state).
 */
export function widenImpreciseScalars(prev: VState, cur: VState): void {
  const ids = widenIds.reset();
  for (let fr = prev.frames.length - 1; fr >= 0; fr--) {
    const fo = prev.frames[fr] as FuncState;
    const fc = cur.frames[fr] as FuncState;
    for (let r = 0; r < 11; r++) if (maybeWiden(fo.peekReg(r), fc.peekReg(r), ids)) markUnknown(fc.reg(r));
    const slots = Math.min(fo.stack.length, fc.stack.length);
    for (let spi = 0; spi < slots; spi++) {
      const o = fo.stack[spi] as StackSlot;
      const c = fc.stack[spi] as StackSlot;
      if (o.types[BPF_REG_SIZE - 1] !== STACK_SPILL || c.types[BPF_REG_SIZE - 1] !== STACK_SPILL) continue;
      if (maybeWiden(o.spilled, c.spilled, ids)) markUnknown(fc.slot(spi).spilled);
    }
  }
}
