// A tiny eBPF assembler (instruction constructors) for tests, benchmarks and the conformance
// corpus: each function returns the slot(s) of one instruction in RFC 9669 encoding.
import * as I from './isa';
import type { Insn } from './isa';

const insn = (op: number, dst = 0, src = 0, off = 0, imm = 0): Insn => ({ op, dst, src, off, imm: imm | 0 });

/** ALU (32-bit) or ALU64 with an immediate or a register source. `off` selects sdiv/smod/movsx. */
export const aluK = (wide: boolean, code: number, dst: number, imm: number, off = 0): Insn =>
  insn((wide ? I.BPF_ALU64 : I.BPF_ALU) | code | I.BPF_K, dst, 0, off, imm);
export const aluX = (wide: boolean, code: number, dst: number, src: number, off = 0): Insn =>
  insn((wide ? I.BPF_ALU64 : I.BPF_ALU) | code | I.BPF_X, dst, src, off, 0);
export const mov64 = (dst: number, imm: number): Insn => aluK(true, I.ALU_MOV, dst, imm);
export const movReg = (dst: number, src: number): Insn => aluX(true, I.ALU_MOV, dst, src);
/** Byte swaps: ALU END to-le (K) / to-be (X), or ALU64 bswap (wide). */
export const endian = (kind: 'le' | 'be' | 'bswap', dst: number, width: 16 | 32 | 64): Insn =>
  insn(
    kind === 'bswap' ? I.BPF_ALU64 | I.ALU_END : I.BPF_ALU | I.ALU_END | (kind === 'be' ? I.BPF_X : I.BPF_K),
    dst,
    0,
    0,
    width,
  );
/** ld_imm64: two slots. */
export const lddw = (dst: number, value: bigint): Insn[] => {
  const v = BigInt.asUintN(64, value);
  return [
    insn(I.BPF_LD | I.BPF_IMM | I.BPF_DW, dst, 0, 0, Number(BigInt.asIntN(32, v))),
    insn(0, 0, 0, 0, Number(BigInt.asIntN(32, v >> 32n))),
  ];
};
export const jmpK = (wide: boolean, code: number, dst: number, imm: number, off: number): Insn =>
  insn((wide ? I.BPF_JMP : I.BPF_JMP32) | code | I.BPF_K, dst, 0, off, imm);
export const jmpX = (wide: boolean, code: number, dst: number, src: number, off: number): Insn =>
  insn((wide ? I.BPF_JMP : I.BPF_JMP32) | code | I.BPF_X, dst, src, off, 0);
export const ja = (off: number): Insn => insn(I.BPF_JMP | I.JMP_JA, 0, 0, off);
/** gotol: JMP32 | JA with a 32-bit offset in imm (cpu v4). */
export const gotol = (imm: number): Insn => insn(I.BPF_JMP32 | I.JMP_JA, 0, 0, 0, imm);
export const exit = (): Insn => insn(I.BPF_JMP | I.JMP_EXIT);
export const callHelper = (id: number): Insn => insn(I.BPF_JMP | I.JMP_CALL, 0, 0, 0, id);
export const callLocal = (rel: number): Insn => insn(I.BPF_JMP | I.JMP_CALL, 0, I.PSEUDO_CALL, 0, rel);
const sizeCode = (size: 1 | 2 | 4 | 8): number => ({ 1: I.BPF_B, 2: I.BPF_H, 4: I.BPF_W, 8: I.BPF_DW })[size];
export const ldx = (size: 1 | 2 | 4 | 8, dst: number, src: number, off: number, signExtend = false): Insn =>
  insn(I.BPF_LDX | (signExtend ? I.BPF_MEMSX : I.BPF_MEM) | sizeCode(size), dst, src, off);
export const stx = (size: 1 | 2 | 4 | 8, dst: number, src: number, off: number): Insn =>
  insn(I.BPF_STX | I.BPF_MEM | sizeCode(size), dst, src, off);
export const st = (size: 1 | 2 | 4 | 8, dst: number, off: number, imm: number): Insn =>
  insn(I.BPF_ST | I.BPF_MEM | sizeCode(size), dst, 0, off, imm);
export const atomic = (size: 4 | 8, op: number, dst: number, src: number, off: number): Insn =>
  insn(I.BPF_STX | I.BPF_ATOMIC | sizeCode(size), dst, src, off, op);

/** Flattens slots into the wire form. */
export const assemble = (...parts: (Insn | Insn[])[]): Uint8Array => I.encodeInsns(parts.flat());
