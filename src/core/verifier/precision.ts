// Precision tracking (verifier.c mark_chain_precision / backtrack_insn): a scalar whose exact value
// mattered (pointer arithmetic, a decided branch, a helper's size) is marked precise back through
// the instructions that produced it, into the kept states, so pruning compares only those.
import * as I from '../vm/isa';
import type { Insn } from '../vm/isa';
import { isCall, isExit, isPseudoCall } from './cfg';
import { callsSyncCallback } from './callbackKinds';
import { fail } from './env';
import type { Checkpoint, FuncState, StackSlot, VState } from './state';
import { BPF_REG_SIZE, STACK_SPILL } from './state';

/**
 * One executed instruction: pc and, for a spill or a fill (the kernel's INSN_F_STACK_ACCESS), the
 * slot as frame * SLOTS_PER_FRAME + spi + 1 (0: none). A pc of CALLBACK_ENTRY marks where a
 * callback's frame began (push_callback_call).
 */
export interface HistEntry {
  pc: number;
  spi: number;
  /** A conditional jump's DST_REG_STACK / SRC_REG_STACK. */
  flags: number;
  /** An undecided jump's linked scalars (jmpHistory.ts linkedReg codes), when more than one. */
  linked: readonly number[] | undefined;
  /** The instruction before (shared between the branches that follow it). */
  prev: HistEntry | undefined;
}

/** INSN_F_DST_REG_STACK / INSN_F_SRC_REG_STACK: the jump compared a stack pointer. */
export const DST_REG_STACK = 1;
export const SRC_REG_STACK = 2;

export const CALLBACK_ENTRY = -1;
/** MAX_BPF_STACK / BPF_REG_SIZE: the slot code of a stack access (insn_stack_access_flags). */
export const SLOTS_PER_FRAME = 64;

interface Want {
  regs: number;
  slots: Set<number>;
}

/** mark_all_scalars_precise: every kept state of the path (not the current one) — the big hammer. */
export function markAll(cp: Checkpoint | undefined): true {
  for (let c = cp; c; c = c.parent)
    c.state.forEachRegWhere(
      (r) => r.type === 'scalar' && !r.precise,
      (r) => {
        r.precise = true;
      },
    );
  return true;
}

/** bt_sync_linked_regs: when one of the scalars a jump found linked is wanted, all of them are. */
function syncLinked(linked: readonly number[] | undefined, wants: readonly Want[]): void {
  if (!linked) return;
  const wanted = (code: number): boolean => {
    const w = wants[code >> 7];
    if (!w) return false;
    return code & 64 ? (w.regs & (1 << (code & 63))) !== 0 : w.slots.has(code & 63);
  };
  if (!linked.some(wanted)) return;
  for (const code of linked) {
    const w = wants[code >> 7];
    if (!w) continue;
    if (code & 64) w.regs |= 1 << (code & 63);
    else w.slots.add(code & 63);
  }
}

/** backtrack_insn: what `want` needed after `insn` needs before it; false when it cannot tell. */
function backtrack(insn: Insn, e: HistEntry, w: Want, wants: readonly Want[]): boolean {
  const cls = insn.op & 7;
  // The stack slot the instruction spilled to or filled from, in whichever frame it is (a callback
  // writes its caller's stack through the pointer it was given).
  const frame = e.spi ? Math.floor((e.spi - 1) / SLOTS_PER_FRAME) : -1;
  const slots = frame >= 0 ? wants[frame]?.slots : undefined;
  const spi = (e.spi - 1) % SLOTS_PER_FRAME;
  if (e.spi && !slots) return false;
  const bit = (r: number): number => 1 << r;
  if (e.linked) syncLinked(e.linked, wants);
  if (cls === I.BPF_ALU || cls === I.BPF_ALU64) {
    if (!(w.regs & bit(insn.dst))) return true;
    const op = insn.op & 0xf0;
    const x = (insn.op & I.BPF_X) !== 0 && op !== I.ALU_END && op !== I.ALU_NEG;
    if (op === I.ALU_MOV) w.regs &= ~bit(insn.dst);
    // The frame pointer is never a scalar to mark.
    if (x && insn.src !== 10) w.regs |= bit(insn.src);
    return true;
  }
  if (cls === I.BPF_LDX) {
    if (!(w.regs & bit(insn.dst))) return true;
    w.regs &= ~bit(insn.dst);
    if (slots) slots.add(spi);
    return true;
  }
  if (cls === I.BPF_STX || cls === I.BPF_ST) {
    // A scalar used as the address: pointer subtraction (-ENOTSUPP, mark_all_scalars_precise).
    if (w.regs & bit(insn.dst)) return false;
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
    if (w.regs & 0x3f & ~1) return false;
    w.regs &= ~1;
    return true;
  }
  if (
    (insn.op & I.BPF_X) !== 0 &&
    (insn.op & 0xf0) !== I.JMP_JA &&
    w.regs & (bit(insn.dst) | bit(insn.src))
  ) {
    // dreg <cond> sreg: both need precision before the jump (a stack pointer compared is no scalar).
    if (!(e.flags & SRC_REG_STACK)) w.regs |= bit(insn.src);
    if (!(e.flags & DST_REG_STACK)) w.regs |= bit(insn.dst);
  }
  if (e.linked) syncLinked(e.linked, wants);
  return true;
}

