// A kernel verdict holds for a later compile only when text, flags and object are all the same.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultLanguageSettings } from '../protocol/lsp';
import { compileFlags, sameBasis } from './compileBasis';

const flags = compileFlags(defaultLanguageSettings, ['/ws']);
const basis = (text: string, object: number[], f = flags) => ({
  text,
  flags: f,
  object: Uint8Array.from(object),
});

void test('the same text, flags and object keep a verdict; any difference or a missing basis drops it', () => {
  assert.equal(sameBasis(basis('a', [1, 2]), basis('a', [1, 2])), true);
  assert.equal(sameBasis(basis('a', [1, 2]), basis('b', [1, 2])), false, 'text');
  assert.equal(sameBasis(basis('a', [1, 2]), basis('a', [1, 3])), false, 'object (a header changed)');
  assert.equal(sameBasis(basis('a', [1, 2]), basis('a', [1, 2, 0])), false, 'object length');
  const other = compileFlags(
    { ...defaultLanguageSettings, clang: { ...defaultLanguageSettings.clang, extraArgs: ['-DX'] } },
    ['/ws'],
  );
  assert.equal(sameBasis(basis('a', [1]), basis('a', [1], other)), false, 'flags');
  assert.notEqual(
    compileFlags(defaultLanguageSettings, ['/other']),
    flags,
    'workspace folders are include paths',
  );
  assert.equal(sameBasis(undefined, basis('a', [1])), false);
  assert.equal(sameBasis(basis('a', [1]), undefined), false);
});
