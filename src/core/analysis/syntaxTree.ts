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
  readonly fieldIds: ReadonlyMap<string, number>;
}
const symbolsOf = new WeakMap<GrammarInfo, Symbols>();

function symbols(g: GrammarInfo): Symbols {
  let s = symbolsOf.get(g);
  if (s) return s;
  const names: string[] = [];
  const named = new Uint8Array(g.types.length);
  for (let i = 0; i < g.types.length; i++) {
    names.push(g.types[i] || 'ERROR');
    named[i] = g.nodeTypeIsNamed(i) ? 1 : 0;
  }
  const fieldIds = new Map<string, number>();
  g.fields.forEach((f, i) => {
    if (f && !fieldIds.has(f)) fieldIds.set(f, i);
  });
  s = { names, named, fieldIds };
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
  readonly firstChild: Int32Array;
  readonly nextSibling: Int32Array;
  readonly lastChild: Int32Array;
  /** One past the last descendant: node i's subtree is [i, subtreeEnd[i]). */
  readonly subtreeEnd: Int32Array;
  readonly names: readonly string[];
  readonly named: Uint8Array;
  readonly fieldIds: ReadonlyMap<string, number>;
  /** Views made so far, by index; null until asked for (most nodes never are). */
  private readonly nodes: (SyntaxNode | null)[] = [];

  /** `text` is the text tree-sitter parsed (node.text reads it). */
  constructor(
    walk: CursorWalk,
    readonly text: string,
    grammar: GrammarInfo,
  ) {
    ({ names: this.names, named: this.named, fieldIds: this.fieldIds } = symbols(grammar));
    let cap = 1024;
    let typeId = new Uint16Array(cap);
    let start = new Uint32Array(cap);
    let end = new Uint32Array(cap);
    let field = new Uint16Array(cap);
    let parent = new Int32Array(cap);
    let firstChild = new Int32Array(cap).fill(-1);
    let nextSibling = new Int32Array(cap).fill(-1);
    let lastChild = new Int32Array(cap).fill(-1);
    let subtreeEnd = new Int32Array(cap);
    const grow = (): void => {
      cap *= 2;
      const g16 = (a: Uint16Array) => ((b) => (b.set(a), b))(new Uint16Array(cap));
      const g32 = (a: Uint32Array) => ((b) => (b.set(a), b))(new Uint32Array(cap));
      const gi = (a: Int32Array, fill: number) =>
        ((b) => (b.fill(fill, a.length).set(a), b))(new Int32Array(cap));
      typeId = g16(typeId);
      field = g16(field);
      start = g32(start);
      end = g32(end);
      parent = gi(parent, 0);
      firstChild = gi(firstChild, -1);
      nextSibling = gi(nextSibling, -1);
      lastChild = gi(lastChild, -1);
      subtreeEnd = gi(subtreeEnd, 0);
    };
    const read = (i: number, fieldId: number): void => {
      typeId[i] = walk.typeId();
      start[i] = walk.startIndex();
      end[i] = walk.endIndex();
      field[i] = fieldId;
    };
    read(0, 0);
    parent[0] = -1;
    let n = 1;
    let cur = 0;
    // Pre-order: a node's children follow it, its subtree ends where the walk leaves it.
    for (;;) {
      if (n === cap) grow();
      if (walk.gotoFirstChild()) {
        parent[n] = cur;
        firstChild[cur] = n;
        lastChild[cur] = n;
      } else {
        subtreeEnd[cur] = n;
        let up = false;
        while (!walk.gotoNextSibling()) {
          if (!walk.gotoParent()) {
            up = true;
            break;
          }
          cur = parent[cur] ?? -1;
          subtreeEnd[cur] = n;
        }
        if (up) break;
        const p = parent[cur] ?? -1;
        nextSibling[cur] = n;
        parent[n] = p;
        lastChild[p] = n;
      }
      cur = n;
      read(n, walk.fieldId());
      n++;
    }
    this.count = n;
    this.typeId = typeId;
    this.start = start;
    this.end = end;
    this.field = field;
    this.parent = parent;
    this.firstChild = firstChild;
    this.nextSibling = nextSibling;
    this.lastChild = lastChild;
    this.subtreeEnd = subtreeEnd;
    // Filled in order so V8 keeps a packed array: assigning into holes at random indices turned it
    // into a dictionary (half the cost of the rules, cpu-prof).
    for (let i = 0; i < n; i++) this.nodes.push(null);
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
    for (let c = t.firstChild[this.id] ?? -1; c >= 0; c = t.nextSibling[c] ?? -1) out.push(t.node(c));
    return out;
  }

  get namedChildren(): SyntaxNode[] {
    const t = this.tree;
    const out: SyntaxNode[] = [];
    for (let c = t.firstChild[this.id] ?? -1; c >= 0; c = t.nextSibling[c] ?? -1)
      if (t.isNamed(c)) out.push(t.node(c));
    return out;
  }

  get childCount(): number {
    const t = this.tree;
    let k = 0;
    for (let c = t.firstChild[this.id] ?? -1; c >= 0; c = t.nextSibling[c] ?? -1) k++;
    return k;
  }

  get firstChild(): SyntaxNode | null {
    const c = this.tree.firstChild[this.id] ?? -1;
    return c < 0 ? null : this.tree.node(c);
  }

  get lastChild(): SyntaxNode | null {
    const c = this.tree.lastChild[this.id] ?? -1;
    return c < 0 ? null : this.tree.node(c);
  }

  child(index: number): SyntaxNode | null {
    const t = this.tree;
    let k = 0;
    for (let c = t.firstChild[this.id] ?? -1; c >= 0; c = t.nextSibling[c] ?? -1)
      if (k++ === index) return t.node(c);
    return null;
  }

  /** The first child filling `name` (ts_node_child_by_field_id: fields through invisible wrappers too). */
  childForFieldName(name: string): SyntaxNode | null {
    const t = this.tree;
    const f = t.fieldIds.get(name);
    if (f === undefined) return null;
    for (let c = t.firstChild[this.id] ?? -1; c >= 0; c = t.nextSibling[c] ?? -1)
      if (t.field[c] === f) return t.node(c);
    return null;
  }

  childrenForFieldName(name: string): SyntaxNode[] {
    const t = this.tree;
    const f = t.fieldIds.get(name);
    const out: SyntaxNode[] = [];
    if (f === undefined) return out;
    for (let c = t.firstChild[this.id] ?? -1; c >= 0; c = t.nextSibling[c] ?? -1)
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
      for (let c = t.firstChild[node] ?? -1; c >= 0; c = t.nextSibling[c] ?? -1) {
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