/**
 * backtrack_insn's crossings of a frame boundary: an exit backwards enters the sub-program that
 * returned (bt_subprog_enter; R0 goes with it when the instruction after is the call it returns
 * to), a static sub-program's call backwards leaves it (bt_subprog_exit: only R1-R5 may still be
 * wanted, and the caller wants them), a global one's call sets R0, and a tail call that returned
 * to the sub-program's caller (the instruction after it is not its own next one: "bpf: properly
 * verify tail call behavior") enters the sub-program with nothing wanted. `later` is subseq_idx.
 * Returns true when done, false when the kernel would report a verifier bug (we mark everything),
 * undefined for an instruction that crosses nothing (backtrack takes it).
 */
function backtrackFrames(
  insns: readonly Insn[],
  insn: Insn,
  pc: number,
  later: number,
  wants: Want[],
): boolean | undefined {
  const cur = wants[wants.length - 1] as Want;
  if (isExit(insn)) {
    if (cur.regs & ARGS) return false;
    const r0 = later >= 1 && isPseudoCall(insns[later - 1] as Insn) && (cur.regs & 1) !== 0;
    cur.regs &= ~1;
    wants.push({ regs: r0 ? 1 : 0, slots: new Set() });
    return true;
  }
  if (!isCall(insn)) return undefined;
  if (insn.src === I.PSEUDO_CALL) {
    if (later === pc + 1) {
      // A global sub-program was verified on its own: its call only sets R0.
      if (cur.regs & ARGS) return false;
      cur.regs &= ~1;
      return true;
    }
    if (cur.regs & ~ARGS || cur.slots.size || wants.length < 2) return false;
    wants.pop();
    (wants[wants.length - 1] as Want).regs |= cur.regs;
    return true;
  }
  if (insn.src === 0 && insn.imm === TAIL_CALL && later >= 0 && later !== pc + 1) {
    if (cur.regs & ARGS) return false;
    cur.regs &= ~1;
    wants.push({ regs: 0, slots: new Set() });
    return true;
  }
  return undefined;
}

/** BPF_REGMASK_ARGS: R1-R5. */
const ARGS = 0x3e;
/** BPF_FUNC_tail_call */
const TAIL_CALL = 12;

/**
 * Marks what `w` wants precise in a kept state's frame; what was precise there already is dropped
 * from `w` (its own ancestors were marked when it was), as are registers that hold no scalar.
 */
function apply(f: FuncState, w: Want): boolean {
  let marked = false;
  for (let r = 0; r < 10; r++) {
    if (!(w.regs & (1 << r))) continue;
    // peekReg/reg: a register shared with another state is copied only when it is marked.
    const reg = f.peekReg(r);
    if (reg.type !== 'scalar' || reg.precise) w.regs &= ~(1 << r);
    else f.reg(r).precise = marked = true;
  }
  for (const spi of w.slots) {
    const slot = f.stack[spi];
    if (!slot || slot.types[BPF_REG_SIZE - 1] !== STACK_SPILL || slot.spilled.type !== 'scalar') {
      w.slots.delete(spi);
      continue;
    }
    if (slot.spilled.precise) w.slots.delete(spi);
    // f.slot: a spill shared with another state is copied before it is marked.
    else f.slot(spi).spilled.precise = marked = true;
  }
  return marked;
}

/** mark_chain_precision for registers `regs` (bit mask) and stack slots of the current frame. */
export function markPrecise(insns: readonly Insn[], st: VState, regs: number, slots: number[] = []): void {
  const wants: Want[] = [];
  for (let i = 0; i < st.frames.length - 1; i++) wants.push({ regs: 0, slots: new Set() });
  wants.push({ regs, slots: new Set(slots) });
  backtrackInto(insns, st, wants);
}

