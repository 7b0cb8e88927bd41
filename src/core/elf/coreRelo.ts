// CO-RE relocations resolved and applied as libbpf does (relo_core.c bpf_core_calc_relo_insn and
// bpf_core_patch_insn, libbpf.c bpf_core_resolve_relo): candidates by essential name in the target
// BTF, every relocation kind, and an unresolvable one poisoned as `call 0xbad2310`.
import { BTF_INT_SIGNED, BTF_KIND, essentialNameLength } from './btf';
import type { Btf, BtfType } from './btf';
import type { CoreRelo } from './btfExt';
import {
  CORE_RELO,
  CoreSpecError,
  coreReloKindName,
  isEnumvalBased,
  isFieldBased,
  isTypeBased,
  kindName,
  matchSpec,
  parseSpec,
} from './coreSpec';
import type { CoreSpec } from './coreSpec';
import * as I from '../vm/isa';
import type { Insn } from '../vm/isa';

/** The helper id libbpf writes into a poisoned instruction (bpf_core_poison_insn: "bad relo"). */
export const CORE_POISON_HELPER = 0xbad2310;

/** A relocation libbpf refuses (the load fails, as `bpf_object__load` does). */
export class CoreReloError extends Error {}

/** struct bpf_core_relo_res. */
export interface CoreReloRes {
  origVal: bigint;
  newVal: bigint;
  poison: boolean;
  validate: boolean;
  failMemszAdjust: boolean;
  origSz: number;
  newSz: number;
  origTypeId: number;
  newTypeId: number;
}

/** Candidate target type ids per local type id (libbpf's cand_cache, shrunk as relocations match). */
export type CandidateCache = Map<number, number[]>;

const isInt = (t: BtfType | undefined): boolean => t?.kind === BTF_KIND.INT;
const u64 = (v: bigint | number): bigint => BigInt.asUintN(64, BigInt(v));

/** bpf_core_calc_field_relo: undefined spec = no target (exists → 0, anything else → poison). */
function calcFieldRelo(
  kind: number,
  spec: CoreSpec | undefined,
): { val: bigint; sz: number; typeId: number; validate: boolean } | 'poison' {
  if (kind === CORE_RELO.FIELD_EXISTS) return { val: spec ? 1n : 0n, sz: 0, typeId: 0, validate: true };
  if (!spec) return 'poison';
  const btf = spec.btf;
  const acc = spec.spec[spec.spec.length - 1];
  if (!acc) throw new CoreReloError('empty access spec');
  const elemSize = (id: number): { sz: number; id: number } => {
    let t = btf.resolve(id);
    while (t?.kind === BTF_KIND.ARRAY && t.array) t = btf.resolve(t.array.type);
    const sz = t ? btf.sizeOf(t.id) : undefined;
    if (!t || sz === undefined) throw new CoreReloError(`cannot size type [${id}]`);
    return { sz, id: t.id };
  };
  if (!acc.name) {
    // a[n] accessor
    if (kind === CORE_RELO.FIELD_BYTE_OFFSET) {
      const e = elemSize(acc.typeId);
      return { val: BigInt(Math.floor(spec.bitOffset / 8)), sz: e.sz, typeId: acc.typeId, validate: true };
    }
    if (kind === CORE_RELO.FIELD_BYTE_SIZE) {
      const sz = btf.sizeOf(acc.typeId);
      if (sz === undefined) throw new CoreReloError(`cannot size type [${acc.typeId}]`);
      return { val: BigInt(sz), sz: 0, typeId: 0, validate: true };
    }
    throw new CoreReloError(`${coreReloKindName(kind)} can't be applied to an array access`);
  }
  const t = btf.type(acc.typeId);
  const m = t?.members[acc.idx];
  if (!m) throw new CoreReloError('broken accessor');
  const mt = btf.resolve(m.type);
  if (!mt) throw new CoreReloError(`no type [${m.type}]`);
  const bitOff = spec.bitOffset;
  let bitSz = m.bitfieldSize;
  const bitfield = bitSz > 0;
  let byteSz: number;
  let byteOff: number;
  if (bitfield) {
    byteSz = mt.sizeOrType;
    if (![1, 2, 4, 8].includes(byteSz))
      throw new CoreReloError(`bitfield '${m.name}' has a ${byteSz}-byte base type`);
    byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    while (bitOff + bitSz - byteOff * 8 > byteSz * 8) {
      if (byteSz >= 8) throw new CoreReloError(`bitfield '${m.name}' can't be read with a 64-bit load`);
      byteSz *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    }
  } else {
    const sz = btf.sizeOf(mt.id);
    if (sz === undefined) throw new CoreReloError(`cannot size member '${m.name}'`);
    byteSz = sz;
    byteOff = Math.floor(bitOff / 8);
    bitSz = byteSz * 8;
  }
  // For bitfields the compiler's values may differ from libbpf's: only signedness is validated.
  const validate = !bitfield;
  switch (kind) {
    case CORE_RELO.FIELD_BYTE_OFFSET: {
      if (bitfield) return { val: BigInt(byteOff), sz: 0, typeId: 0, validate };
      const e = elemSize(mt.id);
      return { val: BigInt(byteOff), sz: e.sz, typeId: mt.id, validate };
    }
    case CORE_RELO.FIELD_BYTE_SIZE:
      return { val: BigInt(byteSz), sz: 0, typeId: 0, validate };
    case CORE_RELO.FIELD_SIGNED: {
      const signed =
        ((mt.kind === BTF_KIND.ENUM || mt.kind === BTF_KIND.ENUM64) && mt.kindFlag) ||
        (mt.kind === BTF_KIND.INT && ((mt.int?.encoding ?? 0) & BTF_INT_SIGNED) !== 0);
      return { val: signed ? 1n : 0n, sz: 0, typeId: 0, validate: true };
    }
    case CORE_RELO.FIELD_LSHIFT_U64: // little-endian
      return { val: BigInt(64 - (bitOff + bitSz - byteOff * 8)), sz: 0, typeId: 0, validate };
    case CORE_RELO.FIELD_RSHIFT_U64:
      return { val: BigInt(64 - bitSz), sz: 0, typeId: 0, validate: true };
    default:
      throw new CoreReloError(`unrecognized CO-RE relocation kind ${kind}`);
  }
}

