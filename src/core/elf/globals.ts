// Global variables of a loaded object (`const volatile` knobs in .rodata, counters in .data/.bss) by
// name, as a libbpf skeleton exposes them (bpftool gen skeleton: non-static BTF VARs of each DATASEC),
// and setting them before a run: what `bpf_map__set_initial_value` / `skel->rodata->knob = …` do.
// Values: integers (decimal, 0x hex, negative; XDP action names), booleans, enumerator names, strings for char arrays,
// lists for arrays, 0x… hex bytes of the exact size for anything else.
import { xdpActionByName } from '../bpf/xdpActions';
import type { BpfMap } from '../maps/bpfMap';
import { BTF_INT_SIGNED, BTF_KIND } from './btf';
import type { Btf, BtfType } from './btf';

/** One global variable of an object. */
export interface GlobalVar {
  name: string;
  /** ELF section: .rodata (read-only to the program: a knob set before load), .data, .bss, … */
  section: string;
  /** The global-data map holding it (libbpf's `obj.rodata`…) and its byte range in the value. */
  map: BpfMap;
  offset: number;
  size: number;
  /** The C type as written: `__u16`, `const volatile unsigned char`, `char[16]`. */
  type: string;
  /** How a value is given: the shape setGlobal accepts. */
  shape: GlobalShape;
}

export type GlobalShape =
  | {
      kind: 'int';
      size: number;
      signed: boolean;
      bool: boolean;
      enumerators?: { name: string; value: bigint }[];
    }
  | { kind: 'chars'; length: number }
  | { kind: 'array'; length: number; elem: GlobalShape & { kind: 'int' } }
  | { kind: 'bytes' };

/** A value as the CLI (a string) or a scenario (JSON) gives it. */
export type GlobalValue = string | number | boolean | (string | number | boolean)[];

/** A value that does not fit its variable, or an unknown name: the message says which and why. */
export class GlobalError extends Error {}

const BTF_VAR_STATIC = 0;

/** C spelling of a BTF type (for listings). */
export function typeName(btf: Btf, id: number, depth = 0): string {
  const t = btf.type(id);
  if (!t || depth > 16) return '?';
  switch (t.kind) {
    case 0:
      return 'void';
    case BTF_KIND.PTR:
      return `${typeName(btf, t.sizeOrType, depth + 1)} *`;
    case BTF_KIND.ARRAY:
      return `${typeName(btf, t.array?.type ?? 0, depth + 1)}[${t.array?.nelems ?? 0}]`;
    case BTF_KIND.CONST:
      return `const ${typeName(btf, t.sizeOrType, depth + 1)}`;
    case BTF_KIND.VOLATILE:
      return `volatile ${typeName(btf, t.sizeOrType, depth + 1)}`;
    case BTF_KIND.STRUCT:
      return `struct ${t.name || '<anon>'}`;
    case BTF_KIND.UNION:
      return `union ${t.name || '<anon>'}`;
    case BTF_KIND.ENUM:
    case BTF_KIND.ENUM64:
      return `enum ${t.name || '<anon>'}`;
    default:
      return t.name || '?';
  }
}

function shapeOf(btf: Btf, id: number): GlobalShape {
  const t = btf.resolve(id);
  const intShape = (x: BtfType | undefined): (GlobalShape & { kind: 'int' }) | undefined => {
    if (!x) return undefined;
    if (x.kind === BTF_KIND.INT && x.int && [1, 2, 4, 8].includes(x.sizeOrType))
      return {
        kind: 'int',
        size: x.sizeOrType,
        signed: (x.int.encoding & BTF_INT_SIGNED) !== 0,
        bool: (x.int.encoding & 4) !== 0,
      };
    if ((x.kind === BTF_KIND.ENUM || x.kind === BTF_KIND.ENUM64) && [1, 2, 4, 8].includes(x.sizeOrType))
      return {
        kind: 'int',
        size: x.sizeOrType,
        signed: x.kindFlag,
        bool: false,
        enumerators: x.enumerators ?? [],
      };
    return undefined;
  };
  const scalar = intShape(t);
  if (scalar) return scalar;
  if (t?.kind === BTF_KIND.ARRAY && t.array) {
    const elem = btf.resolve(t.array.type);
    const e = intShape(elem);
    if (e && e.size === 1 && !e.enumerators && elem?.name.includes('char') && !e.bool)
      return { kind: 'chars', length: t.array.nelems };
    if (e) return { kind: 'array', length: t.array.nelems, elem: e };
  }
  return { kind: 'bytes' };
}