/**
 * __mark_chain_precision: what each frame wants (innermost last) is followed back through the
 * instructions since the last kept state, then into the kept states, which are marked. The current
 * state itself is not marked: its marks are dropped at the next kept state anyway (is_state_visited's
 * mark_all_scalars_imprecise), and a value is precise only for the kept states' sake.
 */
function backtrackInto(insns: readonly Insn[], st: VState, wants: Want[]): boolean {
  // What each frame still needs, innermost last: backtracking crosses a callback's body (its exit,
  // back to its entry) between two visits of the helper call that runs it (backtrack_insn's
  // BPF_EXIT and is_sync_callback_calling_insn cases).
  const empty = (): boolean => wants.every((x) => !x.regs && !x.slots.size);
  if (empty()) return false;
  let changed = false;
  let hist = st.hist;
  let cp = st.parent;
  // subseq_idx of the newest entry: the instruction being processed (a bpf_loop call reached again
  // from its callback's exit, at its prune point or while its arguments are marked precise).
  let later = st.insnIdx;
  for (;;) {
    for (let e = hist; e; e = e.prev) {
      const cur = wants[wants.length - 1] as Want;
      if (e.pc === CALLBACK_ENTRY) {
        // The callback's R1-R5 are the helper's, not the caller's: nothing goes further (a want of
        // the callback's own stack cannot remain at its entry). Any other register still wanted
        // here was set by no instruction of the callback: backtrack_insn calls that a verifier bug
        // (a tail call in a callback, whose R0 check_helper_call set, gets there).
        if (cur.regs & ~ARGS) fail(`verifier bug: callback unexpected regs ${cur.regs.toString(16)}`);
        wants.pop();
        if (!wants.length || empty()) return changed;
        later = -1;
        continue;
      }
      const insn = insns[e.pc] as Insn;
      if (isExit(insn) && later >= 0 && isCallbackCall(insns[later] as Insn)) {
        // Back into the callback that returned to the call: the call sets R0 and reads R1-R5
        // itself (backtrack_insn's BPF_EXIT clears them), so the callback's frame starts with
        // nothing wanted.
        cur.regs &= ~0x3f;
        wants.push({ regs: 0, slots: new Set() });
        later = e.pc;
        continue;
      }
      const frames = backtrackFrames(insns, insn, e.pc, later, wants);
      if (frames === false || (frames === undefined && !backtrack(insn, e, cur, wants)))
        return markAll(st.parent);
      if (empty()) return changed;
      later = e.pc;
    }
    if (!cp) return changed;
    if (cp.state.frames.length !== wants.length) return markAll(st.parent);
    wants.forEach((x, i) => {
      if (apply(cp?.state.frames[i] as FuncState, x)) changed = true;
    });
    if (empty()) return changed;
    // subseq_idx: the instruction after the parent's last one is the kept state's own.
    later = cp.pc;
    hist = cp.hist;
    cp = cp.parent;
  }
}

/**
 * propagate_precision: `cur` was pruned against `old`, so the scalars old's paths needed precise
 * (those clean_verifier_state left it: its live registers and slots) are needed precise in cur's
 * ancestors too.
 */
export function propagatePrecision(insns: readonly Insn[], old: VState, cur: VState): boolean {
  const wants: Want[] = old.frames.map((f) => {
    const w: Want = { regs: 0, slots: new Set() };
    for (let r = 0; r < 10; r++) {
      const reg = f.peekReg(r);
      if (reg.type === 'scalar' && reg.precise) w.regs |= 1 << r;
    }
    for (let spi = 0; spi < f.stack.length; spi++) {
      const s = f.stack[spi] as StackSlot;
      if (s.types[BPF_REG_SIZE - 1] === STACK_SPILL && s.spilled.type === 'scalar' && s.spilled.precise)
        w.slots.add(spi);
    }
    return w;
  });
  if (wants.length !== cur.frames.length) return false;
  return backtrackInto(insns, cur, wants);
}

/** mark_all_scalars_imprecise: a new kept state starts with no inherited precision. */
export function markAllScalarsImprecise(st: VState): void {
  for (const f of st.frames) {
    for (let i = 0; i < 11; i++) if (f.peekReg(i).precise) f.reg(i).precise = false;
    for (let spi = 0; spi < f.stack.length; spi++) {
      const s = f.stack[spi] as StackSlot;
      // Only a spill marked precise is written (f.slot copies one shared with another state).
      if (s.types[BPF_REG_SIZE - 1] === STACK_SPILL && s.spilled.precise) f.slot(spi).spilled.precise = false;
    }
  }
}

const isCallbackCall = (i: Insn): boolean => callsSyncCallback(i.op, i.src, i.imm);
