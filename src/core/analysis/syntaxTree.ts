// The parsed file as plain JS arrays: every visible node of a tree-sitter tree copied in one cursor walk
// (type, span, field, links), read through SyntaxNode, a Node-shaped view the analysis uses instead of
// web-tree-sitter's Node. Why (issue 16 goal 5): each web-tree-sitter Node getter marshals the node
// into the WASM module and back and each result is a new object; the model and the rules made
// ~100,000 such crossings on a 5,000-line file, ~30 ms warm and most of a new server's first
// analysis after the parse. The one walk costs a few WASM calls per node, then every read is an
// array load.

/** The moves and reads of a tree cursor positioned on the root: cParser.ts gives one over WASM. */
export interface CursorWalk {
  gotoFirstChild(): boolean;
  gotoNextSibling(): boolean;
  gotoParent(): boolean;
  /** The current node's symbol as ts_node_symbol gives it (aliases applied; 65535 = ERROR). */
  typeId(): number;
  startIndex(): number;
  endIndex(): number;
  /** The field the current node fills in its parent (through invisible wrappers), 0 for none. */
  fieldId(): number;
}

/** What a grammar tells about its symbols and fields (web-tree-sitter's Language). */
export interface GrammarInfo {
  readonly types: readonly (string | undefined)[];
  readonly fields: readonly (string | null)[];
  nodeTypeIsNamed(typeId: number): boolean;
}

/** ts_builtin_sym_error as ts_node_symbol reports it. */
const ERROR_SYMBOL = 65535;

/** Per grammar: names, namedness and field ids read once (the Language object is shared by all parses). */
interface Symbols {
  readonly names: readonly string[];
  readonly named: Uint8Array;
  /** 1 for symbols that never have children (tokens), whose gotoFirstChild the walk skips. */
  readonly leaf: Uint8Array;
  readonly fieldIds: ReadonlyMap<string, number>;
}
const symbolsOf = new WeakMap<GrammarInfo, Symbols>();

function symbols(g: GrammarInfo, tokens: ReadonlySet<string>): Symbols {
  let s = symbolsOf.get(g);
  if (s) return s;
  const names: string[] = [];
  const named = new Uint8Array(g.types.length);
  const leaf = new Uint8Array(g.types.length);
  for (let i = 0; i < g.types.length; i++) {
    const name = g.types[i] || 'ERROR';
    names.push(name);
    named[i] = g.nodeTypeIsNamed(i) ? 1 : 0;
    leaf[i] = (named[i] === 0 && tokens.has('')) || (named[i] === 1 && tokens.has(name)) ? 1 : 0;
  }
  const fieldIds = new Map<string, number>();
  g.fields.forEach((f, i) => {
    if (f && !fieldIds.has(f)) fieldIds.set(f, i);
  });
  s = { names, named, leaf, fieldIds };
  symbolsOf.set(g, s);
  return s;
}

export class SyntaxTree {
  readonly count: number;
  /** Per node, in pre-order (the root is 0). */
  readonly typeId: Uint16Array;
  readonly start: Uint32Array;
  readonly end: Uint32Array;
  readonly field: Uint16Array;
  readonly parent: Int32Array;
  /**
   * One past the node's last descendant: its subtree is [i, subtreeEnd[i]), its first child i + 1 (if
   * inside), a child's next sibling subtreeEnd[child]. Sibling links need no arrays of their own.
   */
  readonly subtreeEnd: Int32Array;
  readonly names: readonly string[];
  readonly named: Uint8Array;
  readonly fieldIds: ReadonlyMap<string, number>;
  /** Views made so far, by index; null until asked for (most nodes never are). */
  private readonly nodes: (SyntaxNode | null)[] = [];

