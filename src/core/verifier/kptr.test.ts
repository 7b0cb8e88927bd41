// Kptrs and bpf_dynptr_clone over clang-built fixtures (prebuilt in test/fixtures/verifier/obj; the
// kptr ones by clang-19, which writes BTF type tags): the verdict, words and line Linux 6.18 gave
// (the kernel tier's differential compares every kptr_/clone_ fixture live).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { verifyObject } from './verifyObject';

const obj = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(path.join(__dirname, '../../../test/fixtures/verifier/obj', `${name}.bpf.o`)));
const judge = (name: string) => {
  const [p] = verifyObject(obj(name)).programs;
  return { verdict: p?.verdict, message: p?.error?.message, line: p?.error?.line };
};

describe('kptrs', () => {
  it('accepts bpf_obj_new, a write to the new object, bpf_kptr_xchg into the map and a drop of the old one', () => {
    assert.deepEqual(judge('accept_kptr_xchg_obj_new'), {
      verdict: 'accepted',
      message: undefined,
      line: undefined,
    });
  });

  it('refuses a direct store to a referenced kptr', () => {
    assert.deepEqual(judge('reject_kptr_store_ref'), {
      verdict: 'rejected',
      message: 'store to referenced kptr disallowed',
      line: 16,
    });
  });

  it('refuses to exit holding the object bpf_kptr_xchg handed back (the kernel ids: 2 per acquire)', () => {
    assert.deepEqual(judge('reject_kptr_xchg_leak'), {
      verdict: 'rejected',
      message:
        'Unreleased reference id=4 alloc_insn=18\nBPF_EXIT instruction in main prog would lead to reference leak',
      line: 18,
    });
  });
});

describe('bpf_dynptr_clone', () => {
  it('a ring buffer clone shares its record: submitting the parent releases both', () => {
    assert.equal(judge('accept_clone_ringbuf').verdict, 'accepted');
  });

  it('a clone is dead once its parent record is submitted', () => {
    assert.deepEqual(judge('reject_clone_after_submit'), {
      verdict: 'rejected',
      message: 'Expected an initialized dynptr as arg #0',
      line: 22,
    });
  });
});
