// Scope-aware symbols of one BPF C file (issue 12 item 2): what the identifier at an offset names —
// a local or parameter (C block scope: the innermost declaration before the use, as clang's Sema
// LookupName does), a map, function, global, macro, enum constant, struct/union/typedef, a struct
// field after `->`/`.`, or a BPF helper — with its declaration here and every reference to it.
import type { SyntaxNode } from './syntaxTree';
import { helperByName } from '../bpf/helperCatalog';
import type { FileModel, Span } from './fileModel';

export type SymbolKind =
  | 'local'
  | 'param'
  | 'map'
  | 'function'
  | 'global'
  | 'macro'
  | 'enumerator'
  | 'struct'
  | 'typedef'
  | 'field'
  | 'helper';

export interface CSymbol {
  readonly kind: SymbolKind;
  readonly name: string;
  /** The span under the cursor. */
  readonly at: Span;
  /** The declaration's name in this file; undefined when it lives in a header (or is a helper). */
  readonly decl?: Span;
  /** Locals and parameters: the block (or function) their name is visible in. */
  readonly scope?: Span;
  /** 'struct'/'field': the tag (`struct iphdr` → "iphdr"); 'union' tags use the same key. */
  readonly struct?: string;
  /** 'struct': 'struct' | 'union' | 'enum'. */
  readonly tag?: 'struct' | 'union' | 'enum';
}

const spanOf = (n: SyntaxNode): Span => ({ start: n.startIndex, end: n.endIndex });

/** The identifier a declarator declares (through pointers, arrays, init and function declarators). */
function declaredName(d: SyntaxNode | null | undefined): SyntaxNode | undefined {
  let n: SyntaxNode | null | undefined = d;
  for (let i = 0; n && i < 16; i++) {
    if (n.type === 'identifier' || n.type === 'field_identifier' || n.type === 'type_identifier') return n;
    if (n.type === 'parenthesized_declarator') n = n.namedChildren[0];
    else n = n.childForFieldName('declarator');
  }
  return undefined;
}

/** Names a declaration / parameter / for-initializer declares, with the declaration node. */
function declaredNames(n: SyntaxNode): SyntaxNode[] {
  if (n.type === 'declaration' || n.type === 'parameter_declaration')
    return n
      .childrenForFieldName('declarator')
      .map((d) => declaredName(d))
      .filter((d): d is SyntaxNode => !!d);
  return [];
}

/**
 * The local or parameter `name` visible at `use`: walk out from the use through the enclosing
 * blocks; in each, the last declaration of the name that starts before the use wins.
 */
function lookupLocal(
  use: SyntaxNode,
  name: string,
): { decl: SyntaxNode; scope: SyntaxNode; param: boolean } | undefined {
  for (let p: SyntaxNode | null = use.parent; p; p = p.parent) {
    if (p.type === 'compound_statement' || p.type === 'for_statement') {
      let found: SyntaxNode | undefined;
      const scan = p.type === 'for_statement' ? [p.childForFieldName('initializer')] : p.namedChildren;
      for (const c of scan) {
        if (!c || c.startIndex > use.startIndex) continue;
        for (const d of declaredNames(c)) if (d.text === name && d.startIndex <= use.startIndex) found = d;
      }
      // A declaration's own initializer already sees the name (`int x = x;` is legal C).
      if (found) return { decl: found, scope: p, param: false };
    }
    if (p.type === 'function_definition') {
      let fd: SyntaxNode | null = p.childForFieldName('declarator');
      while (fd && fd.type !== 'function_declarator') fd = fd.childForFieldName('declarator');
      for (const prm of fd?.childForFieldName('parameters')?.namedChildren ?? []) {
        if (prm?.type !== 'parameter_declaration') continue;
        const d = declaredName(prm.childForFieldName('declarator'));
        if (d?.text === name) return { decl: d, scope: p, param: true };
      }
      return undefined;
    }
  }
  return undefined;
}

/** File-level names (maps, functions, globals, macros, enum constants, typedefs), first declaration. */
export interface FileScope {
  readonly names: ReadonlyMap<string, { readonly kind: SymbolKind; readonly decl: Span }>;
  /** struct/union/enum tags defined with a body in this file. */
  readonly tags: ReadonlyMap<
    string,
    { readonly decl: Span; readonly body: SyntaxNode; readonly tag: 'struct' | 'union' | 'enum' }
  >;
}

const scopes = new WeakMap<FileModel, FileScope>();

