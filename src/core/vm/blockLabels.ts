// The basic-block labels of an instruction stream (entry, jump and call targets, return points,
// callbacks), shared by both compilation tiers; targets are validated as the verifier's
// check_cfg() does (inside the program, never the second half of a ld_imm64).
import * as I from './isa';
import type { Insn } from './isa';
import { LoadError } from './vmFault';

/** Finds every basic-block label: entry, jump targets, call targets, return points, callbacks. */
export function findLabels(insns: readonly Insn[]): Set<number> {
  const labels = new Set<number>([0]);
  const n = insns.length;
  const second = secondHalves(insns);
  const target = (pc: number, t: number, what: string): void => {
    if (t < 0 || t >= n)
      throw new LoadError(`pc ${pc}: ${what} target ${t} is outside the program (0..${n - 1})`);
    if (second[t]) throw new LoadError(`pc ${pc}: ${what} target ${t} is the second half of a ld_imm64`);
    labels.add(t);
  };
  for (let pc = 0; pc < n; pc++) {
    const i = insns[pc] as Insn;
    const cls = I.opClass(i.op);
    if (I.isLdImm64(i)) {
      if (pc + 1 >= n) throw new LoadError(`pc ${pc}: ld_imm64 is missing its second slot`);
      if (i.src === I.PSEUDO_FUNC) target(pc, pc + i.imm + 1, 'callback');
      pc++;
      continue;
    }
    if (cls !== I.BPF_JMP && cls !== I.BPF_JMP32) continue;
    const code = i.op & 0xf0;
    if (code === I.JMP_EXIT) continue;
    if (code === I.JMP_CALL) {
      if (cls === I.BPF_JMP && i.src === I.PSEUDO_CALL) {
        target(pc, pc + i.imm + 1, 'call');
        if (pc + 1 < n) labels.add(pc + 1);
      }
      continue;
    }
    const t = cls === I.BPF_JMP32 && code === I.JMP_JA ? pc + i.imm + 1 : pc + i.off + 1;
    target(pc, t, 'jump');
  }
  return labels;
}

/** Marks the second slot of every ld_imm64 (never a valid jump target). */
export function secondHalves(insns: readonly Insn[]): Uint8Array {
  const out = new Uint8Array(insns.length);
  for (let p = 0; p < insns.length; p++) if (I.isLdImm64(insns[p] as Insn)) out[++p] = 1;
  return out;
}
