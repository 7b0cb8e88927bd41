// Precision tracking (verifier.c mark_chain_precision / backtrack_insn): a scalar whose exact value
// mattered (pointer arithmetic, a decided branch, a helper's size) is marked precise back through
// the instructions that produced it, into the kept states, so pruning compares only those.
import * as I from '../vm/isa';
import type { Insn } from '../vm/isa';
import { isCall, isExit } from './cfg';
import { callsSyncCallback } from './callbacks';
import type { Checkpoint, FuncState, VState } from './state';
import { BPF_REG_SIZE, STACK_SPILL } from './state';

/**
 * One executed instruction: pc and, for stack loads/stores at a fixed offset, the slot as
 * frame * SLOTS_PER_FRAME + spi + 1 (0: none). A pc of CALLBACK_ENTRY marks where a callback's
 * frame began (push_callback_call).
 */
export interface HistEntry {
  pc: number;
  spi: number;
  /** The instruction before (shared between the branches that follow it). */
  prev: HistEntry | undefined;
}

export const CALLBACK_ENTRY = -1;
/** MAX_BPF_STACK / BPF_REG_SIZE: the slot code of a stack access (insn_stack_access_flags). */
export const SLOTS_PER_FRAME = 64;

interface Want {
  regs: number;
  slots: Set<number>;
}

function markAll(cp: Checkpoint | undefined, st: VState | undefined): void {
  const mark = (s: VState): void =>
    s.forEachReg((r) => {
      if (r.type === 'scalar') r.precise = true;
    });
  if (st) mark(st);
  for (let c = cp; c; c = c.parent) mark(c.state);
}

/** backtrack_insn: what `want` needed after `insn` needs before it; false when it cannot tell. */
function backtrack(insn: Insn, e: HistEntry, w: Want, wants: readonly Want[]): boolean {
  const cls = insn.op & 7;
  // The stack slot the instruction accessed, in whichever frame it is (a callback writes its
  // caller's stack through the pointer it was given).
  const frame = e.spi ? Math.floor((e.spi - 1) / SLOTS_PER_FRAME) : -1;
  const slots = frame >= 0 ? wants[frame]?.slots : undefined;
  const spi = (e.spi - 1) % SLOTS_PER_FRAME;
  if (e.spi && !slots) return false;
  const bit = (r: number): number => 1 << r;
  if (cls === I.BPF_ALU || cls === I.BPF_ALU64) {
    if (!(w.regs & bit(insn.dst))) return true;
    const op = insn.op & 0xf0;
    const x = (insn.op & I.BPF_X) !== 0 && op !== I.ALU_END && op !== I.ALU_NEG;
    if (op === I.ALU_MOV) {
      w.regs &= ~bit(insn.dst);
      if (x) w.regs |= bit(insn.src);
    } else if (x) w.regs |= bit(insn.src);
    return true;
  }
  if (cls === I.BPF_LDX) {
    if (!(w.regs & bit(insn.dst))) return true;
    w.regs &= ~bit(insn.dst);
    if (slots) slots.add(spi);
    return true;
  }
  if (cls === I.BPF_STX || cls === I.BPF_ST) {
    if ((insn.op & 0xe0) === I.BPF_ATOMIC) return true;
    if (!slots || !slots.has(spi)) return true;
    slots.delete(spi);
    if (cls === I.BPF_STX) w.regs |= bit(insn.src);
    return true;
  }
  if (cls === I.BPF_LD) {
    w.regs &= ~bit(insn.dst);
    return true;
  }
  if (isCall(insn)) {
    if (insn.src === I.PSEUDO_CALL) return false;
    if (w.regs & 0x3f & ~1) return false;
    w.regs &= ~1;
    return true;
  }
  if (isExit(insn)) return false;
  return true;
}

function apply(f: FuncState, w: Want): void {
  // f.reg: a register shared with another state is copied before it is marked (FuncState.reg).
  for (let r = 0; r < 10; r++) if (w.regs & (1 << r) && !f.peekReg(r).precise) f.reg(r).precise = true;
  for (const spi of w.slots) {
    const slot = f.stack[spi];
    // f.slot: a spill shared with another state is copied before it is marked.
    if (slot && slot.types[BPF_REG_SIZE - 1] === STACK_SPILL) f.slot(spi).spilled.precise = true;
  }
}

/** mark_chain_precision for registers `regs` (bit mask) and stack slots of the current frame. */
export function markPrecise(insns: readonly Insn[], st: VState, regs: number, slots: number[] = []): void {
  const w: Want = { regs, slots: new Set(slots) };
  // Already precise in the current state? (the kernel stops early the same way)
  let need = false;
  for (let r = 0; r < 10; r++) {
    const reg = st.cur.peekReg(r);
    if (regs & (1 << r) && reg.type === 'scalar' && !reg.precise) need = true;
  }
  for (const spi of slots) {
    const s = st.cur.stack[spi];
    if (s && !s.spilled.precise) need = true;
  }
  if (!need) return;
  apply(st.cur, w);
  // What each frame still needs, innermost last: backtracking crosses a callback's body (its exit,
  // back to its entry) between two visits of the helper call that runs it (backtrack_insn's
  // BPF_EXIT and is_sync_callback_calling_insn cases).
  const wants: Want[] = [];
  for (let i = 0; i < st.frames.length - 1; i++) wants.push({ regs: 0, slots: new Set() });
  wants.push(w);
  const empty = (): boolean => wants.every((x) => !x.regs && !x.slots.size);
  let hist = st.hist;
  let cp = st.parent;
  let later = -1;
  for (;;) {
    for (let e = hist; e; e = e.prev) {
      const cur = wants[wants.length - 1] as Want;
      if (e.pc === CALLBACK_ENTRY) {
        // The callback's R1-R5 are the helper's, not the caller's: nothing goes further (a want of
        // the callback's own stack cannot remain at its entry).
        wants.pop();
        if (!wants.length || empty()) return;
        later = -1;
        continue;
      }
      const insn = insns[e.pc] as Insn;
      if (isExit(insn) && later >= 0 && isCallbackCall(insns[later] as Insn)) {
        // Back into the callback that returned to the call: the call sets R0 and reads R1-R5
        // itself, so the callback's frame starts with nothing wanted.
        if (cur.regs & 0x3f) return markAll(cp, undefined);
        wants.push({ regs: 0, slots: new Set() });
        later = e.pc;
        continue;
      }
      if (!backtrack(insn, e, cur, wants)) return markAll(cp, undefined);
      later = e.pc;
    }
    if (!cp) return;
    if (cp.state.frames.length !== wants.length) return markAll(cp, undefined);
    if (empty()) return;
    wants.forEach((x, i) => apply(cp?.state.frames[i] as FuncState, x));
    hist = cp.hist;
    cp = cp.parent;
  }
}

const isCallbackCall = (i: Insn): boolean => callsSyncCallback(i.op, i.src, i.imm);
