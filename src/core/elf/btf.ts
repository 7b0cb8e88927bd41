// A reader of BTF (an object's .BTF section, or a kernel's /sys/kernel/btf/vmlinux): every kind
// with what CO-RE needs (int encodings, bitfield members, enumerators, function parameters), type
// sizes as btf__resolve_size computes them, and a by-name index for CO-RE candidate search.
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
  /** Bitfield size in bits (kind_flag structs: high 8 bits of the offset word), 0 for a plain member. */
  bitfieldSize: number;
}

/** BTF_INT_SIGNED etc. in an INT's encoding. */
export const BTF_INT_SIGNED = 1;

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
  /** The info word's kind_flag (bitfield members, union FWDs, signed enums). */
  kindFlag: boolean;
  /** The info word's vlen (members, enumerators, parameters, variables). */
  vlen: number;
  /** INT: encoding (BTF_INT_SIGNED…), bit offset and bit count. */
  int?: { encoding: number; offset: number; bits: number };
  /** ENUM/ENUM64: enumerators (ENUM values sign-extended as libbpf reads them). */
  enumerators?: { name: string; value: bigint }[];
  /** FUNC_PROTO: parameters (sizeOrType is the return type). */
  params?: { name: string; type: number }[];
  /** VAR: 0 static, 1 global, 2 extern. */
  linkage?: number;
}

/** Bytes after the 12-byte common header of a type record (kind, vlen), or -1 for an unknown kind. */
function extraBytes(kind: number, vlen: number): number {
  switch (kind) {
    case BTF_KIND.INT:
    case BTF_KIND.VAR:
    case BTF_KIND.DECL_TAG:
      return 4;
    case BTF_KIND.ARRAY:
      return 12;
    case BTF_KIND.STRUCT:
    case BTF_KIND.UNION:
    case BTF_KIND.DATASEC:
    case BTF_KIND.ENUM64:
      return 12 * vlen;
    case BTF_KIND.ENUM:
    case BTF_KIND.FUNC_PROTO:
      return 8 * vlen;
    case BTF_KIND.PTR:
    case BTF_KIND.FWD:
    case BTF_KIND.TYPEDEF:
    case BTF_KIND.VOLATILE:
    case BTF_KIND.CONST:
    case BTF_KIND.RESTRICT:
    case BTF_KIND.FUNC:
    case BTF_KIND.FLOAT:
    case BTF_KIND.TYPE_TAG:
      return 0;
    default:
      return -1;
  }
}

/**
 * Byte offsets, inside a type record, of the fields that hold type ids: libbpf's
 * btf_field_iter_init(BTF_FIELD_ITER_IDS) (tools/lib/bpf/btf.c), what a BTF rewriter renumbers
 * (scripts/gen-bundled-btf.mjs).
 */
export function typeIdFields(kind: number, vlen: number): number[] {
  const each = (first: number, stride: number): number[] =>
    Array.from({ length: vlen }, (_, i) => first + stride * i);
  switch (kind) {
    case BTF_KIND.PTR:
    case BTF_KIND.TYPEDEF:
    case BTF_KIND.VOLATILE:
    case BTF_KIND.CONST:
    case BTF_KIND.RESTRICT:
    case BTF_KIND.FUNC:
    case BTF_KIND.TYPE_TAG:
    case BTF_KIND.VAR:
    case BTF_KIND.DECL_TAG:
      return [8];
    case BTF_KIND.ARRAY:
      return [12, 16]; // element type, index type
    case BTF_KIND.STRUCT:
    case BTF_KIND.UNION:
      return each(16, 12); // btf_member.type
    case BTF_KIND.FUNC_PROTO:
      return [8, ...each(16, 8)]; // return type, btf_param.type
    case BTF_KIND.DATASEC:
      return each(12, 12); // btf_var_secinfo.type
    default:
      return []; // INT, ENUM, ENUM64, FWD, FLOAT
  }
}

/**
 * Byte offsets, inside a type record, of its string offsets: the type's name, then its members',
 * enumerators' or parameters' names (btf_field_iter_init(BTF_FIELD_ITER_STRS)).
 */
export function nameFields(kind: number, vlen: number): number[] {
  const stride =
    kind === BTF_KIND.STRUCT || kind === BTF_KIND.UNION || kind === BTF_KIND.ENUM64
      ? 12
      : kind === BTF_KIND.ENUM || kind === BTF_KIND.FUNC_PROTO
        ? 8
        : 0;
  return [0, ...(stride ? Array.from({ length: vlen }, (_, i) => 12 + stride * i) : [])];
}

/**
 * One BTF blob. The constructor only indexes the type records (a kernel's vmlinux BTF has ~130k
 * types); a type is decoded the first time it is asked for.
 */
