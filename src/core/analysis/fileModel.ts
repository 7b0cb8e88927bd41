// The model of one BPF C file (issue #5): programs (SEC + function), maps (BTF-defined and legacy),
// includes, helper calls, returns, license, file constants. Built from a tree-sitter tree of the
// masked text (maskMacros.ts), so spans are offsets into the user's text.
import type { Tree } from 'web-tree-sitter';
import type { SyntaxNode, SyntaxTree } from './syntaxTree';
import { helperByName } from '../bpf/helperCatalog';
import type { HelperInfo } from '../bpf/helperCatalog';
import type { MapTypeInfo } from '../bpf/mapTypes';
import { xdpSecInfo } from '../bpf/secNames';
import type { SecName } from '../bpf/secNames';
import { evalConst, evalConstText } from './constEval';
import { layoutStruct, sizeOfType } from './cTypes';
import type { StructLayout } from './cTypes';
import type { MaskedSource, SecMark } from './maskMacros';
import { LineIndex } from './textPositions';
import { btfMap, legacyMap, marksWithin } from './mapDecls';

export interface Span {
  readonly start: number;
  readonly end: number;
}

const spanOf = (n: SyntaxNode): Span => ({ start: n.startIndex, end: n.endIndex });

export interface IncludeInfo {
  readonly path: string;
  readonly system: boolean;
  readonly span: Span;
}

export interface FunctionInfo {
  readonly name: string;
  readonly nameSpan: Span;
  readonly span: Span;
  readonly node: SyntaxNode;
  readonly sec?: SecMark;
  /** Set when the SEC names an XDP program. */
  readonly xdp?: SecName;
  /** Name of the first parameter (the context), if any. */
  readonly ctxParam?: string;
  readonly returns: readonly SyntaxNode[];
  /** The body's nodes of the types in `bodyNodeTypes`, in document order (found by the model's one walk). */
  readonly bodyNodes: readonly SyntaxNode[];
}

/**
 * Node types inside function bodies that rules walk (packetRules' scan: accesses, assignments,
 * comparisons, calls). The model collects them in its one walk of the tree: a walk per function
 * body for each rule went over every node of the file again (issue 16, cold didOpen).
 */
export const bodyNodeTypes: ReadonlySet<string> = new Set([
  'sizeof_expression',
  'init_declarator',
  'assignment_expression',
  'binary_expression',
  'call_expression',
  'pointer_expression',
  'field_expression',
  'subscript_expression',
]);

export interface MapAttr {
  readonly value: string;
  readonly span: Span;
}

export interface MapInfo {
  readonly name: string;
  readonly nameSpan: Span;
  readonly span: Span;
  readonly style: 'btf' | 'legacy';
  readonly sec?: SecMark;
  /** Attributes as written: type, key, value, key_size, value_size, max_entries, map_flags, pinning… */
  readonly attrs: ReadonlyMap<string, MapAttr>;
  readonly type?: MapTypeInfo;
  readonly keySize?: number;
  readonly valueSize?: number;
  readonly maxEntries?: number;
}

export interface HelperCall {
  /** Name as written, e.g. "bpf_redirect_map" or "bpf_printk". */
  readonly name: string;
  /** Catalog entry (bpf_printk resolves to bpf_trace_printk). */
  readonly helper?: HelperInfo;
  readonly node: SyntaxNode;
  readonly nameSpan: Span;
  readonly args: readonly SyntaxNode[];
  /** Enclosing function name. */
  readonly inFunction?: string;
}

export interface LicenseInfo {
  readonly value: string;
  readonly span: Span;
}

export interface FileModel {
  readonly text: string;
  readonly lines: LineIndex;
  /** tree-sitter's tree (WASM memory), kept for the next incremental parse. */
  readonly tree: Tree;
  /** The same tree as plain arrays (syntaxTree.ts): what the model, the rules and the features read. */
  readonly syntax: SyntaxTree;
  readonly secs: readonly SecMark[];
  readonly includes: readonly IncludeInfo[];
  readonly functions: readonly FunctionInfo[];
  readonly programs: readonly FunctionInfo[];
  readonly maps: readonly MapInfo[];
  readonly calls: readonly HelperCall[];
  /** Calls to functions of this file: callee name → calls. */
  readonly localCalls: ReadonlyMap<string, readonly { readonly from?: string; readonly nameSpan: Span }[]>;
  readonly license?: LicenseInfo;
  /** #define and enum constants with a numeric value. */
  readonly constants: ReadonlyMap<string, bigint>;
  readonly structs: ReadonlyMap<string, StructLayout>;
  /** Every identifier occurrence by name (for references and semantic tokens). */
  readonly identifiers: ReadonlyMap<string, readonly Span[]>;
}

