// Where libbpf puts a program's sub-programs (libbpf.c bpf_object__reloc_code): after the program's
// own instructions, each called function once, in the order a depth-first scan of the calls (and
// callback references) first meets it. Ours links all of `.text` after the program instead, so an
// instruction index the kernel prints for a sub-program instruction (an alloc_insn, the instruction
// it stops at) is another number than ours: this translates between the two.
import type { ElfFile } from '../elf/elfFile';
import { SHF_EXECINSTR, STT_FUNC } from '../elf/elfFile';
import * as I from '../vm/isa';
import type { Insn } from '../vm/isa';

export interface Layout {
  /** The kernel's index of our instruction `pc` (undefined: a function libbpf does not load). */
  toKernel: (pc: number) => number | undefined;
  /** Our index of the kernel's instruction `pc`. */
  fromKernel: (pc: number) => number | undefined;
}

/** Where the loader appended `.text` behind the program's own instructions (0: nowhere). */
export function textBaseOf(elf: ElfFile, name: string, section: string): number {
  const sec = elf.section(section);
  const sym = elf.symbols.find((s) => s.name === name && s.shndx === sec?.index && s.type === STT_FUNC);
  if (!sym || !sec) return 0;
  return sym.size > 0 ? sym.size / 8 : (sec.size - sym.value) / 8;
}

const IDENTITY: Layout = { toKernel: (pc) => pc, fromKernel: (pc) => pc };

/** The layout of a program whose own instructions are [0, textBase), `.text` linked after them. */
export function libbpfLayout(elf: ElfFile, insns: readonly Insn[], textBase: number): Layout {
  const text = elf.section('.text');
  if (!text || !(text.flags & SHF_EXECINSTR) || textBase <= 0) return IDENTITY;
  const funcs = elf.symbols
    .filter((s) => s.shndx === text.index && s.type === STT_FUNC && s.size > 0)
    .map((s) => ({ start: textBase + s.value / 8, len: s.size / 8, at: -1 }));
  let next = textBase;
  const visit = (start: number, end: number): void => {
    for (let pc = start; pc < end && pc < insns.length; pc++) {
      const i = insns[pc] as Insn;
      const callee =
        (i.op === 0x85 && i.src === I.PSEUDO_CALL) || (I.isLdImm64(i) && i.src === I.PSEUDO_FUNC)
          ? pc + i.imm + 1
          : -1;
      if (I.isLdImm64(i)) pc++;
      const g = callee >= 0 ? funcs.find((f) => callee >= f.start && callee < f.start + f.len) : undefined;
      if (!g || g.at >= 0) continue;
      // bpf_object__append_subprog_code, then bpf_object__reloc_code on the appended function.
      g.at = next;
      next += g.len;
      visit(g.start, g.start + g.len);
    }
  };
  visit(0, textBase);
  return {
    toKernel: (pc) => {
      if (pc < textBase) return pc;
      const f = funcs.find((x) => pc >= x.start && pc < x.start + x.len);
      return f && f.at >= 0 ? f.at + (pc - f.start) : undefined;
    },
    fromKernel: (pc) => {
      if (pc < textBase) return pc;
      const f = funcs.find((x) => x.at >= 0 && pc >= x.at && pc < x.at + x.len);
      return f ? f.start + (pc - f.at) : undefined;
    },
  };
}
