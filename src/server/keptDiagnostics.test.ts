// followEdits: kept diagnostics move with incremental edits as the text they flag does.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Diagnostic } from 'vscode-languageserver';
import { followEdits } from './keptDiagnostics';

const at = (line: number, from: number, to: number): Diagnostic => ({
  range: { start: { line, character: from }, end: { line, character: to } },
  message: 'm',
  relatedInformation: [
    {
      location: {
        uri: 'file:///a.c',
        range: { start: { line: 1, character: 0 }, end: { line: 1, character: 3 } },
      },
      message: 'r',
    },
    {
      location: {
        uri: 'file:///h.h',
        range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } },
      },
      message: 'other file',
    },
  ],
});
const pos = (line: number, character: number) => ({ line, character });
const lines = (d: Diagnostic[]) =>
  d.map((x) => [x.range.start.line, x.range.start.character, x.range.end.line, x.range.end.character]);

test('a line inserted above moves the range and same-file related locations down; other files stay', () => {
  const out = followEdits([at(5, 2, 9)], 'file:///a.c', [
    { range: { start: pos(0, 0), end: pos(0, 0) }, text: 'x\ny\n' },
  ]);
  assert.deepEqual(lines(out), [[7, 2, 7, 9]]);
  assert.equal(out[0]?.relatedInformation?.[0]?.location.range.start.line, 3);
  assert.equal(out[0]?.relatedInformation?.[1]?.location.range.start.line, 0);
});

test('edits below or after the range on its line do not move its start; text typed before it on its line shifts it right', () => {
  const d = [at(5, 2, 9)];
  assert.deepEqual(lines(followEdits(d, 'u', [{ range: { start: pos(8, 0), end: pos(9, 0) }, text: '' }])), [
    [5, 2, 5, 9],
  ]);
  assert.deepEqual(
    lines(followEdits(d, 'u', [{ range: { start: pos(5, 0), end: pos(5, 0) }, text: 'ab' }])),
    [[5, 4, 5, 11]],
  );
  // Two lines joined above: the line count drops by one, columns on the range's line are kept.
  assert.deepEqual(lines(followEdits(d, 'u', [{ range: { start: pos(2, 7), end: pos(3, 0) }, text: '' }])), [
    [4, 2, 4, 9],
  ]);
});

test('a deleted range collapses to where the deletion starts; a whole-text change leaves it', () => {
  const gone = followEdits([at(5, 2, 9)], 'u', [{ range: { start: pos(4, 0), end: pos(6, 0) }, text: '' }]);
  assert.deepEqual(lines(gone), [[4, 0, 4, 0]]);
  assert.deepEqual(lines(followEdits([at(5, 2, 9)], 'u', [{ text: 'new text' }])), [[5, 2, 5, 9]]);
});

test('changes apply in order, each on the text the previous one left', () => {
  const out = followEdits([at(5, 2, 9)], 'u', [
    { range: { start: pos(0, 0), end: pos(0, 0) }, text: '\n' },
    { range: { start: pos(6, 0), end: pos(6, 0) }, text: '\t' },
  ]);
  assert.deepEqual(lines(out), [[6, 3, 6, 10]]);
});