/** Macros that expand to a helper call. */
const helperAliases: Record<string, string> = { bpf_printk: 'bpf_trace_printk' };

function declaratorName(n: SyntaxNode | null): SyntaxNode | undefined {
  let d: SyntaxNode | null = n;
  while (d && d.type !== 'identifier' && d.type !== 'field_identifier' && d.type !== 'type_identifier') {
    d = d.childForFieldName('declarator') ?? d.namedChildren.find((c) => c?.type === 'identifier') ?? null;
  }
  return d ?? undefined;
}

/** Top-level items, looking through #if/#ifdef blocks. */
function topItems(root: SyntaxNode): SyntaxNode[] {
  const out: SyntaxNode[] = [];
  const visit = (n: SyntaxNode): void => {
    for (const c of n.namedChildren) {
      if (!c) continue;
      if (/^preproc_(if|ifdef|else|elif|elifdef)$/.test(c.type)) visit(c);
      // A comment between SEC("…") and its function must not take the SEC.
      else if (c.type !== 'comment') out.push(c);
    }
  };
  visit(root);
  return out;
}

/**
 * Spans of #if/#ifdef branches the file's own #defines switch off (`#define USE_X 0` … `#if USE_X`):
 * the compiler never sees them, so neither do the rules. A condition the file cannot decide (a
 * macro from a header or -D) keeps every branch, as before.
 */
function inactiveSpans(
  root: SyntaxNode,
  constants: ReadonlyMap<string, bigint>,
  defined: ReadonlySet<string>,
): Span[] {
  const out: Span[] = [];
  // Nodes compare by id (web-tree-sitter handed out a fresh wrapper per call; SyntaxNode ids are indices).
  const bodyOf = (n: SyntaxNode): Span | undefined => {
    const head = [n.childForFieldName('condition')?.id, n.childForFieldName('name')?.id];
    const kids = n.namedChildren.filter(
      (c): c is SyntaxNode => !!c && !/^preproc_(else|elif|elifdef)$/.test(c.type) && !head.includes(c.id),
    );
    const first = kids[0];
    const last = kids[kids.length - 1];
    return first && last ? { start: first.startIndex, end: last.endIndex } : undefined;
  };
  const visit = (nodes: readonly (SyntaxNode | null)[]): void => {
    for (const c of nodes) {
      if (!c || !/^preproc_(if|ifdef|elif|else)$/.test(c.type)) continue;
      let on: boolean | undefined;
      if (c.type === 'preproc_if' || c.type === 'preproc_elif') {
        const v = evalConst(c.childForFieldName('condition'), constants);
        on = v === undefined ? undefined : v !== 0n;
      } else if (c.type === 'preproc_ifdef') {
        const name = c.childForFieldName('name')?.text ?? '';
        // Only a macro the file defines is decidable; others may come from headers or -D.
        if (defined.has(name)) on = c.child(0)?.text !== '#ifndef';
      }
      const alt = c.childForFieldName('alternative');
      const body = bodyOf(c);
      if (on === false && body) out.push(body);
      if (on === true && alt) out.push({ start: alt.startIndex, end: alt.endIndex });
      // Look inside what stays live (nested #ifs), including the else/elif chain.
      if (on !== false) visit(c.namedChildren);
      else if (alt) visit([alt]);
    }
  };
  visit(root.namedChildren);
  return out;
}

function stripQuotes(s: string): string {
  return s.replace(/^"|"$/g, '');
}

