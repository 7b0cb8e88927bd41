// CO-RE access specs and type matching, mirroring libbpf's relo_core.c: bpf_core_parse_spec (the
// access string "0:1:2" against the object's BTF), bpf_core_spec_match (the same access against a
// candidate target type), and the compatibility relations behind them (types_are_compat, types_match).
import { BTF_INT_SIGNED, BTF_KIND, essentialNameLength } from './btf';
import type { Btf, BtfType } from './btf';

/** enum bpf_core_relo_kind (include/uapi/linux/bpf.h). */
export const CORE_RELO = {
  FIELD_BYTE_OFFSET: 0,
  FIELD_BYTE_SIZE: 1,
  FIELD_EXISTS: 2,
  FIELD_SIGNED: 3,
  FIELD_LSHIFT_U64: 4,
  FIELD_RSHIFT_U64: 5,
  TYPE_ID_LOCAL: 6,
  TYPE_ID_TARGET: 7,
  TYPE_EXISTS: 8,
  TYPE_SIZE: 9,
  ENUMVAL_EXISTS: 10,
  ENUMVAL_VALUE: 11,
  TYPE_MATCHES: 12,
} as const;

/** libbpf's core_relo_kind_str. */
export const coreReloKindName = (kind: number): string =>
  [
    'byte_off',
    'byte_sz',
    'field_exists',
    'signed',
    'lshift_u64',
    'rshift_u64',
    'local_type_id',
    'target_type_id',
    'type_exists',
    'type_size',
    'enumval_exists',
    'enumval_value',
    'type_matches',
  ][kind] ?? 'unknown';

export const isFieldBased = (kind: number): boolean => kind >= 0 && kind <= 5;
export const isTypeBased = (kind: number): boolean => (kind >= 6 && kind <= 9) || kind === 12;
export const isEnumvalBased = (kind: number): boolean => kind === 10 || kind === 11;

/** BPF_CORE_SPEC_MAX_LEN. */
const SPEC_MAX_LEN = 64;

/** A failure libbpf reports with a negative errno: the relocation (and the load) fails. */
export class CoreSpecError extends Error {}

export interface CoreAccessor {
  /** The composite (named accessor) or array element type (index accessor). */
  typeId: number;
  idx: number;
  /** Member or enumerator name; undefined for an array index. */
  name?: string;
}

export interface CoreSpec {
  btf: Btf;
  rootTypeId: number;
  kind: number;
  /** High-level accessors (named members and array indices; anonymous members skipped). */
  spec: CoreAccessor[];
  /** Raw indices as in the access string (anonymous members included). */
  raw: number[];
  bitOffset: number;
}

const isComposite = (t: BtfType): boolean => t.kind === BTF_KIND.STRUCT || t.kind === BTF_KIND.UNION;
const isAnyEnum = (t: BtfType): boolean => t.kind === BTF_KIND.ENUM || t.kind === BTF_KIND.ENUM64;

/** skip_mods_and_typedefs with the resolved id. */
function skip(btf: Btf, id: number): { t: BtfType; id: number } | undefined {
  const t = btf.resolve(id);
  return t ? { t, id: t.id } : undefined;
}

function resolveSize(btf: Btf, id: number): number {
  const sz = btf.sizeOf(id);
  if (sz === undefined) throw new CoreSpecError(`cannot size type [${id}]`);
  return sz;
}

/** is_flex_arr: a zero-length array that is the last member of the enclosing struct. */
function isFlexArr(btf: Btf, acc: CoreAccessor | undefined, nelems: number): boolean {
  if (!acc?.name || nelems > 0) return false;
  const t = btf.type(acc.typeId);
  return !!t && acc.idx === t.vlen - 1;
}

