// Issue 11: our verifier does the kernel's work, not only reaches its verdict — the processed-insn
// count of Linux 6.18 (its log's "processed N insns") on the stack-liveness programs (loaded raw as
// XDP) and on every verifier fixture (compiled by clang, loaded through libbpf). The full corpus
// table is bench/verifierCounts.ts.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { encodeInsns } from '../../src/core/vm/isa';
import { verifyObject, verifyProgram } from '../../src/core/verifier/verifyObject';
import { kernelBtfOptions } from '../../src/node/kernelBtf';
import { kernelVerifyObject } from '../../src/node/kernelVerify';
import { verifierFixtures } from '../fixtures/verifier/fixtures';
import { KERNEL_COUNTS, stackLivenessProgram } from '../fixtures/verifier/stackLiveness';
import { compileBpf } from './lib/compile';
import { acquireKernelLock } from './lib/lock';
import type { KernelLock } from './lib/lock';
import { probe } from './lib/probe';

const skip = probe({ tools: ['python3'] });
const fixtureDir = path.resolve(__dirname, '../fixtures/verifier');
const rawLoader = path.resolve(__dirname, '../fixtures/programs/rawVerifyCount.py');

/** Fixtures whose count still differs, and why (the verdict and line agree: verifierDifferential). */
const KNOWN_APART: Readonly<Record<string, string>> = {};

describe('our verifier processes the kernel’s number of instructions', { skip }, () => {
  let lock: KernelLock;
  let dir: string;
  before(async () => {
    lock = await acquireKernelLock();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-vcount-'));
  });
  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await lock.release();
  });

  test('stack liveness programs: the counts recorded in stackLiveness.ts, the kernel’s and ours', () => {
    const rounds = Object.keys(KERNEL_COUNTS).map(Number);
    const input = rounds
      .map((n) => Buffer.from(encodeInsns(stackLivenessProgram(n))).toString('hex'))
      .join('\n');
    const r = spawnSync('python3', [rawLoader], { input: input + '\n', encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const kernel = r.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { insns?: number; states?: number; peak?: number; error?: string });
    rounds.forEach((n, i) => {
      assert.deepEqual(
        kernel[i],
        KERNEL_COUNTS[n],
        `${n} rounds: the kernel no longer says what stackLiveness.ts records`,
      );
      const ours = verifyProgram({
        name: 'stack_liveness',
        section: 'xdp',
        attach: 'xdp',
        insns: stackLivenessProgram(n),
        ldImm64: () => undefined,
        sourceOf: () => undefined,
      });
      assert.deepEqual(
        { insns: ours.insnsProcessed, states: ours.statesExplored, peak: ours.peakStates },
        kernel[i],
      );
    });
  });

  for (const f of verifierFixtures())
    test(`fixture ${f.name}`, async (t) => {
      const obj = compileBpf(f.path, path.join(dir, `${f.name}.o`), {
        includeDirs: [fixtureDir],
        clang: f.clang,
      });
      const k = (await kernelVerifyObject(obj)).programs[0];
      const ours = verifyObject(new Uint8Array(fs.readFileSync(obj)), kernelBtfOptions()).programs[0];
      assert.ok(k && ours, `${f.name}: one XDP program`);
      const apart = KNOWN_APART[f.name];
      if (apart) {
        t.diagnostic(`${f.name}: ours ${ours.insnsProcessed}, kernel ${k.insnsProcessed} (${apart})`);
        return;
      }
      assert.equal(ours.insnsProcessed, k.insnsProcessed, `${f.name}: processed insns ours vs the kernel's`);
    });
});
