// Unit tests of the verifier over hand-assembled programs: each refusal kind in the kernel's words
// (checked against Linux 6.18's log for the same instructions) and the accepts that mirror them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as A from '../vm/asm';
import * as I from '../vm/isa';
import type { Insn } from '../vm/isa';
import type { VMap } from './regState';
import { verifyProgram } from './verifyObject';

const HASH: VMap = { name: 'h', type: 1, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 };
const ARRAY: VMap = { name: 'a', type: 2, keySize: 4, valueSize: 8, maxEntries: 4, flags: 0 };

function verify(insns: Insn[], map: VMap = HASH, insnLimit?: number) {
  return verifyProgram(
    {
      name: 't',
      section: 'xdp',
      attach: 'xdp',
      insns,
      ldImm64: () => ({ kind: 'map', map }),
      sourceOf: (pc) => ({ file: 't.c', line: pc + 1, column: 1 }),
    },
    insnLimit ? { insnLimit } : {},
  );
}
const message = (insns: Insn[], map?: VMap): string | undefined => verify(insns, map).error?.message;

/** r2 = data_end, r1 = data (the prologue of every parser). */
const prologue = [A.ldx(4, 2, 1, 4), A.ldx(4, 1, 1, 0)];
const ret = (v: number): Insn[] => [A.mov64(0, v), A.exit()];
/** if (data + n > data_end) return XDP_PASS (2 insns before the jump target). */
const bounds = (n: number, skip: number): Insn[] => [
  A.movReg(3, 1),
  A.aluK(true, I.ALU_ADD, 3, n),
  A.jmpX(true, I.JMP_JGT, 3, 2, skip),
];
/** key on the stack at fp-4, map in r1, lookup. */
const lookup = (key = 1): Insn[] => [
  A.st(4, 10, -4, key),
  A.movReg(2, 10),
  A.aluK(true, I.ALU_ADD, 2, -4),
  ...A.lddw(1, 0n).map((i, k) => (k === 0 ? { ...i, src: I.PSEUDO_MAP_FD } : i)),
  A.callHelper(1),
];

describe('verifier: packet access', () => {
  it('refuses a read past the checked range with the kernel message, on the line of the read', () => {
    const r = verify([...prologue, ...bounds(14, 3), A.ldx(1, 0, 1, 23), ...ret(2), ...ret(2)]);
    assert.equal(r.verdict, 'rejected');
    assert.equal(
      r.error?.message,
      'invalid access to packet, off=23 size=1, R1(id=0,off=23,r=14)\nR1 offset is outside of the packet',
    );
    assert.equal(r.error?.insn, 5);
    assert.equal(r.error?.line, 6);
    assert.deepEqual(
      r.error?.path.map((s) => [s.insn, s.taken]),
      [[4, false]],
    );
  });

  it('accepts the read inside the range the data_end comparison proved', () => {
    assert.equal(
      verify([...prologue, ...bounds(24, 3), A.ldx(1, 0, 1, 23), ...ret(2), ...ret(2)]).verdict,
      'accepted',
    );
  });

  it('refuses arithmetic on pkt_end', () => {
    assert.equal(
      message([...prologue, A.aluK(true, I.ALU_ADD, 2, 4), ...ret(2)]),
      'R2 pointer arithmetic on pkt_end prohibited',
    );
  });

  it('accepts a variable offset masked to a small range and refuses an unbounded one', () => {
    const body = (mask: boolean): Insn[] => [
      ...prologue,
      ...bounds(8, mask ? 10 : 9),
      A.ldx(8, 4, 1, 0),
      ...(mask ? [A.aluK(true, I.ALU_AND, 4, 0x3f)] : []),
      A.movReg(5, 1),
      A.aluX(true, I.ALU_ADD, 5, 4),
      A.movReg(3, 5),
      A.aluK(true, I.ALU_ADD, 3, 1),
      A.jmpX(true, I.JMP_JGT, 3, 2, 3),
      A.ldx(1, 0, 5, 0),
      ...ret(2),
      ...ret(2),
    ];
    assert.equal(verify(body(true)).error?.message, undefined);
    assert.equal(
      message(body(false)),
      'math between pkt pointer and register with unbounded min value is not allowed',
    );
  });
});

