// The C parser: web-tree-sitter's runtime plus tree-sitter-c, both WASM. Core never reads files: the
// host hands over the two .wasm images (dist/tree-sitter.wasm and dist/tree-sitter-c.wasm in the bundles).
import { Language, Parser } from 'web-tree-sitter';
import type { Tree } from 'web-tree-sitter';
import { grammarSymbols, SyntaxTree } from './syntaxTree';
import type { CursorWalk } from './syntaxTree';

export interface ParserWasm {
  /** web-tree-sitter's runtime (tree-sitter.wasm). */
  readonly runtime: Uint8Array;
  /** The C grammar (tree-sitter-c.wasm). */
  readonly language: Uint8Array;
}

export interface CParser {
  /** Parses masked C text; pass the previous tree after `tree.edit(...)` for an incremental parse. */
  parse(text: string, previous?: Tree): Tree;
  /** The tree's nodes as plain arrays (syntaxTree.ts); `text` is the text that was parsed. */
  syntax(tree: Tree, text: string): SyntaxTree;
}

/**
 * The runtime's exported cursor functions (lib/tree-sitter.c's *_wasm), which Emscripten attaches to the
 * module object that Parser.init receives. Each reads the cursor from the runtime's transfer buffer and
 * writes it back, so a walk that makes no other call in between needs no marshalling at all: one WASM
 * call per move or read, where web-tree-sitter's TreeCursor writes and reads the cursor around each.
 */
interface RawCursorExports {
  // Function-typed fields, not methods: plain WASM exports, which never read `this`.
  readonly _ts_tree_cursor_delete_wasm: (tree: number) => void;
  readonly _ts_tree_cursor_goto_first_child_wasm: (tree: number) => number;
  readonly _ts_tree_cursor_goto_next_sibling_wasm: (tree: number) => number;
  readonly _ts_tree_cursor_goto_parent_wasm: (tree: number) => number;
  readonly _ts_tree_cursor_current_node_type_id_wasm: (tree: number) => number;
  readonly _ts_tree_cursor_start_index_wasm: (tree: number) => number;
  readonly _ts_tree_cursor_end_index_wasm: (tree: number) => number;
  readonly _ts_tree_cursor_current_field_id_wasm: (tree: number) => number;
}
const rawNames: readonly (keyof RawCursorExports)[] = [
  '_ts_tree_cursor_delete_wasm',
  '_ts_tree_cursor_goto_first_child_wasm',
  '_ts_tree_cursor_goto_next_sibling_wasm',
  '_ts_tree_cursor_goto_parent_wasm',
  '_ts_tree_cursor_current_node_type_id_wasm',
  '_ts_tree_cursor_start_index_wasm',
  '_ts_tree_cursor_end_index_wasm',
  '_ts_tree_cursor_current_field_id_wasm',
];

/**
 * tree-sitter-c's node types that are tokens (src/grammar.json: rules that are a PATTERN, STRING or
 * TOKEN, and the named aliases of such rules), plus '' because every anonymous node of this grammar is
 * a token too (its only anonymous aliases are of patterns, `#[ \t]*include` → "#include"). Their
 * nodes have no children, so the SyntaxTree walk skips asking; syntaxTree.test.ts compares every
 * node's children with web-tree-sitter's.
 */
const cTokenTypes: ReadonlySet<string> = new Set([
  '',
  'identifier',
  'field_identifier',
  'type_identifier',
  'statement_identifier',
  'primitive_type',
  'number_literal',
  'escape_sequence',
  'system_lib_string',
  'string_content',
  'character',
  'comment',
  'preproc_arg',
  'preproc_directive',
  'true',
  'false',
  'ms_restrict_modifier',
  'ms_unsigned_ptr_modifier',
  'ms_signed_ptr_modifier',
  'variadic_parameter',
]);

let runtimeReady: Promise<void> | undefined;
/** The module object given to Parser.init, which Emscripten fills with the runtime's exports. */
const runtimeModule: Record<string, unknown> = {};

function rawExports(): RawCursorExports | undefined {
  return rawNames.every((k) => typeof runtimeModule[k] === 'function')
    ? (runtimeModule as unknown as RawCursorExports)
    : undefined;
}

/**
 * A walk over the raw exports; `address` is the TSTree's address (web-tree-sitter's Tree[0]). A class,
 * not closures made per walk: SyntaxTree's walk loop then calls the same functions in every analysis,
 * where new closures each time cost its optimised code a deopt ("wrong call target", --trace-deopt).
 * The exports are copied into its own fields: the module object they come from is web-tree-sitter's,
 * which sets fields on it around every parse (currentParseCallback, a function then null), so code
 * reading the exports from it in the walk's loop depended on a map each parse changed.
 */
