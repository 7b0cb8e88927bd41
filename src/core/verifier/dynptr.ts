// Dynptrs (verifier.c process_dynptr_func, mark_stack_slots_dynptr, is_dynptr_reg_valid_init,
// destroy_if_dynptr_stack_slot, unmark_stack_slots_dynptr) and the dynptr kfuncs an XDP program
// calls (bpf_dynptr_from_xdp, bpf_dynptr_slice[_rdwr], bpf_dynptr_size, bpf_dynptr_clone, …).
import { readReg } from './aluOp';
import { fail, regTypeStr, VerifyFail } from './env';
import type { VerifierEnv } from './env';
import { constVarOff } from './mapFields';
import { checkHelperMem, checkMemAccess, checkPtrOffReg } from './memAccess';
import { markPrecise } from './precision';
import { markConstZero, markNotInit, markUnknown, Reg } from './regState';
import type { FuncState, StackSlot, VState } from './state';
import { markStackRead, markStackWrite } from './liveness';
import { BPF_REG_SIZE, STACK_DYNPTR, STACK_INVALID } from './state';

/** enum bpf_dynptr_type (dynptr_type_str's words). */
export type DynptrKind = 'local' | 'ringbuf' | 'skb' | 'xdp';

/**
 * A dynptr's two stack slots keep what the kernel keeps in their spilled_ptr.dynptr: here the
 * slot's spilled register holds the kind (memSize: KIND_CODES index), first_slot (off = 1),
 * the dynptr's id and, for a ring buffer record, the reference it holds (refObjId).
 */
const KIND_CODES: readonly (DynptrKind | undefined)[] = [undefined, 'local', 'ringbuf', 'skb', 'xdp'];

/** What a dynptr argument was: its kind, id and reference (0: none). */
export interface DynptrInfo {
  kind: DynptrKind;
  id: number;
  refObjId: number;
}

/**
 * How a dynptr argument is expected: a stack slot to initialise (for bpf_dynptr_clone, with the
 * parent's reference, which the clone shares: clone_ref_obj_id), or an initialised dynptr.
 */
export type DynptrUse =
  | { uninit: DynptrKind; cloneRef?: number }
  /** rdonly: the argument is a `const struct bpf_dynptr *` (MEM_RDONLY), which a const dynptr may be. */
  | { init: DynptrKind | undefined; rdonly?: boolean };

function notInitReg(): Reg {
  const r = new Reg();
  markNotInit(r);
  return r;
}

function withLine(fn: () => number, line: string): number {
  try {
    return fn();
  } catch (e) {
    if (e instanceof VerifyFail) e.lines.push(line);
    throw e;
  }
}

/** dynptr_get_spi: the stack slot of the dynptr's first (lower-addressed) half. */
function dynptrSpi(reg: Reg): number {
  const c = constVarOff(reg);
  if (c === undefined) fail('dynptr has to be at a constant offset');
  const off = reg.off + c;
  const spi = Math.trunc((-off - 1) / BPF_REG_SIZE);
  if (off % BPF_REG_SIZE || spi < 1) fail(`cannot pass in dynptr at an offset=${off}`);
  return spi;
}

const isDynptrSlot = (s: StackSlot | undefined): boolean =>
  s !== undefined && s.types.every((t) => t === STACK_DYNPTR);

/**
 * process_dynptr_func for argument register `regno` (a stack pointer): an uninitialised one becomes
 * a dynptr of `use.uninit` (mark_stack_slots_dynptr); an initialised one is checked and read.
 */
export function processDynptrArg(
  env: VerifierEnv,
  st: VState,
  regno: number,
  use: DynptrUse,
  pc: number,
): DynptrInfo {
  const reg = st.cur.peekReg(regno);
  if (reg.type === 'dynptr_ptr') return constDynptrArg(reg, regno, use);
  const f = st.frames[reg.frameno] as FuncState;
  if ('uninit' in use) {
    const spi = withLine(() => dynptrSpi(reg), 'Dynptr has to be an uninitialized dynptr');
    // The helper writes the 16 bytes (BPF_DW at a time), destroying whatever was there.
    for (let i = 0; i < 16; i += BPF_REG_SIZE)
      checkMemAccess(env, st, regno, i, BPF_REG_SIZE, 'write', undefined, undefined, undefined, false);
    const id = ++env.idGen;
    let refObjId = 0;
    if (use.uninit === 'ringbuf') {
      // mark_stack_slots_dynptr: a clone takes its parent's reference, anything else a new one.
      if (use.cloneRef) refObjId = use.cloneRef;
      else {
        refObjId = ++env.idGen;
        st.refs.push({ id: refObjId, insn: pc });
      }
    }
    for (const s of [spi, spi - 1]) {
      const slot = f.slot(s);
      slot.types.fill(STACK_DYNPTR);
      markStackWrite(reg.frameno, s);
      // A register of its own (never written in place: state copies may share a slot's register).
      const r = notInitReg();
      r.memSize = KIND_CODES.indexOf(use.uninit);
      r.off = s === spi ? 1 : 0;
      r.id = id;
      r.refObjId = refObjId;
      slot.spilled = r;
    }
    return { kind: use.uninit, id, refObjId };
  }
  const argNo = regno - 1;
  const spi = withLine(() => dynptrSpi(reg), `Expected an initialized dynptr as arg #${argNo}`);
  const first = f.stack[spi];
  if (!first || !isDynptrSlot(first) || !isDynptrSlot(f.stack[spi - 1]) || first.spilled.off !== 1)
    fail(`Expected an initialized dynptr as arg #${argNo}`);
  const kind = KIND_CODES[first.spilled.memSize] as DynptrKind;
  if (use.init && use.init !== kind) fail(`Expected a dynptr of type ${use.init} as arg #${argNo}`);
  markStackRead(st, reg.frameno, spi);
  markStackRead(st, reg.frameno, spi - 1);
  return { kind, id: first.spilled.id, refObjId: first.spilled.refObjId };
}