export class Btf {
  private readonly dv: DataView;
  private readonly strings: Uint8Array;
  /** Byte offset of each type record (index = type id; 0 for void). */
  private readonly offsets: Uint32Array;
  private readonly decoded: (BtfType | undefined)[];
  private readonly strCache = new Map<number, string>();
  private byName: Map<string, number[]> | undefined;

  constructor(bytes: Uint8Array) {
    if (bytes.length < 24) throw new ElfError('.BTF is truncated (no header)');
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.dv = dv;
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
    // At most one type per 12 bytes: index into a preallocated array (no per-type garbage).
    const offs = new Uint32Array(Math.floor(typeLen / 12) + 1);
    let n = 1;
    let o = tStart;
    const end = tStart + typeLen;
    while (o < end) {
      if (o + 12 > end) throw new ElfError(`.BTF type ${n} is truncated`);
      const info = dv.getUint32(o + 4, true);
      const kind = (info >> 24) & 0x1f;
      const extra = extraBytes(kind, info & 0xffff);
      if (extra < 0) throw new ElfError(`.BTF type ${n} has unknown kind ${kind}`);
      if (o + 12 + extra > end) throw new ElfError(`.BTF type ${n} is truncated`);
      offs[n++] = o;
      o += 12 + extra;
    }
    this.offsets = offs.subarray(0, n);
    this.decoded = new Array<BtfType | undefined>(n);
    this.decoded[0] = {
      id: 0,
      kind: 0,
      name: 'void',
      sizeOrType: 0,
      members: [],
      kindFlag: false,
      vlen: 0,
    };
  }

  /** Every type, decoded (index = type id). */
  get types(): readonly BtfType[] {
    for (let id = 1; id < this.offsets.length; id++) this.type(id);
    return this.decoded as BtfType[];
  }

  private decode(id: number): BtfType {
    const dv = this.dv;
    let o = this.offsets[id] as number;
    const nameOff = dv.getUint32(o, true);
    const info = dv.getUint32(o + 4, true);
    const sizeOrType = dv.getUint32(o + 8, true);
    o += 12;
    const kind = (info >> 24) & 0x1f;
    const vlen = info & 0xffff;
    const kindFlag = info >>> 31 === 1;
    const t: BtfType = { id, kind, name: this.str(nameOff), sizeOrType, members: [], kindFlag, vlen };
    switch (kind) {
      case BTF_KIND.INT: {
        const enc = dv.getUint32(o, true);
        t.int = { encoding: (enc >>> 24) & 0x0f, offset: (enc >>> 16) & 0xff, bits: enc & 0xff };
        break;
      }
      case BTF_KIND.ARRAY:
        t.array = { type: dv.getUint32(o, true), nelems: dv.getUint32(o + 8, true) };
        break;
      case BTF_KIND.VAR:
        t.linkage = dv.getUint32(o, true);
        break;
      case BTF_KIND.STRUCT:
      case BTF_KIND.UNION:
        for (let i = 0; i < vlen; i++, o += 12) {
          const off = dv.getUint32(o + 8, true);
          t.members.push({
            name: this.str(dv.getUint32(o, true)),
            type: dv.getUint32(o + 4, true),
            offset: kindFlag ? off & 0xffffff : off,
            bitfieldSize: kindFlag ? off >>> 24 : 0,
          });
        }
        break;
      case BTF_KIND.ENUM:
        t.enumerators = [];
        for (let i = 0; i < vlen; i++, o += 8)
          t.enumerators.push({
            name: this.str(dv.getUint32(o, true)),
            value: BigInt(dv.getInt32(o + 4, true)),
          });
        break;
      case BTF_KIND.ENUM64:
        t.enumerators = [];
        for (let i = 0; i < vlen; i++, o += 12)
          t.enumerators.push({
            name: this.str(dv.getUint32(o, true)),
            value: (BigInt(dv.getUint32(o + 8, true)) << 32n) | BigInt(dv.getUint32(o + 4, true)),
          });
        break;
      case BTF_KIND.FUNC_PROTO:
        t.params = [];
        for (let i = 0; i < vlen; i++, o += 8)
          t.params.push({ name: this.str(dv.getUint32(o, true)), type: dv.getUint32(o + 4, true) });
        break;
      case BTF_KIND.DATASEC:
        t.vars = [];
        for (let i = 0; i < vlen; i++, o += 12)
          t.vars.push({
            type: dv.getUint32(o, true),
            offset: dv.getUint32(o + 4, true),
            size: dv.getUint32(o + 8, true),
          });
        break;
      default:
        break;
    }
    return t;
  }

