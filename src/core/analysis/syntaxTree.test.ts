// SyntaxTree against web-tree-sitter itself: the same nodes, spans, fields, parents, descendant
// queries and index lookups as tree-sitter's own Node API, on the analysis corpus plus files with
// syntax errors and non-ASCII text; and the raw-export walk equal to the public TreeCursor walk.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Node, Tree } from 'web-tree-sitter';
import { parserWasm } from '../../../test/lsp/wasm';
import { createCParser, syntaxTreeOf } from './cParser';
import { maskMacros } from './maskMacros';
import type { SyntaxNode, SyntaxTree } from './syntaxTree';

const fixtures = path.resolve(__dirname, '../../../test/fixtures/analysis');
const files = (): [string, string][] => [
  ...['ok', 'bad'].flatMap((dir) =>
    fs
      .readdirSync(path.join(fixtures, dir))
      .filter((f) => f.endsWith('.c'))
      .map((f): [string, string] => [f, fs.readFileSync(path.join(fixtures, dir, f), 'utf8')]),
  ),
  // ERROR and MISSING nodes, an unterminated body, code points outside the BMP (UTF-16 offsets).
  ['errors.c', 'int f(int x {\n  return x +;\n}\nstruct { int a; } s = { .a = };\nint g(void) { if (x) }\n'],
  [
    'unicode.c',
    '// café ☕ 𝄞\nSEC("xdp")\nint p(struct xdp_md *ctx) { char *s = "𝄞é"; return s[0] ? 2 : 1; }\n',
  ],
  ['empty.c', ''],
];

function compare(tree: Tree, syn: SyntaxTree, name: string): void {
  const fields = tree.language.fields.filter((f): f is string => !!f);
  let count = 0;
  const visit = (n: Node, s: SyntaxNode): void => {
    count++;
    const at = `${name} ${n.type}@${n.startIndex}`;
    assert.equal(s.type, n.type, at);
    assert.equal(s.startIndex, n.startIndex, at);
    assert.equal(s.endIndex, n.endIndex, at);
    assert.equal(s.text, n.text, at);
    assert.equal(s.isNamed, n.isNamed, at);
    assert.equal(s.parent?.startIndex, n.parent?.startIndex ?? undefined, at);
    assert.equal(s.parent?.type, n.parent?.type ?? undefined, at);
    const kids = n.children.filter((c): c is Node => !!c);
    assert.equal(s.childCount, kids.length, at);
    assert.deepEqual(
      s.namedChildren.map((c) => c.startIndex),
      n.namedChildren.map((c) => c?.startIndex),
      at,
    );
    for (const f of fields) {
      assert.equal(s.childForFieldName(f)?.startIndex, n.childForFieldName(f)?.startIndex, `${at} .${f}`);
      assert.deepEqual(
        s.childrenForFieldName(f).map((c) => `${c.type}@${c.startIndex}`),
        n.childrenForFieldName(f).map((c) => `${c?.type}@${c?.startIndex}`),
        `${at} .${f}[]`,
      );
    }
    kids.forEach((c, i) => {
      const sc = s.child(i);
      assert.ok(sc, at);
      visit(c, sc);
    });
  };
  visit(tree.rootNode, syn.rootNode);
  assert.equal(count, syn.count, `${name}: every node visited once`);
}

test('SyntaxTree has the nodes, spans, fields and parents web-tree-sitter gives', async () => {
  const parser = await createCParser(parserWasm());
  for (const [name, text] of files()) {
    const masked = maskMacros(text).text;
    const tree = parser.parse(masked);
    try {
      compare(tree, parser.syntax(tree, masked), name);
    } finally {
      tree.delete();
    }
  }
});

test('the raw-export walk builds the same arrays as the public TreeCursor walk', async () => {
  const parser = await createCParser(parserWasm());
  for (const [name, text] of files()) {
    const masked = maskMacros(text).text;
    const tree = parser.parse(masked);
    try {
      const raw = syntaxTreeOf(tree, masked, true);
      const pub = syntaxTreeOf(tree, masked, false);
      assert.equal(raw.count, pub.count, name);
      for (const k of ['typeId', 'start', 'end', 'field', 'parent', 'subtreeEnd'] as const)
        assert.deepEqual(raw[k].subarray(0, raw.count), pub[k].subarray(0, pub.count), `${name} ${k}`);
    } finally {
      tree.delete();
    }
  }
});

test('descendantsOfType and descendantForIndex answer as web-tree-sitter does', async () => {
  const parser = await createCParser(parserWasm());
  const key = (n: { type: string; startIndex: number; endIndex: number } | null | undefined) =>
    n ? `${n.type}@${n.startIndex}-${n.endIndex}` : 'null';
  for (const [name, text] of files()) {
    const masked = maskMacros(text).text;
    const tree = parser.parse(masked);
    try {
      const syn = parser.syntax(tree, masked);
      for (const types of [
        ['identifier'],
        ['call_expression', 'return_statement'],
        ['ERROR'],
        ['struct_specifier'],
      ])
        assert.deepEqual(
          syn.rootNode.descendantsOfType(types).map(key),
          tree.rootNode.descendantsOfType(types).map(key),
          `${name} ${types.join()}`,
        );
      // A range, as inlay hints ask for one screen: rows of the text → offsets.
      const lineStarts = [0, ...[...masked.matchAll(/\n/g)].map((m) => (m.index ?? 0) + 1)];
      const row = Math.floor(lineStarts.length / 3);
      const [a, b] = [lineStarts[row] ?? 0, lineStarts[row + 5] ?? masked.length];
      assert.deepEqual(
        syn.rootNode.descendantsOfType('identifier', a, b).map(key),
        tree.rootNode
          .descendantsOfType('identifier', { row, column: 0 }, { row: row + 5, column: 0 })
          .map(key),
        `${name} rows ${row}..${row + 5}`,
      );
      for (let i = 0; i <= masked.length; i += Math.max(1, Math.floor(masked.length / 400))) {
        assert.equal(
          key(syn.rootNode.descendantForIndex(i)),
          key(tree.rootNode.descendantForIndex(i)),
          `${name} @${i}`,
        );
        const j = Math.min(masked.length, i + 7);
        assert.equal(
          key(syn.rootNode.descendantForIndex(i, j)),
          key(tree.rootNode.descendantForIndex(i, j)),
          `${name} @${i}-${j}`,
        );
      }
    } finally {
      tree.delete();
    }
  }
});
