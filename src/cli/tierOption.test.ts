// --tier: 'auto' without it (exec, run), the value given, a usage error naming the choices otherwise.
import assert from 'node:assert/strict';
import test from 'node:test';
import { parseArgs } from './args';
import { CliError } from './cliError';
import { tierOption } from './tierOption';

const args = (...argv: string[]) => parseArgs(argv, { tier: 'string' }, 'run');

void test('--tier: default auto (or the caller’s), js|wasm|auto as given, anything else exit 2', () => {
  assert.equal(tierOption(args(), 'run'), 'auto');
  assert.equal(tierOption(args(), 'simulate', 'js'), 'js');
  for (const t of ['js', 'wasm', 'auto']) assert.equal(tierOption(args('--tier', t), 'exec'), t);
  assert.throws(
    () => tierOption(args('--tier', 'jit'), 'exec'),
    (e: unknown) =>
      e instanceof CliError && /--tier must be one of js, wasm, auto, got 'jit'/.test(e.message),
  );
});
