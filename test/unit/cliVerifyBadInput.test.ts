// `xdp-lab verify` on the bad input a new user may feed it (issue 11: "Bad input gets a verdict or a
// clear error, never a hang or a crash"): objects with mutated bytes, absurd jump offsets, a program
// of more than 1 M instructions, a section that runs past the end of the file. Each answer is a
// verdict (exit 0/1, JSON on stdout) or one line on stderr (exit 2) — never "internal error" or a
// stack. The expected messages are what Linux 6.18 answered for the same objects (verify --kernel).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { VerifyReport } from '../../src/core/verifier/verdict';
import { assembleCase, BAD_INPUT_CASES } from '../fixtures/verifier/badInput';

const hasClang = spawnSync('clang', ['--version']).status === 0;
const cli = (...args: string[]) =>
  // The timeout is a hang guard (the 1 M limit bounds every walk), not a measure of speed.
  spawnSync(process.execPath, ['dist/cli.js', 'verify', ...args], { encoding: 'utf8', timeout: 120_000 });
const fixture = (name: string): string => `test/fixtures/verifier/obj/${name}.bpf.o`;

let dir = '';
before(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-verify-bad-'));
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

/** A verdict: exit 0 or 1 with the report on stdout; or bad input: exit 2, one line, no stack. */
function answered(args: string[], label: string): { status: number; report?: VerifyReport; stderr: string } {
  const r = cli(...args, '--json');
  assert.equal(r.error, undefined, `${label}: ${String(r.error)} (a hang?)`);
  assert.ok(r.status === 0 || r.status === 1 || r.status === 2, `${label}: exit ${r.status}`);
  assert.doesNotMatch(r.stderr, /internal error|\n\s+at /, `${label}: ${r.stderr}`);
  if (r.status === 2) {
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^xdp-lab: .+\n$/, `${label}: ${r.stderr}`);
    return { status: 2, stderr: r.stderr };
  }
  return { status: r.status, report: JSON.parse(r.stdout) as VerifyReport, stderr: r.stderr };
}
const message = (x: { report?: VerifyReport }): string | undefined => x.report?.programs[0]?.error?.message;

test('objects with mutated bytes: a verdict or one line each (found: a store through R11 was a TypeError)', () => {
  let seed = 20261206;
  const rnd = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
    return seed % n;
  };
  const kinds = new Set<number>();
  for (const name of ['accept_spin_lock', 'reject_no_iph_check', 'accept_bpf_loop_counter_bounded']) {
    const orig = fs.readFileSync(fixture(name));
    for (let i = 0; i < 8; i++) {
      const b = Uint8Array.from(orig);
      for (let k = 0; k < 1 + rnd(6); k++) b[rnd(b.length)] = rnd(256);
      const file = path.join(dir, `${name}-${i}.o`);
      fs.writeFileSync(file, b);
      kinds.add(answered([file], `${name} mutation ${i}`).status);
    }
  }
  assert.ok(kinds.size > 1, `every mutation gave exit ${[...kinds].join()}: the mutations do not vary`);
});

for (const c of BAD_INPUT_CASES)
  test(`${c.name}: refused in 6.18's words`, { skip: !hasClang && 'clang not installed' }, () => {
    const r = answered([assembleCase(dir, c)], c.name);
    assert.equal(r.status, 1);
    assert.equal(message(r), c.message);
    if (c.name === 'huge') assert.equal(r.report?.programs[0]?.insnsProcessed, 0, 'no walk');
  });

test('a section that runs past the end of the file: one line naming it, exit 2', () => {
  const b = Uint8Array.from(fs.readFileSync(fixture('accept_iph_check')));
  const v = new DataView(b.buffer);
  const shoff = Number(v.getBigUint64(0x28, true));
  const shentsize = v.getUint16(0x3a, true);
  const shnum = v.getUint16(0x3c, true);
  // The largest section's size, past the end of the file.
  let worst = 1;
  for (let i = 1; i < shnum; i++)
    if (
      v.getBigUint64(shoff + i * shentsize + 0x20, true) >
      v.getBigUint64(shoff + worst * shentsize + 0x20, true)
    )
      worst = i;
  v.setBigUint64(shoff + worst * shentsize + 0x20, BigInt(b.length + 4096), true);
  const file = path.join(dir, 'section-past-end.o');
  fs.writeFileSync(file, b);
  const r = answered([file], 'section past the end');
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    new RegExp(`section ${worst} \\(offset 0x[0-9a-f]+, \\d+ bytes\\) runs past the end of the file`),
  );
});
