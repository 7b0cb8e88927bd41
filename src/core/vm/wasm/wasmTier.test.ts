// The wasm tier against the JS tier: random valid programs (ALU, jumps, bounded loops, memory,
// atomics, calls) give the same r0, memory, instruction count and fault on both; so do the fixture
// objects' test runs and maps; plus the wasm module's own edge cases.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import fc from 'fast-check';
import { loadObject } from '../../elf/loadObject';
import { buildFrame } from '../../packet/frameBuilder';
import { BpfSystem } from '../bpfSystem';
import type { ArrayMap } from '../../maps/arrayMap';
import * as A from '../asm';
import * as I from '../isa';
import type { Insn } from '../isa';
import { runRaw } from '../rawRun';
import type { RawRunResult } from '../rawRun';

type Outcome = { ok: RawRunResult } | { fault: string };

function outcome(code: Uint8Array, mem: Uint8Array, tier: 'js' | 'wasm', budget: number): Outcome {
  try {
    return { ok: runRaw(code, mem, { tier, budget }) };
  } catch (e) {
    const pc = (e as { pc?: number }).pc;
    return {
      fault: `${e instanceof Error ? e.constructor.name : 'throw'} pc=${pc}: ${(e as Error).message}`,
    };
  }
}

const ALU_CODES = [
  I.ALU_ADD,
  I.ALU_SUB,
  I.ALU_MUL,
  I.ALU_DIV,
  I.ALU_OR,
  I.ALU_AND,
  I.ALU_LSH,
  I.ALU_RSH,
  I.ALU_NEG,
  I.ALU_MOD,
  I.ALU_XOR,
  I.ALU_MOV,
  I.ALU_ARSH,
];
const JMP_CODES = [
  I.JMP_JEQ,
  I.JMP_JGT,
  I.JMP_JGE,
  I.JMP_JSET,
  I.JMP_JNE,
  I.JMP_JSGT,
  I.JMP_JSGE,
  I.JMP_JLT,
  I.JMP_JLE,
  I.JMP_JSLT,
  I.JMP_JSLE,
];
/** Registers random code may write: r1 holds the memory, r9 the loop counter, r10 the frame. */
const WRITABLE = [0, 2, 3, 4, 5, 6, 7, 8];
const READABLE = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
const IMMS = [0, 1, -1, 2, 7, 31, 32, 63, 64, 0x7fffffff, -0x80000000, 0x12345678, -3];

const reg = fc.constantFrom(...WRITABLE);
const src = fc.constantFrom(...READABLE);
const imm = fc.oneof(fc.constantFrom(...IMMS), fc.integer({ min: -0x80000000, max: 0x7fffffff }));
const size = fc.constantFrom<1 | 2 | 4 | 8>(1, 2, 4, 8);