/** bpf_core_calc_type_relo: no target → 0 (type relocations are never poisoned). */
function calcTypeRelo(kind: number, spec: CoreSpec | undefined): bigint {
  if (!spec) return 0n;
  switch (kind) {
    case CORE_RELO.TYPE_ID_TARGET:
      return BigInt(spec.rootTypeId);
    case CORE_RELO.TYPE_EXISTS:
    case CORE_RELO.TYPE_MATCHES:
      return 1n;
    case CORE_RELO.TYPE_SIZE: {
      const sz = spec.btf.sizeOf(spec.rootTypeId);
      if (sz === undefined) throw new CoreReloError(`cannot size type [${spec.rootTypeId}]`);
      return BigInt(sz);
    }
    default:
      throw new CoreReloError(`unrecognized CO-RE relocation kind ${kind}`);
  }
}

/** bpf_core_calc_enumval_relo. */
function calcEnumvalRelo(kind: number, spec: CoreSpec | undefined): bigint | 'poison' {
  if (kind === CORE_RELO.ENUMVAL_EXISTS) return spec ? 1n : 0n;
  if (!spec) return 'poison';
  const acc = spec.spec[0];
  const e = acc ? spec.btf.type(acc.typeId)?.enumerators?.[acc.idx] : undefined;
  if (!e) throw new CoreReloError('broken enumerator accessor');
  return u64(e.value);
}

