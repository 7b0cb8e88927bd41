// Uninitialised register reads: flagged statically, faulting only on the paths that really read
// an unwritten register (cli.md: reported as a fault, never a crash); clang's code carries no checks.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { loadObject } from '../elf/loadObject';
import { helperArgs } from '../helpers/helperTable';
import * as A from './asm';
import { BpfSystem } from './bpfSystem';
import { compile } from './compiler';
import { analyzeInit } from './initAnalysis';
import * as I from './isa';
import type { Insn } from './isa';
import { VmFault } from './vmFault';

function runWithR1(insns: Insn[], r1: number): bigint | string {
  const M = new BpfSystem().machine;
  const fn = compile(insns, { helperArgs });
  M.current = { name: 't', compiled: () => fn, lineOf: () => undefined };
  try {
    const lo = fn(M, 0, 0, r1, 0, 0, 0, 0, 0, 0, 0, 0);
    return (BigInt(M.rh >>> 0) << 32n) | BigInt(lo >>> 0);
  } catch (e) {
    if (e instanceof VmFault) return `fault at ${e.pc}: ${e.message}`;
    throw e;
  }
}

void test('a read of a register no path wrote faults only on the path that reads it', () => {
  // if (r1 == 0) goto L; r0 = r3; exit; L: r0 = 1; exit
  const prog = [A.jmpK(true, I.JMP_JEQ, 1, 0, 2), A.movReg(0, 3), A.exit(), A.mov64(0, 1), A.exit()];
  assert.deepEqual([...analyzeInit(prog, helperArgs).flagged], [[1, [3]]]);
  assert.equal(runWithR1(prog, 0), 1n);
  assert.match(String(runWithR1(prog, 5)), /^fault at 1: read of uninitialised register r3/);
});

void test('r1–r5 are unreadable after a helper call; exit needs r0', () => {
  const afterCall = [A.callHelper(5 /* bpf_ktime_get_ns */), A.movReg(0, 1), A.exit()];
  assert.match(String(runWithR1(afterCall, 0)), /^fault at 1: read of uninitialised register r1/);
  assert.match(String(runWithR1([A.exit()], 0)), /^fault at 0: read of uninitialised register r0/);
});

void test('clang-built programs need no run-time checks', () => {
  const dir = path.resolve(__dirname, '../../../test/fixtures/programs/obj');
  for (const f of ['parser.bpf.o', 'loops.bpf.o', 'redirect.bpf.o', 'tailcall.bpf.o']) {
    for (const p of loadObject(new Uint8Array(fs.readFileSync(path.join(dir, f)))).programs)
      assert.deepEqual(analyzeInit(p.insns, helperArgs).tracked, [], `${f} ${p.name}`);
  }
});

void test('a static sub-program may exit without r0; the caller may not read it then (prepare_func_exit)', () => {
  // main: r6 = 7; call sub; r0 = r6; exit.   sub: r2 = 1; exit (r0 never written)
  const ignores = [A.mov64(6, 7), A.callLocal(2), A.movReg(0, 6), A.exit(), A.mov64(2, 1), A.exit()];
  assert.deepEqual([...analyzeInit(ignores, helperArgs).flagged], []);
  assert.equal(runWithR1(ignores, 0), 7n);
  // main: call sub; exit — returns the sub-program's unwritten r0: refused at main's exit
  const reads = [A.callLocal(1), A.exit(), A.mov64(2, 1), A.exit()];
  assert.deepEqual([...analyzeInit(reads, helperArgs).flagged], [[1, [0]]]);
  assert.match(String(runWithR1(reads, 0)), /^fault at 1: read of uninitialised register r0/);
});

void test('r0 after a call is what the callee left on the path it took', () => {
  // main: call sub; exit.  sub: if r1 == 0 goto +1; r0 = 9; exit
  const prog = [A.callLocal(1), A.exit(), A.jmpK(true, I.JMP_JEQ, 1, 0, 1), A.mov64(0, 9), A.exit()];
  assert.deepEqual([...analyzeInit(prog, helperArgs).flagged], [[1, [0]]]);
  assert.equal(runWithR1(prog, 3), 9n);
  assert.match(String(runWithR1(prog, 0)), /^fault at 1: read of uninitialised register r0/);
  // a caller that wrote r0 before the call still sees the callee's (unwritten) r0 after it
  const before = [A.mov64(0, 1), A.callLocal(1), A.exit(), A.exit()];
  assert.match(String(runWithR1(before, 0)), /^fault at 2: read of uninitialised register r0/);
});

void test("a callback's exit still needs r0 (the kernel wants a scalar return)", () => {
  // main: r2 = &cb (ld_imm64 PSEUDO_FUNC); r0 = 0; exit.  cb: exit
  const ldFunc = A.lddw(2, 3n).map((i, k) => (k === 0 ? { ...i, src: I.PSEUDO_FUNC, imm: 3 } : i));
  const prog = [...ldFunc, A.mov64(0, 0), A.exit(), A.exit()];
  assert.deepEqual([...analyzeInit(prog, helperArgs).flagged], [[4, [0]]]);
});

void test('clang: a noinline function called for its side effect runs (realworld/noinline_ttl)', () => {
  const obj = path.resolve(__dirname, '../../../test/fixtures/programs/obj/noinline_ttl.bpf.o');
  const p = loadObject(new Uint8Array(fs.readFileSync(obj))).programs.find((q) => q.name === 'xdp_ttl');
  assert.ok(p);
  assert.deepEqual(analyzeInit(p.insns, helperArgs).tracked, []);
});