/** One straight-line instruction (or two: ld_imm64). */
const straight: fc.Arbitrary<Insn[]> = fc.oneof(
  fc
    .tuple(fc.boolean(), fc.constantFrom(...ALU_CODES), reg, imm, fc.constantFrom(0, 1))
    .map(([w, code, d, k, off]) => [
      A.aluK(
        w,
        code,
        d,
        code === I.ALU_MOV || code === I.ALU_NEG ? k : k,
        code === I.ALU_DIV || code === I.ALU_MOD ? off : 0,
      ),
    ]),
  fc
    .tuple(
      fc.boolean(),
      fc.constantFrom(...ALU_CODES.filter((c) => c !== I.ALU_NEG)),
      reg,
      src,
      fc.constantFrom(0, 1),
    )
    .map(([w, code, d, s, off]) => [
      A.aluX(w, code, d, s, code === I.ALU_DIV || code === I.ALU_MOD ? off : 0),
    ]),
  fc
    .tuple(fc.boolean(), reg, src, fc.constantFrom(8, 16, 32))
    .map(([w, d, s, off]) => [A.aluX(w, I.ALU_MOV, d, s, w ? off : Math.min(off, 16))]),
  fc
    .tuple(
      fc.constantFrom<'le' | 'be' | 'bswap'>('le', 'be', 'bswap'),
      reg,
      fc.constantFrom<16 | 32 | 64>(16, 32, 64),
    )
    .map(([kind, d, width]) => [A.endian(kind, d, width)]),
  fc.tuple(reg, fc.bigInt({ min: -(1n << 63n), max: (1n << 64n) - 1n })).map(([d, v]) => A.lddw(d, v)),
  // memory: r1 + [0, 64 - size], occasionally out of bounds (both tiers must fault alike)
  fc
    .tuple(size, reg, fc.integer({ min: 0, max: 66 }), fc.boolean())
    .map(([n, d, off, sx]) => [A.ldx(n, d, 1, Math.min(off, 64 - n + (off > 64 ? 1 : 0)), sx && n !== 8)]),
  fc.tuple(size, src, fc.integer({ min: 0, max: 56 })).map(([n, s, off]) => [A.stx(n, 1, s, off)]),
  fc.tuple(size, fc.integer({ min: 0, max: 56 }), imm).map(([n, off, k]) => [A.st(n, 1, off, k)]),
  // stack
  fc.tuple(size, src, fc.integer({ min: 1, max: 64 })).map(([n, s, slot]) => [A.stx(n, 10, s, -8 * slot)]),
  fc
    .tuple(size, reg, fc.integer({ min: 1, max: 64 }), fc.boolean())
    .map(([n, d, slot, sx]) => [A.ldx(n, d, 10, -8 * slot, sx && n !== 8)]),
  // atomics on the memory (8-byte aligned)
  fc
    .tuple(
      fc.constantFrom<4 | 8>(4, 8),
      fc.constantFrom(0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, I.ATOMIC_XCHG, I.ATOMIC_CMPXCHG),
      fc.constantFrom(2, 3, 4),
      fc.integer({ min: 0, max: 7 }),
    )
    .map(([n, op, s, slot]) => [A.atomic(n, op, 1, s, slot * 8)]),
);

/** A block: straight code, a forward conditional jump over it, or a bounded loop around it. */
const block: fc.Arbitrary<Insn[]> = fc.oneof(
  { arbitrary: fc.array(straight, { minLength: 1, maxLength: 4 }).map((a) => a.flat()), weight: 4 },
  {
    arbitrary: fc
      .tuple(
        fc.boolean(),
        fc.constantFrom(...JMP_CODES),
        fc.constantFrom(...READABLE),
        fc.option(src),
        imm,
        fc.array(straight, { minLength: 1, maxLength: 4 }),
      )
      .map(([w, code, d, s, k, body]) => {
        const b = body.flat();
        return [s === null ? A.jmpK(w, code, d, k, b.length) : A.jmpX(w, code, d, s, b.length), ...b];
      }),
    weight: 2,
  },
  {
    // gotol over the body (cpu v4), then the body is dead code
    arbitrary: fc
      .array(straight, { minLength: 1, maxLength: 2 })
      .map((a) => [A.gotol(a.flat().length), ...a.flat()]),
    weight: 1,
  },
  {
    arbitrary: fc
      .tuple(
        fc.integer({ min: 1, max: 40 }),
        fc.array(straight, { minLength: 1, maxLength: 5 }),
        fc.boolean(),
      )
      .map(([iters, body, wide]) => {
        const b = body.flat();
        return [
          A.mov64(9, iters),
          ...b,
          A.aluK(true, I.ALU_SUB, 9, 1),
          wide
            ? A.jmpK(true, I.JMP_JNE, 9, 0, -(b.length + 2))
            : A.jmpK(false, I.JMP_JSGT, 9, 0, -(b.length + 2)),
        ];
      }),
    weight: 2,
  },
);

/** main: blocks, maybe a call to a sub-program (which writes r0 from r1–r5 and the stack), exit. */
const program = fc
  .tuple(fc.array(block, { minLength: 1, maxLength: 10 }), fc.option(fc.array(straight, { maxLength: 4 })))
  .map(([blocks, sub]) => {
    const main = [...[0, 2, 3, 4, 5, 6, 7, 8].flatMap((r) => A.mov64(r, r * 0x1111 - 3)), ...blocks.flat()];
    if (sub === null) return [...main, A.exit()];
    const subCode = [A.movReg(6, 1), A.movReg(1, 6), ...sub.flat(), A.movReg(0, 3), A.exit()];
    // r1 (memory) is passed on; the sub-program's writes to r6 are undone by the call convention.
    return [...main, A.callLocal(1), A.exit(), ...subCode];
  });

