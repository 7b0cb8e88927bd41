// VM unit tests without a kernel: the RFC 9669 corner cases (each also checked against the kernel
// by test/kernel/vmIsa.test.ts), faults and load-time refusals, and a property test that random
// bytecode never crashes the compiler or the machine.
import assert from 'node:assert/strict';
import test from 'node:test';
import fc from 'fast-check';
import * as A from './asm';
import * as I from './isa';
import type { VmTier } from './compiler';
import { LoadError, runRaw as runRawTier, VmFault } from './rawRun';
import type { RawRunOptions } from './rawRun';

/** Every test runs on both tiers (the JS compiler and the wasm compiler). */
const TIERS: VmTier[] = ['js', 'wasm'];
let tier: VmTier = 'js';
const runRaw = (
  code: Uint8Array,
  mem: Uint8Array | undefined,
  opts: RawRunOptions = {},
): ReturnType<typeof runRawTier> => runRawTier(code, mem, { ...opts, tier });
const tierTest = (name: string, fn: () => void): void => {
  for (const t of TIERS)
    void test(`${name} (${t} tier)`, () => {
      tier = t;
      fn();
    });
};

const r0 = (...parts: (I.Insn | I.Insn[])[]): bigint => runRaw(A.assemble(...parts), undefined).r0;
const U64 = (v: bigint): bigint => BigInt.asUintN(64, v);

tierTest('division and modulo corner cases (RFC 9669 §4.1)', () => {
  const INT64_MIN = 0x8000000000000000n;
  assert.equal(
    r0(A.lddw(0, INT64_MIN), A.mov64(1, -1), A.aluX(true, I.ALU_DIV, 0, 1, 1), A.exit()),
    INT64_MIN,
    'sdiv64 INT_MIN / -1',
  );
  assert.equal(
    r0(A.lddw(0, INT64_MIN), A.mov64(1, -1), A.aluX(true, I.ALU_MOD, 0, 1, 1), A.exit()),
    0n,
    'smod64 INT_MIN % -1',
  );
  assert.equal(r0(A.mov64(0, 77), A.mov64(1, 0), A.aluX(true, I.ALU_DIV, 0, 1), A.exit()), 0n, 'x / 0 = 0');
  assert.equal(
    r0(A.mov64(0, -5), A.mov64(1, 0), A.aluX(true, I.ALU_MOD, 0, 1), A.exit()),
    U64(-5n),
    'x % 0 = x (64)',
  );
  assert.equal(
    r0(A.mov64(0, -5), A.mov64(1, 0), A.aluX(false, I.ALU_MOD, 0, 1), A.exit()),
    0xfffffffbn,
    'x % 0 = (u32)x (32)',
  );
  assert.equal(
    r0(A.mov64(0, -7), A.aluK(true, I.ALU_MOD, 0, 2, 1), A.exit()),
    U64(-1n),
    'smod sign follows the dividend',
  );
});

tierTest('32-bit results zero-extend; shifts mask the amount; sign extension', () => {
  assert.equal(r0(A.mov64(0, -1), A.aluK(false, I.ALU_ADD, 0, 0), A.exit()), 0xffffffffn);
  assert.equal(
    r0(A.mov64(0, 1), A.mov64(1, 65), A.aluX(true, I.ALU_LSH, 0, 1), A.exit()),
    2n,
    'lsh64 by 65 = by 1',
  );
  assert.equal(
    r0(A.mov64(0, 1), A.mov64(1, 33), A.aluX(false, I.ALU_LSH, 0, 1), A.exit()),
    2n,
    'lsh32 by 33 = by 1',
  );
  assert.equal(r0(A.lddw(0, 0x80000000n), A.aluK(true, I.ALU_ARSH, 0, 4), A.exit()), 0x8000000n);
  assert.equal(r0(A.lddw(0, 0x80000000n), A.aluK(false, I.ALU_ARSH, 0, 4), A.exit()), 0xf8000000n);
  assert.equal(r0(A.mov64(1, 0x80), A.aluX(true, I.ALU_MOV, 0, 1, 8), A.exit()), U64(-128n), 'movsx8');
  assert.equal(
    r0(A.mov64(1, 0x8000), A.aluX(false, I.ALU_MOV, 0, 1, 16), A.exit()),
    0xffff8000n,
    'movsx16 (32-bit)',
  );
  assert.equal(r0(A.lddw(0, 0x0102030405060708n), A.endian('bswap', 0, 64), A.exit()), 0x0807060504030201n);
  assert.equal(r0(A.lddw(0, 0x0102030405060708n), A.endian('be', 0, 16), A.exit()), 0x0807n);
  assert.equal(r0(A.lddw(0, 0x0102030405060708n), A.endian('le', 0, 32), A.exit()), 0x05060708n);
});