/** bpf_core_calc_relo: the original (local) and new (target) values of one relocation. */
function calcRelo(kind: number, local: CoreSpec, targ: CoreSpec | undefined): CoreReloRes {
  const res: CoreReloRes = {
    origVal: 0n,
    newVal: 0n,
    poison: false,
    validate: true,
    failMemszAdjust: false,
    origSz: 0,
    newSz: 0,
    origTypeId: 0,
    newTypeId: 0,
  };
  if (isFieldBased(kind)) {
    const o = calcFieldRelo(kind, local);
    const n = calcFieldRelo(kind, targ);
    if (o === 'poison') throw new CoreReloError('local spec has no field');
    res.origVal = o.val;
    res.origSz = o.sz;
    res.origTypeId = o.typeId;
    res.validate = o.validate;
    if (n === 'poison') {
      res.poison = true;
      return res;
    }
    res.newVal = n.val;
    res.newSz = n.sz;
    res.newTypeId = n.typeId;
    if (res.origSz !== res.newSz && targ) {
      // Only pointers and unsigned integers may change load size (zero extension keeps the value).
      const ot = local.btf.type(res.origTypeId);
      const nt = targ.btf.type(res.newTypeId);
      const unsignedInt = (t: BtfType | undefined): boolean =>
        isInt(t) && t?.int?.encoding !== BTF_INT_SIGNED;
      const ok =
        (ot?.kind === BTF_KIND.PTR && nt?.kind === BTF_KIND.PTR) || (unsignedInt(ot) && unsignedInt(nt));
      res.failMemszAdjust = !ok;
    }
  } else if (isTypeBased(kind)) {
    res.origVal = calcTypeRelo(kind, local);
    res.newVal = calcTypeRelo(kind, targ);
    res.validate = kind !== CORE_RELO.TYPE_ID_TARGET;
  } else if (isEnumvalBased(kind)) {
    const o = calcEnumvalRelo(kind, local);
    const n = calcEnumvalRelo(kind, targ);
    if (o === 'poison') throw new CoreReloError('local spec has no enumerator');
    res.origVal = o;
    if (n === 'poison') res.poison = true;
    else res.newVal = n;
  } else throw new CoreReloError(`unrecognized CO-RE relocation kind ${kind}`);
  return res;
}

/** What one relocation resolved to, for reports (`relo #N: struct foo.bar → 12`). */
export interface CoreReloOutcome {
  res: CoreReloRes;
  /** The local access: `struct foo.bar`. */
  local: string;
  /** The local spec as libbpf's bpf_core_format_spec prints it: `<byte_off> [id] struct foo.bar (0:1 @ offset 4)`. */
  formatted: string;
  /** Why nothing matched (poisoned or value 0 from a missing target). */
  missing?: string;
}

/** bpf_core_calc_relo_insn with libbpf.c's candidate search (bpf_core_find_cands, vmlinux only). */
export function calcReloInsn(
  relo: CoreRelo,
  localBtf: Btf,
  targetBtf: Btf,
  cache: CandidateCache,
): CoreReloOutcome {
  const lt = localBtf.type(relo.typeId);
  if (!lt) throw new CoreReloError(`no local type [${relo.typeId}]`);
  let local: CoreSpec;
  try {
    local = parseSpec(localBtf, relo.typeId, relo.access, relo.kind);
  } catch (e) {
    if (e instanceof CoreSpecError)
      throw new CoreReloError(
        `parsing [${relo.typeId}] ${kindName(lt.kind)} ${lt.name || '<anon>'} + ${relo.access} failed: ${e.message}`,
      );
    throw e;
  }
  const described = describeSpec(local);
  const formatted = formatSpec(local);
  if (relo.kind === CORE_RELO.TYPE_ID_LOCAL) {
    const id = BigInt(local.rootTypeId);
    return {
      local: described,
      formatted,
      res: {
        origVal: id,
        newVal: id,
        poison: false,
        validate: false,
        failMemszAdjust: false,
        origSz: 0,
        newSz: 0,
        origTypeId: 0,
        newTypeId: 0,
      },
    };
  }
  if (!lt.name || lt.id === 0)
    throw new CoreReloError(`<${coreReloKindName(relo.kind)}> relocation doesn't support anonymous types`);
  let cands = cache.get(relo.typeId);
  if (!cands) {
    const essential = lt.name.slice(0, essentialNameLength(lt.name));
    cands = targetBtf.idsByEssentialName(essential).filter((id) => {
      const t = targetBtf.type(id);
      return !!t && (t.kind === lt.kind || (isEnum(t) && isEnum(lt)));
    });
    cache.set(relo.typeId, cands);
  }
  let targ: CoreSpec | undefined;
  let res: CoreReloRes | undefined;
  const matched: number[] = [];
  for (const id of cands) {
    let cand: CoreSpec | undefined;
    try {
      cand = matchSpec(local, targetBtf, id);
    } catch (e) {
      if (e instanceof CoreSpecError)
        throw new CoreReloError(`error matching candidate [${id}]: ${e.message}`);
      throw e;
    }
    if (!cand) continue;
    const candRes = calcRelo(relo.kind, local, cand);
    if (!targ || !res) {
      targ = cand;
      res = candRes;
    } else if (cand.bitOffset !== targ.bitOffset)
      throw new CoreReloError(`field offset ambiguity: ${cand.bitOffset} != ${targ.bitOffset}`);
    else if (candRes.poison !== res.poison || candRes.newVal !== res.newVal)
      throw new CoreReloError(
        `relocation decision ambiguity: ${candRes.poison ? 'failure' : 'success'} ${candRes.newVal} != ${res.poison ? 'failure' : 'success'} ${res.newVal}`,
      );
    matched.push(id);
  }
  if (matched.length) cache.set(relo.typeId, matched);
  if (res) return { local: described, formatted, res };
  return {
    local: described,
    formatted,
    res: calcRelo(relo.kind, local, undefined),
    missing: cands.length
      ? `no candidate among ${cands.length} ${kindName(lt.kind)} ${essentialName(lt.name)} in the target BTF matches`
      : `the target BTF has no ${kindName(lt.kind)} named ${essentialName(lt.name)}`,
  };
}

