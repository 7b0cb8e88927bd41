// A reader of the BTF type section (.BTF): enough to resolve the BTF-defined maps of `.maps`
// (`__uint`, `__type`, `__array` members), type sizes, and the strings line info refers to.
import { ElfError } from './elfFile';

export const BTF_KIND = {
  INT: 1,
  PTR: 2,
  ARRAY: 3,
  STRUCT: 4,
  UNION: 5,
  ENUM: 6,
  FWD: 7,
  TYPEDEF: 8,
  VOLATILE: 9,
  CONST: 10,
  RESTRICT: 11,
  FUNC: 12,
  FUNC_PROTO: 13,
  VAR: 14,
  DATASEC: 15,
  FLOAT: 16,
  DECL_TAG: 17,
  TYPE_TAG: 18,
  ENUM64: 19,
} as const;

export interface BtfMember {
  name: string;
  type: number;
  /** Bit offset (kind_flag structs: low 24 bits). */
  offset: number;
}

export interface BtfType {
  id: number;
  kind: number;
  name: string;
  /** size for INT/STRUCT/UNION/ENUM/DATASEC/FLOAT, else the referenced type id. */
  sizeOrType: number;
  members: BtfMember[];
  /** ARRAY: element type and count. */
  array?: { type: number; nelems: number };
  /** DATASEC: variables with offsets and sizes. */
  vars?: { type: number; offset: number; size: number }[];
}

export class Btf {
  readonly types: BtfType[] = [];
  private readonly strings: Uint8Array;

  constructor(bytes: Uint8Array) {
    if (bytes.length < 24) throw new ElfError('.BTF is truncated (no header)');
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (dv.getUint16(0, true) !== 0xeb9f) throw new ElfError('.BTF has a bad magic (big-endian or corrupt)');
    const hdrLen = dv.getUint32(4, true);
    const typeOff = dv.getUint32(8, true);
    const typeLen = dv.getUint32(12, true);
    const strOff = dv.getUint32(16, true);
    const strLen = dv.getUint32(20, true);
    const tStart = hdrLen + typeOff;
    const sStart = hdrLen + strOff;
    if (tStart + typeLen > bytes.length || sStart + strLen > bytes.length)
      throw new ElfError('.BTF sections run past its end (truncated)');
    this.strings = bytes.subarray(sStart, sStart + strLen);
    this.types.push({ id: 0, kind: 0, name: 'void', sizeOrType: 0, members: [] });
    let o = tStart;
    const end = tStart + typeLen;
    const need = (n: number): void => {
      if (o + n > end) throw new ElfError(`.BTF type ${this.types.length} is truncated`);
    };
    while (o < end) {
      need(12);
      const nameOff = dv.getUint32(o, true);
      const info = dv.getUint32(o + 4, true);
      const sizeOrType = dv.getUint32(o + 8, true);
      o += 12;
      const kind = (info >> 24) & 0x1f;
      const vlen = info & 0xffff;
      const t: BtfType = { id: this.types.length, kind, name: this.str(nameOff), sizeOrType, members: [] };
      switch (kind) {
        case BTF_KIND.INT:
        case BTF_KIND.VAR:
        case BTF_KIND.DECL_TAG:
          need(4);
          o += 4;
          break;
        case BTF_KIND.ARRAY:
          need(12);
          t.array = { type: dv.getUint32(o, true), nelems: dv.getUint32(o + 8, true) };
          o += 12;
          break;
        case BTF_KIND.STRUCT:
        case BTF_KIND.UNION:
          need(12 * vlen);
          for (let i = 0; i < vlen; i++, o += 12)
            t.members.push({
              name: this.str(dv.getUint32(o, true)),
              type: dv.getUint32(o + 4, true),
              offset: dv.getUint32(o + 8, true) & 0xffffff,
            });
          break;
        case BTF_KIND.ENUM:
        case BTF_KIND.FUNC_PROTO:
          need(8 * vlen);
          o += 8 * vlen;
          break;
        case BTF_KIND.ENUM64:
          need(12 * vlen);
          o += 12 * vlen;
          break;
        case BTF_KIND.DATASEC:
          need(12 * vlen);
          t.vars = [];
          for (let i = 0; i < vlen; i++, o += 12)
            t.vars.push({
              type: dv.getUint32(o, true),
              offset: dv.getUint32(o + 4, true),
              size: dv.getUint32(o + 8, true),
            });
          break;
        case BTF_KIND.PTR:
        case BTF_KIND.FWD:
        case BTF_KIND.TYPEDEF:
        case BTF_KIND.VOLATILE:
        case BTF_KIND.CONST:
        case BTF_KIND.RESTRICT:
        case BTF_KIND.FUNC:
        case BTF_KIND.FLOAT:
        case BTF_KIND.TYPE_TAG:
          break;
        default:
          throw new ElfError(`.BTF type ${t.id} has unknown kind ${kind}`);
      }
      this.types.push(t);
    }
  }

  str(off: number): string {
    if (off >= this.strings.length) return '';
    let s = '';
    for (let i = off; i < this.strings.length; i++) {
      const c = this.strings[i] as number;
      if (c === 0) break;
      s += String.fromCharCode(c);
    }
    return s;
  }

  type(id: number): BtfType | undefined {
    return this.types[id];
  }

  /** Skips typedefs and qualifiers. */
  resolve(id: number): BtfType | undefined {
    let t = this.types[id];
    for (let guard = 0; t && guard < 64; guard++) {
      if (
        t.kind === BTF_KIND.TYPEDEF ||
        t.kind === BTF_KIND.VOLATILE ||
        t.kind === BTF_KIND.CONST ||
        t.kind === BTF_KIND.RESTRICT ||
        t.kind === BTF_KIND.TYPE_TAG
      )
        t = this.types[t.sizeOrType];
      else return t;
    }
    return undefined;
  }

  sizeOf(id: number): number | undefined {
    const t = this.resolve(id);
    if (!t) return undefined;
    switch (t.kind) {
      case BTF_KIND.INT:
      case BTF_KIND.STRUCT:
      case BTF_KIND.UNION:
      case BTF_KIND.ENUM:
      case BTF_KIND.ENUM64:
      case BTF_KIND.FLOAT:
      case BTF_KIND.DATASEC:
        return t.sizeOrType;
      case BTF_KIND.PTR:
        return 8;
      case BTF_KIND.ARRAY: {
        const e = t.array ? this.sizeOf(t.array.type) : undefined;
        return e === undefined ? undefined : e * (t.array?.nelems ?? 0);
      }
      default:
        return undefined;
    }
  }

  findDatasec(name: string): BtfType | undefined {
    return this.types.find((t) => t.kind === BTF_KIND.DATASEC && t.name === name);
  }
}