tierTest('a register pointed elsewhere inside a block is looked up again (js: the kept region)', () => {
  // r3 = fp-8, an atomic add through it (js: its region kept for the block), then r3 = r1 (the
  // memory) and another atomic add at offset 0: it lands in the memory, not at the stack's offset 0;
  // an atomic add through r10 itself (an access through r10 never keeps a region).
  const mem = new Uint8Array(8);
  const r = runRaw(
    A.assemble(
      A.mov64(2, 1),
      A.st(8, 10, -8, 0),
      A.movReg(3, 10),
      A.aluK(true, I.ALU_ADD, 3, -8),
      A.atomic(8, 0x00, 3, 2, 0),
      A.movReg(3, 1),
      A.atomic(8, 0x00, 3, 2, 0),
      A.atomic(8, 0x00, 3, 2, 0),
      A.atomic(8, 0x00, 10, 2, -8),
      A.ldx(8, 0, 10, -8),
      A.exit(),
    ),
    mem,
  );
  assert.equal(r.r0, 2n, 'two adds on the stack (one through r10)');
  assert.equal(r.memory[0], 2, 'two adds in the memory');
  assert.deepEqual([...r.memory.subarray(1)], [0, 0, 0, 0, 0, 0, 0]);
});

tierTest('memory: the r1 buffer, stack, sign-extending loads, atomics', () => {
  const mem = Uint8Array.from([0xff, 0x80, 0, 0, 1, 2, 3, 4]);
  const r = runRaw(
    A.assemble(
      A.ldx(2, 0, 1, 0, true),
      A.mov64(2, 5),
      A.atomic(4, 0x01, 1, 2, 4),
      A.aluX(true, I.ALU_ADD, 0, 2),
      A.exit(),
    ),
    mem,
  );
  assert.equal(r.r0, U64(-0x7f01n + 0x04030201n));
  assert.deepEqual([...r.memory.subarray(4)], [6, 2, 3, 4]);
  assert.equal(
    r0(A.mov64(1, 9), A.stx(8, 10, 1, -512), A.ldx(8, 0, 10, -512), A.exit()),
    9n,
    'fp-512 is the last stack byte range',
  );
});

tierTest('the frame through r10 at constant offsets: its edges, and one frame per call depth', () => {
  // The JS tier drops the bounds check of r10 + constant inside [fp-512, fp) (jsAccess.ts): the
  // edges must still hold, and a callee's r10 must name its own frame.
  assert.equal(r0(A.mov64(1, 7), A.stx(1, 10, 1, -1), A.ldx(1, 0, 10, -1), A.exit()), 7n, 'fp-1');
  assert.equal(r0(A.st(8, 10, -512, -3), A.ldx(8, 0, 10, -512), A.exit()), U64(-3n), 'st fp-512');
  for (const [insn, at] of [
    [A.st(4, 10, -2, 1), 'fp-2'],
    [A.stx(1, 10, 1, 0), 'fp\\+0'],
    [A.ldx(2, 0, 10, -513), 'fp-513'],
  ] as const)
    assert.throws(
      () => runRaw(A.assemble(A.mov64(0, 0), A.mov64(1, 0), insn, A.exit()), undefined),
      (e: unknown) => e instanceof VmFault && new RegExp(`stack access out of bounds.*${at}`).test(e.message),
      at,
    );
  assert.equal(
    r0(
      A.mov64(1, 5),
      A.stx(8, 10, 1, -8),
      A.callLocal(2),
      A.ldx(8, 0, 10, -8), // the caller's fp-8: still 5
      A.exit(),
      A.mov64(1, 9),
      A.stx(8, 10, 1, -8), // the callee's fp-8
      A.exit(),
    ),
    5n,
  );
});

