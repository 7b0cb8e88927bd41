// The map declarations of a BPF C file as the analyzer reads them: BTF-defined maps (`__uint(type, …)`
// marks found by maskMacros.ts) and legacy `struct bpf_map_def SEC("maps")` initialisers, with sizes
// evaluated the way clang would lay the key and value types out (cTypes.ts).
import type { SyntaxNode } from './syntaxTree';
import { mapTypeByName, mapTypeByValue } from '../bpf/mapTypes';
import type { MapTypeInfo } from '../bpf/mapTypes';
import { evalConstText } from './constEval';
import { sizeOfType } from './cTypes';
import type { StructLayout } from './cTypes';
import type { MapAttr, MapInfo, Span } from './fileModel';
import type { MapAttrMark, SecMark } from './maskMacros';

const spanOf = (n: SyntaxNode): Span => ({ start: n.startIndex, end: n.endIndex });

export /** The marks inside [start, end): `marks` are in text order (maskMacros finds them left to right). */
function marksWithin(marks: readonly MapAttrMark[], start: number, end: number): MapAttrMark[] {
  let lo = 0;
  let hi = marks.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if ((marks[mid]?.start ?? Infinity) < start) lo = mid + 1;
    else hi = mid;
  }
  const out: MapAttrMark[] = [];
  for (let i = lo; i < marks.length; i++) {
    const m = marks[i];
    if (!m || m.start >= end) break;
    if (m.end <= end) out.push(m);
  }
  return out;
}

function numberOf(
  text: string,
  constants: ReadonlyMap<string, bigint>,
  structs: ReadonlyMap<string, StructLayout> = new Map(),
): number | undefined {
  const v = evalConstText(text, constants, (t) => sizeOfType(t, structs));
  return v === undefined ? undefined : Number(v);
}

function mapTypeOf(
  text: string | undefined,
  constants: ReadonlyMap<string, bigint>,
): MapTypeInfo | undefined {
  if (!text) return undefined;
  const byName = mapTypeByName(text.trim());
  if (byName) return byName;
  const n = numberOf(text, constants);
  return n === undefined ? undefined : mapTypeByValue(n);
}

export function btfMap(
  nameNode: SyntaxNode,
  decl: SyntaxNode,
  sec: SecMark | undefined,
  marks: readonly MapAttrMark[],
  constants: ReadonlyMap<string, bigint>,
  structs: ReadonlyMap<string, StructLayout>,
): MapInfo {
  const attrs = new Map<string, MapAttr>();
  for (const m of marks) attrs.set(m.key, { value: m.value, span: { start: m.valueStart, end: m.valueEnd } });
  return mapInfo(nameNode, decl, 'btf', sec, attrs, constants, structs);
}

export function legacyMap(
  nameNode: SyntaxNode,
  decl: SyntaxNode,
  sec: SecMark | undefined,
  init: SyntaxNode,
  constants: ReadonlyMap<string, bigint>,
  structs: ReadonlyMap<string, StructLayout> = new Map(),
): MapInfo {
  const attrs = new Map<string, MapAttr>();
  for (const p of init.namedChildren) {
    if (p?.type !== 'initializer_pair') continue;
    const field =
      p.childForFieldName('designator')?.text.replace(/^\./, '') ??
      p.namedChildren[0]?.text.replace(/^\./, '');
    const value = p.childForFieldName('value');
    if (field && value) attrs.set(field, { value: value.text, span: spanOf(value) });
  }
  return mapInfo(nameNode, decl, 'legacy', sec, attrs, constants, structs);
}

/**
 * Type and sizes from the attributes as written: a BTF map's `key`/`value` types are laid out,
 * `key_size`/`value_size` (both styles) evaluated, `sizeof(struct …)` included.
 */
function mapInfo(
  nameNode: SyntaxNode,
  decl: SyntaxNode,
  style: MapInfo['style'],
  sec: SecMark | undefined,
  attrs: ReadonlyMap<string, MapAttr>,
  constants: ReadonlyMap<string, bigint>,
  structs: ReadonlyMap<string, StructLayout>,
): MapInfo {
  const size = (typeAttr: string, sizeAttr: string): number | undefined => {
    const t = attrs.get(typeAttr)?.value;
    return t !== undefined
      ? sizeOfType(t, structs)
      : numberOf(attrs.get(sizeAttr)?.value ?? '', constants, structs);
  };
  return {
    name: nameNode.text,
    nameSpan: spanOf(nameNode),
    span: spanOf(decl),
    style,
    sec,
    attrs,
    type: mapTypeOf(attrs.get('type')?.value, constants),
    keySize: size('key', 'key_size'),
    valueSize: size('value', 'value_size'),
    maxEntries: numberOf(attrs.get('max_entries')?.value ?? '', constants),
  };
}
