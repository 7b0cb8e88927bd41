// C values of one stopped frame for the Variables view, hovers and conditions: a DWARF variable's
// bytes read from its register or VM memory, rendered by its C type (pointers into the packet as
// `pkt+14`, stack pointers as `fp-16`), expanded member by member (expressions: debugExpression.ts).
import { ADDR_BASE } from '../vm/memory';
import type { Region } from '../vm/memory';
import type { StepMemory } from './debugTarget';
import { splitPointer } from './debugTarget';
import { evalLocation } from './dwarfExpr';
import type { DwarfTypes } from './dwarfTypes';
import type { ProgramDebugInfo } from './programDebugInfo';

/** A DAP variable (the fields this adapter fills). */
export interface DapVariable {
  name: string;
  value: string;
  type?: string;
  variablesReference: number;
  memoryReference?: string;
  evaluateName?: string;
  presentationHint?: { kind?: string; attributes?: string[] };
}

/** A value of a C type: its bytes (little-endian), where it lives in memory, or why it is missing. */
export interface TypedValue {
  type: number | undefined;
  bytes?: Uint8Array;
  addr?: bigint;
  unavailable?: string;
}

/** One frame as the evaluator sees it. */
export interface FrameContext {
  info: ProgramDebugInfo;
  pc: number;
  reg(r: number): bigint;
  memory: StepMemory;
  types: DwarfTypes | undefined;
}

/** Registers children producers for expandable values (reset at each stop). */
export interface Handles {
  add(children: () => DapVariable[]): number;
}

/** 64-bit wrap-around, as the VM's registers do it. */
export const M64 = (1n << 64n) - 1n;

/** Bytes as two-digit hex, space-separated (`de ad be ef`), as the views show packet and map bytes. */
export function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

export function bytesToBig(b: Uint8Array, signed = false): bigint {
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i] as number);
  if (signed && b.length && (b[b.length - 1] as number) & 0x80) v -= 1n << BigInt(8 * b.length);
  return v;
}

export function bigToBytes(v: bigint, size: number): Uint8Array {
  const out = new Uint8Array(size);
  let x = v & M64;
  for (let i = 0; i < size; i++) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return out;
}

/** Reads `size` bytes at a VM pointer, or says why it cannot. */
export function readMemory(mem: StepMemory, addr: bigint, size: number): Uint8Array | string {
  const { region, offset } = splitPointer(addr);
  const r: Region | undefined = mem.R[region];
  if (!r || r.kind === 'null') return addr === 0n ? 'NULL' : 'not a pointer';
  if (r.kind === 'ctx') return 'the context is read through its fields';
  if (offset < r.lo || offset + size > r.hi) return `outside ${r.label}`;
  return r.u8.slice(offset, offset + size);
}

/** A pointer as the verifier would name what it points to: `pkt+14`, `fp-16`, `ctx`, `map_value(hits)+0`. */
export function pointerText(v: bigint, mem: StepMemory): string | undefined {
  if (v === 0n) return 'NULL';
  const { region, offset } = splitPointer(v);
  if (region === 0 || region === 0xffffffff) return undefined;
  const r = mem.R[region];
  if (!r || r.kind === 'null') return undefined;
  const signed = (n: number): string => (n < 0 ? `${n}` : `+${n}`);
  switch (r.kind) {
    case 'packet': {
      const b = mem.buffer;
      if (offset === b.dataEnd) return `pkt_end (pkt+${b.dataEnd - b.data})`;
      return `pkt${signed(offset - b.data)}`;
    }
    case 'stack':
      return `fp${signed(offset - 512)}${region > 1 ? ` (frame ${region - 1})` : ''}`;
    case 'ctx':
      return offset === 0 ? 'ctx' : `ctx${signed(offset)}`;
    case 'map':
      return r.label;
    case 'func':
      return `callback pc ${offset + ADDR_BASE - ADDR_BASE}`;
    default:
      return `${r.kind === 'mapValue' || r.kind === 'rodata' ? 'map_value' : r.kind}(${r.label.replace(/^map '([^']*)'.*$/, '$1')})${signed(offset)}`;
  }
}

