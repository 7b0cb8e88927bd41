// Which instructions add an entry to the kernel's jump history (verifier.c push_jmp_history's
// callers): is_state_visited forces a new kept state once a path has more than 40 of them.
import * as I from '../vm/isa';
import type { Insn } from '../vm/isa';
import { toS64 } from './pair64';
import type { Reg } from './regState';
import { baseId, clearScalarId } from './regState';
import { tnumIsConst } from './tnum';
import type { FuncState, StackSlot, VState } from './state';
import { BPF_REG_SIZE, STACK_SPILL } from './state';

/** is_state_visited: "Avoid accumulating infinitely long jmp history". */
export const MAX_JMP_HISTORY = 40;

/** The constant stack offset `base` + `off` points at, with its frame; undefined when not constant. */
function stackOff(r: Reg, off: number): number | undefined {
  if (r.type !== 'stack' || !tnumIsConst(r.varOff)) return undefined;
  return r.off + Number(toS64(r.varOff.vh, r.varOff.vl)) + off;
}

/**
 * check_stack_write_fixed_off / check_stack_read_fixed_off: a store that spills a register
 * (save_register_state: a scalar or an ST immediate at a slot's start, or a pointer) and a load that
 * restores a spilled one record the stack slot in the history. `st` is the state before `insn`.
 */
export function stackAccessEntry(st: VState, insn: Insn): boolean {
  const cls = insn.op & 7;
  const mode = insn.op & 0xe0;
  if (mode !== I.BPF_MEM && !(cls === I.BPF_LDX && mode === I.BPF_MEMSX)) return false;
  // A register number past R10 is the instruction's own refusal (check_reg_arg: "R%d is invalid"),
  // made right after this look-ahead: no entry, and no read of a register that does not exist.
  if (insn.dst > 10 || insn.src > 10) return false;
  const f = st.cur;
  if (cls === I.BPF_STX || cls === I.BPF_ST) {
    const off = stackOff(f.peekReg(insn.dst), insn.off);
    if (off === undefined || off >= 0 || off < -512) return false;
    if (cls === I.BPF_ST) return off % BPF_REG_SIZE === 0;
    const v = f.peekReg(insn.src);
    if (v.type === 'scalar') return off % BPF_REG_SIZE === 0;
    return v.type !== 'not_init';
  }
  if (cls !== I.BPF_LDX) return false;
  const base = f.peekReg(insn.src);
  const off = stackOff(base, insn.off);
  if (off === undefined || off >= 0 || off < -512) return false;
  const slot = -off - 1;
  const s = st.frames[base.frameno]?.stack[Math.floor(slot / BPF_REG_SIZE)];
  if (!s || s.types[BPF_REG_SIZE - 1] !== STACK_SPILL) return false;
  let spillSize = 1;
  for (let i = BPF_REG_SIZE - 1; i > 0 && s.types[i - 1] === STACK_SPILL; i--) spillSize++;
  const size = I.sizeBytes(insn.op);
  if (size === BPF_REG_SIZE && spillSize === BPF_REG_SIZE) return true;
  if (s.spilled.type !== 'scalar') return false;
  // bpf_stack_narrow_access_ok: a narrower fill from the slot's start restores the register.
  if (size <= spillSize && off % BPF_REG_SIZE === 0) return true;
  return spillOnlyZero(s, slot, size);
}

/** A fill of only spilled bytes of a spilled constant zero (still a register fill). */
function spillOnlyZero(s: StackSlot, slot: number, size: number): boolean {
  for (let i = 0; i < size; i++) if (s.types[(slot - i) % BPF_REG_SIZE] !== STACK_SPILL) return false;
  const r = s.spilled;
  return tnumIsConst(r.varOff) && r.varOff.vh === 0 && r.varOff.vl === 0;
}

/** LINKED_REGS_MAX: the registers one jump history entry can name; more lose their id. */
export const LINKED_REGS_MAX = 6;

/** A linked_reg entry as a number: frame << 7 | (a register ? 64 : a stack slot) | regno or spi. */
export const linkedReg = (frame: number, isReg: boolean, n: number): number =>
  (frame << 7) | (isReg ? 64 : 0) | n;

/**
 * check_cond_jmp_op before an undecided branch: collect_linked_regs gathers the scalars (live
 * registers and spills, every frame) sharing an id with the compared ones, the source's first; past
 * LINKED_REGS_MAX a scalar loses its id instead. sync_linked_regs refines only these, and more than one
 * is a jump history entry whose registers backtracking marks together (bt_sync_linked_regs). `live`
 * is the registers live before each instruction.
 */
export function collectLinkedRegs(st: VState, insn: Insn, pc: number, live: Uint16Array): readonly number[] {
  const f = st.cur;
  const src = insn.op & I.BPF_X ? f.peekReg(insn.src) : undefined;
  const srcId = src && src.type === 'scalar' ? src.id : 0;
  const d = f.peekReg(insn.dst);
  if (!srcId && !(d.type === 'scalar' && d.id)) return NONE;
  const out: number[] = [];
  if (srcId) collect(st, baseId(srcId), pc, live, out);
  // Re-read: the source's collection may have dropped the destination's id.
  const dst = f.peekReg(insn.dst);
  if (dst.type === 'scalar' && dst.id) collect(st, baseId(dst.id), pc, live, out);
  return out;
}

const NONE: readonly number[] = Object.freeze([]);

/** collect_linked_regs for `id` (__collect_linked_regs: beyond the limit the id is dropped). */
function collect(st: VState, id: number, pc: number, live: Uint16Array, out: number[]): void {
  for (let fi = st.frames.length - 1; fi >= 0; fi--) {
    const f = st.frames[fi] as FuncState;
    const at = fi === st.frames.length - 1 ? pc : (st.frames[fi + 1] as FuncState).callsite;
    const mask = live[at] as number;
    for (let r = 0; r < 10; r++) {
      if (!(mask & (1 << r))) continue;
      const reg = f.peekReg(r);
      if (reg.type !== 'scalar' || baseId(reg.id) !== id) continue;
      if (out.length < LINKED_REGS_MAX) out.push(linkedReg(fi, true, r));
      else clearScalarId(f.reg(r));
    }
    for (let spi = 0; spi < f.stack.length; spi++) {
      const s = f.stack[spi] as StackSlot;
      if (
        s.types[BPF_REG_SIZE - 1] !== STACK_SPILL ||
        s.spilled.type !== 'scalar' ||
        baseId(s.spilled.id) !== id
      )
        continue;
      if (out.length < LINKED_REGS_MAX) out.push(linkedReg(fi, false, spi));
      else clearScalarId(f.slot(spi).spilled);
    }
  }
}