/** The globals of one data section, from its BTF DATASEC (offsets from the symbol table, as libbpf fixes them up). */
export function sectionGlobals(
  btf: Btf,
  section: string,
  map: BpfMap,
  symbolOffset: (name: string) => number | undefined,
): GlobalVar[] {
  const ds = btf.findDatasec(section);
  const out: GlobalVar[] = [];
  for (const v of ds?.vars ?? []) {
    const vt = btf.type(v.type);
    if (!vt || vt.kind !== BTF_KIND.VAR || vt.linkage === BTF_VAR_STATIC) continue;
    const offset = symbolOffset(vt.name) ?? v.offset;
    const size = btf.sizeOf(vt.sizeOrType) ?? v.size;
    if (offset + size > map.def.valueSize) continue;
    out.push({
      name: vt.name,
      section,
      map,
      offset,
      size,
      type: typeName(btf, vt.sizeOrType),
      shape: shapeOf(btf, vt.sizeOrType),
    });
  }
  return out;
}

function parseInt64(text: string): bigint | undefined {
  const s = text.trim();
  if (/^[+-]?\d+$/.test(s)) return BigInt(s);
  if (/^-?0x[0-9a-f]+$/i.test(s)) return s.startsWith('-') ? -BigInt(s.slice(1)) : BigInt(s);
  return undefined;
}

function intBytes(g: string, shape: GlobalShape & { kind: 'int' }, v: string | number | boolean): Uint8Array {
  let n: bigint | undefined;
  const hex = typeof v === 'string' && /^\s*0x/i.test(v);
  if (typeof v === 'boolean') n = v ? 1n : 0n;
  else if (typeof v === 'number') n = Number.isSafeInteger(v) ? BigInt(v) : undefined;
  else {
    const s = v.trim();
    if (/^(true|false)$/i.test(s)) n = /^true$/i.test(s) ? 1n : 0n;
    else
      n =
        parseInt64(s) ??
        shape.enumerators?.find((e) => e.name === s)?.value ??
        (shape.bool ? undefined : optBig(xdpActionByName(s)?.value));
  }
  const what = shape.enumerators
    ? `an enumerator (${shape.enumerators.map((e) => e.name).join(', ')}) or an integer`
    : shape.bool
      ? 'true, false, 0 or 1'
      : 'an integer (decimal or 0x hex) or an XDP action name';
  if (n === undefined) throw new GlobalError(`${g}: '${String(v)}' is not ${what}`);
  const bits = BigInt(shape.size * 8);
  const min = shape.signed ? -(1n << (bits - 1n)) : 0n;
  const max = shape.signed ? (1n << (bits - 1n)) - 1n : (1n << bits) - 1n;
  // A hex pattern may give the unsigned spelling of a signed value (0xffff for a __s16 -1).
  const fits = (n >= min && n <= max) || (hex && shape.signed && n >= 0n && n < 1n << bits);
  if (!fits || (shape.bool && n > 1n))
    throw new GlobalError(
      `${g}: ${String(v)} does not fit a ${shape.size}-byte ${shape.signed ? 'signed' : 'unsigned'} ${shape.bool ? 'bool' : 'integer'} (${min}…${max})`,
    );
  const out = new Uint8Array(shape.size);
  let u = BigInt.asUintN(Number(bits), n);
  for (let i = 0; i < shape.size; i++, u >>= 8n) out[i] = Number(u & 0xffn);
  return out;
}

const optBig = (v: number | undefined): bigint | undefined => (v === undefined ? undefined : BigInt(v));

function hexBytes(s: string): Uint8Array | undefined {
  const h = s.trim().replace(/^0x/i, '').replace(/[\s:]/g, '');
  if (!/^([0-9a-f]{2})*$/i.test(h)) return undefined;
  return Uint8Array.from(h.match(/../g) ?? [], (x) => parseInt(x, 16));
}

