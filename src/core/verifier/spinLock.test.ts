// bpf_spin_lock over clang-built fixtures (prebuilt in test/fixtures/verifier/obj): the verdict and
// the words and line Linux 6.18 gave (the kernel tier compares all spin lock fixtures live).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { verifyObject } from './verifyObject';

const obj = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(path.join(__dirname, '../../../test/fixtures/verifier/obj', `${name}.bpf.o`)));

describe('bpf_spin_lock', () => {
  it('accepts a lock taken and released around updates of the map value on both branches', () => {
    const [p] = verifyObject(obj('accept_spin_lock')).programs;
    assert.equal(p?.verdict, 'accepted', p?.error?.message);
  });

  it('refuses an exit with the lock held, at the exit', () => {
    const [p] = verifyObject(obj('reject_spin_lock_exit_held')).programs;
    assert.equal(
      p?.error?.message,
      'BPF_EXIT instruction in main prog cannot be used inside bpf_spin_lock-ed region',
    );
    assert.equal(p?.error?.line, 19);
  });
});
