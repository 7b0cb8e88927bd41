// The eBPF instruction encoding (RFC 9669, cpu v1–v4): opcode fields, one decoded instruction, and
// the decoder from the 8-byte little-endian wire form. Everything else in the VM reads these names.

export const BPF_LD = 0x00;
export const BPF_LDX = 0x01;
export const BPF_ST = 0x02;
export const BPF_STX = 0x03;
export const BPF_ALU = 0x04;
export const BPF_JMP = 0x05;
export const BPF_JMP32 = 0x06;
export const BPF_ALU64 = 0x07;

export const BPF_K = 0x00;
export const BPF_X = 0x08;

/** Load/store sizes (bits 3–4) and modes (bits 5–7). */
export const BPF_W = 0x00;
export const BPF_H = 0x08;
export const BPF_B = 0x10;
export const BPF_DW = 0x18;
export const BPF_IMM = 0x00;
export const BPF_ABS = 0x20;
export const BPF_IND = 0x40;
export const BPF_MEM = 0x60;
export const BPF_MEMSX = 0x80;
export const BPF_ATOMIC = 0xc0;

/** ALU operation codes (bits 4–7). */
export const ALU_ADD = 0x00;
export const ALU_SUB = 0x10;
export const ALU_MUL = 0x20;
export const ALU_DIV = 0x30;
export const ALU_OR = 0x40;
export const ALU_AND = 0x50;
export const ALU_LSH = 0x60;
export const ALU_RSH = 0x70;
export const ALU_NEG = 0x80;
export const ALU_MOD = 0x90;
export const ALU_XOR = 0xa0;
export const ALU_MOV = 0xb0;
export const ALU_ARSH = 0xc0;
export const ALU_END = 0xd0;

/** Jump operation codes (bits 4–7). */
export const JMP_JA = 0x00;
export const JMP_JEQ = 0x10;
export const JMP_JGT = 0x20;
export const JMP_JGE = 0x30;
export const JMP_JSET = 0x40;
export const JMP_JNE = 0x50;
export const JMP_JSGT = 0x60;
export const JMP_JSGE = 0x70;
export const JMP_CALL = 0x80;
export const JMP_EXIT = 0x90;
export const JMP_JLT = 0xa0;
export const JMP_JLE = 0xb0;
export const JMP_JSLT = 0xc0;
export const JMP_JSLE = 0xd0;

/** Atomic operations (imm of a BPF_ATOMIC store). */
export const ATOMIC_FETCH = 0x01;
export const ATOMIC_XCHG = 0xe0 | ATOMIC_FETCH;
export const ATOMIC_CMPXCHG = 0xf0 | ATOMIC_FETCH;

/** src_reg values of `ld_imm64` (RFC 9669 §5.4) and of `call`. */
export const PSEUDO_MAP_FD = 1;
export const PSEUDO_MAP_VALUE = 2;
export const PSEUDO_BTF_ID = 3;
export const PSEUDO_FUNC = 4;
export const PSEUDO_MAP_IDX = 5;
export const PSEUDO_MAP_IDX_VALUE = 6;
export const PSEUDO_CALL = 1;
export const PSEUDO_KFUNC_CALL = 2;

export const INSN_SIZE = 8;

/** One decoded slot. An `ld_imm64` occupies two slots; the second keeps its own imm (high half). */
export interface Insn {
  op: number;
  dst: number;
  src: number;
  off: number;
  imm: number;
}

export const opClass = (op: number): number => op & 7;
export const sizeBytes = (op: number): number => [4, 2, 1, 8][(op >> 3) & 3] as number;

/** Decodes `bytes` (a multiple of 8 long) into instruction slots. */
export function decodeInsns(bytes: Uint8Array): Insn[] {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Insn[] = [];
  for (let o = 0; o + INSN_SIZE <= bytes.byteLength; o += INSN_SIZE) {
    const regs = dv.getUint8(o + 1);
    out.push({
      op: dv.getUint8(o),
      dst: regs & 15,
      src: regs >> 4,
      off: dv.getInt16(o + 2, true),
      imm: dv.getInt32(o + 4, true),
    });
  }
  return out;
}

export function encodeInsns(insns: readonly Insn[]): Uint8Array {
  const out = new Uint8Array(insns.length * INSN_SIZE);
  const dv = new DataView(out.buffer);
  insns.forEach((i, n) => {
    const o = n * INSN_SIZE;
    dv.setUint8(o, i.op);
    dv.setUint8(o + 1, (i.dst & 15) | ((i.src & 15) << 4));
    dv.setInt16(o + 2, i.off, true);
    dv.setInt32(o + 4, i.imm, true);
  });
  return out;
}

/** `ld_imm64` is the only two-slot instruction. */
export const isLdImm64 = (i: Insn): boolean => i.op === (BPF_LD | BPF_IMM | BPF_DW);