const isEnum = (t: BtfType): boolean => t.kind === BTF_KIND.ENUM || t.kind === BTF_KIND.ENUM64;
const essentialName = (n: string): string => n.slice(0, essentialNameLength(n));

/** bpf_core_format_spec, shortened: `struct foo.bar.baz` or `enum e::VAL`. */
export function describeSpec(spec: CoreSpec): string {
  const btf = spec.btf;
  const root = btf.type(spec.rootTypeId);
  const rootName = `${kindName(root?.kind ?? 0)} ${root?.name || '<anon>'}`;
  if (isTypeBased(spec.kind)) return rootName;
  if (isEnumvalBased(spec.kind)) return `${rootName}::${spec.spec[0]?.name ?? '?'}`;
  let s = rootName;
  spec.spec.forEach((acc, i) => {
    if (acc.name) s += `.${acc.name}`;
    else if (i > 0) s += `[${acc.idx}]`;
    else if (acc.idx) s += `[${acc.idx}]`;
  });
  return s;
}

/**
 * bpf_core_format_spec: the local spec as libbpf prints it where it names a failed relocation, e.g. in
 * its rewrite of the verifier log (libbpf.c fixup_log_failed_core_relo):
 * `<byte_off> [19] struct bpf_map.id (0:5 @ offset 40)`.
 */
export function formatSpec(spec: CoreSpec): string {
  const btf = spec.btf;
  const root = btf.type(spec.rootTypeId);
  let s = `<${coreReloKindName(spec.kind)}> [${spec.rootTypeId}] ${kindName(root?.kind ?? 0)} ${root?.name || '<anon>'}`;
  if (isTypeBased(spec.kind)) return s;
  if (isEnumvalBased(spec.kind)) {
    const t = btf.resolve(spec.rootTypeId);
    const e = t?.enumerators?.[spec.raw[0] as number];
    if (!t || !e) return s;
    // ENUM values print as u32 or s32 (kind_flag: signed), ENUM64 as u64 or s64.
    const bits = t.kind === BTF_KIND.ENUM64 ? 64 : 32;
    const v = t.kindFlag ? BigInt.asIntN(bits, e.value) : BigInt.asUintN(bits, e.value);
    return `${s}::${e.name} = ${v}`;
  }
  spec.spec.forEach((acc, i) => {
    if (acc.name) s += `.${acc.name}`;
    else if (i > 0 || acc.idx > 0) s += `[${acc.idx}]`;
  });
  const at =
    spec.bitOffset % 8 ? `${Math.floor(spec.bitOffset / 8)}.${spec.bitOffset % 8}` : `${spec.bitOffset / 8}`;
  return `${s} (${spec.raw.join(':')} @ offset ${at})`;
}