export function buildFileModel(
  source: MaskedSource,
  original: string,
  tree: Tree,
  syntax: SyntaxTree,
): FileModel {
  const root = syntax.rootNode;
  const constants = new Map<string, bigint>();
  const defines = new Set<string>();
  const structs = new Map<string, StructLayout>();
  const includes: IncludeInfo[] = [];
  const functions: FunctionInfo[] = [];
  const maps: MapInfo[] = [];
  const calls: HelperCall[] = [];
  const localCalls = new Map<string, { from?: string; nameSpan: Span }[]>();
  let license: LicenseInfo | undefined;

  let identifiers: Map<string, Span[]> | undefined;
  const items = topItems(root);
  const secFor = new Map<SyntaxNode, SecMark>();
  {
    let i = 0;
    for (const sec of source.secs) {
      while (i < items.length && (items[i]?.endIndex ?? 0) <= sec.start) i++;
      const item = items[i];
      if (item && !secFor.has(item)) secFor.set(item, sec);
    }
  }
  /** Top-level functions with a SEC, by node id: only the rules' scan of programs reads bodies. */
  const programIds = new Set<number>();
  for (const item of secFor.keys()) programIds.add(item.id);

  // One pass over the node types the model needs, in document order (a scan of the SyntaxTree's arrays).
  const masked = source.text;
  const fnStack: string[] = [];
  const fnEnd: number[] = [];
  /** Each function_definition's returns and body nodes, by the function node's id. */
  const bodies = new Map<number, { returns: SyntaxNode[]; nodes: SyntaxNode[] }>();
  const bodyStack: { end: number; bodyStart: number; returns: SyntaxNode[]; nodes: SyntaxNode[] }[] = [];
  const wanted = [
    'preproc_include',
    'preproc_def',
    'enumerator_list',
    'struct_specifier',
    'function_definition',
    'return_statement',
    ...bodyNodeTypes,
  ];
  for (const n of root.descendantsOfType(wanted)) {
    if (!n) continue;
    const startIndex = n.startIndex;
    while (fnEnd.length && startIndex >= (fnEnd[fnEnd.length - 1] ?? 0)) {
      fnEnd.pop();
      fnStack.pop();
    }
    while (bodyStack.length && startIndex >= (bodyStack[bodyStack.length - 1]?.end ?? 0)) bodyStack.pop();
    const type = n.type;
    const inBody = bodyStack[bodyStack.length - 1];
    if (inBody && startIndex >= inBody.bodyStart) {
      if (type === 'return_statement') inBody.returns.push(n);
      else if (bodyNodeTypes.has(type)) inBody.nodes.push(n);
    }
    switch (type) {
      case 'preproc_include': {
        const p = n.childForFieldName('path');
        if (p)
          includes.push({
            path: p.text.replace(/^[<"]|[>"]$/g, ''),
            system: p.type === 'system_lib_string',
            span: spanOf(p),
          });
        break;
      }
      case 'preproc_def': {
        const name = n.childForFieldName('name')?.text;
        if (name) defines.add(name);
        const value = n
          .childForFieldName('value')
          ?.text.trim()
          .replace(/^\((.*)\)$/, '$1')
          .trim();
        if (name && value !== undefined) {
          const v = evalConstText(value, constants, (t) => sizeOfType(t, structs));
          if (v !== undefined) constants.set(name, v);
        }
        break;
      }
      case 'enumerator_list': {
        let next = 0n;
        for (const e of n.namedChildren) {
          if (e?.type !== 'enumerator') continue;
          const name = e.childForFieldName('name')?.text;
          const valueNode = e.childForFieldName('value');
          const v = valueNode ? evalConst(valueNode, constants) : next;
          if (name && v !== undefined) {
            constants.set(name, v);
            next = v + 1n;
          }
        }
        break;
      }
      case 'struct_specifier': {
        // The body first: most struct specifiers are uses (`struct iphdr *iph`), without one.
        const body = n.childForFieldName('body');
        const name = body && n.childForFieldName('name')?.text;
        if (name && body) {
          const members: string[] = [];
          let ok = true;
          for (const f of body.namedChildren) {
            if (f?.type !== 'field_declaration') continue;
            const t = f.childForFieldName('type')?.text ?? '';
            const ds = f.childrenForFieldName('declarator');
            if (!ds.length || f.text.includes(':')) ok = false;
            for (const d of ds) {
              if (!d) continue;
              if (d.type === 'pointer_declarator') members.push(`${t} *`);
              else if (d.type === 'array_declarator') {
                const size = evalConst(d.childForFieldName('size'), constants);
                if (size === undefined) ok = false;
                members.push(`${t}[${String(size)}]`);
              } else members.push(t);
            }
          }
          // __attribute__((packed)) (or __packed): members back to back, no padding.
          const packed = /\bpacked\b/.test(n.text) || /\bpacked\b/.test(n.parent?.text ?? '');
          const layout = ok ? layoutStruct(members, structs, packed) : undefined;
          if (layout) structs.set(`struct ${name}`, layout);
        }
        break;
      }
      case 'function_definition': {
        const name = declaratorName(n.childForFieldName('declarator'))?.text;
        const end = n.endIndex;
        if (name) {
          fnStack.push(name);
          fnEnd.push(end);
        }
        // Returns and body nodes only for programs (a SEC): no rule reads other functions' bodies.
        const body = programIds.has(n.id) ? n.childForFieldName('body') : null;
        if (body) {
          const entry = { end, bodyStart: body.startIndex, returns: [], nodes: [] };
          bodies.set(n.id, entry);
          bodyStack.push(entry);
        }
        break;
      }
      case 'call_expression': {
        const f = n.childForFieldName('function');
        if (f?.type === 'identifier') {
          const args = (n.childForFieldName('arguments')?.namedChildren ?? []).filter(
            (a): a is SyntaxNode => !!a && a.type !== 'comment',
          );
          const from = fnStack[fnStack.length - 1];
          // The name read once: each .text slices the text anew.
          const callee = f.text;
          if (callee.startsWith('bpf_')) {
            const helper = helperByName(helperAliases[callee] ?? callee);
            calls.push({ name: callee, helper, node: n, nameSpan: spanOf(f), args, inFunction: from });
          }
          const list = localCalls.get(callee);
          const entry = { from, nameSpan: spanOf(f) };
          if (list) list.push(entry);
          else localCalls.set(callee, [entry]);
        }
        break;
      }
    }
  }

  const off = inactiveSpans(root, constants, defines);
  for (const item of items) {
    if (off.some((o) => item.startIndex >= o.start && item.endIndex <= o.end)) continue;
    const sec = secFor.get(item);
    if (item.type === 'function_definition') {
      const decl = item.childForFieldName('declarator');
      const nameNode = declaratorName(decl);
      if (!nameNode) continue;
      let fdecl: SyntaxNode | null = decl;
      while (fdecl && fdecl.type !== 'function_declarator') fdecl = fdecl.childForFieldName('declarator');
      const firstParam = fdecl
        ?.childForFieldName('parameters')
        ?.namedChildren.find((p) => p?.type === 'parameter_declaration');
      const ctxParam = firstParam
        ? declaratorName(firstParam.childForFieldName('declarator'))?.text
        : undefined;
      const collected = bodies.get(item.id);
      functions.push({
        name: nameNode.text,
        nameSpan: spanOf(nameNode),
        span: spanOf(item),
        node: item,
        sec,
        xdp: sec ? xdpSecInfo(sec.name) : undefined,
        ctxParam,
        returns: collected?.returns ?? [],
        bodyNodes: collected?.nodes ?? [],
      });
      continue;
    }
    if (item.type !== 'declaration') continue;
    const typeNode = item.childForFieldName('type');
    for (const d of item.childrenForFieldName('declarator')) {
      if (!d) continue;
      const nameNode = declaratorName(d);
      if (!nameNode) continue;
      if (sec?.name === 'license') {
        const v = d.childForFieldName('value');
        if (v?.type === 'string_literal' || v?.type === 'concatenated_string')
          license = { value: stripQuotes(v.text), span: spanOf(v) };
        else license = { value: '', span: spanOf(d) };
        continue;
      }
      const body = typeNode?.type === 'struct_specifier' ? typeNode.childForFieldName('body') : null;
      // The body's marks, found once: testing every mark of the file against it per declaration made
      // this loop maps × marks (the cold didOpen's largest cost on a 5,000-line file, issue 16).
      const marks = body ? marksWithin(source.mapAttrs, body.startIndex, body.endIndex) : [];
      if (
        body &&
        !typeNode?.childForFieldName('name') &&
        // SEC(".maps"), or a plain `struct { __uint(type, …) … } name;` — not libxdp's
        // XDP_RUN_CONFIG(prog) struct, whose __uint() fields are settings, not a map.
        d.type === 'identifier' &&
        (sec?.name === '.maps' || marks.some((a) => a.key === 'type'))
      ) {
        maps.push(btfMap(nameNode, item, sec, marks, constants, structs));
        continue;
      }
      const value = d.type === 'init_declarator' ? d.childForFieldName('value') : null;
      if (
        value?.type === 'initializer_list' &&
        (sec?.name === 'maps' || /bpf_map_def|bpf_elf_map/.test(typeNode?.text ?? ''))
      ) {
        maps.push(legacyMap(nameNode, item, sec, value, constants, structs));
      }
    }
  }

  const programs = functions.filter((f) => f.sec);
  return {
    text: original,
    lines: new LineIndex(original),
    tree,
    syntax,
    secs: source.secs,
    includes,
    functions,
    programs,
    maps,
    calls,
    localCalls,
    license,
    constants,
    structs,
    // Only references and semantic tokens need every identifier: collected on first use, which keeps
    // ~6,000 node objects per 5,000 lines out of the diagnostics path.
    get identifiers() {
      if (!identifiers) {
        identifiers = new Map<string, Span[]>();
        for (const n of root.descendantsOfType('identifier')) {
          if (!n) continue;
          const span = { start: n.startIndex, end: n.endIndex };
          const name = masked.slice(span.start, span.end);
          const list = identifiers.get(name);
          if (list) list.push(span);
          else identifiers.set(name, [span]);
        }
      }
      return identifiers;
    },
  };
}