/**
 * process_dynptr_func for a CONST_PTR_TO_DYNPTR (a user ring buffer sample in the drain callback):
 * always initialised, never to be written nor re-made, its kind and id in the register itself
 * (is_dynptr_reg_valid_init, dynptr_get_type, dynptr_id); mark_dynptr_read has nothing to mark.
 */
function constDynptrArg(reg: Reg, regno: number, use: DynptrUse): DynptrInfo {
  if ('uninit' in use) fail('Dynptr has to be an uninitialized dynptr');
  if (!use.rdonly) fail('cannot pass pointer to const bpf_dynptr, the helper mutates it');
  const kind = reg.dynptrKind ?? 'local';
  if (use.init && use.init !== kind) fail(`Expected a dynptr of type ${use.init} as arg #${regno - 1}`);
  return { kind, id: reg.id, refObjId: reg.refObjId };
}

/** check_func_arg's OBJ_RELEASE rule for a dynptr: it must hold a reference (a ring buffer record). */
export function checkDynptrReleasable(st: VState, regno: number): void {
  const reg = st.cur.peekReg(regno);
  if (reg.type === 'dynptr_ptr') fail('cannot release unowned const bpf_dynptr');
  const spi = dynptrSpi(reg);
  if (!st.frames[reg.frameno]?.stack[spi]?.spilled.refObjId) fail(`arg ${regno} is an unacquired reference`);
}

/** unmark_stack_slots_dynptr: a released ring buffer dynptr (and its clones) is gone. */
export function releaseDynptr(st: VState, refObjId: number): void {
  for (const f of st.frames)
    for (let spi = 0; spi < f.stack.length; spi++) {
      const s = f.stack[spi] as StackSlot;
      if (s.types[0] === STACK_DYNPTR && s.spilled.refObjId === refObjId) {
        const w = f.slot(spi);
        w.types = new Array<number>(BPF_REG_SIZE).fill(STACK_INVALID);
        w.spilled = notInitReg();
      }
    }
}

/**
 * destroy_if_dynptr_stack_slot: a store into either half of a dynptr destroys it (a referenced one
 * may not be overwritten) and the helper data slices taken from it.
 */
export function destroyIfDynptr(st: VState, f: FuncState, spi: number): void {
  const s = f.stack[spi];
  if (!s || s.types[0] !== STACK_DYNPTR) return;
  const firstSpi = s.spilled.off === 1 ? spi : spi + 1;
  const first = f.stack[firstSpi];
  const second = f.stack[firstSpi - 1];
  if (!first || !second) return;
  if (KIND_CODES[first.spilled.memSize] === 'ringbuf') fail('cannot overwrite referenced dynptr');
  const id = first.spilled.id;
  for (const k of [firstSpi, firstSpi - 1]) {
    const x = f.slot(k);
    x.types = new Array<number>(BPF_REG_SIZE).fill(STACK_INVALID);
    x.spilled = notInitReg();
  }
  // Only plain PTR_TO_MEM[_OR_NULL] slices (bpf_dynptr_data's) are invalidated, as in the kernel.
  st.forEachReg((r) => {
    if (r.type === 'mem' && !r.rdonly && r.dynptrKind === undefined && r.dynptrId === id) markUnknown(r);
  });
}

/** check_stack_range_initialized's raw-mode rule: a helper may not write into a dynptr. */
export function checkNoDynptrWrite(f: FuncState, off: number): void {
  const slot = -off - 1;
  const s = f.stack[Math.floor(slot / BPF_REG_SIZE)];
  if (s && s.types[slot % BPF_REG_SIZE] === STACK_DYNPTR)
    fail(`potential write to dynptr at off=${off} disallowed`);
}

/** reg_is_dynptr_slice_pkt: a slice of an skb/xdp dynptr, invalid once the packet may move. */
export const isPktSlice = (r: Reg): boolean =>
  r.type === 'mem' && (r.dynptrKind === 'xdp' || r.dynptrKind === 'skb');

/** The kfuncs of this file, by name (kfuncs.ts hands their calls here). */
const DYNPTR_KFUNCS = new Set([
  'bpf_dynptr_from_xdp',
  'bpf_dynptr_slice',
  'bpf_dynptr_slice_rdwr',
  'bpf_dynptr_size',
  'bpf_dynptr_is_null',
  'bpf_dynptr_is_rdonly',
  'bpf_dynptr_adjust',
  'bpf_dynptr_clone',
]);
export const isDynptrKfunc = (name: string): boolean => DYNPTR_KFUNCS.has(name);