describe('verifier: maps, registers, context', () => {
  it('refuses a map value dereference before the NULL check', () => {
    assert.equal(
      message([...lookup(), A.ldx(8, 0, 0, 0), ...ret(2)]),
      "R0 invalid mem access 'map_value_or_null'",
    );
  });

  it('a NULL check marks every copy with the same id', () => {
    const r = verify([
      ...lookup(),
      A.movReg(6, 0),
      A.jmpK(true, I.JMP_JEQ, 0, 0, 1),
      A.ldx(8, 0, 6, 0),
      ...ret(2),
    ]);
    assert.equal(r.verdict, 'accepted');
  });

  it('an ARRAY lookup with a constant key in range needs no NULL check (6.13+)', () => {
    assert.equal(verify([...lookup(0), A.ldx(8, 0, 0, 0), ...ret(2)], ARRAY).verdict, 'accepted');
    assert.equal(
      message([...lookup(0), A.ldx(8, 0, 0, 0), ...ret(2)]),
      "R0 invalid mem access 'map_value_or_null'",
    );
  });

  it('refuses a read past the value size', () => {
    const insns = [...lookup(), A.jmpK(true, I.JMP_JEQ, 0, 0, 1), A.ldx(8, 0, 0, 8), ...ret(2)];
    assert.equal(
      message(insns),
      'invalid access to map value, value_size=8 off=8 size=8\nR0 min value is outside of the allowed memory range',
    );
  });

  it('refuses reading an uninitialised register and returning without R0', () => {
    assert.equal(message([A.movReg(0, 2), A.exit()]), 'R2 !read_ok');
    assert.equal(message([A.exit()]), 'R0 !read_ok');
  });

  it('refuses writes to the context and reads at a bad offset', () => {
    assert.equal(message([A.st(4, 1, 0, 0), ...ret(2)]), 'invalid bpf_context access off=0 size=4');
    assert.equal(message([A.stx(4, 1, 1, 0), ...ret(2)]), 'invalid bpf_context access off=0 size=4');
    assert.equal(message([A.ldx(4, 0, 1, 2), ...ret(2)]), 'invalid bpf_context access off=2 size=4');
  });

  it('refuses a helper XDP programs may not call', () => {
    assert.equal(
      message([A.callHelper(26), ...ret(2)]),
      'program of this type cannot use helper bpf_skb_load_bytes#26',
    );
    assert.equal(message([A.callHelper(500), ...ret(2)]), 'invalid func unknown#500');
  });
});

describe('verifier: stack', () => {
  it('refuses out-of-frame, misaligned and partial-fill stack accesses as 6.18 words them', () => {
    assert.equal(
      message([A.mov64(1, 0), A.stx(8, 10, 1, -520), ...ret(2)]),
      'invalid write to stack R10 off=-520 size=8',
    );
    assert.equal(
      message([A.mov64(1, 0), A.stx(8, 10, 1, -4), ...ret(2)]),
      'misaligned stack access off 0+0+-4 size 8',
    );
    assert.equal(
      message([A.movReg(1, 10), A.stx(8, 10, 1, -8), A.ldx(4, 0, 10, -8), ...ret(2)]),
      'invalid size of register fill',
    );
    assert.equal(message([A.ldx(8, 0, 10, 0), ...ret(2)]), 'invalid read from stack R10 off=0 size=8');
  });

  it('reads uninitialised stack as root may, and keeps a spilled pointer through a fill', () => {
    assert.equal(verify([A.ldx(8, 0, 10, -8), ...ret(2)]).verdict, 'accepted');
    const spill = [A.stx(8, 10, 1, -8), A.ldx(8, 6, 10, -8), A.ldx(4, 0, 6, 0), ...ret(2)];
    assert.equal(verify(spill).verdict, 'accepted');
  });
});