/** The verifier's name of a register's kind (scalar, ctx, pkt, pkt_end, map_value, stack, …). */
export function registerKind(v: bigint, mem: StepMemory): string {
  const { region, offset } = splitPointer(v);
  const r = region === 0 || region === 0xffffffff ? undefined : mem.R[region];
  if (!r || r.kind === 'null') return 'scalar';
  switch (r.kind) {
    case 'packet':
      return offset === mem.buffer.dataEnd ? 'pkt_end' : offset < mem.buffer.data ? 'pkt_meta' : 'pkt';
    case 'stack':
      return 'stack';
    case 'ctx':
      return 'ctx';
    case 'map':
      return 'map_ptr';
    case 'mapValue':
    case 'rodata':
      return 'map_value';
    case 'func':
      return 'func';
    default:
      return r.kind;
  }
}

/** A local's value at this frame's pc from its DWARF location. */
export function variableValue(
  cx: FrameContext,
  v: { location: unknown; type: number | undefined },
  loc: Uint8Array | bigint | undefined,
): TypedValue {
  const size = cx.types?.sizeOf(v.type) ?? 8;
  if (loc === undefined) return { type: v.type, unavailable: 'optimized out' };
  if (typeof loc === 'bigint') return { type: v.type, bytes: bigToBytes(loc, size) };
  const fn = cx.info.functionAt(cx.pc);
  const place = evalLocation(loc, {
    reg: (r) => cx.reg(r),
    stackSize: fn ? cx.info.stackSize(fn) : 0,
    deref: (a) => {
      const b = readMemory(cx.memory, a, 8);
      return typeof b === 'string' ? undefined : bytesToBig(b);
    },
  });
  switch (place.kind) {
    case 'register':
    case 'value':
      return { type: v.type, bytes: bigToBytes(place.value, Math.min(8, size) || 8) };
    case 'implicit':
      return { type: v.type, bytes: place.bytes };
    case 'memory': {
      const b = readMemory(cx.memory, place.addr, size);
      if (typeof b === 'string') return { type: v.type, addr: place.addr, unavailable: b };
      return { type: v.type, bytes: b, addr: place.addr };
    }
    default:
      return { type: v.type, unavailable: place.why };
  }
}

