// Property tests: the pair-of-uint32 bounds (tnum.ts, regState.ts, scalarAlu.ts, condJmp.ts) against
// the BigInt implementation they replaced (bigintOracle/), in lockstep over seeded random sequences of
// ALU ops, branch refinements and truncations, comparing every bound and the tnum after each step.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as I from '../vm/isa';
import * as OC from './bigintOracle/condJmp';
import * as OR from './bigintOracle/regState';
import * as OA from './bigintOracle/scalarAlu';
import * as OT from './bigintOracle/tnum';
import * as NJ from './branchTaken';
import * as NF from './regRefine';
import * as NB from './regBounds';
import * as NR from './regState';
import * as NA from './scalarAlu';
import * as NT from './tnum';

/** mulberry32: a small seeded PRNG, so a failure names a reproducible seed. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  };
}

const U64 = (1n << 64n) - 1n;
const EDGES = [
  0n,
  1n,
  2n,
  7n,
  8n,
  0xffn,
  0x100n,
  0xffffn,
  0x7fffffffn,
  0x80000000n,
  0xffffffffn,
  0x100000000n,
  0x1ffffffffn,
  (1n << 63n) - 1n,
  1n << 63n,
  U64,
  U64 - 1n,
  U64 - 0xffn,
  0xffffffff80000000n,
  0xffffffff00000000n,
];

function gen(seed: number): {
  int: (n: number) => number;
  u64: () => bigint;
  tnums: () => [OT.Tnum, NT.Tnum];
} {
  const r = prng(seed);
  const int = (n: number): number => r() % n;
  const u64 = (): bigint => {
    switch (int(6)) {
      case 0:
        return EDGES[int(EDGES.length)] as bigint;
      case 1:
        return BigInt(int(300));
      case 2:
        return BigInt(r());
      case 3:
        return U64 - BigInt(int(300));
      case 4:
        return ((BigInt(int(4)) << 32n) | BigInt(r())) & U64;
      default:
        return (BigInt(r()) << 32n) | BigInt(r());
    }
  };
  const tnums = (): [OT.Tnum, NT.Tnum] => {
    const m = int(4) === 0 ? 0n : int(3) === 0 ? U64 : u64();
    const v = u64() & ~m & U64;
    return [OT.tnum(v, m), NT.tnum(v, m)];
  };
  return { int, u64, tnums };
}

/** Every word is kept as an int32 bit pattern (pair64.ts): one representation per value. */
const int32 = (x: number, what: string): void =>
  assert.ok(x === (x | 0), `${what}: ${x} is not an int32 word`);

const sameTnum = (o: OT.Tnum, n: NT.Tnum, what: string): void => {
  assert.equal(n.value, o.value, `${what}: value`);
  assert.equal(n.mask, o.mask, `${what}: mask`);
  for (const w of [n.vh, n.vl, n.mh, n.ml]) int32(w, what);
};

