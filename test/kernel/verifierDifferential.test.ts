// Issue 11's measure: every verifier fixture (test/fixtures/verifier), compiled by clang, judged by
// the real kernel (libbpf load with the log, src/node/kernelVerify) and by our verifyObject; fails on
// any disagreement of verdict, and for rejections of message and source line. Also checks that the
// kernel still says what line 1 of the fixture recorded, and `xdp-lab verify --kernel` end to end.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { BranchStep, ProgramVerdict, VerifyReport } from '../../src/core/verifier/verdict';
import { verifyObject } from '../../src/core/verifier/verifyObject';
import { kernelBtfOptions } from '../../src/node/kernelBtf';
import { kernelVerifyObject } from '../../src/node/kernelVerify';
import { kernelHeader, missingClang, verifierFixtures } from '../fixtures/verifier/fixtures';
import { compileBpf } from './lib/compile';
import { run } from './lib/exec';
import { acquireKernelLock } from './lib/lock';
import type { KernelLock } from './lib/lock';
import { probe } from './lib/probe';

const skip = probe();
const fixtures = verifierFixtures();
const fixtureDir = path.resolve(__dirname, '../fixtures/verifier');

/** What the two must agree on: verdict, and for a rejection the message and the 1-based line. */
const judged = (p: ProgramVerdict | undefined) =>
  p && {
    verdict: p.verdict,
    ...(p.verdict === 'rejected' ? { message: p.error?.message, line: p.error?.line } : {}),
  };

/**
 * The branches ours lists on the way to a refusal are the kernel's (kernelLogPath.ts reads them from
 * its log), in the same order; the kernel's may hold more, but only fall-throughs: its log does not
 * tell a jump that could only fall through from one whose other branch was pushed. (A walk of a
 * million instructions rotates the log's head away: no kernel path to compare, hence the caller's
 * "too large" exception.)
 */
function assertPathWithin(ours: readonly BranchStep[], kernel: readonly BranchStep[], name: string): void {
  const key = (s: BranchStep) => `${s.insn} ${s.taken ? 'taken' : 'not taken'}: ${s.text}`;
  let k = 0;
  for (const step of ours) {
    while (k < kernel.length && key(kernel[k] as BranchStep) !== key(step)) {
      assert.equal(
        (kernel[k] as BranchStep).taken,
        false,
        `${name}: the kernel's ${key(kernel[k] as BranchStep)} is not ours`,
      );
      k++;
    }
    assert.ok(k < kernel.length, `${name}: ours ${key(step)} is not on the kernel's path`);
    k++;
  }
  for (; k < kernel.length; k++)
    assert.equal(
      (kernel[k] as BranchStep).taken,
      false,
      `${name}: the kernel's ${key(kernel[k] as BranchStep)} is not ours`,
    );
}

/** Loaded programs of ours still in the kernel (there must be none after a verify). */
const leftovers = (names: readonly string[]): string[] => {
  const list = JSON.parse(run(['bpftool', '-j', 'prog', 'list']).stdout) as { name?: string }[];
  return list.map((p) => p.name ?? '').filter((n) => names.some((x) => x.startsWith(n) && n.length >= 8));
};