  str(off: number): string {
    if (off >= this.strings.length) return '';
    const cached = this.strCache.get(off);
    if (cached !== undefined) return cached;
    let end = off;
    while (end < this.strings.length && this.strings[end] !== 0) end++;
    let s = '';
    for (let i = off; i < end; i += 4096)
      s += String.fromCharCode(...this.strings.subarray(i, Math.min(end, i + 4096)));
    this.strCache.set(off, s);
    return s;
  }

  /** The bytes of type `id`'s record as stored (the 12-byte header and what follows), for BTF rewriters. */
  record(id: number): Uint8Array | undefined {
    const o = id > 0 ? this.offsets[id] : undefined;
    if (o === undefined) return undefined;
    const info = this.dv.getUint32(o + 4, true);
    const len = 12 + extraBytes((info >> 24) & 0x1f, info & 0xffff);
    return new Uint8Array(this.dv.buffer, this.dv.byteOffset + o, len);
  }

  /** Number of type ids (btf__type_cnt: void included). */
  get count(): number {
    return this.offsets.length;
  }

  /**
   * Ids of the named types whose name without a `___flavor` suffix is `essential`: libbpf's CO-RE
   * candidates (bpf_core_add_cands scans every type; so does this, comparing bytes, cached by name).
   */
  idsByEssentialName(essential: string): readonly number[] {
    this.byName ??= new Map();
    const hit = this.byName.get(essential);
    if (hit) return hit;
    const want = Array.from(essential, (c) => c.charCodeAt(0));
    const out: number[] = [];
    const str = this.strings;
    if (want.length)
      for (let id = 1; id < this.offsets.length; id++) {
        const off = this.dv.getUint32(this.offsets[id] as number, true);
        if (str[off] !== want[0]) continue;
        let i = 1;
        while (i < want.length && str[off + i] === want[i]) i++;
        if (i < want.length) continue;
        if (str[off + i] === 0 || str[off + i] === undefined) out.push(id);
        else if (str[off + i] === 95 /* _ */) {
          const full = this.str(off);
          if (essentialNameLength(full) === want.length) out.push(id);
        }
      }
    this.byName.set(essential, out);
    return out;
  }

  type(id: number): BtfType | undefined {
    if (!Number.isInteger(id) || id < 0 || id >= this.offsets.length) return undefined;
    let t = this.decoded[id];
    if (!t) {
      t = this.decode(id);
      this.decoded[id] = t;
    }
    return t;
  }

  /** Skips typedefs and qualifiers (libbpf's skip_mods_and_typedefs). */
  resolve(id: number): BtfType | undefined {
    let t = this.type(id);
    for (let guard = 0; t && guard < 64; guard++) {
      if (
        t.kind === BTF_KIND.TYPEDEF ||
        t.kind === BTF_KIND.VOLATILE ||
        t.kind === BTF_KIND.CONST ||
        t.kind === BTF_KIND.RESTRICT ||
        t.kind === BTF_KIND.TYPE_TAG
      )
        t = this.type(t.sizeOrType);
      else return t;
    }
    return undefined;
  }

  /** btf__resolve_size: the byte size of a type (typedefs, modifiers, arrays resolved). */
  sizeOf(id: number, depth = 0): number | undefined {
    const t = this.resolve(id);
    if (!t || depth > 32) return undefined;
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
        const e = t.array ? this.sizeOf(t.array.type, depth + 1) : undefined;
        return e === undefined ? undefined : e * (t.array?.nelems ?? 0);
      }
      default:
        return undefined;
    }
  }

  findDatasec(name: string): BtfType | undefined {
    return this.types.find((t) => t.kind === BTF_KIND.DATASEC && t.name === name);
  }

  /** The first type of `kind` named `name` (btf__find_by_name_kind). */
  findByNameKind(name: string, kind: number): BtfType | undefined {
    for (const id of this.idsByEssentialName(name.slice(0, essentialNameLength(name)))) {
      const t = this.type(id);
      if (t && t.kind === kind && t.name === name) return t;
    }
    return undefined;
  }
}

/** libbpf's bpf_core_is_flavor_sep: `X___Y` where X and Y are not underscores. */
function isFlavorSep(s: string, i: number): boolean {
  return s[i] !== '_' && s[i + 1] === '_' && s[i + 2] === '_' && s[i + 3] === '_' && s[i + 4] !== '_';
}

/** libbpf's bpf_core_essential_name_len: the length of a name without its `___flavor` suffix. */
export function essentialNameLength(name: string): number {
  for (let i = name.length - 5; i >= 0; i--) if (isFlavorSep(name, i)) return i + 1;
  return name.length;
}
