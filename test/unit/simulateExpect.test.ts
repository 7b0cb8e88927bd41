// `xdp-lab simulate --expect FILE` and `--fail-on` (issue 15 item 5): a CI pipeline fails with a
// readable diff when a scenario's outcome changes. Runs the built CLI on the shipped example.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';

const root = path.resolve(import.meta.dirname, '../..');
const haveClang = spawnSync('clang', ['--version']).status === 0;
const example = path.join(root, 'examples/redirect.xdpscenario.json');
const cli = (...args: string[]) =>
  spawnSync(process.execPath, [path.join(root, 'dist/cli.js'), 'simulate', example, ...args], {
    encoding: 'utf8',
  });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-expect-'));
const write = (name: string, value: unknown) => {
  const f = path.join(tmp, name);
  fs.writeFileSync(f, typeof value === 'string' ? value : JSON.stringify(value));
  return f;
};

void test(
  'a saved --json summary matches its own scenario: exit 0',
  { skip: !haveClang && 'no clang' },
  () => {
    const saved = cli('--json');
    assert.equal(saved.status, 0, saved.stderr);
    const r = cli('--expect', write('whole.json', saved.stdout));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stderr, /the outcome matches/);
  },
);

void test(
  'a changed count and a new errno are named with expected and actual values: exit 1',
  { skip: !haveClang && 'no clang' },
  () => {
    const saved = JSON.parse(cli('--json').stdout) as Record<string, Record<string, unknown>>;
    // The example's 16 EOPNOTSUPP redirect errors are "new" to an expectation that lists no errno
    // for that tracepoint; a trimmed expectation (only two keys) compares only what it lists.
    const trimmed = {
      tracepoints: { ...saved.tracepoints, 'xdp:xdp_redirect': 60 },
      errno: { 'xdp:xdp_redirect_err': {} },
    };
    const r = cli('--expect', write('trimmed.json', trimmed));
    assert.equal(r.status, 1);
    assert.match(r.stderr, /differs from .*trimmed\.json \(2 differences\)/);
    assert.match(r.stderr, /tracepoints\.xdp:xdp_redirect\s+expected 60, got 64/);
    assert.match(r.stderr, /errno\.xdp:xdp_redirect_err\.EOPNOTSUPP\s+expected 0, got 16/);
    // stdout keeps the summary as without --expect.
    assert.match(r.stdout, /xdp:xdp_redirect/);
  },
);

void test(
  '--fail-on errors names the redirect errors; --fail-on drops also the device that lost them',
  {
    skip: !haveClang && 'no clang',
  },
  () => {
    const errors = cli('--fail-on', 'errors');
    assert.equal(errors.status, 1);
    assert.match(errors.stderr, /xdp:xdp_redirect_err: 16/);
    const drops = cli('--fail-on', 'drops', '--json');
    assert.equal(drops.status, 1);
    assert.match(drops.stderr, /r1: 16 × redirect error/);
    JSON.parse(drops.stdout); // --json stays one JSON document on stdout
    const fixed = spawnSync(
      process.execPath,
      [
        path.join(root, 'dist/cli.js'),
        'simulate',
        path.join(root, 'examples/redirect-fixed.xdpscenario.json'),
        '--fail-on',
        'drops,errors',
      ],
      { encoding: 'utf8' },
    );
    assert.equal(fixed.status, 0, fixed.stderr);
  },
);

void test('bad --expect / --fail-on input is a usage error (exit 2, one line)', () => {
  for (const [args, re] of [
    [['--expect', path.join(tmp, 'missing.json')], /cannot read: ENOENT/],
    [['--expect', write('broken.json', '{"tracepoints": ')], /not JSON/],
    [['--expect', write('array.json', '[1,2]')], /is a JSON object/],
    [['--fail-on', 'everything'], /--fail-on takes drops or errors, got 'everything'/],
  ] as const) {
    const r = cli(...args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, re);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  }
});