/** The bytes of `value` for `g` (exactly g.size bytes), or a GlobalError saying what fits. */
export function globalBytes(g: GlobalVar, value: GlobalValue): Uint8Array {
  const shape = g.shape;
  const label = `global '${g.name}' (${g.type})`;
  switch (shape.kind) {
    case 'int':
      if (Array.isArray(value)) throw new GlobalError(`${label}: give one value, not a list`);
      return intBytes(label, shape, value);
    case 'chars': {
      if (typeof value !== 'string') throw new GlobalError(`${label}: give a string`);
      const bytes = Array.from(value, (c) => c.charCodeAt(0));
      if (bytes.some((b) => b > 0xff))
        throw new GlobalError(`${label}: only Latin-1 characters fit a char array`);
      if (bytes.length > shape.length)
        throw new GlobalError(`${label}: ${bytes.length} characters do not fit ${shape.length} bytes`);
      const out = new Uint8Array(shape.length);
      out.set(bytes);
      return out;
    }
    case 'array': {
      const items = Array.isArray(value)
        ? value
        : typeof value === 'string'
          ? value.split(',').filter((x, i, a) => x.trim() !== '' || a.length > 1)
          : [value];
      if (items.length > shape.length)
        throw new GlobalError(`${label}: ${items.length} values do not fit ${shape.length} elements`);
      const out = new Uint8Array(g.size);
      items.forEach((item, i) => out.set(intBytes(`${label}[${i}]`, shape.elem, item), i * shape.elem.size));
      return out;
    }
    case 'bytes': {
      const bytes = typeof value === 'string' ? hexBytes(value) : undefined;
      if (!bytes || bytes.length !== g.size)
        throw new GlobalError(`${label}: give ${g.size} bytes as a 0x… hex string`);
      return bytes;
    }
  }
}

/** Writes `value` into the global's map before a run (the map's own user-space update). */
export function setGlobal(globals: readonly GlobalVar[], name: string, value: GlobalValue): GlobalVar {
  const g = globals.find((x) => x.name === name);
  if (!g)
    throw new GlobalError(
      `no global variable '${name}' (the object has: ${globals.map((x) => x.name).join(', ') || 'none'})`,
    );
  const bytes = globalBytes(g, value);
  const key = new Uint8Array(4);
  const current = g.map.userLookup(key);
  if (typeof current === 'number')
    throw new GlobalError(`global '${name}': its map ${g.map.name} has no value`);
  current.set(bytes, g.offset);
  const rc = g.map.userUpdate(key, current, 0);
  if (rc < 0) throw new GlobalError(`global '${name}': updating ${g.map.name} failed (errno ${-rc})`);
  return g;
}

/** The current value of a global, formatted as setGlobal accepts it. */
export function globalValueText(g: GlobalVar): string {
  const cur = g.map.userLookup(new Uint8Array(4));
  if (typeof cur === 'number') return '';
  const b = cur.subarray(g.offset, g.offset + g.size);
  const int = (bytes: Uint8Array, s: GlobalShape & { kind: 'int' }): string => {
    let u = 0n;
    for (let i = bytes.length - 1; i >= 0; i--) u = (u << 8n) | BigInt(bytes[i] as number);
    const n = s.signed ? BigInt.asIntN(s.size * 8, u) : u;
    if (s.bool) return n ? 'true' : 'false';
    const e = s.enumerators?.find((x) => BigInt.asUintN(s.size * 8, x.value) === u);
    return e ? e.name : String(n);
  };
  switch (g.shape.kind) {
    case 'int':
      return int(b, g.shape);
    case 'chars': {
      const end = b.indexOf(0);
      return String.fromCharCode(...b.subarray(0, end < 0 ? b.length : end));
    }
    case 'array': {
      const e = g.shape.elem;
      return Array.from({ length: g.shape.length }, (_, i) =>
        int(b.subarray(i * e.size, (i + 1) * e.size), e),
      ).join(',');
    }
    case 'bytes':
      return '0x' + Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }
}

/** Splits a `NAME=VALUE` assignment (the CLI's --global). */
export function parseGlobalAssignment(text: string): { name: string; value: string } {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new GlobalError(`'${text}' is not NAME=VALUE`);
  return { name: text.slice(0, eq).trim(), value: text.slice(eq + 1) };
}
