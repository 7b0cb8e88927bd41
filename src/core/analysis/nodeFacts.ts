// What one analysis reads of tree-sitter nodes (type, end, text, field children, named children),
// each read once per node. Every web-tree-sitter Node getter marshals the node into the WASM module
// and calls it, and a fresh wrapper object comes back for each child asked for; the model and the
// rules ask the same nodes again and again (issue 16 goal 5: those crossings were most of the cold
// didOpen on a 5,000-line file, after tree-sitter's own parse). Lives for one analysis only.
import type { Node } from 'web-tree-sitter';

/** How code that folds or scans nodes reads them: NodeFacts, or the getters themselves. */
export interface NodeReader {
  type(n: Node): string;
  text(n: Node | null | undefined): string | undefined;
  field(n: Node | null | undefined, name: string): Node | null;
  namedChildren(n: Node): readonly Node[];
}

/** Reads through the Node getters (no cache): for callers outside an analysis. */
export const nodeGetters: NodeReader = {
  type: (n) => n.type,
  text: (n) => n?.text,
  field: (n, name) => n?.childForFieldName(name) ?? null,
  namedChildren: (n) => n.namedChildren.filter((c): c is Node => !!c),
};

/** Named node types that are one word token: their end is where the word ends. */
const wordTokens: ReadonlySet<string> = new Set([
  'identifier',
  'field_identifier',
  'type_identifier',
  'primitive_type',
  'true',
  'false',
  'null',
]);

/** Named node types that are single tokens: no named children. */
const leafTypes: ReadonlySet<string> = new Set([
  ...wordTokens,
  'number_literal',
  'comment',
  'system_lib_string',
]);

export class NodeFacts implements NodeReader {
  private readonly types = new Map<number, string>();
  private readonly ends = new Map<number, number>();
  private readonly named = new Map<number, readonly Node[]>();
  /** Field children by field id, then node id (null: the node has no such field). */
  private readonly fields = new Map<number, Map<number, Node | null>>();
  private readonly fieldIds = new Map<string, number>();

  private readonly word = /[A-Za-z0-9_$]*/y;

  /**
   * `masked` is the text tree-sitter parsed: a node's text is its slice of it. `clean`: the tree has
   * no ERROR or MISSING node (rootNode.hasError false), so every word token spans its whole word.
   */
  constructor(
    readonly masked: string,
    private readonly fieldNames: readonly (string | null)[],
    private readonly clean = false,
  ) {}

  /** Records a type already known (the model's walk reads each node's type once). */
  knowType(n: Node, type: string): void {
    this.types.set(n.id, type);
  }

  type(n: Node): string {
    let t = this.types.get(n.id);
    if (t === undefined) this.types.set(n.id, (t = n.type));
    return t;
  }

  end(n: Node): number {
    let e = this.ends.get(n.id);
    if (e === undefined) this.ends.set(n.id, (e = this.wordEnd(n) ?? n.endIndex));
    return e;
  }

  /**
   * The end of an identifier-like token from the text: the lexer took the longest word there
   * (tree-sitter-c's identifier rule), so it ends where the word does. Only in a tree without
   * errors (a MISSING identifier is empty), and not where the word goes on in a form this scan
   * does not follow (a non-ASCII letter, a `\` line continuation or universal character name).
   */
  private wordEnd(n: Node): number | undefined {
    const t = this.clean ? this.types.get(n.id) : undefined;
    if (t === undefined || !wordTokens.has(t)) return undefined;
    const start = n.startIndex;
    this.word.lastIndex = start;
    this.word.exec(this.masked);
    const end = this.word.lastIndex;
    const next = this.masked.charCodeAt(end);
    return end > start && next !== 92 && !(next > 127) ? end : undefined;
  }

  /** n.text without the WASM call for the start (a field) and with the end read once. */
  text(n: Node | null | undefined): string | undefined {
    return n ? this.masked.slice(n.startIndex, this.end(n)) : undefined;
  }

  /** n.childForFieldName(name), one wrapper per (node, field). */
  field(n: Node | null | undefined, name: string): Node | null {
    if (!n) return null;
    let id = this.fieldIds.get(name);
    if (id === undefined) {
      // Language#fields is indexed by field id (index 0 is null), as childForFieldName looks it up.
      id = this.fieldNames.indexOf(name);
      this.fieldIds.set(name, id);
    }
    if (id === -1) return null;
    let byNode = this.fields.get(id);
    if (!byNode) this.fields.set(id, (byNode = new Map<number, Node | null>()));
    let c = byNode.get(n.id);
    if (c === undefined) byNode.set(n.id, (c = n.childForFieldId(id)));
    return c;
  }

  /** n.namedChildren without the nulls web-tree-sitter's typing allows. */
  namedChildren(n: Node): readonly Node[] {
    // A token has none: asking would still cross into WASM.
    const t = this.types.get(n.id);
    if (t !== undefined && leafTypes.has(t)) return [];
    let cs = this.named.get(n.id);
    if (!cs) this.named.set(n.id, (cs = n.namedChildren.filter((c): c is Node => !!c)));
    return cs;
  }
}