test('tnum functions on pairs equal the BigInt ones (20,000 random cases)', () => {
  const g = gen(11);
  for (let k = 0; k < 20000; k++) {
    const [oa, na] = g.tnums();
    const [ob, nb] = g.tnums();
    const sh = g.int(64);
    sameTnum(OT.tnumAdd(oa, ob), NT.tnumAdd(na, nb), `add ${k}`);
    sameTnum(OT.tnumSub(oa, ob), NT.tnumSub(na, nb), `sub ${k}`);
    sameTnum(OT.tnumNeg(oa), NT.tnumNeg(na), `neg ${k}`);
    sameTnum(OT.tnumAnd(oa, ob), NT.tnumAnd(na, nb), `and ${k}`);
    sameTnum(OT.tnumOr(oa, ob), NT.tnumOr(na, nb), `or ${k}`);
    sameTnum(OT.tnumXor(oa, ob), NT.tnumXor(na, nb), `xor ${k}`);
    if (k % 8 === 0) sameTnum(OT.tnumMul(oa, ob), NT.tnumMul(na, nb), `mul ${k}`);
    sameTnum(OT.tnumIntersect(oa, ob), NT.tnumIntersect(na, nb), `intersect ${k}`);
    sameTnum(OT.tnumLshift(oa, sh), NT.tnumLshift(na, sh), `lsh ${k}`);
    sameTnum(OT.tnumRshift(oa, sh), NT.tnumRshift(na, sh), `rsh ${k}`);
    sameTnum(OT.tnumArshift(oa, sh, 64), NT.tnumArshift(na, sh, 64), `arsh64 ${k}`);
    sameTnum(OT.tnumArshift(oa, sh % 32, 32), NT.tnumArshift(na, sh % 32, 32), `arsh32 ${k}`);
    for (const size of [1, 2, 4, 8]) sameTnum(OT.tnumCast(oa, size), NT.tnumCast(na, size), `cast ${k}`);
    sameTnum(OT.tnumSubreg(oa), NT.tnumSubreg(na), `subreg ${k}`);
    sameTnum(OT.tnumClearSubreg(oa), NT.tnumClearSubreg(na), `clear_subreg ${k}`);
    sameTnum(OT.tnumWithSubreg(oa, ob), NT.tnumWithSubreg(na, nb), `with_subreg ${k}`);
    assert.equal(NT.tnumIn(na, nb), OT.tnumIn(oa, ob), `in ${k}`);
    assert.equal(NT.tnumIn(na, NT.tnumAnd(na, nb)), OT.tnumIn(oa, OT.tnumAnd(oa, ob)), `in& ${k}`);
    for (const size of [1, 2, 4, 8])
      assert.equal(NT.tnumIsAligned(na, size), OT.tnumIsAligned(oa, size), `aligned ${k}`);
    assert.equal(NT.tnumStr(na), OT.tnumStr(oa), `str ${k}`);
    const lo = g.u64();
    const hi = g.u64();
    const [mn, mx] = lo < hi ? [lo, hi] : [hi, lo];
    sameTnum(OT.tnumRange(mn, mx), NT.tnumRange(mn, mx), `range ${k}`);
  }
});

interface Pair {
  o: OR.Reg;
  n: NR.Reg;
}

function fresh(g: ReturnType<typeof gen>): Pair {
  const o = new OR.Reg();
  const n = new NR.Reg();
  OR.markUnknown(o);
  NR.markUnknown(n);
  if (g.int(3) !== 0) {
    const v = g.u64();
    OR.markKnown(o, v);
    NR.markKnown(n, v);
  }
  return { o, n };
}

function constPair(v: bigint): Pair {
  const p = { o: new OR.Reg(), n: new NR.Reg() };
  OR.markUnknown(p.o);
  NR.markUnknown(p.n);
  OR.markKnown(p.o, v);
  NR.markKnown(p.n, v);
  return p;
}

function sameReg(p: Pair, what: string): void {
  const { o, n } = p;
  assert.equal(n.umin, BigInt.asUintN(64, o.umin), `${what}: umin`);
  assert.equal(n.umax, BigInt.asUintN(64, o.umax), `${what}: umax`);
  assert.equal(n.smin, BigInt.asIntN(64, o.smin), `${what}: smin`);
  assert.equal(n.smax, BigInt.asIntN(64, o.smax), `${what}: smax`);
  assert.equal(n.u32min, BigInt.asUintN(32, o.u32min), `${what}: u32min`);
  assert.equal(n.u32max, BigInt.asUintN(32, o.u32max), `${what}: u32max`);
  assert.equal(n.s32min, BigInt.asIntN(32, o.s32min), `${what}: s32min`);
  assert.equal(n.s32max, BigInt.asIntN(32, o.s32max), `${what}: s32max`);
  sameTnum(o.varOff, n.varOff, what);
  for (const w of [n.uminH, n.uminL, n.umaxH, n.umaxL, n.sminH, n.sminL, n.smaxH, n.smaxL]) int32(w, what);
  for (const w of [n.umin32, n.umax32, n.smin32, n.smax32]) int32(w, what);
}

