// One eBPF instruction as bpftool's `prog dump xlated` writes it (the kernel's print_bpf_insn in
// kernel/bpf/disasm.c): `r2 = *(u32 *)(r1 + 4)`, `if r1 > r6 goto pc+47`, `call bpf_map_lookup_elem#1`.
import { helperById } from '../bpf/helperCatalog';
import * as I from '../vm/isa';
import type { Insn } from '../vm/isa';

const ALU_OPS: Record<number, string> = {
  [I.ALU_ADD]: '+=',
  [I.ALU_SUB]: '-=',
  [I.ALU_MUL]: '*=',
  [I.ALU_DIV]: '/=',
  [I.ALU_OR]: '|=',
  [I.ALU_AND]: '&=',
  [I.ALU_LSH]: '<<=',
  [I.ALU_RSH]: '>>=',
  [I.ALU_MOD]: '%=',
  [I.ALU_XOR]: '^=',
  [I.ALU_MOV]: '=',
  [I.ALU_ARSH]: 's>>=',
};
const JMP_OPS: Record<number, string> = {
  [I.JMP_JEQ]: '==',
  [I.JMP_JGT]: '>',
  [I.JMP_JGE]: '>=',
  [I.JMP_JSET]: '&',
  [I.JMP_JNE]: '!=',
  [I.JMP_JSGT]: 's>',
  [I.JMP_JSGE]: 's>=',
  [I.JMP_JLT]: '<',
  [I.JMP_JLE]: '<=',
  [I.JMP_JSLT]: 's<',
  [I.JMP_JSLE]: 's<=',
};
const SIZE = ['u32', 'u16', 'u8', 'u64'];
const ATOMIC_OPS: Record<number, string> = { 0x00: 'add', 0x40: 'or', 0x50: 'and', 0xa0: 'xor' };

const off = (o: number): string => (o < 0 ? `- ${-o}` : `+ ${o}`);
const rel = (o: number): string => (o < 0 ? `pc${o}` : `pc+${o}`);

/** Text of the instruction at `pc`; `next` is the following slot (the high half of an ld_imm64). */
export function disassembleInsn(i: Insn, next?: Insn, symbolOf?: () => string | undefined): string {
  const cls = I.opClass(i.op);
  const code = i.op & 0xf0;
  const x = (i.op & I.BPF_X) !== 0;
  switch (cls) {
    case I.BPF_ALU:
    case I.BPF_ALU64: {
      const r = cls === I.BPF_ALU64 ? 'r' : 'w';
      if (code === I.ALU_NEG) return `${r}${i.dst} = -${r}${i.dst}`;
      if (code === I.ALU_END) {
        if (cls === I.BPF_ALU64) return `r${i.dst} = bswap${i.imm} r${i.dst}`;
        return `r${i.dst} = ${x ? 'be' : 'le'}${i.imm} r${i.dst}`;
      }
      if (code === I.ALU_MOV && x && i.off) return `${r}${i.dst} = (s${i.off})${r}${i.src}`;
      const signed = (code === I.ALU_DIV || code === I.ALU_MOD) && i.off === 1 ? 's' : '';
      const op = ALU_OPS[code] ?? `alu(0x${code.toString(16)})`;
      return `${r}${i.dst} ${signed}${op} ${x ? `${r}${i.src}` : String(i.imm)}`;
    }
    case I.BPF_LDX: {
      const mode = i.op & 0xe0;
      const t = SIZE[(i.op >> 3) & 3] as string;
      return `r${i.dst} = *(${mode === I.BPF_MEMSX ? t.replace('u', 's') : t} *)(r${i.src} ${off(i.off)})`;
    }
    case I.BPF_ST:
      return `*(${SIZE[(i.op >> 3) & 3]} *)(r${i.dst} ${off(i.off)}) = ${i.imm}`;
    case I.BPF_STX: {
      const t = SIZE[(i.op >> 3) & 3] as string;
      if ((i.op & 0xe0) === I.BPF_ATOMIC) {
        const w = t === 'u64' ? 'r' : 'w';
        if (i.imm === I.ATOMIC_XCHG)
          return `${w}${i.src} = atomic_xchg((${t} *)(r${i.dst} ${off(i.off)}), ${w}${i.src})`;
        if (i.imm === I.ATOMIC_CMPXCHG)
          return `${w}0 = atomic_cmpxchg((${t} *)(r${i.dst} ${off(i.off)}), ${w}0, ${w}${i.src})`;
        const name = ATOMIC_OPS[i.imm & ~I.ATOMIC_FETCH] ?? `op${i.imm}`;
        if (i.imm & I.ATOMIC_FETCH)
          return `${w}${i.src} = atomic_fetch_${name}((${t} *)(r${i.dst} ${off(i.off)}), ${w}${i.src})`;
        return `lock *(${t} *)(r${i.dst} ${off(i.off)}) ${ALU_OPS[i.imm] ?? name} ${w}${i.src}`;
      }
      return `*(${t} *)(r${i.dst} ${off(i.off)}) = r${i.src}`;
    }
    case I.BPF_LD: {
      if (I.isLdImm64(i)) {
        if (i.src === I.PSEUDO_MAP_FD || i.src === I.PSEUDO_MAP_IDX)
          return `r${i.dst} = map[${symbolOf?.() ?? 'id'}]`;
        if (i.src === I.PSEUDO_MAP_VALUE || i.src === I.PSEUDO_MAP_IDX_VALUE)
          return `r${i.dst} = map[${symbolOf?.() ?? 'id'}][0]+${next?.imm ?? 0}`;
        if (i.src === I.PSEUDO_FUNC) return `r${i.dst} = ${rel(i.imm)}`;
        const v = (BigInt((next?.imm ?? 0) >>> 0) << 32n) | BigInt(i.imm >>> 0);
        return `r${i.dst} = 0x${v.toString(16)}`;
      }
      return `ld 0x${i.op.toString(16)}`;
    }
    case I.BPF_JMP:
    case I.BPF_JMP32: {
      if (code === I.JMP_EXIT) return 'exit';
      if (code === I.JMP_CALL) {
        if (i.src === I.PSEUDO_CALL) return `call ${rel(i.imm)}`;
        const h = helperById(i.imm);
        return `call ${h ? h.name : 'helper'}#${i.imm}`;
      }
      if (code === I.JMP_JA) return `goto ${rel(cls === I.BPF_JMP32 ? i.imm : i.off)}`;
      const r = cls === I.BPF_JMP ? 'r' : 'w';
      return `if ${r}${i.dst} ${JMP_OPS[code] ?? '?'} ${x ? `${r}${i.src}` : String(i.imm)} goto ${rel(i.off)}`;
    }
    default:
      return `(bad opcode 0x${i.op.toString(16)})`;
  }
}

/** The 8 bytes of one instruction slot as hex, as the kernel encodes it. */
export function insnBytes(i: Insn): string {
  return Array.from(I.encodeInsns([i]), (b) => b.toString(16).padStart(2, '0')).join(' ');
}
