// Dynptrs over clang-built fixtures (prebuilt in test/fixtures/verifier/obj): the verdict and the
// words and line Linux 6.18 gave (the kernel tier compares all dynptr fixtures live).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { verifyObject } from './verifyObject';

const obj = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(path.join(__dirname, '../../../test/fixtures/verifier/obj', `${name}.bpf.o`)));

describe('dynptr kfuncs', () => {
  it('accepts an xdp dynptr, its size, an adjusted view and NULL-checked read-only slices', () => {
    const [p] = verifyObject(obj('accept_dynptr_slice')).programs;
    assert.equal(p?.verdict, 'accepted', p?.error?.message);
  });

  it('refuses bpf_dynptr_slice_rdwr in an XDP program as 6.18 does, on its line', () => {
    const [p] = verifyObject(obj('reject_dynptr_slice_rdwr')).programs;
    assert.equal(p?.error?.message, 'bpf_dynptr_slice_rdwr() is not allowed');
    assert.equal(p?.error?.line, 14);
  });
});