const ALU_OPS = [
  I.ALU_ADD,
  I.ALU_SUB,
  I.ALU_MUL,
  I.ALU_AND,
  I.ALU_OR,
  I.ALU_XOR,
  I.ALU_LSH,
  I.ALU_RSH,
  I.ALU_ARSH,
  I.ALU_NEG,
];
const JMP_OPS = [
  I.JMP_JEQ,
  I.JMP_JNE,
  I.JMP_JSET,
  I.JMP_JGT,
  I.JMP_JGE,
  I.JMP_JLT,
  I.JMP_JLE,
  I.JMP_JSGT,
  I.JMP_JSGE,
  I.JMP_JSLT,
  I.JMP_JSLE,
];

/** An operand: another register of the pool, or a constant (an imm, sign-extended, or any u64). */
function operand(g: ReturnType<typeof gen>, pool: Pair[], is32: boolean, shift: boolean): Pair {
  if (g.int(3) === 0) return pool[g.int(pool.length)] as Pair;
  let v: bigint;
  if (shift && g.int(8) !== 0) v = BigInt(g.int(is32 ? 32 : 64));
  else if (g.int(2) === 0) v = BigInt.asUintN(64, BigInt.asIntN(32, g.u64()));
  else v = g.u64();
  return constPair(is32 ? BigInt.asUintN(32, v) : v);
}

function lockstep(seed: number, steps: number): void {
  const g = gen(seed);
  const pool: Pair[] = [fresh(g), fresh(g), fresh(g), fresh(g)];
  for (let k = 0; k < steps; k++) {
    const i = g.int(pool.length);
    const d = pool[i] as Pair;
    const what = `seed ${seed} step ${k}`;
    const action = g.int(10);
    if (action < 5) {
      const op = ALU_OPS[g.int(ALU_OPS.length)] as number;
      const alu32 = g.int(3) === 0;
      const shift = op === I.ALU_LSH || op === I.ALU_RSH || op === I.ALU_ARSH;
      const s = op === I.ALU_NEG ? d : operand(g, pool, alu32, shift);
      OA.adjustScalarMinMaxVals(op, alu32, d.o, s.o.clone());
      NA.adjustScalarMinMaxVals(op, alu32, d.n, s.n.clone());
      sameReg(d, `${what} alu op ${op.toString(16)} alu32 ${alu32}`);
    } else if (action < 9) {
      const op = JMP_OPS[g.int(JMP_OPS.length)] as number;
      const is32 = g.int(3) === 0;
      const s = operand(g, pool, is32, false);
      const t = OC.scalarBranchTaken(d.o, s.o, op, is32);
      assert.equal(NJ.scalarBranchTaken(d.n, s.n, op, is32), t, `${what} branch taken op ${op.toString(16)}`);
      if (t >= 0 || s === d) continue;
      const taken = g.int(2) === 0;
      const eop = taken ? op : OC.rev(op);
      OC.setMinMax(d.o, s.o, eop, is32);
      NF.setMinMax(d.n, s.n, taken ? op : NJ.rev(op), is32);
      sameReg(d, `${what} refine op ${eop.toString(16)} is32 ${is32} (dst)`);
      sameReg(s, `${what} refine op ${eop.toString(16)} is32 ${is32} (src)`);
      const dead = OR.boundsInvalid(d.o) || OR.boundsInvalid(s.o);
      assert.equal(NB.boundsInvalid(d.n) || NB.boundsInvalid(s.n), dead, `${what} dead branch`);
      if (dead) {
        pool[i] = fresh(g);
        const j = pool.indexOf(s);
        if (j >= 0) pool[j] = fresh(g);
      }
    } else {
      const size = [1, 2, 4, 8][g.int(4)] as number;
      OR.coerceRegToSize(d.o, size);
      NB.coerceRegToSize(d.n, size);
      sameReg(d, `${what} coerce ${size}`);
    }
    if (g.int(40) === 0) pool[g.int(pool.length)] = fresh(g);
  }
}

test('ALU, branch refinement and truncation: pairs equal BigInt in lockstep (40 seeds × 600 steps)', () => {
  for (let seed = 1; seed <= 40; seed++) lockstep(seed, 600);
});
