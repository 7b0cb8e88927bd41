// Conditional jumps (verifier.c check_cond_jmp_op): the outcome if known (branchTaken.ts), else the
// taken branch's state pushed with both sides refined (regRefine.ts), linked scalars synced
// (sync_linked_regs), packet ranges learnt (pktPointers.ts) and NULL checks applied to every copy
// with the same id (mark_ptr_or_null_regs).
import * as I from '../vm/isa';
import type { Insn } from '../vm/isa';
import { fail } from './env';
import { readReg } from './aluOp';
import type { Reg } from './regState';
import { ADD_CONST32, addConst, baseId, markKnownP, markUnknown, Reg as RegClass } from './regState';
import { minMaxAdd32, minMaxAdd64 } from './scalarAlu';
import { regBoundsSync, zext32To64 } from './regBounds';
import { tnumAdd } from './tnum';
import type { FuncState, StackSlot, VState } from './state';
import { collectLinkedRegs, linkedReg } from './jmpHistory';
import { mayPointToSpinLock } from './spinLock';
import { isBranchTaken, rev } from './branchTaken';
import { setMinMax } from './regRefine';
import { matchPktPointers } from './pktPointers';
import { sle } from './pair64';
import { BPF_MAX_VAR_OFF } from './state';

/** The constant difference of two linked scalars (sync_linked_regs' fake_reg), scratch. */
const DELTA = new RegClass();

/**
 * sync_linked_regs: the scalars collect_linked_regs found (`linked`, jmpHistory.ts linkedReg codes)
 * that still share the compared register's id take its refined value, shifted by the constant
 * between them when either is its copies plus a constant (BPF_ADD_CONST); `self` is its own code.
 */
function syncLinked(st: VState, known: Reg, self: number, linked: readonly number[]): void {
  if (known.type !== 'scalar' || !known.id) return;
  for (const code of linked) {
    if (code === self) continue;
    const f = st.frames[code >> 7] as FuncState;
    const n = code & 63;
    const isReg = (code & 64) !== 0;
    const r = isReg ? f.peekReg(n) : (f.stack[n] as StackSlot).spilled;
    if (r.type !== 'scalar' || baseId(r.id) !== baseId(known.id)) continue;
    const reg = isReg ? f.reg(n) : f.slot(n).spilled;
    if ((!addConst(reg.id) && !addConst(known.id)) || reg.off === known.off) {
      reg.assign(known);
      continue;
    }
    // reg = known + (reg.off - known.off), keeping reg's own id and off.
    const { off, id } = reg;
    const d = reg.off - known.off;
    markUnknown(DELTA);
    markKnownP(DELTA, d < 0 ? -1 : 0, d | 0);
    reg.assign(known);
    reg.off = off;
    reg.id = id;
    minMaxAdd32(reg, DELTA);
    minMaxAdd64(reg, DELTA);
    reg.varOff = tnumAdd(reg.varOff, DELTA.varOff);
    if (addConst(known.id) === ADD_CONST32) zext32To64(reg);
    regBoundsSync(reg);
  }
}

/** mark_ptr_or_null_regs */
function markPtrOrNull(st: VState, id: number, isNull: boolean): void {
  st.forEachRegWhere(
    (r) => r.maybeNull && r.id === id,
    (r) => {
      if (isNull) {
        if (r.refObjId === id) {
          const k = st.refs.findIndex((ref) => ref.id === id);
          if (k >= 0) st.refs.splice(k, 1);
        }
        markUnknown(r);
        markKnownP(r, 0, 0);
        return;
      }
      r.maybeNull = false;
      if (r.type === 'map_value' && r.map?.inner) {
        r.type = 'map_ptr';
        r.map = r.map.inner;
      }
      if (!mayPointToSpinLock(r)) r.id = 0;
    },
  );
}

/** A pointer, not a PTR_TO_BTF_ID (__is_pointer_value(false, …) and check_cond_jmp_op's exclusion). */
const isPtr = (r: Reg): boolean => r.type !== 'scalar' && r.type !== 'not_init' && r.type !== 'btf_id';

/** reg_not_null: a type whose base is never NULL, with an offset that cannot wrap it to zero. */
function regNotNull(r: Reg): boolean {
  if (r.maybeNull) return false;
  if (sle(r.sminH, r.sminL, -1, -BPF_MAX_VAR_OFF) || sle(0, BPF_MAX_VAR_OFF, r.smaxH, r.smaxL)) return false;
  return (
    r.type === 'map_value' ||
    r.type === 'map_key' ||
    r.type === 'mem' ||
    r.type === 'map_ptr' ||
    r.type === 'sock' ||
    r.type === 'sock_common'
  );
}