describe('verifier: control flow', () => {
  it('refuses jumps out of the program', () => {
    assert.equal(message([A.ja(5), ...ret(2)]), 'jump out of range from insn 0 to 6');
  });

  it('explores a bounded loop and refuses an infinite one', () => {
    const loop = [A.mov64(0, 0), A.aluK(true, I.ALU_ADD, 0, 1), A.jmpK(true, I.JMP_JLT, 0, 10, -2), A.exit()];
    const r = verify(loop);
    assert.equal(r.verdict, 'accepted');
    assert.ok(r.insnsProcessed > 20);
    // is_state_visited's words, then both states of the looping frame as print_verifier_state prints them.
    assert.equal(
      message([A.mov64(0, 0), A.ja(-1), A.exit()]),
      'infinite loop detected at insn 1\ncur state: R0=0 R1=ctx() R10=fp0\nold state: R0=0 R1=ctx() R10=fp0',
    );
  });

  it('ends a shift loop: an ALU result is no longer linked to the copy it came from', () => {
    // while (x) { w += x & 1; x >>= 1; } as clang emits it (mov, shift, compare the copy).
    const insns = [
      A.ldx(4, 1, 1, 12),
      A.mov64(0, 0),
      A.movReg(2, 1),
      A.aluK(true, I.ALU_AND, 2, 1),
      A.aluX(true, I.ALU_ADD, 0, 2),
      A.aluK(true, I.ALU_LSH, 1, 32),
      A.movReg(2, 1),
      A.aluK(true, I.ALU_RSH, 2, 32),
      A.movReg(1, 2),
      A.aluK(true, I.ALU_RSH, 1, 1),
      A.jmpK(true, I.JMP_JGT, 2, 1, -9),
      A.exit(),
    ];
    assert.equal(verify(insns).verdict, 'accepted');
  });

  it('stops at the processed-instruction limit with the kernel message', () => {
    const loop = [
      A.mov64(0, 0),
      A.aluK(true, I.ALU_ADD, 0, 1),
      A.jmpK(true, I.JMP_JLT, 0, 1000, -2),
      A.exit(),
    ];
    const r = verify(loop, HASH, 100);
    assert.equal(r.error?.message, 'BPF program is too large. Processed 101 insn');
  });

  it('verifies a static bpf-to-bpf call in the caller context', () => {
    const insns = [A.mov64(1, 7), A.callLocal(1), A.exit(), A.movReg(0, 1), A.exit()];
    assert.equal(verify(insns).verdict, 'accepted');
    assert.equal(message([A.callLocal(1), A.exit(), A.movReg(0, 3), A.exit()]), 'R3 !read_ok');
  });
});

describe('verifier: bad input', () => {
  it('gives a verdict for random instructions, never a throw or a hang', () => {
    let seed = 12345;
    const rnd = (): number => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return seed;
    };
    for (let n = 0; n < 300; n++) {
      const bytes = new Uint8Array(8 * (1 + (rnd() % 64)));
      for (let i = 0; i < bytes.length; i++) bytes[i] = rnd() & 0xff;
      const insns = I.decodeInsns(bytes);
      const r = verify(insns, HASH, 100_000);
      assert.ok(r.verdict === 'accepted' || (r.verdict === 'rejected' && r.error?.message));
    }
  });

  // Each expectation below is what Linux 6.18 answered for the same instructions (xdp-lab verify --kernel).
  it('a store or load through a register past R10 is "R11 is invalid", not a crash (found by fuzzing objects)', () => {
    // The walk's look-ahead at stack spills read the register before check_reg_arg refused it.
    const stx = { ...A.stx(8, 10, 1, -8), dst: 11 };
    const ldx = { ...A.ldx(8, 0, 10, -8), src: 11 };
    for (const bad of [stx, ldx]) {
      const r = verify([A.mov64(1, 0), bad, ...ret(2)]);
      assert.equal(r.error?.message, 'R11 is invalid');
      assert.equal(r.error?.insn, 1);
    }
  });

  it("absurd jump offsets are check_cfg's refusal, a gotol's target wrapping as the kernel's int does", () => {
    assert.equal(message([A.mov64(0, 2), A.ja(32767), A.exit()]), 'jump out of range from insn 1 to 32769');
    assert.equal(
      message([A.mov64(0, 2), A.jmpK(true, I.JMP_JEQ, 0, 0, -32768), A.exit()]),
      'jump out of range from insn 1 to -32766',
    );
    assert.equal(
      message([A.mov64(0, 2), A.gotol(0x7fffffff), A.exit()]),
      'jump out of range from insn 1 to -2147483647',
    );
  });

  it('an ld_imm64 whose second half is missing or not zero is "invalid bpf_ld_imm64 insn"', () => {
    const first = A.lddw(0, 5n)[0] as Insn;
    assert.equal(message([A.mov64(0, 2), first, A.exit()]), 'invalid bpf_ld_imm64 insn');
    assert.equal(message([A.mov64(0, 2), A.exit(), first]), 'invalid bpf_ld_imm64 insn');
  });

  it('a program of more than 1 M instructions is refused as bpf_prog_load does (E2BIG), without a walk', () => {
    const insns: Insn[] = [A.mov64(0, 2)];
    for (let i = 0; i < 1_000_000; i++) insns.push(A.aluK(true, I.ALU_ADD, 0, 0));
    insns.push(A.exit());
    const r = verify(insns);
    assert.equal(r.verdict, 'rejected');
    assert.equal(r.insnsProcessed, 0);
    assert.equal(
      r.error?.message,
      'the program could not be loaded: Argument list too long (bpf_prog_load: more than 1000000 instructions)',
    );
  });
});
