// XDP program runs: faults carry the source line, runaway programs stop at the budget, traced runs
// see every instruction, and the redirect helpers write RedirectInfo as redirect-semantics.md §2 says.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { loadObject } from '../elf/loadObject';
import { BpfSystem } from './bpfSystem';
import { buildFrame } from '../packet/frameBuilder';
import { IFINDEX_MAP_ID, RedirectInfo } from '../xdp/redirectInfo';
import { testRunBuffer, TestRunError } from './xdpBuffer';
import * as A from './asm';
import * as I from './isa';
import { XdpProgram } from './xdpProgram';
import type { XdpBuffer } from './xdpRun';

const objDir = path.resolve(__dirname, '../../../test/fixtures/programs/obj');
const load = (name: string) =>
  loadObject(new Uint8Array(fs.readFileSync(path.join(objDir, name))), { name: name.split('.')[0] });

void test('an unchecked packet read faults with pc, source line and the reason', () => {
  const p = load('oob.bpf.o').programs[0]!;
  const ok = p.testRun(buildFrame({ udp: {} }));
  assert.equal(ok.fault, undefined);
  assert.equal(ok.retval, 1);
  const r = p.testRun(buildFrame({ udp: {} }).slice(0, 20));
  assert.ok(r.fault, 'a 20-byte frame has no IP protocol byte');
  assert.match(r.fault.line ?? '', /^oob\.bpf\.c:1\d$/);
  assert.match(
    r.fault.message,
    /packet access out of bounds: read of 1 byte at offset 23 from data, but data_end is at 20/,
  );
  assert.equal(typeof r.fault.pc, 'number');
});

void test('a runaway loop stops at the instruction budget', () => {
  const p = load('spin.bpf.o').programs[0]!;
  const frame = buildFrame({ udp: {} });
  assert.equal(p.testRun(frame).retval, 2, 'even first byte: no loop');
  frame[0] = 3;
  const r = p.testRun(frame, { budget: 50_000 });
  assert.match(r.fault?.message ?? '', /instruction budget exhausted after \d+ instructions \(limit 50000\)/);
  assert.ok(r.insns > 50_000 && r.insns < 50_100);
});

void test('a traced run reports every instruction with its registers', () => {
  const p = load('parser.bpf.o').programs[0]!;
  const steps: { pc: number; r1: bigint }[] = [];
  const r = p.testRun(buildFrame({ udp: { dport: 9 } }), {
    onStep: (s) => steps.push({ pc: s.pc, r1: s.regs[1]! }),
  });
  assert.equal(steps.length, r.insns);
  assert.equal(steps[0]!.pc, 0);
  assert.notEqual(steps[0]!.r1, 0n, 'r1 holds the context pointer');
  assert.equal(p.testRun(buildFrame({ udp: { dport: 9 } })).retval, r.retval, 'traced and fast runs agree');
});

void test('bpf_trace_printk lines are captured, formatted', () => {
  const o = load('loops.bpf.o');
  o.programs[0]!.testRun(buildFrame({ udp: { dport: 9 } }));
  assert.equal(o.system.printk.length, 1);
  assert.match(o.system.printk[0]!, /^loops: acc=\d+ sum=[0-9a-f]+$/);
});

void test('runts are refused like BPF_PROG_TEST_RUN; long frames spill into frags', () => {
  assert.throws(() => testRunBuffer(new Uint8Array(13)), TestRunError);
  const b = testRunBuffer(new Uint8Array(9000));
  assert.equal(b.dataEnd - b.data, 3520);
  assert.deepEqual(
    b.frags.map((f) => f.length),
    [4096, 1384],
  );
});