void test('property: random valid programs give the same r0, memory, insns and faults on both tiers', () => {
  fc.assert(
    fc.property(
      program,
      fc.uint8Array({ minLength: 64, maxLength: 64 }),
      fc.constantFrom(1_000_000, 200, 57),
      (insns, mem, budget) => {
        const code = I.encodeInsns(insns);
        const js = outcome(code, mem, 'js', budget);
        const wasm = outcome(code, mem, 'wasm', budget);
        if ('fault' in js || 'fault' in wasm) {
          assert.deepEqual(wasm, js);
          return;
        }
        assert.equal(wasm.ok.r0, js.ok.r0, 'r0');
        assert.equal(wasm.ok.insns, js.ok.insns, 'insns');
        assert.deepEqual([...wasm.ok.memory], [...js.ok.memory], 'memory');
      },
    ),
    { numRuns: 600 },
  );
});

void test('the wasm tier: signed division corner cases do not trap; budget 0 is unlimited', () => {
  const INT64_MIN = 0x8000000000000000n;
  const run = (...parts: (Insn | Insn[])[]): bigint =>
    runRaw(A.assemble(...parts), undefined, { tier: 'wasm' }).r0;
  assert.equal(
    run(A.lddw(0, INT64_MIN), A.mov64(1, -1), A.aluX(true, I.ALU_DIV, 0, 1, 1), A.exit()),
    INT64_MIN,
  );
  assert.equal(run(A.lddw(0, INT64_MIN), A.aluK(true, I.ALU_DIV, 0, -1, 1), A.exit()), INT64_MIN);
  assert.equal(run(A.lddw(0, INT64_MIN), A.mov64(1, -1), A.aluX(true, I.ALU_MOD, 0, 1, 1), A.exit()), 0n);
  assert.equal(
    run(A.mov64(0, 0x80000000), A.mov64(1, -1), A.aluX(false, I.ALU_DIV, 0, 1, 1), A.exit()),
    0x80000000n,
  );
  assert.equal(run(A.mov64(0, -7), A.mov64(1, 0), A.aluX(false, I.ALU_MOD, 0, 1, 1), A.exit()), 0xfffffff9n);
  const loop = A.assemble(
    A.lddw(1, 3_000_000n),
    A.aluK(true, I.ALU_SUB, 1, 1),
    A.jmpK(true, I.JMP_JNE, 1, 0, -2),
    A.mov64(0, 1),
    A.exit(),
  );
  const r = runRaw(loop, undefined, { tier: 'wasm', budget: 0 });
  assert.equal(r.insns, 1 + 2 * 3_000_000 + 2);
  assert.throws(
    () => runRaw(loop, undefined, { tier: 'wasm' }),
    /budget exhausted after \d+ instructions \(limit 1000000\)/,
  );
});

void test('the wasm tier: bpf-to-bpf calls keep r6–r9 and give each frame its own stack', () => {
  const code = A.assemble(
    A.mov64(6, 66),
    A.mov64(1, 5),
    A.stx(8, 10, 1, -8),
    A.callLocal(3),
    A.ldx(8, 2, 10, -8),
    A.aluX(true, I.ALU_ADD, 0, 2),
    A.exit(),
    // sub: r6 = 1; *(fp - 8) = 100; r0 = r1 * 10 + r6
    A.mov64(6, 1),
    A.st(8, 10, -8, 100),
    A.movReg(0, 1),
    A.aluK(true, I.ALU_MUL, 0, 10),
    A.aluX(true, I.ALU_ADD, 0, 6),
    A.exit(),
  );
  for (const tier of ['js', 'wasm'] as const) assert.equal(runRaw(code, undefined, { tier }).r0, 56n, tier);
});

