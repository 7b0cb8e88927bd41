// The ASCII view's encoder without a host TextEncoder must agree with TextEncoder on what is ASCII:
// the same bytes for ASCII text, and "not all taken" as soon as anything else appears.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { asciiLoop } from './asciiView';

describe('asciiView encoder fallback (asciiLoop)', () => {
  it('gives the bytes TextEncoder gives for ASCII, and stops where ASCII stops', () => {
    const host = new TextEncoder();
    for (const s of ['', 'xdp:xdp_redirect: prog_id=1\r', '\t~\x7f', 'pythön3 1 [000]', 'a\u{1f600}b', 'é']) {
      const a = new Uint8Array(s.length + 1);
      const b = new Uint8Array(s.length + 1);
      const ra = asciiLoop.encodeInto(s, a);
      const rb = host.encodeInto(s, b);
      const allAscii = (r: { read: number; written: number }): boolean =>
        r.read === s.length && r.written === s.length;
      assert.equal(allAscii(ra), allAscii(rb), JSON.stringify(s));
      if (allAscii(ra)) assert.deepEqual(a, b);
    }
  });

  it('stops at the end of a buffer too small for the text', () => {
    const r = asciiLoop.encodeInto('abcdef', new Uint8Array(3));
    assert.deepEqual(r, { read: 3, written: 3 });
  });
});