  /**
   * `text` is the text tree-sitter parsed (node.text reads it); `size` the tree's node count
   * (Node.descendantCount), so the arrays are allocated once. `tokens`: the grammar's named node
   * types that are tokens, and '' if every anonymous node is one: the walk does not look for their
   * children. One set per grammar (the first one given is kept).
   */
  constructor(
    walk: CursorWalk,
    readonly text: string,
    grammar: GrammarInfo,
    size: number,
    tokens: ReadonlySet<string> = new Set(),
  ) {
    const sym = symbols(grammar, tokens);
    ({ names: this.names, named: this.named, fieldIds: this.fieldIds } = sym);
    const leaf = sym.leaf;
    let cap = Math.max(16, size + 1);
    let typeId = new Uint16Array(cap);
    let start = new Uint32Array(cap);
    let end = new Uint32Array(cap);
    let field = new Uint16Array(cap);
    let parent = new Int32Array(cap);
    let subtreeEnd = new Int32Array(cap);
    /** Should `size` have been short (it is exact for tree-sitter's trees). */
    const grow = (): void => {
      cap *= 2;
      const g = <A extends Uint16Array | Uint32Array | Int32Array>(a: A, b: A): A => (b.set(a), b);
      typeId = g(typeId, new Uint16Array(cap));
      field = g(field, new Uint16Array(cap));
      start = g(start, new Uint32Array(cap));
      end = g(end, new Uint32Array(cap));
      parent = g(parent, new Int32Array(cap));
      subtreeEnd = g(subtreeEnd, new Int32Array(cap));
    };
    typeId[0] = walk.typeId();
    start[0] = walk.startIndex();
    end[0] = walk.endIndex();
    parent[0] = -1;
    let n = 1;
    let cur = 0;
    // Pre-order: a node's children follow it, its subtree ends where the walk leaves it.
    for (;;) {
      if (n === cap) grow();
      if (leaf[typeId[cur] ?? 0] !== 1 && walk.gotoFirstChild()) parent[n] = cur;
      else {
        subtreeEnd[cur] = n;
        let done = false;
        while (!walk.gotoNextSibling()) {
          if (!walk.gotoParent()) {
            done = true;
            break;
          }
          cur = parent[cur] ?? 0;
          subtreeEnd[cur] = n;
        }
        if (done) break;
        parent[n] = parent[cur] ?? 0;
      }
      cur = n;
      typeId[n] = walk.typeId();
      start[n] = walk.startIndex();
      end[n] = walk.endIndex();
      field[n] = walk.fieldId();
      n++;
    }
    this.count = n;
    this.typeId = typeId;
    this.start = start;
    this.end = end;
    this.field = field;
    this.parent = parent;
    this.subtreeEnd = subtreeEnd;
    // Filled in order so V8 keeps a packed array: assigning into holes at random indices turned it
    // into a dictionary (half the cost of the rules, cpu-prof).
    for (let i = 0; i < n; i++) this.nodes.push(null);
  }

  /** Node i's first child, or -1. */
  firstChild(i: number): number {
    return i + 1 < (this.subtreeEnd[i] ?? 0) ? i + 1 : -1;
  }

  /** The sibling after child c of parent p, or -1. */
  nextSibling(c: number): number {
    const next = this.subtreeEnd[c] ?? 0;
    const p = this.parent[c] ?? -1;
    return p >= 0 && next < (this.subtreeEnd[p] ?? 0) ? next : -1;
  }

  get rootNode(): SyntaxNode {
    return this.node(0);
  }

  /** The view of node i; one object per node, so views compare with === like nodes by id. */
  node(i: number): SyntaxNode {
    let v = this.nodes[i];
    if (!v) {
      v = new SyntaxNode(this, i);
      this.nodes[i] = v;
    }
    return v;
  }

  typeOf(i: number): string {
    const t = this.typeId[i] ?? ERROR_SYMBOL;
    return this.names[t] ?? 'ERROR';
  }

  isNamed(i: number): boolean {
    const t = this.typeId[i] ?? ERROR_SYMBOL;
    return t === ERROR_SYMBOL || this.named[t] === 1;
  }
}

/** One node of a SyntaxTree, with the part of web-tree-sitter's Node API the analysis reads. */
export class SyntaxNode {
  constructor(
    readonly tree: SyntaxTree,
    /** The node's pre-order index: unique in its tree (not across trees, unlike tree-sitter's id). */
    readonly id: number,
  ) {}

  get type(): string {
    return this.tree.typeOf(this.id);
  }

  get isNamed(): boolean {
    return this.tree.isNamed(this.id);
  }

  get startIndex(): number {
    return this.tree.start[this.id] ?? 0;
  }

  get endIndex(): number {
    return this.tree.end[this.id] ?? 0;
  }

  get text(): string {
    return this.tree.text.slice(this.startIndex, this.endIndex);
  }

  get parent(): SyntaxNode | null {
    const p = this.tree.parent[this.id] ?? -1;
    return p < 0 ? null : this.tree.node(p);
  }

