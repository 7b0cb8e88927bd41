// check_btf_func's rule on the sub-programs' BTF return types (kernel/bpf/verifier.c), checked before
// check_cfg: a sub-program with LD_ABS/LD_IND (check_subprogs' has_ld_abs) must return a small int or
// an enum, since those instructions exit the program with 0 when the packet is too short.
import { Btf, BTF_KIND } from '../elf/btf';
import type { ElfFile } from '../elf/elfFile';
import { SHF_EXECINSTR, STT_FUNC } from '../elf/elfFile';
import * as I from '../vm/isa';
import type { Insn } from '../vm/isa';

export const LD_ABS_RETURN_MESSAGE = "LD_ABS is only allowed in functions that return 'int'.";

/** BPF_LD with BPF_ABS or BPF_IND mode. */
const isLdAbsInd = (i: Insn): boolean =>
  (i.op & 7) === 0 && ((i.op & 0xe0) === 0x20 || (i.op & 0xe0) === 0x40);

/** btf_type_is_small_int || btf_is_any_enum, after btf_type_skip_modifiers (void: id 0, not one). */
function scalarReturn(btf: Btf, funcName: string): boolean {
  const fn = btf.types.find((t) => t?.kind === BTF_KIND.FUNC && t.name === funcName);
  const proto = fn ? btf.type(fn.sizeOrType) : undefined;
  // No FUNC for it (no func info): the kernel has nothing to check.
  if (!proto || proto.kind !== BTF_KIND.FUNC_PROTO) return true;
  if (proto.sizeOrType === 0) return false;
  const ret = btf.resolve(proto.sizeOrType);
  if (!ret) return true;
  if (ret.kind === BTF_KIND.INT) return ret.sizeOrType <= 8;
  return ret.kind === BTF_KIND.ENUM || ret.kind === BTF_KIND.ENUM64;
}

/**
 * True when a sub-program the program reaches (calls, or takes as a callback) holds LD_ABS/LD_IND
 * and its BTF says it returns no int. `.text` is linked at `textBase` (ours appends all of it; libbpf
 * only what is called, hence the walk from the main program).
 */
export function ldAbsInNonIntSubprog(elf: ElfFile, insns: readonly Insn[], textBase: number): boolean {
  const text = elf.section('.text');
  const btfSec = elf.section('.BTF');
  if (!text || !(text.flags & SHF_EXECINSTR) || !btfSec || textBase <= 0) return false;
  let btf: Btf;
  try {
    btf = new Btf(btfSec.data);
  } catch {
    return false;
  }
  const funcs = elf.symbols
    .filter((s) => s.shndx === text.index && s.type === STT_FUNC && s.size > 0)
    .map((s) => ({ name: s.name, start: textBase + s.value / 8, end: textBase + (s.value + s.size) / 8 }));
  const seen = new Set<number>();
  const queue: { start: number; end: number; name?: string }[] = [{ start: 0, end: textBase }];
  while (queue.length) {
    const f = queue.pop() as { start: number; end: number; name?: string };
    let hasLdAbs = false;
    for (let pc = f.start; pc < f.end && pc < insns.length; pc++) {
      const i = insns[pc] as Insn;
      if (isLdAbsInd(i)) hasLdAbs = true;
      const callee =
        (i.op === 0x85 && i.src === I.PSEUDO_CALL) || (I.isLdImm64(i) && i.src === I.PSEUDO_FUNC)
          ? pc + i.imm + 1
          : -1;
      if (I.isLdImm64(i)) pc++;
      if (callee < 0 || seen.has(callee)) continue;
      seen.add(callee);
      const g = funcs.find((x) => x.start === callee);
      if (g) queue.push(g);
    }
    if (f.name !== undefined && hasLdAbs && !scalarReturn(btf, f.name)) return true;
  }
  return false;
}