void test('bpf_redirect_map: hit, miss keeps tgt_index, bad flags leave the record, key truncation (§2.2)', () => {
  const o = load('redirects.bpf.o');
  const p = o.programs[0]!;
  const devs = o.map('devs')!;
  assert.equal(devs.userUpdate(new Uint8Array(4), new Uint8Array([9, 0, 0, 0]), 0), 0);
  const ctx = { ingressIfindex: 1, rxQueueIndex: 0, egressIfindex: 0, cpu: 0, redirect: new RedirectInfo() };
  const run = (dport: number): number => p.run(testRunBuffer(buildFrame({ udp: { dport } })), ctx).action;
  // One context across calls: the record persists (§1.2).
  assert.equal(run(1), 4);
  assert.deepEqual([ctx.redirect.tgtIndex, ctx.redirect.mapId, ctx.redirect.mapType], [0n, devs.id, 14]);
  assert.deepEqual(ctx.redirect.tgtValue, { ifindex: 9, key: 0 });
  assert.equal(run(2), 2, 'miss → the fallback action XDP_PASS');
  assert.deepEqual(
    [ctx.redirect.tgtIndex, ctx.redirect.mapId, ctx.redirect.mapType, ctx.redirect.tgtValue],
    [0n, IFINDEX_MAP_ID, 0, undefined],
  );
  ctx.redirect.mapId = 5;
  assert.equal(run(5), 0, 'flag 4 → ABORTED');
  assert.equal(ctx.redirect.mapId, 5, 'record untouched');
  assert.equal(run(6), 4, 'key 0x1_0000_0000 finds slot 0');
  assert.equal(ctx.redirect.tgtIndex, 0x100000000n, 'tgt_index keeps the full 64-bit key');
  assert.equal(run(4), 4, 'broadcast on an empty slot still redirects');
  assert.equal(ctx.redirect.flags, 8);
  assert.equal(ctx.redirect.map, devs);
  assert.equal(run(13), 4, 'bpf_redirect(13, 0)');
  assert.ok(ctx.redirect.isIfindexRedirect());
  assert.equal(ctx.redirect.tgtIndex, 13n);
});

for (const tier of ['js', 'wasm'] as const)
  void test(`every repetition of a test run starts from a fresh copy of the frame (written or not; ${tier} tier)`, () => {
    // The VM restores the frame only after a repetition wrote it (Machine.packetDirty): programs that
    // move the head, the tail or the meta data, store through a packet pointer, or write frags. The
    // reference is one js-tier run on a fresh system.
    const loadIn = (name: string, t: 'js' | 'wasm') =>
      loadObject(new Uint8Array(fs.readFileSync(path.join(objDir, name))), {
        name: name.split('.')[0],
        system: new BpfSystem({ tier: t }),
      });
    const progs = (t: 'js' | 'wasm') => ({
      adjust: loadIn('adjust.bpf.o', t).program('xdp_adjust')!,
      frags: loadIn('frags.bpf.o', t).program('xdp_frags')!,
    });
    const ours = progs(tier);
    const ref = progs('js');
    const raw = (op: number, length = 60): Uint8Array => {
      const f = new Uint8Array(length);
      f.set([2, 0, 0, 0, 0, 1, 2, 0, 0, 0, 0, 2, 0x08, 0x00]);
      f[14] = op;
      for (let i = 15; i < length; i++) f[i] = i & 0xff;
      return f;
    };
    const cases: [string, 'adjust' | 'frags', Uint8Array][] = [
      ...[0x45, 0x60, 1, 2, 3, 4, 5, 6, 7].map((op): [string, 'adjust', Uint8Array] => [
        `adjust op ${op}`,
        'adjust',
        raw(op),
      ]),
      ...[100, 5000, 7000].map((n): [string, 'frags', Uint8Array] => [`frags ${n}`, 'frags', raw(0, n)]),
    ];
    for (const [name, which, frame] of cases) {
      const once = ref[which].testRun(frame);
      const first = ours[which].testRun(frame);
      const many = ours[which].testRun(frame, { repeat: 4 });
      for (const r of [first, many]) {
        assert.equal(r.fault, undefined, name);
        assert.equal(r.retval, once.retval, name);
        assert.deepEqual(r.dataOut, once.dataOut, name);
      }
    }
  });

