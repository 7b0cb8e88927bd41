// The playground's shareable state: a saved file and a link round-trip exactly, and untrusted input
// (a damaged link, a hostile file) is refused with a message naming what is wrong.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  MAX_FRAGMENT_CHARS,
  stateFromFragment,
  stateFromJson,
  stateToFragment,
  stateToJson,
  type PlaygroundState,
} from './shareState';

const state: PlaygroundState = {
  example: 'redirect',
  program: { name: 'redirect.bpf.c', text: '// é ✓\nSEC("xdp") int f(struct xdp_md *c) { return 2; }\n' },
  scenario: { name: 'redirect.xdpscenario.json', text: '{ "version": 1 }' },
  objects: [{ name: 'a.bpf.o', bytes: Uint8Array.from({ length: 300 }, (_, i) => (i * 37) & 255) }],
};

describe('playground state', () => {
  it('round-trips through a saved file, bytes and non-ASCII text included', () => {
    assert.deepEqual(stateFromJson(stateToJson(state)), state);
  });

  it('round-trips a kernel config the user opened, and reads files saved before it existed', () => {
    const withConfig = { ...state, kconfig: { name: 'config-6.18', text: 'CONFIG_HZ=250\n' } };
    assert.deepEqual(stateFromJson(stateToJson(withConfig)), withConfig);
    assert.equal(stateFromJson(stateToJson(state)).kconfig, undefined);
  });

  it('round-trips through the URL fragment when small', async () => {
    const frag = await stateToFragment(state);
    assert.ok(frag?.startsWith('s='));
    assert.deepEqual(await stateFromFragment(`#${frag}`), state);
  });

  it('declines a fragment for a state too big for a link', async () => {
    // Random bytes do not compress: 16 KiB of them cannot fit in the fragment limit.
    const big = {
      ...state,
      objects: [{ name: 'big.o', bytes: crypto.getRandomValues(new Uint8Array(16384)) }],
    };
    assert.equal(await stateToFragment(big), undefined);
    assert.ok(MAX_FRAGMENT_CHARS < 16384);
  });

  it('ignores fragments that are not state and names damage in those that are', async () => {
    assert.equal(await stateFromFragment(''), undefined);
    assert.equal(await stateFromFragment('#section-2'), undefined);
    await assert.rejects(stateFromFragment('#s=AAAA'), /cannot be decompressed/);
  });

  it('refuses hostile files with a message naming the field', () => {
    const json = JSON.parse(stateToJson(state)) as Record<string, unknown>;
    const bad = (patch: Record<string, unknown>) => JSON.stringify({ ...json, ...patch });
    assert.throws(() => stateFromJson('{'), /not JSON/);
    assert.throws(() => stateFromJson('{"format":"other"}'), /not a saved playground/);
    assert.throws(() => stateFromJson(bad({ version: 2 })), /version 2 is not supported/);
    assert.throws(
      () => stateFromJson(bad({ program: { name: '../../etc/passwd', text: '' } })),
      /program\.name must be a plain file name/,
    );
    assert.throws(() => stateFromJson(bad({ scenario: { name: 's.json', text: 7 } })), /scenario\.text/);
    assert.throws(
      () => stateFromJson(bad({ objects: [{ name: 'x.o', base64: '!!!' }] })),
      /objects\[0\]\.base64 is not base64/,
    );
    assert.throws(() => stateFromJson(bad({ kconfig: { name: 'config', text: 250 } })), /kconfig\.text/);
    assert.throws(
      () => stateFromJson(bad({ kconfig: 'CONFIG_HZ=250' })),
      /kconfig\.name must be a plain file name/,
    );
    assert.throws(
      () => stateFromJson(bad({ objects: Array.from({ length: 33 }, () => ({})) })),
      /more than 32/,
    );
  });
});
