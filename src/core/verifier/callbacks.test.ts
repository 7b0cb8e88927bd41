// Callback iteration over clang-built fixtures (prebuilt in test/fixtures/verifier/obj): a
// bpf_loop callback is verified as called any number of times, as Linux 6.18 does.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { verifyObject } from './verifyObject';

const obj = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(path.join(__dirname, '../../../test/fixtures/verifier/obj', `${name}.bpf.o`)));

describe('bpf_loop callbacks', () => {
  it('refuses a call count that overflows the index it becomes after the loop (third call)', () => {
    const [p] = verifyObject(obj('reject_bpf_loop_counter_index')).programs;
    assert.equal(
      p?.error?.message,
      'invalid access to map value, value_size=8 off=8 size=4\nR6 min value is outside of the allowed memory range',
    );
    assert.equal(p?.error?.line, 40);
  });

  it('accepts a count that saturates: the iterations reach a fixed point', () => {
    const [p] = verifyObject(obj('accept_bpf_loop_counter_bounded')).programs;
    assert.equal(p?.verdict, 'accepted', p?.error?.message);
  });
});
