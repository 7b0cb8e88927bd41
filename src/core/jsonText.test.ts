// parseJsonText: V8's offsets turned into the line and column an editor shows.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { JsonTextError, lineColumnAt, parseJsonText } from './jsonText';

function errorOf(text: string): JsonTextError {
  try {
    parseJsonText(text);
  } catch (e) {
    assert.ok(e instanceof JsonTextError, String(e));
    return e;
  }
  assert.fail(`parsed: ${text}`);
}

void test('a missing colon is placed on its line and column, without V8 position words', () => {
  const e = errorOf('{\n  "a": 1,\n  "b" 2\n}');
  assert.equal(e.line, 3);
  assert.equal(e.column, 7);
  assert.match(e.message, /^line 3, column 7: /);
  assert.doesNotMatch(e.message, /position/);
});

void test('truncated text stops at its end; CRLF lines count once', () => {
  const e = errorOf('{\r\n  "a": [1,\r\n');
  assert.equal(e.line, 3);
  assert.equal(e.column, 1);
  assert.deepEqual(lineColumnAt('ab\r\ncd', 5), { line: 2, column: 2 });
});

void test("V8's 'Unexpected token' messages name no position: the token is found on its line and column", () => {
  const e = errorOf('garbage\n');
  assert.deepEqual([e.line, e.column, e.reason], [1, 1, "Unexpected token 'g'"]);
  const f = errorOf('{\n  "a": 1,\n  "b": x\n}');
  assert.deepEqual([f.line, f.column], [3, 8]);
  const g = errorOf('{"a": [1, 2, tru]}');
  assert.deepEqual([g.line, g.column], [1, 17]);
  const h = errorOf('{"a": "\\q"}');
  assert.deepEqual([h.line, h.column], [1, 9]);
  const deep = errorOf('['.repeat(200_000) + 'x');
  assert.equal(deep.line, 1);
});

void test('valid JSON parses as JSON.parse does', () => {
  assert.deepEqual(parseJsonText('{"a":[1,{"b":null}]}'), { a: [1, { b: null }] });
});
