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

/**
 * Node id → int32, open addressing over typed arrays. An analysis reads ~10^4 nodes: Maps that
 * size outlived the young generation and were mark-compacted (3 mark-compacts per 20 analyses
 * against 1 before them, issue 16), where typed arrays are one allocation the GC does not scan.
 */
class IdTable {
  private keys: Int32Array;
  private values: Int32Array;
  private size = 0;

  constructor(capacity: number) {
    let cap = 1024;
    while (cap < capacity * 2) cap *= 2;
    this.keys = new Int32Array(cap);
    this.values = new Int32Array(cap);
  }

  /** The value for id (ids are WASM addresses, never 0), or -1. */
  get(id: number): number {
    const mask = this.keys.length - 1;
    for (let i = Math.imul(id, 0x9e3779b1) & mask; ; i = (i + 1) & mask) {
      const k = this.keys[i];
      if (k === id) return this.values[i] ?? -1;
      if (k === 0) return -1;
    }
  }

  set(id: number, value: number): void {
    if ((this.size + 1) * 2 > this.keys.length) this.grow();
    const mask = this.keys.length - 1;
    for (let i = Math.imul(id, 0x9e3779b1) & mask; ; i = (i + 1) & mask) {
      const k = this.keys[i];
      if (k === id || k === 0) {
        if (k === 0) this.size++;
        this.keys[i] = id;
        this.values[i] = value;
        return;
      }
    }
  }

  private grow(): void {
    const { keys, values } = this;
    this.keys = new Int32Array(keys.length * 2);
    this.values = new Int32Array(keys.length * 2);
    this.size = 0;
    keys.forEach((k, i) => {
      if (k !== 0) this.set(k, values[i] ?? 0);
    });
  }
}

export class NodeFacts implements NodeReader {
  /** Type names by index (interned): the types table holds indexes. */
  private readonly typeNames: string[] = [];
  private readonly typeIndex = new Map<string, number>();
  private readonly types: IdTable;
  private readonly ends: IdTable;
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
  ) {
    // About one node read per eight characters of C (the bench's 5,000 lines: ~15,000 types).
    this.types = new IdTable(masked.length / 8);
    this.ends = new IdTable(masked.length / 8);
  }

  /** Records a type already known (the model's walk reads each node's type once). */
  knowType(n: Node, type: string): void {
    let i = this.typeIndex.get(type);
    if (i === undefined) {
      i = this.typeNames.push(type) - 1;
      this.typeIndex.set(type, i);
    }
    this.types.set(n.id, i);
  }

  type(n: Node): string {
    const i = this.types.get(n.id);
    if (i >= 0) return this.typeNames[i] ?? n.type;
    const t = n.type;
    this.knowType(n, t);
    return t;
  }

  private knownType(n: Node): string | undefined {
    const i = this.types.get(n.id);
    return i >= 0 ? this.typeNames[i] : undefined;
  }

  end(n: Node): number {
    let e = this.ends.get(n.id);
    if (e < 0) this.ends.set(n.id, (e = this.wordEnd(n) ?? n.endIndex));
    return e;
  }

  /**
   * The end of an identifier-like token from the text: the lexer took the longest word there
   * (tree-sitter-c's identifier rule), so it ends where the word does. Only in a tree without
   * errors (a MISSING identifier is empty), and not where the word goes on in a form this scan
   * does not follow (a non-ASCII letter, a `\\` line continuation or universal character name).
   */
  private wordEnd(n: Node): number | undefined {
    const t = this.clean ? this.knownType(n) : undefined;
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

  /**
   * n.childForFieldName(name) by the field's id, looked up once. Not cached: holding each child's
   * wrapper for the whole analysis cost more in GC than the repeated calls it saved.
   */
  field(n: Node | null | undefined, name: string): Node | null {
    if (!n) return null;
    let id = this.fieldIds.get(name);
    if (id === undefined) {
      // Language#fields is indexed by field id (index 0 is null), as childForFieldName looks it up.
      id = this.fieldNames.indexOf(name);
      this.fieldIds.set(name, id);
    }
    return id === -1 ? null : n.childForFieldId(id);
  }

  /** n.namedChildren without the nulls web-tree-sitter's typing allows; a token has none. */
  namedChildren(n: Node): readonly Node[] {
    const t = this.knownType(n);
    if (t !== undefined && leafTypes.has(t)) return [];
    return n.namedChildren.filter((c): c is Node => !!c);
  }
}