/** bpf_core_parse_spec: the local access string against the object's own BTF. */
export function parseSpec(btf: Btf, typeId: number, access: string, kind: number): CoreSpec {
  if (!access || access.startsWith(':')) throw new CoreSpecError(`bad access string '${access}'`);
  const spec: CoreSpec = { btf, rootTypeId: typeId, kind, spec: [], raw: [], bitOffset: 0 };
  if (isTypeBased(kind)) {
    if (access !== '0') throw new CoreSpecError(`type relocation with access string '${access}'`);
    return spec;
  }
  for (const part of access.split(':')) {
    if (!/^-?\d+$/.test(part)) throw new CoreSpecError(`bad access string '${access}'`);
    if (spec.raw.length === SPEC_MAX_LEN) throw new CoreSpecError('access string too long');
    spec.raw.push(Number(part));
  }
  const root = skip(btf, typeId);
  if (!root) throw new CoreSpecError(`no type [${typeId}]`);
  let id = root.id;
  let t = root.t;
  const first = spec.raw[0] as number;
  spec.spec.push({ typeId: id, idx: first });
  if (isEnumvalBased(kind)) {
    const e = t.enumerators?.[first];
    if (!isAnyEnum(t) || spec.raw.length > 1 || !e)
      throw new CoreSpecError(`enumerator #${first} of [${typeId}] does not exist`);
    (spec.spec[0] as CoreAccessor).name = e.name;
    return spec;
  }
  if (!isFieldBased(kind)) throw new CoreSpecError(`unknown relocation kind ${kind}`);
  spec.bitOffset = first * resolveSize(btf, id) * 8;
  for (let i = 1; i < spec.raw.length; i++) {
    const s = skip(btf, id);
    if (!s) throw new CoreSpecError(`no type [${id}]`);
    ({ t, id } = s);
    const idx = spec.raw[i] as number;
    if (isComposite(t)) {
      const m = t.members[idx];
      if (!m) throw new CoreSpecError(`member #${idx} of [${id}] does not exist`);
      spec.bitOffset += m.offset;
      if (m.name) spec.spec.push({ typeId: id, idx, name: m.name });
      id = m.type;
    } else if (t.kind === BTF_KIND.ARRAY && t.array) {
      const nelems = t.array.nelems;
      const elem = skip(btf, t.array.type);
      if (!elem) throw new CoreSpecError(`no type [${t.array.type}]`);
      id = elem.id;
      if (!isFlexArr(btf, spec.spec[spec.spec.length - 1], nelems) && idx >= nelems)
        throw new CoreSpecError(`index ${idx} is past the array's ${nelems} elements`);
      spec.spec.push({ typeId: id, idx });
      spec.bitOffset += idx * resolveSize(btf, id) * 8;
    } else throw new CoreSpecError(`access #${i} of '${access}' goes into a ${kindName(t.kind)}`);
  }
  return spec;
}

/** btf_kind_core_compat: the same kind, or ENUM vs ENUM64. */
function kindCoreCompat(a: BtfType, b: BtfType): boolean {
  return a.kind === b.kind || (isAnyEnum(a) && isAnyEnum(b));
}

function sameEssentialName(a: string, b: string): boolean {
  const la = essentialNameLength(a);
  return la === essentialNameLength(b) && a.slice(0, la) === b.slice(0, la);
}

/** bpf_core_fields_are_compat. */
function fieldsAreCompat(lb: Btf, lid: number, tb: Btf, tid: number): boolean {
  for (let depth = 0; depth < 32; depth++) {
    const l = lb.resolve(lid);
    const t = tb.resolve(tid);
    if (!l || !t) throw new CoreSpecError('broken type chain');
    if (isComposite(l) && isComposite(t)) return true;
    if (!kindCoreCompat(l, t)) return false;
    switch (l.kind) {
      case BTF_KIND.PTR:
      case BTF_KIND.FLOAT:
        return true;
      case BTF_KIND.FWD:
      case BTF_KIND.ENUM:
      case BTF_KIND.ENUM64: {
        const ll = essentialNameLength(l.name);
        const tl = essentialNameLength(t.name);
        return ll === 0 || tl === 0 || sameEssentialName(l.name, t.name);
      }
      case BTF_KIND.INT:
        return (l.int?.offset ?? 0) === 0 && (t.int?.offset ?? 0) === 0;
      case BTF_KIND.ARRAY:
        lid = l.array?.type ?? 0;
        tid = t.array?.type ?? 0;
        continue;
      default:
        return false;
    }
  }
  throw new CoreSpecError('type nesting too deep');
}

/** bpf_core_match_member: finds the local member by name in the target, through anonymous members. */
function matchMember(
  lb: Btf,
  lacc: CoreAccessor,
  tb: Btf,
  targId: number,
  spec: CoreSpec,
): { found: boolean; next: number } {
  const targ = skip(tb, targId);
  if (!targ) throw new CoreSpecError('broken type chain');
  if (!isComposite(targ.t)) return { found: false, next: 0 };
  const local = lb.type(lacc.typeId);
  const lm = local?.members[lacc.idx];
  if (!lm) throw new CoreSpecError('broken local accessor');
  for (let i = 0; i < targ.t.members.length; i++) {
    const m = targ.t.members[i] as (typeof targ.t.members)[number];
    if (spec.raw.length === SPEC_MAX_LEN) throw new CoreSpecError('struct nesting too deep');
    spec.bitOffset += m.offset;
    spec.raw.push(i);
    if (!m.name) {
      const r = matchMember(lb, lacc, tb, m.type, spec);
      if (r.found) return r;
    } else if (m.name === lm.name) {
      spec.spec.push({ typeId: targ.id, idx: i, name: m.name });
      const found = fieldsAreCompat(lb, lm.type, tb, m.type);
      if (!found) spec.spec.pop();
      return { found, next: m.type };
    }
    spec.bitOffset -= m.offset;
    spec.raw.pop();
  }
  return { found: false, next: 0 };
}

