// `xdp-lab import` usage contract (cli.md): listed in --help, bad input is exit 2 with one line and
// nothing on stdout, before any ssh is run. The import itself is tested against a real sshd in
// test/kernel/remoteImport.test.ts.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { test } from 'node:test';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['dist/cli.js', ...args], { encoding: 'utf8' });

test('import is listed in --help and has its own usage', () => {
  assert.match(cli('--help').stdout, /^ {2}import /m);
  const r = cli('import', '--help');
  assert.equal(r.status, 0);
  assert.match(r.stdout, /--objects DIR/);
});

for (const [args, why] of [
  [[], /--host is required/],
  [['--host', '-oProxyCommand=x'], /.+/],
  [['--host', 'h', 'extra'], /unexpected argument 'extra'/],
  [['--host', 'h', '--objects'], /--objects needs a value/],
] as Array<[string[], RegExp]>)
  test(`import ${args.join(' ') || '(no arguments)'}: exit 2, one line`, () => {
    const r = cli('import', ...args);
    assert.equal(r.status, 2);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr.trim().split('\n').length, 1);
    assert.match(r.stderr, /^xdp-lab: /);
    assert.match(r.stderr, why);
  });