tierTest('faults: out of bounds, NULL, budget, call depth; each with the pc', () => {
  const fault = (code: Uint8Array, mem: Uint8Array | undefined, pattern: RegExp, pc?: number): void => {
    assert.throws(
      () => runRaw(code, mem, { budget: 100_000 }),
      (e: unknown) => e instanceof VmFault && pattern.test(e.message) && (pc === undefined || e.pc === pc),
    );
  };
  fault(
    A.assemble(A.ldx(4, 0, 1, 6), A.exit()),
    new Uint8Array(8),
    /out-of-bounds read of 4 bytes at offset 6 of memory/,
    0,
  );
  fault(
    A.assemble(A.mov64(0, 0), A.ldx(8, 0, 10, -520), A.exit()),
    undefined,
    /stack access out of bounds.*fp-520/,
    1,
  );
  fault(A.assemble(A.mov64(1, 0), A.ldx(1, 0, 1, 0), A.exit()), undefined, /NULL or a scalar/, 1);
  fault(A.assemble(A.mov64(0, 0), A.ja(-1), A.exit()), undefined, /instruction budget exhausted/);
  fault(A.assemble(A.callLocal(-1), A.exit()), undefined, /call depth exceeds 8 frames/);
  fault(A.assemble(A.mov64(0, 1)), undefined, /ran past its last instruction/);
});

tierTest('load-time refusals: bad opcode, jump outside, r10 write, half a ld_imm64, unknown helper', () => {
  const refuse = (bytes: Uint8Array, pattern: RegExp): void => {
    assert.throws(
      () => runRaw(bytes, undefined),
      (e: unknown) => e instanceof LoadError && pattern.test(e.message),
    );
  };
  refuse(Uint8Array.from([0xff, 0, 0, 0, 0, 0, 0, 0]), /pc 0: unknown ALU64 operation \(opcode 0xff\)/);
  refuse(A.assemble(A.ja(5), A.exit()), /jump target 6 is outside the program/);
  refuse(A.assemble(A.mov64(10, 0), A.exit()), /r10 is read-only/);
  refuse(A.assemble(A.lddw(0, 1n)[0]!), /missing its second slot/);
  refuse(A.assemble(A.mov64(0, 0), A.exit()).subarray(0, 12), /not a multiple of 8/);
  refuse(A.assemble(A.callHelper(999), A.exit()), /helper 999|unknown helper/);
});

tierTest('property: random bytecode never crashes the compiler or the machine', () => {
  const slot = fc.record({
    op: fc.integer({ min: 0, max: 255 }),
    dst: fc.integer({ min: 0, max: 11 }),
    src: fc.integer({ min: 0, max: 11 }),
    off: fc.integer({ min: -4, max: 4 }),
    imm: fc.integer({ min: -3, max: 70 }),
  });
  fc.assert(
    fc.property(
      fc.array(slot, { minLength: 1, maxLength: 24 }),
      fc.option(fc.uint8Array({ maxLength: 16 }), { nil: undefined }),
      (insns, mem) => {
        try {
          const r = runRaw(I.encodeInsns(insns), mem, { budget: 5_000 });
          assert.equal(typeof r.r0, 'bigint');
        } catch (e) {
          assert.ok(e instanceof LoadError || e instanceof VmFault, `unexpected ${String(e)}`);
        }
      },
    ),
    { numRuns: 3000 },
  );
});