/**
 * bpf_core_spec_match: the local spec against candidate `targId` of the target BTF. Returns the
 * target spec when it matches, undefined when it does not.
 */
export function matchSpec(local: CoreSpec, tb: Btf, targId: number): CoreSpec | undefined {
  const targ: CoreSpec = { btf: tb, rootTypeId: targId, kind: local.kind, spec: [], raw: [], bitOffset: 0 };
  if (isTypeBased(local.kind)) {
    const ok =
      local.kind === CORE_RELO.TYPE_MATCHES
        ? typesMatch(local.btf, local.rootTypeId, tb, targId, false, 32)
        : typesAreCompat(local.btf, local.rootTypeId, tb, targId, 32);
    return ok ? targ : undefined;
  }
  const lacc0 = local.spec[0] as CoreAccessor;
  if (isEnumvalBased(local.kind)) {
    const t = skip(tb, targId);
    if (!t || !isAnyEnum(t.t)) return undefined;
    const i = (t.t.enumerators ?? []).findIndex((e) => sameEssentialName(e.name, lacc0.name ?? ''));
    if (i < 0) return undefined;
    targ.spec.push({ typeId: t.id, idx: i, name: t.t.enumerators?.[i]?.name ?? '' });
    targ.raw.push(i);
    return targ;
  }
  if (!isFieldBased(local.kind)) throw new CoreSpecError(`unknown relocation kind ${local.kind}`);
  let id = targId;
  for (let i = 0; i < local.spec.length; i++) {
    const lacc = local.spec[i] as CoreAccessor;
    const s = skip(tb, id);
    if (!s) throw new CoreSpecError('broken type chain');
    id = s.id;
    if (lacc.name) {
      const r = matchMember(local.btf, lacc, tb, id, targ);
      if (!r.found) return undefined;
      id = r.next;
    } else {
      if (i > 0) {
        if (s.t.kind !== BTF_KIND.ARRAY || !s.t.array) return undefined;
        const nelems = s.t.array.nelems;
        if (!isFlexArr(tb, targ.spec[targ.spec.length - 1], nelems) && lacc.idx >= nelems) return undefined;
        const elem = skip(tb, s.t.array.type);
        if (!elem) throw new CoreSpecError('broken type chain');
        id = elem.id;
      }
      if (targ.raw.length === SPEC_MAX_LEN) throw new CoreSpecError('struct nesting too deep');
      targ.spec.push({ typeId: id, idx: lacc.idx });
      targ.raw.push(lacc.idx);
      targ.bitOffset += lacc.idx * resolveSize(tb, id) * 8;
    }
  }
  return targ;
}

/** __bpf_core_types_are_compat (TYPE_EXISTS / TYPE_SIZE / TYPE_ID_TARGET). */
export function typesAreCompat(lb: Btf, lid: number, tb: Btf, tid: number, level: number): boolean {
  const l0 = lb.type(lid);
  const t0 = tb.type(tid);
  if (!l0 || !t0 || !kindCoreCompat(l0, t0)) return false;
  for (let depth = 32; depth > 0; depth--) {
    const l = lb.resolve(lid);
    const t = tb.resolve(tid);
    if (!l || !t) throw new CoreSpecError('broken type chain');
    if (!kindCoreCompat(l, t)) return false;
    switch (l.kind) {
      case 0:
      case BTF_KIND.STRUCT:
      case BTF_KIND.UNION:
      case BTF_KIND.ENUM:
      case BTF_KIND.FWD:
      case BTF_KIND.ENUM64:
        return true;
      case BTF_KIND.INT:
        return (l.int?.offset ?? 0) === 0 && (t.int?.offset ?? 0) === 0;
      case BTF_KIND.PTR:
        lid = l.sizeOrType;
        tid = t.sizeOrType;
        continue;
      case BTF_KIND.ARRAY:
        lid = l.array?.type ?? 0;
        tid = t.array?.type ?? 0;
        continue;
      case BTF_KIND.FUNC_PROTO: {
        const lp = l.params ?? [];
        const tp = t.params ?? [];
        if (lp.length !== tp.length) return false;
        for (let i = 0; i < lp.length; i++) {
          if (level <= 0) throw new CoreSpecError('function prototype nesting too deep');
          const a = lb.resolve((lp[i] as { type: number }).type);
          const b = tb.resolve((tp[i] as { type: number }).type);
          if (!a || !b || !typesAreCompat(lb, a.id, tb, b.id, level - 1)) return false;
        }
        lid = lb.resolve(l.sizeOrType)?.id ?? 0;
        tid = tb.resolve(t.sizeOrType)?.id ?? 0;
        continue;
      }
      default:
        return false;
    }
  }
  throw new CoreSpecError('type nesting too deep');
}

