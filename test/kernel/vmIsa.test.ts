// Differential ISA test: every case of vmIsaCases.ts runs in the VM (the `xdp-lab exec` path) and
// in the kernel (loaded raw as a socket filter, BPF_PROG_TEST_RUN); r0 must be equal. The kernel
// returns 32 bits, so each case also runs with r0 >> 32 at exit to compare the high half. Both
// compilation tiers (js, wasm) must give the kernel's answer.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import test from 'node:test';
import { encodeInsns } from '../../src/core/vm/isa';
import { runRaw } from '../../src/core/vm/rawRun';
import { acquireKernelLock } from './lib/lock';
import { probe } from './lib/probe';
import { highHalfVariant, isaCases } from './vmIsaCases';

const runner = path.join(__dirname, '../fixtures/programs/rawTestRun.py');
const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');

interface KernelAnswer {
  retval?: number;
  error?: string;
  log?: string;
}

function kernelRun(programs: Uint8Array[]): KernelAnswer[] {
  const r = spawnSync('python3', [runner], {
    input: programs.map(hexOf).join('\n') + '\n',
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  if (r.status !== 0) throw new Error(`rawTestRun.py failed: ${r.stderr}`);
  return r.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as KernelAnswer);
}

void test(
  'every ISA case gives the kernel r0 (64 bits) in the VM, on both tiers (js and wasm)',
  { skip: probe({ tools: ['python3'] }) },
  async () => {
    const cases = isaCases();
    const lock = await acquireKernelLock();
    let answers: KernelAnswer[];
    try {
      answers = kernelRun(
        cases.flatMap((c) => [encodeInsns(c.insns), encodeInsns(highHalfVariant(c.insns))]),
      );
    } finally {
      await lock.release();
    }
    const mismatches: string[] = [];
    let compared = 0;
    cases.forEach((c, i) => {
      const lo = answers[2 * i];
      const hi = answers[2 * i + 1];
      if (lo?.retval === undefined || hi?.retval === undefined) {
        mismatches.push(
          `${c.name}: the kernel refused it (${lo?.error ?? hi?.error}: ${lo?.log ?? hi?.log}) — the corpus must only hold verifiable programs`,
        );
        return;
      }
      const kernel = (BigInt(hi.retval) << 32n) | BigInt(lo.retval);
      for (const tier of ['js', 'wasm'] as const) {
        let vm: bigint | string;
        try {
          vm = runRaw(encodeInsns(c.insns), undefined, { tier }).r0;
        } catch (e) {
          vm = `error: ${(e as Error).message}`;
        }
        compared++;
        if (vm !== kernel)
          mismatches.push(
            `${c.name}: kernel 0x${kernel.toString(16)}, VM (${tier} tier) ${typeof vm === 'bigint' ? '0x' + vm.toString(16) : vm}`,
          );
      }
    });
    assert.ok(compared > 1000, `only ${compared} cases compared`);
    assert.deepEqual(mismatches.slice(0, 40), [], `${mismatches.length} of ${cases.length} cases differ`);
  },
);