/** bpf_core_poison_insn. */
function poisonInsn(insn: Insn): void {
  insn.op = I.BPF_JMP | I.JMP_CALL;
  insn.dst = 0;
  insn.src = 0;
  insn.off = 0;
  insn.imm = CORE_POISON_HELPER;
}

const BYTES_TO_SIZE: Record<number, number> = { 1: I.BPF_B, 2: I.BPF_H, 4: I.BPF_W, 8: I.BPF_DW };
const SIZE_TO_BYTES: Record<number, number> = { [I.BPF_B]: 1, [I.BPF_H]: 2, [I.BPF_W]: 4, [I.BPF_DW]: 8 };

/** bpf_core_patch_insn: writes the new value into instruction `pc` (or poisons it). */
export function patchInsn(insns: Insn[], pc: number, res: CoreReloRes): void {
  const insn = insns[pc];
  if (!insn) throw new CoreReloError(`instruction #${pc} is outside the program`);
  const cls = insn.op & 7;
  const poison = (): void => {
    const next = insns[pc + 1];
    if (I.isLdImm64(insn) && next) poisonInsn(next);
    poisonInsn(insn);
  };
  if (res.poison) return poison();
  const { origVal, newVal } = res;
  switch (cls) {
    case I.BPF_ALU:
    case I.BPF_ALU64:
      if ((insn.op & I.BPF_X) !== I.BPF_K) throw new CoreReloError(`insn #${pc} (ALU) has a register source`);
      if (res.validate && u64(insn.imm) !== origVal)
        throw new CoreReloError(
          `unexpected insn #${pc} (ALU/ALU64) value: got ${insn.imm}, exp ${origVal} -> ${newVal}`,
        );
      insn.imm = Number(BigInt.asIntN(32, newVal));
      return;
    case I.BPF_LDX:
    case I.BPF_ST:
    case I.BPF_STX: {
      if (res.validate && u64(insn.off) !== origVal)
        throw new CoreReloError(
          `unexpected insn #${pc} (LDX/ST/STX) value: got ${insn.off}, exp ${origVal} -> ${newVal}`,
        );
      if (newVal > 0x7fffn) throw new CoreReloError(`insn #${pc} (LDX/ST/STX) value too big: ${newVal}`);
      if (res.failMemszAdjust) return poison();
      insn.off = Number(newVal);
      if (res.newSz !== res.origSz) {
        const bytes = SIZE_TO_BYTES[insn.op & 0x18];
        if (bytes !== res.origSz)
          throw new CoreReloError(
            `insn #${pc} (LDX/ST/STX) unexpected mem size: got ${bytes}, exp ${res.origSz}`,
          );
        const size = BYTES_TO_SIZE[res.newSz];
        if (size === undefined)
          throw new CoreReloError(`insn #${pc} (LDX/ST/STX) invalid new mem size: ${res.newSz}`);
        insn.op = (insn.op & ~0x18) | size;
      }
      return;
    }
    case I.BPF_LD: {
      const next = insns[pc + 1];
      if (
        !I.isLdImm64(insn) ||
        !next ||
        insn.src !== 0 ||
        insn.off !== 0 ||
        next.op !== 0 ||
        next.dst ||
        next.src ||
        next.off
      )
        throw new CoreReloError(`insn #${pc} (LDIMM64) has unexpected form`);
      const imm = (BigInt(next.imm >>> 0) << 32n) | BigInt(insn.imm >>> 0);
      if (res.validate && imm !== origVal)
        throw new CoreReloError(
          `unexpected insn #${pc} (LDIMM64) value: got ${imm}, exp ${origVal} -> ${newVal}`,
        );
      insn.imm = Number(BigInt.asIntN(32, newVal));
      next.imm = Number(BigInt.asIntN(32, newVal >> 32n));
      return;
    }
    default:
      throw new CoreReloError(`trying to relocate unrecognized insn #${pc}, code:0x${insn.op.toString(16)}`);
  }
}