/** The DAP variable of a typed value, with children for structs, arrays and pointers to them. */
export function renderValue(
  cx: FrameContext,
  name: string,
  tv: TypedValue,
  handles: Handles,
  evaluateName?: string,
): DapVariable {
  const types = cx.types;
  const typeName = types ? types.name(tv.type) : '';
  const base: DapVariable = { name, value: '', type: typeName, variablesReference: 0 };
  if (evaluateName) base.evaluateName = evaluateName;
  if (tv.addr !== undefined) base.memoryReference = '0x' + tv.addr.toString(16);
  if (tv.unavailable !== undefined || !tv.bytes) {
    base.value = `<${tv.unavailable ?? 'unavailable'}>`;
    base.presentationHint = { attributes: ['readOnly'] };
    return base;
  }
  const bytes = tv.bytes;
  const t = types
    ? types.resolve(tv.type)
    : ({
        kind: 'base',
        name: 'u64',
        size: 8,
        signed: false,
        float: false,
        char: false,
        bool: false,
      } as const);
  switch (t.kind) {
    case 'base': {
      const v = bytesToBig(bytes.subarray(0, t.size || bytes.length), t.signed);
      if (t.bool) base.value = v ? 'true' : 'false';
      else if (t.char && /char/.test(typeName))
        base.value = `${v} '${v >= 32n && v < 127n ? String.fromCharCode(Number(v)) : `\\x${(Number(v) & 0xff).toString(16).padStart(2, '0')}`}'`;
      else if (/^__be(16|32|64)$/.test(typeName)) {
        const be = bytesToBig(bytes.subarray(0, t.size).slice().reverse());
        base.value = `0x${be.toString(16).padStart(t.size * 2, '0')} (${be} in network order)`;
      } else base.value = v.toString();
      return base;
    }
    case 'enum': {
      const v = bytesToBig(bytes.subarray(0, t.size), t.signed);
      base.value = t.names.get(v) ?? v.toString();
      return base;
    }
    case 'pointer': {
      const v = bytesToBig(bytes.subarray(0, 8));
      const text = pointerText(v, cx.memory);
      base.value = text ?? `0x${v.toString(16)}`;
      if (text !== undefined && text !== 'NULL') base.memoryReference = '0x' + v.toString(16);
      const target = types?.resolve(t.target);
      const size = types?.sizeOf(t.target) ?? 0;
      const { region, offset } = splitPointer(v);
      const r = cx.memory.R[region];
      if (r?.kind === 'ctx' && offset === 0) {
        base.variablesReference = handles.add(() => ctxFields(cx));
      } else if (
        target &&
        target.kind !== 'void' &&
        target.kind !== 'function' &&
        size > 0 &&
        text !== undefined &&
        text !== 'NULL'
      ) {
        const b = readMemory(cx.memory, v, size);
        if (typeof b !== 'string') {
          const pointee: TypedValue = { type: t.target, bytes: b, addr: v };
          const deref = evaluateName ? `(*${evaluateName})` : undefined;
          base.variablesReference = handles.add(() =>
            target.kind === 'struct' || target.kind === 'union'
              ? children(cx, pointee, handles, evaluateName ? `${evaluateName}->` : undefined)
              : [renderValue(cx, `*${name}`, pointee, handles, deref)],
          );
        }
      }
      return base;
    }
    case 'struct':
    case 'union': {
      const kids = children(cx, tv, handles, evaluateName ? `${evaluateName}.` : undefined);
      base.value = `{${kids
        .slice(0, 6)
        .map((k) => `${k.name}=${k.value}`)
        .join(', ')}${kids.length > 6 ? ', …' : ''}}`;
      base.variablesReference = handles.add(() =>
        children(cx, tv, handles, evaluateName ? `${evaluateName}.` : undefined),
      );
      return base;
    }
    case 'array': {
      const es = types?.sizeOf(t.elem) ?? 1;
      const elem = types?.resolve(t.elem);
      if (elem?.kind === 'base' && es === 1) {
        const shown = hexBytes(bytes.subarray(0, Math.min(t.count, 32)));
        base.value =
          elem.char && bytes.indexOf(0) >= 0
            ? JSON.stringify(String.fromCharCode(...bytes.subarray(0, bytes.indexOf(0))))
            : `[${shown}${t.count > 32 ? ' …' : ''}]`;
      } else base.value = `[${t.count}]`;
      base.variablesReference = handles.add(() =>
        Array.from({ length: Math.min(t.count, 256) }, (_, i) =>
          renderValue(
            cx,
            `[${i}]`,
            {
              type: t.elem,
              bytes: bytes.subarray(i * es, (i + 1) * es),
              ...(tv.addr !== undefined ? { addr: tv.addr + BigInt(i * es) } : {}),
            },
            handles,
            evaluateName ? `${evaluateName}[${i}]` : undefined,
          ),
        ),
      );
      return base;
    }
    default:
      base.value = `0x${bytesToBig(bytes).toString(16)}`;
      return base;
  }
}

function children(
  cx: FrameContext,
  tv: TypedValue,
  handles: Handles,
  prefix: string | undefined,
): DapVariable[] {
  const t = cx.types?.resolve(tv.type);
  if (!t || (t.kind !== 'struct' && t.kind !== 'union') || !tv.bytes) return [];
  return t.members.map((m) => {
    const size = cx.types?.sizeOf(m.type) ?? 0;
    let bytes = tv.bytes?.subarray(m.offset, m.offset + size) ?? new Uint8Array(0);
    if (m.bitSize !== undefined && m.bitOffset !== undefined) {
      const whole = bytesToBig(
        tv.bytes?.subarray(Math.floor(m.bitOffset / 8), Math.floor(m.bitOffset / 8) + 8) ?? new Uint8Array(0),
      );
      const v = (whole >> BigInt(m.bitOffset % 8)) & ((1n << BigInt(m.bitSize)) - 1n);
      bytes = bigToBytes(v, Math.max(1, size));
    }
    return renderValue(
      cx,
      m.name,
      { type: m.type, bytes, ...(tv.addr !== undefined ? { addr: tv.addr + BigInt(m.offset) } : {}) },
      handles,
      prefix ? `${prefix}${m.name}` : undefined,
    );
  });
}

/** `struct xdp_md` as the program sees it through the context rewrite. */
function ctxFields(cx: FrameContext): DapVariable[] {
  const b = cx.memory.buffer;
  const v = (name: string, value: string): DapVariable => ({
    name,
    value,
    type: '__u32',
    variablesReference: 0,
  });
  return [
    v('data', 'pkt+0'),
    v('data_end', `pkt_end (pkt+${b.dataEnd - b.data})`),
    v('data_meta', `pkt${b.dataMeta - b.data}`),
  ];
}
