// Benchmarks of XDP Lab's own verifier (issue 11 "Speed"): milliseconds to verify (a) a 2,000-insn
// straight-line packet program (target < 50 ms) and (b) a katran-size program, ~2,500 insns with
// 300 two-way branches whose paths join (target < 500 ms). Programs are assembled here; the engine
// is bundled by esbuild as bench/vm.bench.ts does (tsx's live-binding getters would be measured).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundledEngine as bundleCore } from './lib/bundledEngine';
import type * as VerifyModule from '../src/core/verifier/verifyObject';
import type * as AsmModule from '../src/core/vm/asm';
import type * as IsaModule from '../src/core/vm/isa';
import type { Insn } from '../src/core/vm/isa';

type Engine = typeof VerifyModule & { A: typeof AsmModule; I: typeof IsaModule };

const bundledEngine = (dir: string): Engine =>
  bundleCore<Engine>(dir, ['core/verifier/verifyObject'], { A: 'core/vm/asm', I: 'core/vm/isa' });

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  target?: number;
}

/** r2 = data_end, r1 = data, one bounds check for `len` bytes, then `body`, return XDP_PASS. */
function packetProgram({ A, I }: Engine, len: number, body: Insn[]): Insn[] {
  const tail = [A.mov64(0, 2), A.exit()];
  return [
    A.ldx(4, 2, 1, 4),
    A.ldx(4, 1, 1, 0),
    A.movReg(3, 1),
    A.aluK(true, I.ALU_ADD, 3, len),
    A.jmpX(true, I.JMP_JGT, 3, 2, body.length),
    ...body,
    ...tail,
  ];
}

/** 2,000 instructions of loads and arithmetic inside a checked 64-byte header. */
function straightLine(e: Engine): Insn[] {
  const { A, I } = e;
  const body: Insn[] = [];
  while (body.length < 1990)
    body.push(
      A.ldx(1, 4, 1, body.length % 60),
      A.aluK(true, I.ALU_AND, 4, 0x3f),
      A.aluX(true, I.ALU_ADD, 5, 4),
    );
  return packetProgram(e, 64, [A.mov64(5, 0), ...body]);
}

/** 300 diamonds: each compares a packet byte and sets a flag on one side, then the paths join. */
function branchy(e: Engine): Insn[] {
  const { A, I } = e;
  const body: Insn[] = [A.mov64(5, 0)];
  for (let k = 0; k < 300; k++)
    body.push(
      A.ldx(1, 4, 1, k % 60),
      A.jmpK(true, I.JMP_JGT, 4, 0x80, 2),
      A.aluK(true, I.ALU_ADD, 5, 1),
      A.ja(1),
      A.aluK(true, I.ALU_OR, 6, 1 << (k % 30)),
      A.mov64(6, 0),
      A.aluX(true, I.ALU_ADD, 7, 4),
      A.mov64(7, 0),
    );
  return packetProgram(e, 64, [A.mov64(6, 0), A.mov64(7, 0), ...body]);
}

function timeIt(e: Engine, name: string, insns: Insn[], target: number): BenchRow {
  const input = {
    name,
    section: 'xdp',
    attach: 'xdp' as const,
    insns,
    ldImm64: () => undefined,
    sourceOf: () => undefined,
  };
  const first = e.verifyProgram(input);
  if (first.verdict !== 'accepted') throw new Error(`${name}: ${first.error?.message ?? 'rejected'}`);
  const runs: number[] = [];
  for (let k = 0; k < 7; k++) {
    const t0 = process.cpuUsage();
    e.verifyProgram(input);
    const d = process.cpuUsage(t0);
    runs.push((d.user + d.system) / 1000);
  }
  runs.sort((a, b) => a - b);
  return {
    name: `verifier: ${name} (${insns.length} insns)`,
    value: Number((runs[3] as number).toFixed(2)),
    unit: 'ms',
    target,
  };
}

export function runBench(): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xlverifier-bench-'));
  try {
    const e = bundledEngine(dir);
    return Promise.resolve([
      timeIt(e, 'straight-line packet program', straightLine(e), 50),
      timeIt(e, 'katran-size branchy program', branchy(e), 500),
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
