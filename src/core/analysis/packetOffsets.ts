// Packet offsets of header field accesses (issue 12 item 3: `iph->ttl` → pkt+22, 1 B), from the parse
// chain of one function: `data = (void *)(long)ctx->data`, `eth = data`, `iph = data + sizeof(*eth)`
// or `(void *)(eth + 1)`. Only where it is certain: a pointer assigned exactly once in the function,
// from ctx->data plus constants (the verifier's PTR_TO_PACKET with a constant off, as
// check_packet_access sees it); a variable offset (`iph->ihl * 4`) ends the chain.
import type { SyntaxNode } from './syntaxTree';
import { evalConst } from './constEval';
import { sizeOfType } from './cTypes';
import type { FileModel, FunctionInfo, Span } from './fileModel';
import { netHeaderLayouts } from './netHeaderLayouts';

export interface PacketFieldAccess {
  /** The field name in `ptr->field`. */
  readonly span: Span;
  readonly struct: string;
  readonly field: string;
  /** Byte offset from the start of the packet (ctx->data) and size. */
  readonly offset: number;
  readonly size: number;
}

interface PacketPtr {
  readonly offset: number;
  /** Bytes one step of pointer arithmetic moves (sizeof the pointee); undefined when unknown. */
  readonly elem?: number;
  /** The struct tag the pointer points to, when it is a header of netHeaderLayouts. */
  readonly struct?: string;
}

interface Var {
  writes: number;
  /** Declared pointee: struct tag or scalar type text; undefined for non-pointers. */
  pointee?: { readonly struct?: string; readonly elem?: number };
  value?: SyntaxNode;
  ptr?: PacketPtr;
}

function declaredIdent(d: SyntaxNode | null): { name: SyntaxNode; pointer: boolean } | undefined {
  let n: SyntaxNode | null = d;
  let pointer = false;
  while (n && n.type !== 'identifier') {
    if (n.type === 'pointer_declarator') pointer = true;
    if (n.type === 'array_declarator' || n.type === 'function_declarator') return undefined;
    n = n.childForFieldName('declarator');
  }
  return n ? { name: n, pointer } : undefined;
}

function pointeeOf(model: FileModel, type: SyntaxNode | null): { struct?: string; elem?: number } {
  if (!type) return {};
  if (type.type === 'struct_specifier') {
    const tag = type.childForFieldName('name')?.text ?? '';
    const size = netHeaderLayouts[tag]?.size ?? model.structs.get(`struct ${tag}`)?.size;
    return { struct: tag, ...(size !== undefined ? { elem: size } : {}) };
  }
  const t = type.text;
  if (t === 'void') return { elem: 1 };
  const size = sizeOfType(t, model.structs);
  return size !== undefined ? { elem: size } : {};
}

/** Every `ptr->field` access in XDP-reachable code whose packet offset is certain. */
export function packetFieldAccesses(
  model: FileModel,
  functions?: readonly FunctionInfo[],
): PacketFieldAccess[] {
  const out: PacketFieldAccess[] = [];
  for (const fn of functions ?? model.functions) {
    if (!fn.ctxParam) continue;
    scanFunction(model, fn, fn.ctxParam, out);
  }
  return out;
}

