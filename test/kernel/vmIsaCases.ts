// The ISA corpus of the VM's differential tests: small programs, one per opcode × operand form ×
// edge value, that compute r0 from registers and the stack only (so the kernel can run each as a
// socket filter). Shared by test/kernel/vmIsa.test.ts (against the kernel) and the unit tests.
import * as A from '../../src/core/vm/asm';
import * as I from '../../src/core/vm/isa';
import type { Insn } from '../../src/core/vm/isa';

export interface IsaCase {
  name: string;
  insns: Insn[];
}

export const EDGE64: bigint[] = [
  0n,
  1n,
  2n,
  7n,
  31n,
  32n,
  63n,
  64n,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  0x123456789abcdef0n,
  0x7fffffffffffffffn,
  0x8000000000000000n,
  0xffffffffffffffffn,
  0xfffffffffffffffen,
  0xffffffff80000000n,
];
export const EDGE_IMM: number[] = [0, 1, 2, 3, 31, 32, 63, -1, -2, 0x7fffffff, -0x80000000, 0x12345678];

const ALU_OPS: [string, number, number][] = [
  ['add', I.ALU_ADD, 0],
  ['sub', I.ALU_SUB, 0],
  ['mul', I.ALU_MUL, 0],
  ['div', I.ALU_DIV, 0],
  ['sdiv', I.ALU_DIV, 1],
  ['mod', I.ALU_MOD, 0],
  ['smod', I.ALU_MOD, 1],
  ['or', I.ALU_OR, 0],
  ['and', I.ALU_AND, 0],
  ['xor', I.ALU_XOR, 0],
  ['lsh', I.ALU_LSH, 0],
  ['rsh', I.ALU_RSH, 0],
  ['arsh', I.ALU_ARSH, 0],
  ['mov', I.ALU_MOV, 0],
];

const JMP_OPS: [string, number][] = [
  ['jeq', I.JMP_JEQ],
  ['jne', I.JMP_JNE],
  ['jgt', I.JMP_JGT],
  ['jge', I.JMP_JGE],
  ['jlt', I.JMP_JLT],
  ['jle', I.JMP_JLE],
  ['jsgt', I.JMP_JSGT],
  ['jsge', I.JMP_JSGE],
  ['jslt', I.JMP_JSLT],
  ['jsle', I.JMP_JSLE],
  ['jset', I.JMP_JSET],
];

const hex = (v: bigint): string => '0x' + BigInt.asUintN(64, v).toString(16);