  get children(): SyntaxNode[] {
    const t = this.tree;
    const out: SyntaxNode[] = [];
    for (let c = t.firstChild(this.id); c >= 0; c = t.nextSibling(c)) out.push(t.node(c));
    return out;
  }

  get namedChildren(): SyntaxNode[] {
    const t = this.tree;
    const out: SyntaxNode[] = [];
    for (let c = t.firstChild(this.id); c >= 0; c = t.nextSibling(c)) if (t.isNamed(c)) out.push(t.node(c));
    return out;
  }

  get childCount(): number {
    const t = this.tree;
    let k = 0;
    for (let c = t.firstChild(this.id); c >= 0; c = t.nextSibling(c)) k++;
    return k;
  }

  get firstChild(): SyntaxNode | null {
    const c = this.tree.firstChild(this.id);
    return c < 0 ? null : this.tree.node(c);
  }

  get lastChild(): SyntaxNode | null {
    const t = this.tree;
    let last = -1;
    for (let c = t.firstChild(this.id); c >= 0; c = t.nextSibling(c)) last = c;
    return last < 0 ? null : t.node(last);
  }

  child(index: number): SyntaxNode | null {
    const t = this.tree;
    let k = 0;
    for (let c = t.firstChild(this.id); c >= 0; c = t.nextSibling(c)) if (k++ === index) return t.node(c);
    return null;
  }

  /** The first child filling `name` (ts_node_child_by_field_id: fields through invisible wrappers too). */
  childForFieldName(name: string): SyntaxNode | null {
    const t = this.tree;
    const f = t.fieldIds.get(name);
    if (f === undefined) return null;
    for (let c = t.firstChild(this.id); c >= 0; c = t.nextSibling(c)) if (t.field[c] === f) return t.node(c);
    return null;
  }

  childrenForFieldName(name: string): SyntaxNode[] {
    const t = this.tree;
    const f = t.fieldIds.get(name);
    const out: SyntaxNode[] = [];
    if (f === undefined) return out;
    for (let c = t.firstChild(this.id); c >= 0; c = t.nextSibling(c))
      if (t.field[c] === f) out.push(t.node(c));
    return out;
  }

  /**
   * This node and its descendants of the given types, in pre-order (as web-tree-sitter's); with a range
   * (offsets), only nodes that end after `from` and start before `to`.
   */
  descendantsOfType(types: string | readonly string[], from = 0, to = Infinity): SyntaxNode[] {
    const t = this.tree;
    const want = new Uint8Array(t.names.length + 1);
    const list = typeof types === 'string' ? [types] : types;
    t.names.forEach((name, i) => {
      if (list.includes(name)) want[i] = 1;
    });
    const error = list.includes('ERROR');
    const out: SyntaxNode[] = [];
    const last = t.subtreeEnd[this.id] ?? this.id + 1;
    for (let i = this.id; i < last; i++) {
      // ts_node_descendants_of_type_wasm: a subtree that ends by `from` is skipped, the walk stops at `to`.
      if ((t.end[i] ?? 0) <= from) {
        i = (t.subtreeEnd[i] ?? i + 1) - 1;
        continue;
      }
      if ((t.start[i] ?? 0) >= to) break;
      const ty = t.typeId[i] ?? ERROR_SYMBOL;
      if (ty === ERROR_SYMBOL ? error : want[ty] === 1) out.push(t.node(i));
    }
    return out;
  }

  /**
   * The smallest node (named or not) spanning [start, end], as ts_node_descendant_for_byte_range
   * chooses it: a child must reach the range's end, pass its start (or, empty, touch it) and begin
   * at or before it.
   */
  descendantForIndex(start: number, end = start): SyntaxNode | null {
    if (start > end) return null;
    const t = this.tree;
    let node = this.id;
    for (let descended = true; descended;) {
      descended = false;
      for (let c = t.firstChild(node); c >= 0; c = t.nextSibling(c)) {
        const cEnd = t.end[c] ?? 0;
        const cStart = t.start[c] ?? 0;
        if (cEnd < end) continue;
        if (cStart === cEnd ? cEnd < start : cEnd <= start) continue;
        if (start < cStart) break;
        node = c;
        descended = true;
        break;
      }
    }
    return t.node(node);
  }
}
