// The 'auto' tier, the default of `exec`, `run` and the extension's runs: wasm for every program
// the engine can take (straight-line parsers too, not only loops), js for kfunc callers and traced
// runs, with the same results as an explicit tier.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { loadObject } from '../../elf/loadObject';
import { buildFrame } from '../../packet/frameBuilder';
import * as A from '../asm';
import { compile } from '../compiler';
import * as I from '../isa';
import { runRaw } from '../rawRun';

const obj = (n: string): Uint8Array =>
  new Uint8Array(fs.readFileSync(path.resolve(__dirname, '../../../../test/fixtures/programs/obj', n)));

void test("auto: a straight-line program runs on wasm, a traced run on js; r0 and insns as 'js'", () => {
  const insns = [A.mov64(0, 7), A.aluK(true, I.ALU_MUL, 0, 6), A.exit()];
  assert.equal(compile(insns, { tier: 'auto' }).name, 'wasmProgram');
  assert.equal(compile(insns, { tier: 'auto', trace: true }).name, 'bpfProgram');
  assert.equal(compile(insns, { tier: 'js' }).name, 'bpfProgram');
  const code = A.assemble(insns);
  const js = runRaw(code, undefined, { tier: 'js' });
  const auto = runRaw(code, undefined, { tier: 'auto' });
  assert.deepEqual({ r0: auto.r0, insns: auto.insns }, { r0: 42n, insns: js.insns });
});

void test('auto: XDP programs load on wasm, kfunc callers (conntrack) fall back to js with the same run', () => {
  const frame = buildFrame({ tcp: { sport: 5555, dport: 80 } });
  for (const [file, tier] of [
    ['parser.bpf.o', 'wasmProgram'],
    ['redirect.bpf.o', 'wasmProgram'],
    ['conntrack.bpf.o', 'bpfProgram'],
  ] as const) {
    const runs = (['js', 'auto'] as const).map((t) => {
      const o = loadObject(obj(file), { name: 'x', systemOptions: { tier: t } });
      const p = o.programs.find((x) => x.attach === 'xdp')!;
      if (t === 'auto') assert.equal(p.compiled(false).name, tier, file);
      const r = p.testRun(frame, { repeat: 2 });
      return { retval: r.retval, insns: r.insns, out: [...r.dataOut], fault: r.fault?.message };
    });
    assert.deepEqual(runs[1], runs[0], file);
  }
});