void test('runs on one reused buffer see each run’s window, bytes and device (both tiers)', () => {
  // Machine.enterPacket keeps the packet region and the xdp_md image between runs when nothing
  // moved: a caller that reuses the buffer object (the simulator's pages) but changes its bytes,
  // its window or the context must still be seen. r0 = ingress_ifindex << 16 | len << 8 | data[0].
  const code = A.assemble(
    A.ldx(4, 2, 1, 12),
    A.ldx(4, 3, 1, 0),
    A.ldx(4, 4, 1, 4),
    A.aluX(true, I.ALU_SUB, 4, 3),
    A.ldx(1, 5, 3, 0),
    A.aluK(true, I.ALU_LSH, 2, 16),
    A.aluK(true, I.ALU_LSH, 4, 8),
    A.movReg(0, 2),
    A.aluX(true, I.ALU_OR, 0, 4),
    A.aluX(true, I.ALU_OR, 0, 5),
    A.exit(),
  );
  for (const tier of ['js', 'wasm'] as const) {
    const system = new BpfSystem({ tier });
    const prog = new XdpProgram(system, {
      name: 'ctx',
      section: 'xdp',
      attach: 'xdp',
      frags: false,
      insns: I.decodeInsns(code),
      lines: new Map(),
      compileOptions: { uninitFaults: false },
    });
    const bytes = new Uint8Array(512).fill(7);
    const buf: XdpBuffer = { bytes, dataMeta: 256, data: 256, dataEnd: 300, frags: [] };
    const ctx = {
      ingressIfindex: 3,
      rxQueueIndex: 0,
      egressIfindex: 0,
      cpu: 0,
      redirect: new RedirectInfo(),
    };
    const expect = (want: number, what: string): void =>
      assert.equal(prog.runAction(buf, ctx), want, `${tier}: ${what}`);
    expect((3 << 16) | (44 << 8) | 7, 'first run');
    expect((3 << 16) | (44 << 8) | 7, 'same again');
    ctx.ingressIfindex = 5;
    expect((5 << 16) | (44 << 8) | 7, 'another device');
    buf.dataEnd = 290;
    expect((5 << 16) | (34 << 8) | 7, 'a shorter frame');
    buf.data = buf.dataMeta = 258;
    expect((5 << 16) | (32 << 8) | 7, 'a moved window');
    buf.bytes = new Uint8Array(512).fill(9);
    expect((5 << 16) | (32 << 8) | 9, 'other bytes');
    bytes.fill(1);
    buf.bytes = bytes;
    expect((5 << 16) | (32 << 8) | 1, 'the first bytes again, rewritten');
  }
});

void test('xdp_md reads: through r1 as received, a moved pointer, a non-context base, past the end (both tiers)', () => {
  // A 4-byte read at a constant offset through r1 as received takes the image's word directly
  // (jsAccess.ts, wasmAccess.ts emitAccess); a moved context pointer and the stack take the general
  // paths; a read past xdp_md's last field faults with the same message on both tiers.
  // r0 = (ingress via r1+12 − ingress via (r1+8)+4) + (data via (r1+8)−8 − data via r1+0) + *(u32 *)(fp−8)
  const code = A.assemble(
    A.st(4, 10, -8, 0x1234),
    A.ldx(4, 0, 1, 12),
    A.movReg(2, 1),
    A.aluK(true, I.ALU_ADD, 2, 8),
    A.ldx(4, 3, 2, 4),
    A.ldx(4, 4, 2, -8),
    A.ldx(4, 6, 1, 0),
    A.movReg(5, 10),
    A.ldx(4, 7, 5, -8),
    A.aluX(true, I.ALU_SUB, 3, 0),
    A.aluX(true, I.ALU_SUB, 4, 6),
    A.movReg(0, 3),
    A.aluX(true, I.ALU_ADD, 0, 4),
    A.aluX(true, I.ALU_ADD, 0, 7),
    A.exit(),
  );
  const pastEnd = A.assemble(A.ldx(4, 0, 1, 24), A.exit());
  const faults: string[] = [];
  for (const tier of ['js', 'wasm'] as const) {
    const system = new BpfSystem({ tier });
    const make = (bytes: Uint8Array): XdpProgram =>
      new XdpProgram(system, {
        name: 'ctx',
        section: 'xdp',
        attach: 'xdp',
        frags: false,
        insns: I.decodeInsns(bytes),
        lines: new Map(),
        compileOptions: { uninitFaults: false },
      });
    const frame = buildFrame({ udp: { sport: 1, dport: 2 } });
    const r = make(code).testRun(frame, { ingressIfindex: 7, repeat: 3 });
    assert.equal(r.fault, undefined, tier);
    assert.equal(r.retval, 0x1234, `${tier}: the same fields through r1 and the moved pointer`);
    const f = make(pastEnd).testRun(frame);
    assert.ok(f.fault, `${tier}: a read at xdp_md + 24 faults`);
    faults.push(f.fault.message);
  }
  assert.equal(faults[0], faults[1]);
});