export function fileScope(model: FileModel): FileScope {
  const cached = scopes.get(model);
  if (cached) return cached;
  const names = new Map<string, { kind: SymbolKind; decl: Span }>();
  const tags = new Map<string, { decl: Span; body: SyntaxNode; tag: 'struct' | 'union' | 'enum' }>();
  const add = (name: string, kind: SymbolKind, decl: Span): void => {
    if (!names.has(name)) names.set(name, { kind, decl });
  };
  for (const m of model.maps) add(m.name, 'map', m.nameSpan);
  for (const f of model.functions) add(f.name, 'function', f.nameSpan);
  const root = model.syntax.rootNode;
  for (const n of root.descendantsOfType([
    'preproc_def',
    'preproc_function_def',
    'enumerator',
    'type_definition',
    'struct_specifier',
    'union_specifier',
    'enum_specifier',
    'declaration',
  ])) {
    if (!n) continue;
    switch (n.type) {
      case 'preproc_def':
      case 'preproc_function_def': {
        const name = n.childForFieldName('name');
        if (name) add(name.text, 'macro', spanOf(name));
        break;
      }
      case 'enumerator': {
        const name = n.childForFieldName('name');
        if (name) add(name.text, 'enumerator', spanOf(name));
        break;
      }
      case 'type_definition':
        for (const d of n.childrenForFieldName('declarator')) {
          const name = declaredName(d);
          if (name) add(name.text, 'typedef', spanOf(name));
        }
        break;
      case 'declaration':
        // Globals only: a declaration directly at file level (or inside a top-level #if).
        if (!n.parent || /^(translation_unit|preproc_)/.test(n.parent.type))
          for (const d of declaredNames(n)) {
            const isFn = n.childrenForFieldName('declarator').some((x) => x?.type === 'function_declarator');
            add(d.text, isFn ? 'function' : 'global', spanOf(d));
          }
        break;
      default: {
        const name = n.childForFieldName('name');
        const body = n.childForFieldName('body');
        if (name && body && !tags.has(name.text))
          tags.set(name.text, {
            decl: spanOf(name),
            body,
            tag: n.type === 'union_specifier' ? 'union' : n.type === 'enum_specifier' ? 'enum' : 'struct',
          });
      }
    }
  }
  const s = { names, tags };
  scopes.set(model, s);
  return s;
}

/** The struct tag of the type a declaration gives `decl` (`struct iphdr *iph` → "iphdr"), through typedefs of this file. */
function structOfDecl(model: FileModel, decl: SyntaxNode): string | undefined {
  let d: SyntaxNode | null = decl.parent;
  while (
    d &&
    d.type !== 'declaration' &&
    d.type !== 'parameter_declaration' &&
    d.type !== 'field_declaration'
  )
    d = d.parent;
  const t = d?.childForFieldName('type');
  return t ? structOfType(model, t) : undefined;
}

function structOfType(model: FileModel, t: SyntaxNode): string | undefined {
  if (t.type === 'struct_specifier' || t.type === 'union_specifier') return t.childForFieldName('name')?.text;
  if (t.type === 'type_identifier') {
    // typedef struct x { … } y; → "x"; an anonymous typedef'd struct is keyed by the typedef name.
    const td = fileScope(model).names.get(t.text);
    if (td?.kind !== 'typedef') return t.text;
    const def = model.syntax.rootNode.descendantForIndex(td.decl.start)?.parent;
    const inner = def?.type === 'type_definition' ? def.childForFieldName('type') : undefined;
    return inner ? (inner.childForFieldName('name')?.text ?? t.text) : t.text;
  }
  return undefined;
}

/** The struct whose member `field` names, for `x->field` / `x.field` with x a variable of this file. */
function ownerStruct(model: FileModel, fieldExpr: SyntaxNode): string | undefined {
  const arg = fieldExpr.childForFieldName('argument');
  let a: SyntaxNode | null | undefined = arg;
  while (a && (a.type === 'parenthesized_expression' || a.type === 'cast_expression')) {
    if (a.type === 'cast_expression') {
      const t = a.childForFieldName('type')?.childForFieldName('type');
      return t ? structOfType(model, t) : undefined;
    }
    a = a.namedChildren[0];
  }
  if (a?.type === 'identifier') {
    const local = lookupLocal(a, a.text);
    if (local) return structOfDecl(model, local.decl);
    const g = fileScope(model).names.get(a.text);
    if (g?.kind === 'global') {
      const d = model.syntax.rootNode.descendantForIndex(g.decl.start, g.decl.end);
      return d ? structOfDecl(model, d) : undefined;
    }
  }
  if (a?.type === 'field_expression') {
    // a->b.c: the member b's type in a struct this file defines.
    const outer = ownerStruct(model, a);
    const member = a.childForFieldName('field')?.text;
    const body = outer ? fileScope(model).tags.get(outer)?.body : undefined;
    const fd = body && member ? fieldDecl(body, member) : undefined;
    const t = fd?.parent?.parent?.childForFieldName('type') ?? fd?.parent?.childForFieldName('type');
    return t ? structOfType(model, t) : undefined;
  }
  return undefined;
}

/** The field_identifier naming member `name` in a struct body (nested anonymous structs/unions too). */
function fieldDecl(body: SyntaxNode, name: string): SyntaxNode | undefined {
  for (const f of body.descendantsOfType('field_identifier')) {
    if (f?.text !== name) continue;
    // Declared here (a field_declaration's declarator), not used in a nested expression.
    let p: SyntaxNode | null = f.parent;
    while (p && p.type !== 'field_declaration' && p !== body) p = p.parent;
    if (p?.type === 'field_declaration') return f;
  }
  return undefined;
}