describe('our verifier agrees with the Linux kernel on every fixture', { skip }, () => {
  let lock: KernelLock;
  let dir: string;
  before(async () => {
    lock = await acquireKernelLock();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-vdiff-'));
  });
  after(async () => {
    fs.rmSync(dir, { recursive: true, force: true });
    await lock.release();
  });

  for (const f of fixtures)
    test(f.name, async () => {
      // A fixture marked `// clang: 19` fails (never skips) where that clang is missing.
      const missing = missingClang(f);
      if (missing) assert.fail(missing);
      const obj = compileBpf(f.path, path.join(dir, `${f.name}.o`), {
        includeDirs: [fixtureDir],
        clang: f.clang,
      });
      const kernel = await kernelVerifyObject(obj);
      assert.equal(kernel.programs.length, 1, `${f.name}: one XDP program per fixture`);
      const k = kernel.programs[0] as ProgramVerdict;
      assert.equal(
        fs.readFileSync(f.path, 'utf8').split('\n')[0],
        kernelHeader(k),
        `${f.name}: the kernel no longer says what line 1 recorded (re-run record.ts)`,
      );
      // CO-RE against the kernel's own BTF, as libbpf relocated the object the kernel judged.
      // libbpf names the object's global-data maps from its file name (`${f.name}.o`).
      const ours: VerifyReport = verifyObject(new Uint8Array(fs.readFileSync(obj)), {
        objectName: f.name,
        ...kernelBtfOptions(),
      });
      const o = ours.programs.find((p) => p.name === k.name);
      assert.deepEqual(judged(o), judged(k), `${f.name}: ours vs the kernel`);
      if (o?.error && k.error && !/^BPF program is too large/.test(k.error.message))
        assertPathWithin(o.error.path, k.error.path, f.name);
    });

  test('xdp-lab verify --kernel: the same JSON shape as ours, nothing left loaded', () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['dist/cli.js', 'verify', ...args], { encoding: 'utf8' });
    const rejected = path.join(fixtureDir, 'reject_no_iph_check.bpf.c');
    const k = cli(rejected, '--kernel', '--json');
    assert.equal(k.status, 1, k.stderr);
    const kr = JSON.parse(k.stdout) as VerifyReport;
    const expected = fixtures.find((f) => f.name === 'reject_no_iph_check')?.kernel;
    assert.equal(kr.programs[0]?.verdict, 'rejected');
    assert.equal(kr.programs[0]?.error?.line, expected?.verdict === 'rejected' ? expected.line : -1);
    assert.ok((kr.programs[0]?.insnsProcessed ?? 0) > 0);
    // The same JSON as ours, key for key (cli.md: "prints the same shape, so the two can be compared"),
    // and here the same values, the branches taken included (read from the kernel's log).
    const o = cli(rejected, '--json');
    const or = JSON.parse(o.stdout) as VerifyReport;
    assert.deepEqual(Object.keys(kr.programs[0]?.error ?? {}), Object.keys(or.programs[0]?.error ?? {}));
    assert.equal(kr.programs[0]?.error?.path.length, 2);
    assert.deepEqual(kr.programs, or.programs);

    const acceptedC = path.join(fixtureDir, 'accept_iph_check.bpf.c');
    const ka = cli(acceptedC, '--kernel', '--json');
    const oa = cli(acceptedC, '--json');
    assert.equal(ka.status, 0, ka.stderr);
    const shape = (r: VerifyReport) => r.programs.map((p) => Object.keys(p).sort());
    assert.deepEqual(
      shape(JSON.parse(ka.stdout) as VerifyReport),
      shape(JSON.parse(oa.stdout) as VerifyReport),
    );
    const human = cli(acceptedC, '--kernel');
    assert.equal(human.status, 0, human.stderr);
    assert.match(human.stdout, /^xdp_iph_check \(xdp\): accepted, \d+ instructions processed$/m);
    assert.deepEqual(leftovers(['xdp_no_iph_check', 'xdp_iph_check']), []);
  });

  test('--kernel loads as an XDP loader does: untyped section, loader-sized map, no pin left behind', async () => {
    // accept_loader_sized_legacy_section: SEC("xdp_count") was skipped (libbpf >= 1.0 leaves it
    // BPF_PROG_TYPE_UNSPEC), its max_entries 0 map failed creation (EINVAL, no verdict), and its
    // LIBBPF_PIN_BY_NAME map stayed pinned in /sys/fs/bpf, so that the next object with a map of that
    // name and another definition failed to reuse it (xdp-tutorial's xdp_stats_map: EINVAL).
    const src = path.join(fixtureDir, 'accept_loader_sized_legacy_section.bpf.c');
    const obj = compileBpf(src, path.join(dir, 'loader_sized.o'), { includeDirs: [fixtureDir] });
    const pin = '/sys/fs/bpf/xdplab_pin_probe';
    assert.equal(fs.existsSync(pin), false, `${pin} exists before the test: remove it`);
    const kernel = await kernelVerifyObject(obj);
    assert.deepEqual(
      kernel.programs.map((p) => [p.name, p.section, p.verdict]),
      [['xdp_loader_sized', 'xdp_count', 'accepted']],
    );
    assert.equal(fs.existsSync(pin), false, 'the by-name pinned map was left pinned');
  });

  test('a prog array filled by its declaration: each program is judged alone and accepted, as ours says', async () => {
    // tailcall.bpf.o: three XDP programs and `.values = { [0] = &xdp_udp, … }`. Loading one program
    // at a time left the slots' other programs unloaded, libbpf's fill of the slots failed (EBADF)
    // after the verifier had accepted, and --kernel reported each program rejected.
    const obj = path.resolve(__dirname, '../fixtures/programs/obj/tailcall.bpf.o');
    const kernel = await kernelVerifyObject(obj);
    const ours = verifyObject(new Uint8Array(fs.readFileSync(obj)));
    assert.equal(kernel.programs.length, 3);
    assert.deepEqual(
      kernel.programs.map((p) => [p.name, p.verdict, p.insnsProcessed]),
      ours.programs.map((p) => [p.name, p.verdict, p.insnsProcessed]),
    );
    assert.ok(kernel.programs.every((p) => p.verdict === 'accepted'));
  });
});
