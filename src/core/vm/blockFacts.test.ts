// The compiler's block-local register facts (blockFacts.ts) and the array lookup they inline
// (compiler.ts inlineLookup, as array_map_gen_lookup): the same answers as the helper, per CPU.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { loadObject } from '../elf/loadObject';
import { buildFrame } from '../packet/frameBuilder';
import * as A from './asm';
import * as I from './isa';
import { BlockFacts } from './blockFacts';
import { generate } from './compiler';

void test('facts follow r10 + constant and map pointers, and forget what is overwritten', () => {
  const f = new BlockFacts();
  f.observe(A.movReg(2, 10), undefined);
  f.observe(A.aluK(true, I.ALU_ADD, 2, -8), undefined);
  assert.deepEqual(f.get(2), { kind: 'fp', off: -8 });
  f.observe(A.movReg(3, 2), undefined);
  f.observe(A.aluK(true, I.ALU_SUB, 3, 4), undefined);
  assert.deepEqual(f.get(3), { kind: 'fp', off: -12 });
  const [ld] = A.lddw(1, 0n);
  f.observe(ld!, 14);
  assert.deepEqual(f.get(1), { kind: 'map', region: 14 });
  f.observe(A.aluK(false, I.ALU_ADD, 2, 1), undefined); // a 32-bit add is no pointer arithmetic
  assert.equal(f.get(2), undefined);
  f.observe(A.callHelper(1), undefined);
  assert.equal(f.get(1), undefined);
  assert.equal(f.get(3), undefined, 'a call clobbers r1-r5');
  f.observe(A.movReg(6, 10), undefined);
  f.observe(A.callHelper(1), undefined);
  assert.deepEqual(f.get(6), { kind: 'fp', off: 0 }, 'r6-r9 survive calls');
});

void test("a lookup's or an acquiring kfunc's r0 is an object until overwritten", () => {
  const f = new BlockFacts();
  f.observe(A.callHelper(1), undefined, true);
  assert.deepEqual(f.get(0), { kind: 'obj' });
  f.observe(A.movReg(8, 0), undefined);
  assert.deepEqual(f.get(8), { kind: 'obj' }, 'a copy keeps it');
  f.observe(A.aluK(true, I.ALU_ADD, 8, 4), undefined);
  assert.equal(f.get(8), undefined, 'pointer arithmetic forgets it');
  f.observe(A.callHelper(5), undefined);
  assert.equal(f.get(0), undefined, 'another call returns anything');
});

const objDir = path.resolve(__dirname, '../../../test/fixtures/programs/obj');

void test('an inlined PERCPU_ARRAY lookup counts per CPU as the helper does', () => {
  // examples/redirect.bpf.c: rx_count[dport & 7] += 1, then bpf_redirect_map (a miss: XDP_PASS).
  const obj = loadObject(new Uint8Array(fs.readFileSync(path.join(objDir, 'redirect.bpf.o'))), {
    name: 'redirect',
  });
  const prog = obj.program('xdp_redirect_udp')!;
  const opts = (prog as unknown as { compileOptions: Parameters<typeof generate>[1] }).compileOptions;
  assert.match(
    generate(prog.insns, opts),
    /\.lookupTable; t = F\.getUint32/,
    'the rx_count lookup is inlined',
  );
  const frame = buildFrame({ udp: { dport: 9 } });
  assert.equal(prog.testRun(frame, { repeat: 3, cpu: 0 }).retval, 2);
  assert.equal(prog.testRun(frame, { repeat: 2, cpu: 1 }).retval, 2);
  const v = obj.map('rx_count')!.userLookup(new Uint8Array([1, 0, 0, 0]));
  assert.ok(v instanceof Uint8Array);
  const dv = new DataView(v.buffer, v.byteOffset);
  assert.equal(dv.getBigUint64(0, true), 3n, 'CPU 0');
  assert.equal(dv.getBigUint64(8, true), 2n, 'CPU 1');
  assert.deepEqual(obj.map('rx_count')!.userLookup(new Uint8Array([2, 0, 0, 0])), new Uint8Array(v.length));
});

void test('loads and stores through an nf_conn a kfunc returned skip the context and packet tests', () => {
  // conntrack.bpf.c's xdp_ct: r8 = bpf_xdp_ct_lookup(...), then ct->status and ct->mark reads.
  const obj = loadObject(new Uint8Array(fs.readFileSync(path.join(objDir, 'conntrack.bpf.o'))), {
    name: 'conntrack',
  });
  const prog = obj.program('xdp_ct')!;
  const opts = (prog as unknown as { compileOptions: Parameters<typeof generate>[1] }).compileOptions;
  const code = generate(prog.insns, opts);
  assert.match(code, /m = m8 = R\[r8h\]/, 'r8 is read through the region table, kept for the block');
  assert.match(code, /m = m8;/, 'and its next accesses in the block take the kept region');
  assert.doesNotMatch(code, /r8h === 1[01]/, 'with no context or packet test');
  assert.match(code, /r6h === 11/, 'a packet pointer keeps its test');
});