void test('XDP programs: every fixture object gives the same results, packets and maps on both tiers', () => {
  const objDir = path.resolve(__dirname, '../../../../test/fixtures/programs/obj');
  const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  const frames = [
    buildFrame({ udp: { sport: 4000, dport: 9 } }),
    buildFrame({ udp: { sport: 1, dport: 53 }, payload: '07'.repeat(300) }),
    new Uint8Array(60),
  ];
  let compared = 0;
  for (const file of fs.readdirSync(objDir).filter((f) => f.endsWith('.o'))) {
    const results = (['js', 'wasm'] as const).map((tier) => {
      const out: string[] = [];
      let obj;
      try {
        obj = loadObject(new Uint8Array(fs.readFileSync(path.join(objDir, file))), {
          name: file.split('.')[0] as string,
          system: new BpfSystem({ tier }),
        });
      } catch (e) {
        return [`load: ${(e as Error).message}`];
      }
      for (const p of obj.programs)
        for (const f of frames) {
          const r = p.testRun(f, { repeat: 3 });
          out.push(`${p.name}: ${r.retval} ${r.insns} ${hex(r.dataOut)} ${JSON.stringify(r.fault ?? null)}`);
          for (const m of obj.maps)
            out.push(
              `  ${m.name}: ${m
                .dump()
                .map((e) => `${hex(e.key)}=${e.value ? hex(e.value) : ''}`)
                .join(' ')}`,
            );
        }
      return out;
    });
    assert.deepEqual(results[1], results[0], file);
    compared += results[0]!.length;
  }
  assert.ok(compared > 50, `only ${compared} lines compared`);
});

void test('map values are one set of bytes for compiled code, helpers and user space, on both tiers', () => {
  // sharedvalues.bpf.c: the program writes values helpers read, helpers write values the program
  // reads through earlier pointers; a per-CPU array and an out-of-range index take the wasm tier's
  // inline array lookup (after a first lookup remembered the pointer); user space sets arr[3].
  const file = path.resolve(__dirname, '../../../../test/fixtures/programs/obj/sharedvalues.bpf.o');
  const u64 = (b: Uint8Array | number, off = 0): bigint =>
    typeof b === 'number' ? BigInt(b) : new DataView(b.buffer, b.byteOffset).getBigUint64(off, true);
  const key = (k: number): Uint8Array => new Uint8Array([k, 0, 0, 0]);
  const dumps: string[] = [];
  for (const tier of ['js', 'wasm'] as const) {
    const obj = loadObject(new Uint8Array(fs.readFileSync(file)), {
      name: 'sharedvalues',
      system: new BpfSystem({ tier }),
    });
    const arr = obj.map('arr')!;
    const value = new Uint8Array(16);
    value[0] = 42;
    assert.equal(arr.userUpdate(key(3), value, 0), 0);
    const prog = obj.program('xdp_shared_values')!;
    const frame = buildFrame({ udp: {} });
    for (const [cpu, repeat] of [
      [0, 3],
      [1, 2],
      [0, 1],
    ] as const) {
      const r = prog.testRun(frame, { cpu, repeat });
      assert.equal(r.fault, undefined, `${tier}: ${r.fault?.message}`);
      assert.equal(r.retval, 2, `${tier}: XDP_PASS (the helper's write is seen through w)`);
    }
    const a1 = arr.userLookup(key(1)) as Uint8Array;
    assert.equal(u64(a1), 6n, `${tier}: the program's increments`);
    assert.equal(u64(obj.map('copies')!.userLookup(new Uint8Array([5, 0, 0, 0])) as Uint8Array), 6n);
    const a2 = arr.userLookup(key(2)) as Uint8Array;
    assert.equal(u64(a2), 60n, `${tier}: w->a + 10 on every run`);
    assert.equal(u64(a2, 8), 0x1122334455667788n);
    assert.equal(u64(arr.userLookup(key(3)) as Uint8Array, 8), 48n, `${tier}: user space's 42 + 6`);
    const pc = obj.map('per_cpu')!.userLookup(key(1)) as Uint8Array;
    assert.deepEqual([u64(pc, 0), u64(pc, 8)], [4n * 0x88n, 2n * 0x88n], `${tier}: per CPU`);
    if (tier === 'wasm' && typeof SharedArrayBuffer !== 'undefined')
      assert.ok(
        (arr as ArrayMap).slot(1).buffer instanceof SharedArrayBuffer,
        'the values live in the linear memory',
      );
    dumps.push(JSON.stringify(obj.maps.map((m) => m.dump())));
  }
  assert.equal(dumps[0], dumps[1]);
});
