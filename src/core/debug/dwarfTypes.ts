// C types from DWARF type DIEs: their names as C spells them (`struct flow`, `__u64 *`), sizes, and
// the shapes the Variables view expands (struct members, array elements, enum names).
import { DW_AT, DW_TAG } from './dwarfConstants';
import { strAttr } from './dwarfReader';
import type { Die, DwarfInfo } from './dwarfReader';

export interface CMember {
  name: string;
  type: number | undefined;
  /** Byte offset in the struct. */
  offset: number;
  bitSize?: number;
  /** Bit offset from the start of the struct (DW_AT_data_bit_offset). */
  bitOffset?: number;
}

export type CType =
  | { kind: 'void' }
  | {
      kind: 'base';
      name: string;
      size: number;
      signed: boolean;
      float: boolean;
      char: boolean;
      bool: boolean;
    }
  | { kind: 'pointer'; target: number | undefined }
  | { kind: 'struct' | 'union'; name: string; size: number; members: CMember[] }
  | { kind: 'array'; elem: number | undefined; count: number }
  | { kind: 'enum'; size: number; signed: boolean; names: Map<bigint, string> }
  | { kind: 'function' };

const DW_ATE_boolean = 0x02;
const DW_ATE_float = 0x04;
const DW_ATE_signed = 0x05;
const DW_ATE_signed_char = 0x06;
const DW_ATE_unsigned_char = 0x08;

export class DwarfTypes {
  constructor(private readonly info: DwarfInfo) {}

  private die(off: number | undefined): Die | undefined {
    return off === undefined ? undefined : this.info.die(off);
  }

  private target(d: Die): number | undefined {
    const t = d.attrs.get(DW_AT.type);
    return typeof t === 'number' ? t : undefined;
  }

  /** The type with typedefs and qualifiers peeled off. */
  resolve(off: number | undefined): CType {
    let d = this.die(off);
    for (let i = 0; d && i < 32; i++) {
      switch (d.tag) {
        case DW_TAG.typedef:
        case DW_TAG.const_type:
        case DW_TAG.volatile_type:
        case DW_TAG.restrict_type:
        case DW_TAG.atomic_type:
          d = this.die(this.target(d));
          continue;
        case DW_TAG.base_type: {
          const enc = Number(d.attrs.get(DW_AT.encoding) ?? 0);
          return {
            kind: 'base',
            name: strAttr(d.attrs.get(DW_AT.name), '?'),
            size: Number(d.attrs.get(DW_AT.byte_size) ?? 0),
            signed: enc === DW_ATE_signed || enc === DW_ATE_signed_char,
            float: enc === DW_ATE_float,
            char: enc === DW_ATE_signed_char || enc === DW_ATE_unsigned_char,
            bool: enc === DW_ATE_boolean,
          };
        }
        case DW_TAG.pointer_type:
          return { kind: 'pointer', target: this.target(d) };
        case DW_TAG.structure_type:
        case DW_TAG.union_type:
          return {
            kind: d.tag === DW_TAG.structure_type ? 'struct' : 'union',
            name: strAttr(d.attrs.get(DW_AT.name), ''),
            size: Number(d.attrs.get(DW_AT.byte_size) ?? 0),
            members: d.children
              .filter((m) => m.tag === DW_TAG.member)
              .map((m) => {
                const loc = m.attrs.get(DW_AT.data_member_location);
                const bitSize = m.attrs.get(DW_AT.bit_size);
                const bitOff = m.attrs.get(DW_AT.data_bit_offset);
                const t = m.attrs.get(DW_AT.type);
                return {
                  name: strAttr(m.attrs.get(DW_AT.name), ''),
                  type: typeof t === 'number' ? t : undefined,
                  offset:
                    typeof loc === 'number' ? loc : typeof bitOff === 'number' ? Math.floor(bitOff / 8) : 0,
                  ...(typeof bitSize === 'number' ? { bitSize } : {}),
                  ...(typeof bitOff === 'number' ? { bitOffset: bitOff } : {}),
                };
              }),
          };
        case DW_TAG.array_type: {
          const sub = d.children.find((c) => c.tag === DW_TAG.subrange_type);
          const count = sub?.attrs.get(DW_AT.count);
          const ub = sub?.attrs.get(DW_AT.upper_bound);
          return {
            kind: 'array',
            elem: this.target(d),
            count: typeof count === 'number' ? count : typeof ub === 'number' ? ub + 1 : 0,
          };
        }
        case DW_TAG.enumeration_type: {
          const names = new Map<bigint, string>();
          for (const e of d.children)
            if (e.tag === DW_TAG.enumerator) {
              const v = e.attrs.get(DW_AT.const_value);
              if (typeof v === 'number' || typeof v === 'bigint')
                names.set(BigInt(v), strAttr(e.attrs.get(DW_AT.name), ''));
            }
          const base = this.resolve(this.target(d));
          return {
            kind: 'enum',
            size: Number(d.attrs.get(DW_AT.byte_size) ?? 4),
            signed: base.kind === 'base' && base.signed,
            names,
          };
        }
        case DW_TAG.subroutine_type:
          return { kind: 'function' };
        default:
          return { kind: 'void' };
      }
    }
    return { kind: 'void' };
  }

  sizeOf(off: number | undefined, depth = 0): number {
    const t = this.resolve(off);
    if (depth > 16) return 0;
    switch (t.kind) {
      case 'base':
      case 'struct':
      case 'union':
      case 'enum':
        return t.size;
      case 'pointer':
        return 8;
      case 'array':
        return t.count * this.sizeOf(t.elem, depth + 1);
      default:
        return 0;
    }
  }

  /** The type as C writes it: `__u32`, `struct flow *`, `char[4]`. */
  name(off: number | undefined, depth = 0): string {
    const d = this.die(off);
    if (!d) return 'void';
    if (depth > 16) return '…'; // a malformed type that refers to itself
    const named = d.attrs.get(DW_AT.name);
    switch (d.tag) {
      case DW_TAG.typedef:
      case DW_TAG.base_type:
        return strAttr(named, '?');
      case DW_TAG.structure_type:
        return `struct ${strAttr(named, '(anonymous)')}`;
      case DW_TAG.union_type:
        return `union ${strAttr(named, '(anonymous)')}`;
      case DW_TAG.enumeration_type:
        return `enum ${strAttr(named, '(anonymous)')}`;
      case DW_TAG.const_type:
        return `const ${this.name(this.target(d), depth + 1)}`;
      case DW_TAG.volatile_type:
        return `volatile ${this.name(this.target(d), depth + 1)}`;
      case DW_TAG.restrict_type:
      case DW_TAG.atomic_type:
        return this.name(this.target(d), depth + 1);
      case DW_TAG.pointer_type: {
        const inner = this.name(this.target(d), depth + 1);
        return inner.endsWith('*') ? `${inner}*` : `${inner} *`;
      }
      case DW_TAG.array_type: {
        const t = this.resolve(off);
        return `${this.name(this.target(d), depth + 1)}[${t.kind === 'array' ? t.count : ''}]`;
      }
      case DW_TAG.subroutine_type:
        return 'function';
      default:
        return '?';
    }
  }
}