/** mark_ptr_not_null_reg: this register only (its copies keep their id and their maybe-NULL). */
function markPtrNotNullReg(r: Reg): void {
  r.maybeNull = false;
  if (r.type === 'map_value' && r.map?.inner) {
    r.type = 'map_ptr';
    r.map = r.map.inner;
  }
}

export interface JmpOutcome {
  /** 1: only the jump, 0: only the fall-through, -1: both (other is the taken branch). */
  pred: number;
  other?: VState;
  /** The linked scalars of an undecided jump when more than one (a jump history entry). */
  linked?: readonly number[];
}

/** The immediate operand and the copies each branch refines (scratch: no allocation per jump). */
const IMM = new RegClass();
const IMM_TAKEN = new RegClass();
const IMM_FALL = new RegClass();
const ONLY_JUMP: JmpOutcome = Object.freeze({ pred: 1 });
const ONLY_FALL: JmpOutcome = Object.freeze({ pred: 0 });

/** check_cond_jmp_op: refines `st` as the fall-through; returns the taken branch's state. */
export function checkCondJmp(st: VState, insn: Insn, pc: number, live: Uint16Array): JmpOutcome {
  const op = insn.op & 0xf0;
  const is32 = (insn.op & 7) === I.BPF_JMP32;
  if (op > I.JMP_JSLE) fail(`invalid BPF_JMP/JMP32 opcode ${op.toString(16)}`);
  let src: Reg;
  if (insn.op & I.BPF_X) {
    if (insn.imm !== 0) fail('BPF_JMP/JMP32 uses reserved fields');
    src = readReg(st, insn.src);
  } else {
    if (insn.src !== 0) fail('BPF_JMP/JMP32 uses reserved fields');
    src = IMM;
    markUnknown(src);
    markKnownP(src, is32 || insn.imm >= 0 ? 0 : -1, insn.imm | 0);
  }
  let dst = readReg(st, insn.dst);
  const pred = isBranchTaken(dst, src, op, is32);
  if (pred >= 0) return pred ? ONLY_JUMP : ONLY_FALL;
  // Before the other branch is made, so that both share the entry (and the ids it dropped).
  const linked = collectLinkedRegs(st, insn, pc, live);
  const other = st.clone();
  // The copy shares the registers: each side takes its own before refining it (FuncState.reg).
  const srcX = (insn.op & I.BPF_X) !== 0;
  dst = st.cur.reg(insn.dst);
  if (srcX) src = st.cur.reg(insn.src);
  const oDst = other.cur.reg(insn.dst);
  const oSrc = srcX ? other.cur.reg(insn.src) : IMM_TAKEN;
  const fSrc = srcX ? src : IMM_FALL;
  if (!srcX) {
    IMM_TAKEN.assign(src);
    IMM_FALL.assign(src);
  }
  setMinMax(oDst, oSrc, op, is32);
  setMinMax(dst, fSrc, rev(op), is32);
  const top = st.frames.length - 1;
  if (srcX && src.type === 'scalar' && src.id) {
    syncLinked(st, src, linkedReg(top, true, insn.src), linked);
    syncLinked(other, oSrc, linkedReg(top, true, insn.src), linked);
  }
  if (dst.type === 'scalar' && dst.id) {
    syncLinked(st, dst, linkedReg(top, true, insn.dst), linked);
    syncLinked(other, oDst, linkedReg(top, true, insn.dst), linked);
  }
  // A pointer equal to one that is not NULL is not NULL either (in the branch where they are equal).
  if (!is32 && srcX && (op === I.JMP_JEQ || op === I.JMP_JNE) && isPtr(src) && isPtr(dst)) {
    const eq = op === I.JMP_JEQ ? other : st;
    if (regNotNull(dst) && src.maybeNull) markPtrNotNullReg(eq.cur.reg(insn.src));
    if (regNotNull(src) && dst.maybeNull) markPtrNotNullReg(eq.cur.reg(insn.dst));
  }
  if (!is32 && !srcX && insn.imm === 0 && (op === I.JMP_JEQ || op === I.JMP_JNE) && dst.maybeNull) {
    const id = dst.id;
    markPtrOrNull(st, id, op === I.JMP_JNE);
    markPtrOrNull(other, id, op === I.JMP_JEQ);
  } else {
    matchPktPointers(insn, dst, src, st, other);
  }
  return linked.length > 1 ? { pred: -1, other, linked } : { pred: -1, other };
}
