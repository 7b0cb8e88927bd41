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
export interface Symbols {
  readonly names: readonly string[];
  readonly named: Uint8Array;
  /** 1 for symbols that never have children (tokens), whose gotoFirstChild the walk skips. */
  readonly leaf: Uint8Array;
  readonly fieldIds: ReadonlyMap<string, number>;
}
const symbolsOf = new WeakMap<GrammarInfo, Symbols>();

/**
 * The grammar's symbols, read once per Language: cParser.ts asks when the parser is made, so that a
 * new server's first analysis (its didOpen) finds them ready. `tokens`: the first set given is kept.
 */
export function grammarSymbols(g: GrammarInfo, tokens: ReadonlySet<string>): Symbols {
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

/** The node arrays one walk fills, in pre-order (the root is 0); `cap` nodes fit. */
class NodeArrays {
  typeId: Uint16Array;
  start: Uint32Array;
  end: Uint32Array;
  field: Uint16Array;
  parent: Int32Array;
  subtreeEnd: Int32Array;

  constructor(public cap: number) {
    this.typeId = new Uint16Array(cap);
    this.start = new Uint32Array(cap);
    this.end = new Uint32Array(cap);
    this.field = new Uint16Array(cap);
    this.parent = new Int32Array(cap);
    this.subtreeEnd = new Int32Array(cap);
  }

  /** Should the node count given have been short (it is exact for tree-sitter's trees). */
  grow(): void {
    const g = <A extends Uint16Array | Uint32Array | Int32Array>(from: A, to: A): A => (to.set(from), to);
    this.cap *= 2;
    this.typeId = g(this.typeId, new Uint16Array(this.cap));
    this.field = g(this.field, new Uint16Array(this.cap));
    this.start = g(this.start, new Uint32Array(this.cap));
    this.end = g(this.end, new Uint32Array(this.cap));
    this.parent = g(this.parent, new Int32Array(this.cap));
    this.subtreeEnd = g(this.subtreeEnd, new Int32Array(this.cap));
  }
}

/**
 * The walk: fills `a`, returns the node count. A function of its own that reads everything it needs
 * before its loop and does nothing after it. Why (issue 16 goal 5, seen with --trace-opt
 * --trace-deopt): the loop runs ~40,000 times per 5,000 lines, once per analysis, so V8 optimises it
 * by on-stack replacement while it runs, and OSR code has no type feedback for statements the walk
 * had not reached when it was compiled. When the loop sat in the SyntaxTree constructor, its OSR code
 * deoptimised right after the loop ("Insufficient type feedback for generic named access" on
 * `this.count = n`; the same on an object literal returned after it), and the fill of the views array
 * after it on every analysis ("wrong map", nullViews below). Each deopt sent the walk back to the
 * interpreter until a background thread delivered new OSR code, which on this shared 2-core machine
 * came early or late by chance: a fresh server's didOpen took 55 or 95-108 ms of CPU.
 */
function copyNodes(
  walk: CursorWalk,
  leaf: Uint8Array,
  a: NodeArrays,
  // The arrays of `a` as parameters: no property reads on entry either (an optimised copyNodes that
  // read them from `a` deopted there, "Insufficient type feedback for generic named access").
  typeId: Uint16Array,
  start: Uint32Array,
  end: Uint32Array,
  field: Uint16Array,
  parent: Int32Array,
  subtreeEnd: Int32Array,
): number {
  let cap = typeId.length;
  typeId[0] = walk.typeId();
  start[0] = walk.startIndex();
  end[0] = walk.endIndex();
  parent[0] = -1;
  let n = 1;
  let cur = 0;
  // Pre-order: a node's children follow it, its subtree ends where the walk leaves it.
  for (;;) {
    if (n === cap) {
      a.grow();
      ({ typeId, start, end, field, parent, subtreeEnd, cap } = a);
    }
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
  return n;
}

/**
 * `n` nulls in a packed array. Filled in order: assigning into holes at random indices turned the
 * array into a dictionary (half the cost of the rules, cpu-prof). It starts as `[null]`, already
 * PACKED_ELEMENTS: started empty (PACKED_SMI_ELEMENTS) its map changed on the first push, and the OSR
 * code of the loop, entered on a later iteration of the first analysis, met the other map and
 * deoptimised ("wrong map") at the start of every later one.
 */
function nullViews(n: number): (SyntaxNode | null)[] {
  const views: (SyntaxNode | null)[] = [null];
  for (let i = 1; i < n; i++) views.push(null);
  return views;
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
  private readonly nodes: (SyntaxNode | null)[];

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
    const sym = grammarSymbols(grammar, tokens);
    ({ names: this.names, named: this.named, fieldIds: this.fieldIds } = sym);
    const a = new NodeArrays(Math.max(16, size + 1));
    this.count = copyNodes(walk, sym.leaf, a, a.typeId, a.start, a.end, a.field, a.parent, a.subtreeEnd);
    this.typeId = a.typeId;
    this.start = a.start;
    this.end = a.end;
    this.field = a.field;
    this.parent = a.parent;
    this.subtreeEnd = a.subtreeEnd;
    this.nodes = nullViews(this.count);
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