export function isaCases(): IsaCase[] {
  const cases: IsaCase[] = [];
  const add = (name: string, ...parts: (Insn | Insn[])[]): void => {
    cases.push({ name, insns: parts.flat() });
  };
  const pairs: [bigint, bigint][] = [];
  for (const a of EDGE64)
    for (const b of EDGE64)
      if ((EDGE64.indexOf(a) + EDGE64.indexOf(b)) % 3 === 0 || b < 3n || a < 2n) pairs.push([a, b]);
  for (const wide of [true, false]) {
    const w = wide ? '64' : '32';
    for (const [name, code, off] of ALU_OPS) {
      for (const [a, b] of pairs) {
        // register form: shifts by ≥ width run (the JIT masks); division by zero runs (0 / dst).
        add(
          `${name}${w} x ${hex(a)} ${hex(b)}`,
          A.lddw(1, a),
          A.lddw(2, b),
          A.aluX(wide, code, 1, 2, off),
          A.movReg(0, 1),
          A.exit(),
        );
      }
      for (const a of EDGE64.slice(0, 12)) {
        for (const imm of EDGE_IMM) {
          if ((code === I.ALU_DIV || code === I.ALU_MOD) && imm === 0) continue; // verifier: division by zero
          if (
            (code === I.ALU_LSH || code === I.ALU_RSH || code === I.ALU_ARSH) &&
            (imm < 0 || imm >= (wide ? 64 : 32))
          )
            continue; // verifier: invalid shift
          add(
            `${name}${w} k ${hex(a)} ${imm}`,
            A.lddw(1, a),
            A.aluK(wide, code, 1, imm, off),
            A.movReg(0, 1),
            A.exit(),
          );
        }
      }
    }
    for (const a of EDGE64)
      add(`neg${w} ${hex(a)}`, A.lddw(1, a), A.aluK(wide, I.ALU_NEG, 1, 0), A.movReg(0, 1), A.exit());
    for (const bits of wide ? [8, 16, 32] : [8, 16])
      for (const a of EDGE64)
        add(`movsx${w}.${bits} ${hex(a)}`, A.lddw(1, a), A.aluX(wide, I.ALU_MOV, 0, 1, bits), A.exit());
    for (const [name, code] of JMP_OPS) {
      for (const [a, b] of pairs) {
        add(
          `${name}${w} x ${hex(a)} ${hex(b)}`,
          A.lddw(1, a),
          A.lddw(2, b),
          A.mov64(0, 1),
          A.jmpX(wide, code, 1, 2, 1),
          A.mov64(0, 2),
          A.exit(),
        );
      }
      for (const a of EDGE64.slice(0, 12))
        for (const imm of EDGE_IMM)
          add(
            `${name}${w} k ${hex(a)} ${imm}`,
            A.lddw(1, a),
            A.mov64(0, 1),
            A.jmpK(wide, code, 1, imm, 1),
            A.mov64(0, 2),
            A.exit(),
          );
    }
  }
  for (const a of [0x0123456789abcdefn, 0xfedcba9876543210n, 0x80n, 0x8000n])
    for (const width of [16, 32, 64] as const)
      for (const kind of ['le', 'be', 'bswap'] as const)
        add(`${kind}${width} ${hex(a)}`, A.lddw(0, a), A.endian(kind, 0, width), A.exit());
  for (const a of EDGE64) add(`lddw ${hex(a)}`, A.lddw(0, a), A.exit());
  // Loads and stores on the stack, every size, sign extension, every byte offset of a word.
  for (const a of [0x8182838485868788n, 0x0102030405060708n, 0xfffefdfcfbfaf9f8n]) {
    for (const size of [1, 2, 4, 8] as const)
      for (let off = -8; off + size <= 0; off += size) {
        add(
          `ldx${size} ${hex(a)} fp${off}`,
          A.lddw(1, a),
          A.stx(8, 10, 1, -8),
          A.ldx(size, 0, 10, off),
          A.exit(),
        );
        if (size !== 8)
          add(
            `ldsx${size} ${hex(a)} fp${off}`,
            A.lddw(1, a),
            A.stx(8, 10, 1, -8),
            A.ldx(size, 0, 10, off, true),
            A.exit(),
          );
        add(
          `stx${size} ${hex(a)} fp${off}`,
          A.mov64(2, 0),
          A.stx(8, 10, 2, -8),
          A.lddw(1, a),
          A.stx(size, 10, 1, off),
          A.ldx(8, 0, 10, -8),
          A.exit(),
        );
      }
    for (const imm of [-1, 0x7f, -0x80000000, 0x12345678])
      for (const size of [1, 2, 4, 8] as const)
        add(
          `st${size} ${imm}`,
          A.lddw(1, a),
          A.stx(8, 10, 1, -8),
          A.st(size, 10, -8, imm),
          A.ldx(8, 0, 10, -8),
          A.exit(),
        );
  }
  // Atomics: r0 = memory after the op XOR (the fetched value, rotated) so both are checked.
  const atomicOps: [string, number][] = [
    ['add', 0x00],
    ['or', 0x40],
    ['and', 0x50],
    ['xor', 0xa0],
    ['fetch_add', 0x01],
    ['fetch_or', 0x41],
    ['fetch_and', 0x51],
    ['fetch_xor', 0xa1],
    ['xchg', I.ATOMIC_XCHG],
  ];
  for (const size of [4, 8] as const)
    for (const [name, op] of atomicOps)
      for (const [m, v] of [
        [0xffffffff00000001n, 0x00000001ffffffffn],
        [0x8000000080000000n, 0x7fffffff7fffffffn],
      ] as [bigint, bigint][]) {
        add(
          `atomic${size * 8} ${name} ${hex(m)} ${hex(v)}`,
          A.lddw(1, m),
          A.stx(8, 10, 1, -8),
          A.lddw(2, v),
          A.atomic(size, op, 10, 2, -8),
          A.ldx(8, 0, 10, -8),
          A.aluK(true, I.ALU_LSH, 2, 7),
          A.aluX(true, I.ALU_XOR, 0, 2),
          A.exit(),
        );
      }
  for (const size of [4, 8] as const)
    for (const [m, expect] of [
      [0x1111111122222222n, 0x1111111122222222n],
      [0x1111111122222222n, 0x0000000022222222n],
      [0x1111111122222222n, 0x5n],
    ] as [bigint, bigint][])
      add(
        `cmpxchg${size * 8} ${hex(m)} ${hex(expect)}`,
        A.lddw(1, m),
        A.stx(8, 10, 1, -8),
        A.lddw(0, expect),
        A.lddw(2, 0xabcdef0123456789n),
        A.atomic(size, I.ATOMIC_CMPXCHG, 10, 2, -8),
        A.ldx(8, 3, 10, -8),
        A.aluK(true, I.ALU_LSH, 3, 3),
        A.aluX(true, I.ALU_XOR, 0, 3),
        A.exit(),
      );
  // Control flow: gotol, local calls (callee-saved r6–r9 survive; r10 is a new frame).
  add(
    'gotol forward and back',
    A.mov64(0, 1),
    A.gotol(1),
    A.exit(),
    A.aluK(true, I.ALU_ADD, 0, 10),
    A.gotol(-3),
  );
  add(
    'ja back and forth',
    A.mov64(0, 0),
    A.ja(2),
    A.aluK(true, I.ALU_ADD, 0, 10),
    A.exit(),
    A.aluK(true, I.ALU_ADD, 0, 1),
    A.ja(-4),
  );
  add(
    'local call preserves r6-r9',
    A.mov64(6, 6),
    A.mov64(9, 9),
    A.mov64(1, 5),
    A.st(8, 10, -8, 77),
    A.callLocal(5),
    A.aluX(true, I.ALU_ADD, 0, 6),
    A.aluX(true, I.ALU_ADD, 0, 9),
    A.ldx(8, 1, 10, -8),
    A.aluX(true, I.ALU_ADD, 0, 1),
    A.exit(),
    // callee: r6/r9 clobbered, its own stack slot written
    A.mov64(6, 100),
    A.mov64(9, 1000),
    A.st(8, 10, -8, 5000),
    A.movReg(0, 1),
    A.aluK(true, I.ALU_MUL, 0, 3),
    A.exit(),
  );
  add(
    'bounded loop',
    A.mov64(0, 0),
    A.mov64(1, 100),
    A.aluX(true, I.ALU_ADD, 0, 1),
    A.aluK(true, I.ALU_SUB, 1, 1),
    A.jmpK(true, I.JMP_JNE, 1, 0, -3),
    A.exit(),
  );
  return cases;
}

/** The same program with every exit of the main function returning r0 >> 32 (socket filters return 32 bits). */
export function highHalfVariant(insns: Insn[]): Insn[] {
  let mainEnd = insns.length;
  insns.forEach((i, pc) => {
    if (i.op === (I.BPF_JMP | I.JMP_CALL) && i.src === I.PSEUDO_CALL)
      mainEnd = Math.min(mainEnd, pc + i.imm + 1);
  });
  // The trailer goes right after the main function (jumps may not cross into a sub-program), so
  // calls from main move 2 slots further.
  const main = insns.slice(0, mainEnd).map((i, pc) => {
    if (i.op === (I.BPF_JMP | I.JMP_EXIT)) return A.ja(mainEnd - pc - 1);
    if (i.op === (I.BPF_JMP | I.JMP_CALL) && i.src === I.PSEUDO_CALL) return { ...i, imm: i.imm + 2 };
    return { ...i };
  });
  return [...main, A.aluK(true, I.ALU_RSH, 0, 32), A.exit(), ...insns.slice(mainEnd).map((i) => ({ ...i }))];
}