/**
 * check_kfunc_args' KF_ARG_PTR_TO_DYNPTR: a stack pointer or a callback's const dynptr, which is
 * always taken as MEM_RDONLY (and so never as a clone's uninitialised destination).
 */
function dynptrKfuncArg(env: VerifierEnv, st: VState, regno: number, use: DynptrUse, pc: number): DynptrInfo {
  const reg = readReg(st, regno);
  if (reg.type !== 'stack' && reg.type !== 'dynptr_ptr')
    fail(`arg#${regno - 1} expected pointer to stack or const struct bpf_dynptr`);
  if (reg.type === 'dynptr_ptr') {
    if ('uninit' in use) fail('verifier internal error: misconfigured dynptr helper type flags');
    return processDynptrArg(env, st, regno, { init: use.init, rdonly: true }, pc);
  }
  return processDynptrArg(env, st, regno, use, pc);
}

function scalarArg(st: VState, regno: number): void {
  if (readReg(st, regno).type !== 'scalar') fail(`R${regno} is not a scalar`);
}

/** check_kfunc_call for a dynptr kfunc. */
export function checkDynptrKfunc(env: VerifierEnv, st: VState, name: string, pc: number): void {
  let slice: { info: DynptrInfo; size: number } | undefined;
  switch (name) {
    case 'bpf_dynptr_from_xdp': {
      const ctx = readReg(st, 1);
      if (ctx.type !== 'ctx') fail(`arg#0 expected pointer to ctx, but got ${regTypeStr(ctx)}`);
      checkPtrOffReg(ctx, 1, false);
      scalarArg(st, 2);
      dynptrKfuncArg(env, st, 3, { uninit: 'xdp' }, pc);
      break;
    }
    case 'bpf_dynptr_slice':
    case 'bpf_dynptr_slice_rdwr': {
      // (const struct bpf_dynptr *p, u32 offset, void *buffer__opt, u32 buffer__szk)
      const info = dynptrKfuncArg(env, st, 1, { init: undefined }, pc);
      scalarArg(st, 2);
      const buf = readReg(st, 3);
      const sz = readReg(st, 4);
      if (sz.type !== 'scalar') fail('R4 is not a scalar');
      const isNull = buf.type === 'scalar' && constVarOff(buf) === 0;
      if (!isNull) {
        // check_kfunc_mem_size_reg: the buffer must hold what the size says.
        try {
          markPrecise(env.insns, st, 1 << 4);
          if (Number(sz.smin) < 0) fail(`R4 min value is negative, either use unsigned or 'var &= const'`);
          if (Number(sz.umax) >= 1 << 29)
            fail(`R4 unbounded memory access, use 'var &= const' or 'if (var < const)'`);
          checkHelperMem(st, 3, Number(sz.umax), 'read', true, true);
        } catch (e) {
          if (e instanceof VerifyFail)
            e.lines.push('arg#2 arg#3 memory, len pair leads to invalid memory access');
          throw e;
        }
      }
      const size = constVarOff(sz);
      if (size === undefined) fail('R4 must be a known constant');
      markPrecise(env.insns, st, 1 << 4);
      // Linux 6.18 refuses the writable slice in an XDP program after checking its arguments.
      if (name === 'bpf_dynptr_slice_rdwr') fail('bpf_dynptr_slice_rdwr() is not allowed');
      slice = { info, size };
      break;
    }
    case 'bpf_dynptr_clone': {
      // (const struct bpf_dynptr *p, struct bpf_dynptr *clone__uninit): the clone is of the parent's
      // kind and shares its reference (check_kfunc_args, KF_bpf_dynptr_clone).
      const parent = dynptrKfuncArg(env, st, 1, { init: undefined }, pc);
      dynptrKfuncArg(env, st, 2, { uninit: parent.kind, cloneRef: parent.refObjId }, pc);
      break;
    }
    case 'bpf_dynptr_adjust':
      dynptrKfuncArg(env, st, 1, { init: undefined }, pc);
      scalarArg(st, 2);
      scalarArg(st, 3);
      break;
    default:
      // bpf_dynptr_size / _is_null / _is_rdonly (const struct bpf_dynptr *p)
      dynptrKfuncArg(env, st, 1, { init: undefined }, pc);
      break;
  }
  for (let r = 0; r <= 5; r++) markNotInit(st.cur.reg(r));
  const r0 = st.cur.reg(0);
  markUnknown(r0);
  if (!slice) return;
  // PTR_TO_MEM | DYNPTR_TYPE_* | MEM_RDONLY | PTR_MAYBE_NULL of the constant size.
  markConstZero(r0);
  r0.type = 'mem';
  r0.memSize = slice.size;
  r0.rdonly = true;
  r0.maybeNull = true;
  r0.id = ++env.idGen;
  r0.dynptrId = slice.info.id;
  r0.dynptrKind = slice.info.kind;
}