/** What the identifier at `offset` (a position inside or at the end of it) names. */
export function symbolAt(model: FileModel, offset: number): CSymbol | undefined {
  const root = model.syntax.rootNode;
  let n = root.descendantForIndex(offset, offset);
  const isName = (x: SyntaxNode | null): boolean =>
    !!x && (x.type === 'identifier' || x.type === 'field_identifier' || x.type === 'type_identifier');
  if (!isName(n) && offset > 0) n = root.descendantForIndex(offset - 1, offset - 1);
  if (!n || !isName(n)) return undefined;
  return symbolOfNode(model, n);
}

function symbolOfNode(model: FileModel, n: SyntaxNode): CSymbol | undefined {
  const name = n.text;
  const at = spanOf(n);
  const scope = fileScope(model);
  const parent = n.parent;
  if (n.type === 'field_identifier') {
    if (parent?.type === 'field_expression') {
      const struct = ownerStruct(model, parent);
      const body = struct ? scope.tags.get(struct)?.body : undefined;
      const d = body ? fieldDecl(body, name) : undefined;
      return { kind: 'field', name, at, struct, ...(d ? { decl: spanOf(d) } : {}) };
    }
    // A member's own declaration inside a struct body.
    let s: SyntaxNode | null = parent;
    while (s && s.type !== 'struct_specifier' && s.type !== 'union_specifier') s = s.parent;
    const struct = s?.childForFieldName('name')?.text;
    return { kind: 'field', name, at, decl: at, ...(struct ? { struct } : {}) };
  }
  if (n.type === 'type_identifier') {
    if (
      parent?.type === 'struct_specifier' ||
      parent?.type === 'union_specifier' ||
      parent?.type === 'enum_specifier'
    ) {
      const tag =
        parent.type === 'union_specifier' ? 'union' : parent.type === 'enum_specifier' ? 'enum' : 'struct';
      const def = scope.tags.get(name);
      return { kind: 'struct', name, at, struct: name, tag, ...(def ? { decl: def.decl } : {}) };
    }
    const td = scope.names.get(name);
    return { kind: 'typedef', name, at, ...(td?.kind === 'typedef' ? { decl: td.decl } : {}) };
  }
  const local = lookupLocal(n, name);
  if (local)
    return {
      kind: local.param ? 'param' : 'local',
      name,
      at,
      decl: spanOf(local.decl),
      scope: spanOf(local.scope),
    };
  const g = scope.names.get(name);
  if (g) return { kind: g.kind, name, at, decl: g.decl };
  const helper = helperByName(name === 'bpf_printk' ? 'bpf_trace_printk' : name);
  if (helper && name.startsWith('bpf_')) return { kind: 'helper', name, at };
  // A name from a header (a macro like ETH_P_IP, a kernel function): definition looks it up there.
  return { kind: 'macro', name, at };
}

/** Every occurrence in this file of the symbol `sym` (scope-aware: a shadowed local is another symbol). */
export function referencesOf(model: FileModel, sym: CSymbol): Span[] {
  const root = model.syntax.rootNode;
  const out: Span[] = [];
  const sameDecl = (s: CSymbol | undefined): boolean =>
    !!s && s.kind === sym.kind && s.decl?.start === sym.decl?.start && s.struct === sym.struct;
  if (sym.kind === 'field' || sym.kind === 'struct' || sym.kind === 'typedef') {
    const type = sym.kind === 'field' ? 'field_identifier' : 'type_identifier';
    for (const n of root.descendantsOfType(type)) {
      if (n?.text !== sym.name) continue;
      const s = symbolOfNode(model, n);
      if (s && s.kind === sym.kind && s.struct === sym.struct) out.push(spanOf(n));
    }
    return out;
  }
  const range = sym.scope;
  const spans = model.identifiers.get(sym.name) ?? [];
  for (const sp of spans) {
    if (range && (sp.start < range.start || sp.end > range.end)) continue;
    const n = root.descendantForIndex(sp.start, sp.end);
    if (!n || n.type !== 'identifier') continue;
    if (sym.kind === 'macro' && !sym.decl) {
      if (!lookupLocal(n, sym.name)) out.push(sp);
      continue;
    }
    if (sameDecl(symbolOfNode(model, n))) out.push(sp);
  }
  // Macro definitions are preproc nodes, not identifiers in every grammar version: add the decl.
  if (sym.decl && !out.some((s) => s.start === sym.decl?.start)) out.unshift(sym.decl);
  return out.sort((a, b) => a.start - b.start);
}

/** Kinds whose every use lives in this file, so a rename here is complete. */
export const renamableKinds: ReadonlySet<SymbolKind> = new Set([
  'local',
  'param',
  'map',
  'function',
  'global',
  'macro',
  'enumerator',
]);
