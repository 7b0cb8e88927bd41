// The TextMate injection grammar is valid JSON, its patterns compile, and they scope what they claim.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(__dirname, '../..');
const grammar = JSON.parse(
  fs.readFileSync(path.join(root, 'syntaxes/xdp-c.injection.tmLanguage.json'), 'utf8'),
) as {
  scopeName: string;
  repository: Record<string, { match: string }>;
};
const manifest = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
  contributes: {
    grammars: { scopeName: string; path: string; injectTo: string[] }[];
    semanticTokenTypes: { id: string }[];
  };
};

test('the manifest injects the grammar into source.c and declares our semantic token types', () => {
  const g = manifest.contributes.grammars.find((x) => x.scopeName === grammar.scopeName);
  assert.ok(g);
  assert.deepEqual(g.injectTo, ['source.c']);
  assert.ok(fs.existsSync(path.join(root, g.path)));
  assert.deepEqual(manifest.contributes.semanticTokenTypes.map((t) => t.id).sort(), [
    'bpfFlag',
    'bpfHelper',
    'bpfMap',
    'xdpAction',
  ]);
});

test('patterns match helpers, SEC, map macros, actions, map types and flags — and not look-alikes', () => {
  const re = (k: string) => new RegExp(grammar.repository[k]?.match ?? '(?!)');
  assert.equal(re('helpers').exec('return bpf_redirect_map(&tx, 0, 0);')?.[1], 'bpf_redirect_map');
  assert.equal(re('helpers').exec('int x = bpf_redirect_map;'), null);
  assert.equal(re('sec').exec('SEC("xdp.frags")')?.[2], '"xdp.frags"');
  assert.equal(re('mapMacros').exec('\t__uint(max_entries, 64);')?.[2], 'max_entries');
  assert.ok(re('actions').test('return XDP_REDIRECT;'));
  assert.ok(!re('actions').test('XDP_REDIRECTED'));
  assert.ok(re('mapTypes').test('BPF_MAP_TYPE_DEVMAP_HASH'));
  assert.ok(re('flags').test('BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS'));
});
