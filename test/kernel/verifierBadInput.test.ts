// The bad instructions of test/fixtures/verifier/badInput.ts, asked again of the running kernel
// (`xdp-lab verify --kernel`, libbpf with the log) and of our verifier: the same verdict and message,
// and the kernel still says what the table recorded.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { VerifyReport } from '../../src/core/verifier/verdict';
import { assembleCase, BAD_INPUT_CASES } from '../fixtures/verifier/badInput';
import { acquireKernelLock } from './lib/lock';
import type { KernelLock } from './lib/lock';
import { probe } from './lib/probe';

const verify = (...args: string[]): VerifyReport => {
  const r = spawnSync(process.execPath, ['dist/cli.js', 'verify', ...args, '--json'], { encoding: 'utf8' });
  assert.equal(r.status, 1, `${args.join(' ')}: ${r.stderr}`);
  return JSON.parse(r.stdout) as VerifyReport;
};

describe('bad instructions: ours and the kernel refuse them alike', { skip: probe() }, () => {
  let lock: KernelLock;
  let dir: string;
  before(async () => {
    lock = await acquireKernelLock();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-vbad-'));
  });
  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await lock.release();
  });

  for (const c of BAD_INPUT_CASES)
    test(c.name, () => {
      const obj = assembleCase(dir, c);
      const kernel = verify(obj, '--kernel').programs[0];
      const ours = verify(obj).programs[0];
      assert.equal(kernel?.verdict, 'rejected');
      assert.equal(kernel?.error?.message, c.message, 'the kernel no longer says what the table recorded');
      assert.equal(ours?.verdict, 'rejected');
      assert.equal(ours?.error?.message, kernel?.error?.message);
    });
});