function scanFunction(model: FileModel, fn: FunctionInfo, ctx: string, out: PacketFieldAccess[]): void {
  const body = fn.node.childForFieldName('body');
  if (!body) return;
  const vars = new Map<string, Var>();
  const varOf = (name: string): Var => {
    let v = vars.get(name);
    if (!v) vars.set(name, (v = { writes: 0 }));
    return v;
  };
  const nodes = body.descendantsOfType([
    'declaration',
    'assignment_expression',
    'update_expression',
    'pointer_expression',
  ]);
  for (const n of nodes) {
    if (!n) continue;
    if (n.type === 'declaration') {
      const type = n.childForFieldName('type');
      for (const d of n.childrenForFieldName('declarator')) {
        const id = declaredIdent(d);
        if (!id) continue;
        const v = varOf(id.name.text);
        // A second declaration of the name (another block) makes the name ambiguous: never certain.
        if (v.pointee !== undefined || v.writes) v.writes += 2;
        v.pointee = id.pointer ? pointeeOf(model, type) : {};
        if (d?.type === 'init_declarator') {
          v.writes++;
          v.value = d.childForFieldName('value') ?? undefined;
        }
      }
    } else if (n.type === 'assignment_expression') {
      const left = n.childForFieldName('left');
      if (left?.type !== 'identifier') continue;
      const v = varOf(left.text);
      v.writes++;
      v.value =
        n.childForFieldName('operator')?.text === '='
          ? (n.childForFieldName('right') ?? undefined)
          : undefined;
    } else if (n.type === 'update_expression') {
      const a = n.childForFieldName('argument');
      if (a?.type === 'identifier') varOf(a.text).writes += 2;
    } else {
      // &ptr: written through a pointer somewhere we cannot see.
      const a = n.childForFieldName('argument');
      if (n.childForFieldName('operator')?.text === '&' && a?.type === 'identifier')
        varOf(a.text).writes += 2;
    }
  }

  const evalNum = (n: SyntaxNode | null): number | undefined => {
    if (!n) return undefined;
    if (n.type === 'sizeof_expression') {
      const t = n.childForFieldName('type');
      if (t) {
        const inner = t.childForFieldName('type');
        if (t.childForFieldName('declarator')) return 8;
        return inner ? pointeeOf(model, inner).elem : undefined;
      }
      let v = n.childForFieldName('value');
      while (v?.type === 'parenthesized_expression') v = v.namedChildren[0] ?? null;
      if (v?.type === 'pointer_expression' && v.childForFieldName('operator')?.text === '*') {
        const a = v.childForFieldName('argument');
        return a?.type === 'identifier' ? vars.get(a.text)?.pointee?.elem : undefined;
      }
      return undefined;
    }
    if (n.type === 'parenthesized_expression') return evalNum(n.namedChildren[0] ?? null);
    if (n.type === 'binary_expression') {
      const l = evalNum(n.childForFieldName('left'));
      const r = evalNum(n.childForFieldName('right'));
      if (l === undefined || r === undefined) return undefined;
      const op = n.childForFieldName('operator')?.text;
      return op === '+' ? l + r : op === '-' ? l - r : op === '*' ? l * r : undefined;
    }
    const c = evalConst(n, model.constants);
    return c === undefined ? undefined : Number(c);
  };

  const resolving = new Set<string>();
  const ptrOf = (n: SyntaxNode | null): PacketPtr | undefined => {
    if (!n) return undefined;
    switch (n.type) {
      case 'parenthesized_expression':
        return ptrOf(n.namedChildren[0] ?? null);
      case 'cast_expression': {
        const inner = ptrOf(n.childForFieldName('value'));
        if (!inner) return undefined;
        const td = n.childForFieldName('type');
        if (!td?.childForFieldName('declarator')) return inner; // (long)ptr keeps byte arithmetic
        const p = pointeeOf(model, td.childForFieldName('type'));
        return {
          offset: inner.offset,
          ...(p.elem !== undefined ? { elem: p.elem } : {}),
          ...(p.struct ? { struct: p.struct } : {}),
        };
      }
      case 'field_expression':
        return n.childForFieldName('argument')?.text === ctx &&
          n.childForFieldName('operator')?.text === '->' &&
          n.childForFieldName('field')?.text === 'data'
          ? { offset: 0, elem: 1 }
          : undefined;
      case 'identifier':
        return varPtr(n.text);
      case 'binary_expression': {
        const op = n.childForFieldName('operator')?.text;
        if (op !== '+' && op !== '-') return undefined;
        const base = ptrOf(n.childForFieldName('left'));
        const k = evalNum(n.childForFieldName('right'));
        if (!base || base.elem === undefined || k === undefined) return undefined;
        return { ...base, offset: base.offset + (op === '+' ? k : -k) * base.elem };
      }
      default:
        return undefined;
    }
  };
  const varPtr = (name: string): PacketPtr | undefined => {
    const v = vars.get(name);
    if (!v || v.writes !== 1 || !v.value || !v.pointee || resolving.has(name)) return undefined;
    if (v.ptr) return v.ptr;
    resolving.add(name);
    const p = ptrOf(v.value);
    resolving.delete(name);
    if (!p) return undefined;
    // The variable's declared type decides what its own arithmetic and fields mean.
    v.ptr = {
      offset: p.offset,
      ...(v.pointee.elem !== undefined ? { elem: v.pointee.elem } : {}),
      ...(v.pointee.struct ? { struct: v.pointee.struct } : {}),
    };
    return v.ptr;
  };

  for (const n of body.descendantsOfType('field_expression')) {
    if (!n || n.childForFieldName('operator')?.text !== '->') continue;
    const arg = n.childForFieldName('argument');
    const field = n.childForFieldName('field');
    if (arg?.type !== 'identifier' || !field) continue;
    const p = varPtr(arg.text);
    const layout = p?.struct ? netHeaderLayouts[p.struct] : undefined;
    const f = layout?.fields[field.text];
    if (!p?.struct || !f) continue;
    out.push({
      span: { start: field.startIndex, end: field.endIndex },
      struct: p.struct,
      field: field.text,
      offset: p.offset + f.offset,
      size: f.size,
    });
  }
}