/** bpf_core_names_match. */
function namesMatch(ln: string, tn: string): boolean {
  if (!tn) return !ln;
  return sameEssentialName(ln, tn);
}

/** __bpf_core_types_match (TYPE_MATCHES): names, kinds, int size/sign, members by name, enumerators. */
export function typesMatch(
  lb: Btf,
  lid: number,
  tb: Btf,
  tid: number,
  behindPtr: boolean,
  level: number,
): boolean {
  if (level <= 0) throw new CoreSpecError('type nesting too deep');
  for (let depth = 32; depth > 0; depth--) {
    const l = lb.resolve(lid);
    const t = tb.resolve(tid);
    if (!l || !t) throw new CoreSpecError('broken type chain');
    const lname = l.id === 0 ? '' : l.name;
    const tname = t.id === 0 ? '' : t.name;
    if (!namesMatch(lname, tname)) return false;
    switch (l.kind) {
      case 0:
        return t.kind === 0;
      case BTF_KIND.FWD:
        if (behindPtr) {
          if (t.kind === BTF_KIND.FWD) return l.kindFlag === t.kindFlag;
          return (t.kind === BTF_KIND.STRUCT && !l.kindFlag) || (t.kind === BTF_KIND.UNION && l.kindFlag);
        }
        return t.kind === BTF_KIND.FWD && l.kindFlag === t.kindFlag;
      case BTF_KIND.ENUM:
      case BTF_KIND.ENUM64: {
        if (!isAnyEnum(t) || l.sizeOrType !== t.sizeOrType) return false;
        const te = t.enumerators ?? [];
        return (l.enumerators ?? []).every((le) => te.some((x) => namesMatch(le.name, x.name)));
      }
      case BTF_KIND.STRUCT:
      case BTF_KIND.UNION:
        if (behindPtr) {
          if (l.kind === t.kind) return true;
          if (t.kind !== BTF_KIND.FWD) return false;
          return (l.kind === BTF_KIND.UNION) === t.kindFlag;
        }
        if (l.kind !== t.kind || l.members.length > t.members.length) return false;
        return l.members.every((lm) =>
          t.members.some(
            (tm) =>
              namesMatch(lm.name, tm.name) && typesMatch(lb, lm.type, tb, tm.type, behindPtr, level - 1),
          ),
        );
      case BTF_KIND.INT:
        return (
          t.kind === BTF_KIND.INT &&
          l.sizeOrType === t.sizeOrType &&
          ((l.int?.encoding ?? 0) & BTF_INT_SIGNED) === ((t.int?.encoding ?? 0) & BTF_INT_SIGNED)
        );
      case BTF_KIND.PTR:
        if (t.kind !== BTF_KIND.PTR) return false;
        behindPtr = true;
        lid = l.sizeOrType;
        tid = t.sizeOrType;
        continue;
      case BTF_KIND.ARRAY:
        if (t.kind !== BTF_KIND.ARRAY || l.array?.nelems !== t.array?.nelems) return false;
        lid = l.array?.type ?? 0;
        tid = t.array?.type ?? 0;
        continue;
      case BTF_KIND.FUNC_PROTO: {
        const lp = l.params ?? [];
        const tp = t.params ?? [];
        if (t.kind !== BTF_KIND.FUNC_PROTO || lp.length !== tp.length) return false;
        for (let i = 0; i < lp.length; i++)
          if (
            !typesMatch(
              lb,
              (lp[i] as { type: number }).type,
              tb,
              (tp[i] as { type: number }).type,
              behindPtr,
              level - 1,
            )
          )
            return false;
        lid = l.sizeOrType;
        tid = t.sizeOrType;
        continue;
      }
      default:
        return false;
    }
  }
  throw new CoreSpecError('type nesting too deep');
}

/** btf_kind_str. */
export function kindName(kind: number): string {
  return (
    [
      'unknown',
      'int',
      'ptr',
      'array',
      'struct',
      'union',
      'enum',
      'fwd',
      'typedef',
      'volatile',
      'const',
      'restrict',
      'func',
      'func_proto',
      'var',
      'datasec',
      'float',
      'decl_tag',
      'type_tag',
      'enum64',
    ][kind] ?? `kind ${kind}`
  );
}
