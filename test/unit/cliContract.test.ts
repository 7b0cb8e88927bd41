// The CLI's exit-code and output contract (../shared/specs/cli.md "Common rules"), on the built bundle.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['dist/cli.js', ...args], { encoding: 'utf8' });

test('--version prints the package version and exits 0', () => {
  const r = cli('--version');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /^\d+\.\d+\.\d+\n$/);
});

test('--help lists every contract command', () => {
  const r = cli('--help');
  assert.equal(r.status, 0);
  for (const c of ['run', 'exec', 'simulate', 'check', 'trace'])
    assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'));
});

test('an unknown command is a usage error: exit 2, one line on stderr, nothing on stdout', () => {
  const r = cli('frobnicate');
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, /^xdp-lab: frobnicate : unknown command/);
  assert.equal(r.stderr.trim().split('\n').length, 1);
});
