// A JSON file's problems at their tokens: what the editor marks in a scenario, a capture, a maps file.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import { test } from 'node:test';
import { jsonProblems } from './jsonProblems';

const example = fs.readFileSync('examples/redirect.xdpscenario.json', 'utf8');
const marked = (text: string, kind: 'scenario' | 'capture' | 'maps', skip = false): string[] =>
  jsonProblems(text, kind, { skipEditorChecks: skip }).map(
    (p) => `${p.kind} ${text.slice(p.span.start, p.span.end)} ${p.message}`,
  );

void test('the example scenario has no problem', () => {
  assert.deepEqual(jsonProblems(example, 'scenario'), []);
});

void test("a veth's unknown peer is marked on the peer's value", () => {
  const bad = example.replace('"peer": "r1"', '"peer": "nowhere"');
  assert.notEqual(bad, example);
  const [p] = marked(bad, 'scenario');
  assert.match(p ?? '', /^content "nowhere" \$\.devices\[\d+\]\.peer: no device named 'nowhere'$/);
  // The editor's own JSON service does not know peers: kept when its checks are skipped.
  assert.equal(marked(bad, 'scenario', true).length, 1);
});

void test('a syntax error is marked at its line and column; left to the editor when asked', () => {
  const bad = example.replace('"version": 1,', '"version": 1');
  const [p] = jsonProblems(bad, 'scenario');
  assert.equal(p?.kind, 'syntax');
  assert.match(p?.message ?? '', /^line \d+, column \d+: /);
  assert.deepEqual(jsonProblems(bad, 'scenario', { skipEditorChecks: true }), []);
  assert.equal(jsonProblems('{"a": [1,', 'maps')[0]?.kind, 'syntax');
});

void test('a schema error is marked at its path; a capture field at its value', () => {
  const bad = example.replace('"version": 1', '"version": 2');
  const [p] = marked(bad, 'scenario');
  assert.match(p ?? '', /^schema 2 \$\.version: /);
  const capture = '{\n  "format": "xdp-lab-capture",\n  "version": 1,\n  "host": 7\n}';
  assert.deepEqual(marked(capture, 'capture'), ['content 7 host: expected a string']);
});