class RawWalk implements CursorWalk {
  private readonly firstChild: (tree: number) => number;
  private readonly nextSibling: (tree: number) => number;
  private readonly parent: (tree: number) => number;
  private readonly symbol: (tree: number) => number;
  private readonly startOf: (tree: number) => number;
  private readonly endOf: (tree: number) => number;
  private readonly fieldOf: (tree: number) => number;
  private readonly free: (tree: number) => void;

  constructor(
    raw: RawCursorExports,
    private readonly address: number,
  ) {
    this.firstChild = raw._ts_tree_cursor_goto_first_child_wasm;
    this.nextSibling = raw._ts_tree_cursor_goto_next_sibling_wasm;
    this.parent = raw._ts_tree_cursor_goto_parent_wasm;
    this.symbol = raw._ts_tree_cursor_current_node_type_id_wasm;
    this.startOf = raw._ts_tree_cursor_start_index_wasm;
    this.endOf = raw._ts_tree_cursor_end_index_wasm;
    this.fieldOf = raw._ts_tree_cursor_current_field_id_wasm;
    this.free = raw._ts_tree_cursor_delete_wasm;
  }

  gotoFirstChild(): boolean {
    return this.firstChild(this.address) === 1;
  }
  gotoNextSibling(): boolean {
    return this.nextSibling(this.address) === 1;
  }
  gotoParent(): boolean {
    return this.parent(this.address) === 1;
  }
  typeId(): number {
    return this.symbol(this.address);
  }
  startIndex(): number {
    return this.startOf(this.address);
  }
  endIndex(): number {
    return this.endOf(this.address);
  }
  fieldId(): number {
    return this.fieldOf(this.address);
  }
  /** The cursor's stack grew during the walk: free the one in the buffer, not TreeCursor's stale copy. */
  done(): void {
    this.free(this.address);
  }
}

function rawWalk(raw: RawCursorExports, tree: Tree, address: number): RawWalk {
  // rootNode.walk() leaves the new cursor in the transfer buffer, where the raw calls find it.
  tree.rootNode.walk();
  return new RawWalk(raw, address);
}

/** The same walk through web-tree-sitter's public TreeCursor (slower), should the raw exports be absent. */
function publicWalk(tree: Tree): CursorWalk & { done(): void } {
  const c = tree.walk();
  return {
    gotoFirstChild: () => c.gotoFirstChild(),
    gotoNextSibling: () => c.gotoNextSibling(),
    gotoParent: () => c.gotoParent(),
    typeId: () => c.nodeTypeId,
    startIndex: () => c.startIndex,
    endIndex: () => c.endIndex,
    fieldId: () => c.currentFieldId,
    done: () => c.delete(),
  };
}

/** Builds the SyntaxTree with the raw walk when the runtime offers it (`raw: false` forces the public one). */
export function syntaxTreeOf(tree: Tree, text: string, raw = true): SyntaxTree {
  const ex = raw ? rawExports() : undefined;
  // Before the walk: a Node getter goes through the transfer buffer the raw walk keeps its cursor in.
  const size = tree.rootNode.descendantCount;
  const address = (tree as unknown as Record<number, unknown>)[0];
  const walk = ex && typeof address === 'number' ? rawWalk(ex, tree, address) : publicWalk(tree);
  try {
    return new SyntaxTree(walk, text, tree.language, size, cTokenTypes);
  } finally {
    walk.done();
  }
}

export async function createCParser(wasm: ParserWasm): Promise<CParser> {
  // Parser.init is process-wide in web-tree-sitter; the first caller's runtime bytes win.
  // locateFile: the runtime would otherwise resolve its own URL from import.meta.url, which a bundled
  // worker lacks; with the bytes given it never fetches, so the name alone is enough.
  runtimeReady ??= Parser.init(
    Object.assign(runtimeModule, { wasmBinary: wasm.runtime, locateFile: (name: string) => name }),
  );
  await runtimeReady;
  const language = await Language.load(wasm.language);
  const parser = new Parser();
  parser.setLanguage(language);
  // The grammar's symbol tables now, while the server initialises, not in its first didOpen.
  grammarSymbols(language, cTokenTypes);
  return {
    parse(text, previous) {
      const tree = parser.parse(text, previous ?? null);
      if (!tree) throw new Error('tree-sitter returned no tree (parser was reset or has no language)');
      return tree;
    },
    syntax: (tree, text) => syntaxTreeOf(tree, text),
  };
}
