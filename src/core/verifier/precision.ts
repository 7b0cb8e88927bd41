// Precision tracking (verifier.c mark_chain_precision / backtrack_insn): a scalar whose exact value
// mattered (pointer arithmetic, a decided branch, a helper's size) is marked precise back through
// the instructions that produced it, into the kept states, so pruning compares only those.
import * as I from '../vm/isa';
import type { Insn } from '../vm/isa';
import { isCall, isExit } from './cfg';
import type { Reg } from './regState';
import type { Checkpoint, VState } from './state';
import { BPF_REG_SIZE, STACK_SPILL } from './state';

/** One executed instruction: pc and, for stack loads/stores at a fixed offset, spi + 1. */
export interface HistEntry {
  pc: number;
  spi: number;
  /** The instruction before (shared between the branches that follow it). */
  prev: HistEntry | undefined;
}

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
function backtrack(insn: Insn, e: HistEntry, w: Want): boolean {
  const cls = insn.op & 7;
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
    if (e.spi) w.slots.add(e.spi - 1);
    return true;
  }
  if (cls === I.BPF_STX || cls === I.BPF_ST) {
    if ((insn.op & 0xe0) === I.BPF_ATOMIC) return true;
    if (!e.spi || !w.slots.has(e.spi - 1)) return true;
    w.slots.delete(e.spi - 1);
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

function apply(s: VState, w: Want): void {
  const f = s.cur;
  for (let r = 0; r < 10; r++) if (w.regs & (1 << r)) (f.regs[r] as Reg).precise = true;
  for (const spi of w.slots) {
    const slot = f.stack[spi];
    if (slot && slot.types[BPF_REG_SIZE - 1] === STACK_SPILL) slot.spilled.precise = true;
  }
}

/** mark_chain_precision for registers `regs` (bit mask) and stack slots of the current frame. */
export function markPrecise(insns: readonly Insn[], st: VState, regs: number, slots: number[] = []): void {
  const w: Want = { regs, slots: new Set(slots) };
  // Already precise in the current state? (the kernel stops early the same way)
  let need = false;
  for (let r = 0; r < 10; r++) {
    const reg = st.cur.regs[r] as Reg;
    if (regs & (1 << r) && reg.type === 'scalar' && !reg.precise) need = true;
  }
  for (const spi of slots) {
    const s = st.cur.stack[spi];
    if (s && !s.spilled.precise) need = true;
  }
  if (!need) return;
  apply(st, w);
  let hist = st.hist;
  let cp = st.parent;
  const depth = st.frames.length;
  for (;;) {
    for (let e = hist; e; e = e.prev)
      if (!backtrack(insns[e.pc] as Insn, e, w)) return markAll(cp, undefined);
    if (!cp) return;
    if (cp.state.frames.length !== depth) return markAll(cp, undefined);
    if (!w.regs && !w.slots.size) return;
    apply(cp.state, w);
    hist = cp.hist;
    cp = cp.parent;
  }
}
