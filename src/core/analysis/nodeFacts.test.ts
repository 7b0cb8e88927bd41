// NodeFacts answers exactly what the Node getters answer, for every node of the analysis fixtures
// and of texts that bend its shortcuts: words ending in non-ASCII letters, '$', a '\' line
// continuation inside an identifier, a universal character name, and trees with ERROR and MISSING nodes.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import type { Node } from 'web-tree-sitter';
import { parserWasm } from '../../../test/lsp/wasm';
import { createCParser } from './cParser';
import { maskMacros } from './maskMacros';
import { NodeFacts } from './nodeFacts';

const fixtures = path.resolve(__dirname, '../../../test/fixtures/analysis');
const tricky = [
  // Clean trees: the word shortcut is on, and must stop where the word goes on in other forms.
  'int café = 1; int x$y = 2; int f(int a) { return café + x$y + a; }',
  'int x\\u00e9 = 4; int \\u00e9t = 5; int g(void) { return x\\u00e9 + \\u00e9t; }',
  'struct { __uint(type, BPF_MAP_TYPE_HASH); } m SEC(".maps"); int h(void) { return NULL == nullptr || true; }',
  // Trees with errors (the shortcut is off): a line continuation inside a word, MISSING nodes.
  'int ab\\\ncd = 3; int k(void) { return ab\\\ncd; }',
  'int f(struct xdp_md *ctx) { void *data = (void *)(long)ctx->data; if (data + 1 > ) return 1; int = ; }',
  'SEC("xdp") int g(struct xdp_md *ctx) { return ctx->data_end - ctx->data }',
];

function all(root: Node): Node[] {
  const out: Node[] = [];
  const c = root.walk();
  const visit = (): void => {
    out.push(c.currentNode);
    if (c.gotoFirstChild()) {
      do visit();
      while (c.gotoNextSibling());
      c.gotoParent();
    }
  };
  visit();
  return out;
}

test('NodeFacts agrees with the Node getters on every node', async () => {
  const parser = await createCParser(parserWasm());
  const texts = [
    ...['ok', 'bad'].flatMap((d) =>
      fs.readdirSync(path.join(fixtures, d)).map((f) => fs.readFileSync(path.join(fixtures, d, f), 'utf8')),
    ),
    ...tricky,
  ];
  let errors = 0;
  let nodes = 0;
  let shortcut = 0;
  for (const text of texts) {
    const masked = maskMacros(text).text;
    const tree = parser.parse(masked);
    const clean = !tree.rootNode.hasError;
    if (!clean) errors++;
    const facts = new NodeFacts(masked, tree.language.fields, clean);
    for (const n of all(tree.rootNode)) {
      nodes++;
      // The model's walk records types first: the shortcuts need a known type.
      facts.knowType(n, n.type);
      if (clean && /identifier|primitive_type/.test(n.type)) shortcut++;
      const where = `${JSON.stringify(n.text)} (${n.type}) in ${JSON.stringify(text.slice(0, 40))}`;
      assert.equal(facts.end(n), n.endIndex, where);
      assert.equal(facts.text(n), n.text, where);
      assert.deepEqual(
        facts.namedChildren(n).map((c) => c.id),
        n.namedChildren.map((c) => c?.id),
        where,
      );
      for (const f of ['left', 'right', 'operator', 'argument', 'declarator', 'value', 'body', 'name'])
        assert.equal(facts.field(n, f)?.id, n.childForFieldName(f)?.id, `${f} of ${where}`);
    }
    tree.delete();
  }
  assert.equal(errors, 3, 'the last three tricky texts have errors');
  assert.ok(shortcut > 1000, `word tokens in clean trees: ${shortcut}`);
  assert.ok(nodes > 5_000, String(nodes));
});
