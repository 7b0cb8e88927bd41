// JSON paths found in the text: the token a scenario error names, for a diagnostic on that spot.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { jsonErrorSpan, locateJsonPath, parseJsonPath } from './jsonLocate';

const text = `{
  "version": 1,
  "devices": [
    { "name": "a0", "kind": "veth", "peer": "a1" },
    { "name": "a1", "kind": "veth", "peer": "zz", "xdp": { "program": "p" } }
  ],
  "maps": { "tx port": [ { "key": 0, "value": "a0" } ] }
}`;
const at = (path: string): string | undefined => {
  const s = locateJsonPath(text, path);
  return s && text.slice(s.start, s.end);
};

void test('paths as ScenarioError prints them', () => {
  assert.deepEqual(parseJsonPath('$.devices[1].peer'), ['devices', 1, 'peer']);
  assert.deepEqual(parseJsonPath('$.maps["tx port"][0]'), ['maps', 'tx port', 0]);
  assert.deepEqual(parseJsonPath('$'), []);
  assert.equal(parseJsonPath('devices'), undefined);
});

void test('a scalar is its value, an object its key, a missing member its nearest ancestor', () => {
  assert.equal(at('$.devices[1].peer'), '"zz"');
  assert.equal(at('$.version'), '1');
  assert.equal(at('$.devices[1].xdp'), '"xdp"');
  assert.equal(at('$.devices[1].xdp.program'), '"p"');
  assert.equal(at('$.maps["tx port"][0].value'), '"a0"');
  assert.equal(at('$.devices[1].mtu'), '{', 'a device has no key of its own: its brace');
  assert.equal(at('$.devices[1].xdp.mode'), '"xdp"');
  assert.equal(at('$.devices[7]'), '"devices"');
  assert.equal(at('$'), '{');
});

void test('a syntax error marks the word at its offset, the last character at the end', () => {
  const bad = '{\n  "a": 1,\n  "b" 2\n}';
  const off = bad.indexOf('2');
  assert.deepEqual(jsonErrorSpan(bad, off), { start: off, end: off + 1 });
  assert.deepEqual(jsonErrorSpan('{"a": tru', 9), { start: 8, end: 9 });
  assert.deepEqual(jsonErrorSpan('{"a": nul }', 6), { start: 6, end: 9 });
});
