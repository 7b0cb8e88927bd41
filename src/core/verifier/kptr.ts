// Kptrs (verifier.c check_map_kptr_access, btf_ld_kptr_type, process_kptr_func, map_kptr_match_type,
// the bpf_kptr_xchg cases of check_reg_type) and program-local objects (check_kfunc_call's
// bpf_obj_new_impl / bpf_obj_drop_impl, check_ptr_to_btf_access over a program's own struct).
import { readReg } from './aluOp';
import { fail, regTypeStr } from './env';
import type { VerifierEnv } from './env';
import type { MapField } from './mapFields';
import { constVarOff } from './mapFields';
import { checkPtrOffReg } from './memAccess';
import { BTF_KIND } from '../elf/btf';
import type { Reg } from './regState';
import {
  isNullReg,
  MEM_ALLOC,
  MEM_RCU,
  markNotInit,
  markRegKnown,
  markUnknown,
  PTR_UNTRUSTED,
} from './regState';
import type { VState } from './state';

/** PTR_TO_BTF_ID to a struct of the program's own BTF (kptrs here are all local types). */
function markLocalPtr(r: Reg, name: string, size: number, flags: number, maybeNull: boolean): void {
  markUnknown(r);
  markRegKnown(r, 0n);
  r.type = 'btf_id';
  r.btfStruct = name;
  r.memSize = size;
  r.btfFlags = flags;
  r.maybeNull = maybeNull;
}

/**
 * check_map_kptr_access: one aligned BPF_DW load or store of a kptr field (mapFields.ts checked the
 * shape). A load gives btf_ld_kptr_type's pointer: of a referenced kptr to a program type, in an
 * XDP program (never sleepable: in_rcu_cs), MEM_ALLOC | MEM_RCU (rcu_protected_object holds for
 * program types); of a kptr_untrusted, PTR_UNTRUSTED; both maybe NULL, with a fresh id.
 */
export function mapKptrAccess(
  env: VerifierEnv,
  st: VState,
  field: MapField,
  write: boolean,
  dst: Reg | undefined,
  value: Reg | undefined,
  imm: number | undefined,
): void {
  if (!write) {
    if (!dst) return;
    const flags = field.kind === 'kptr' ? MEM_ALLOC | MEM_RCU : PTR_UNTRUSTED;
    markLocalPtr(dst, field.kptrType ?? '', field.kptrSize ?? 0, flags, true);
    dst.id = ++env.idGen;
    return;
  }
  if (field.kind === 'kptr') fail('store to referenced kptr disallowed');
  if (value) {
    if (!isNullReg(value)) kptrMatchType(field, value, storedRegno(st, value));
  } else if (imm) fail(`BPF_ST imm must be 0 when storing to kptr at off=${field.off}`);
}

/**
 * The register a BPF_STX stored (check_mem_access gets a copy of it): the first one holding the same
 * value — the kernel names that register in its complaint.
 */
function storedRegno(st: VState, value: Reg): number {
  const same = (r: Reg): boolean =>
    r.type === value.type &&
    r.off === value.off &&
    r.id === value.id &&
    r.refObjId === value.refObjId &&
    r.btfStruct === value.btfStruct &&
    r.varOff.vh === value.varOff.vh &&
    r.varOff.vl === value.varOff.vl &&
    r.varOff.mh === value.varOff.mh &&
    r.varOff.ml === value.varOff.ml;
  const i = st.cur.regs.findIndex(same);
  return i < 0 ? 0 : i;
}

/**
 * map_kptr_match_type: a program type's pointer may carry MEM_ALLOC and PTR_MAYBE_NULL only, at
 * offset 0, of the kptr's own struct.
 */
function kptrMatchType(field: MapField, reg: Reg, regno: number): void {
  const target = field.kptrType ?? '';
  const bad = (): never =>
    fail(
      `invalid kptr access, R${regno} type=${regTypeStr(reg)}${reg.type === 'btf_id' ? (reg.btfStruct ?? '') : ''} ` +
        `expected=ptr_${target}` +
        (field.kind === 'kptr_untrusted' ? ` or untrusted_ptr_${target}` : ''),
    );
  if (reg.type !== 'btf_id' || reg.btfFlags & ~MEM_ALLOC) bad();
  checkPtrOffReg(reg, regno, true);
  if (reg.btfStruct !== target || reg.off !== 0) bad();
}

/**
 * process_kptr_func for bpf_kptr_xchg's first argument (ARG_KPTR_XCHG_DEST): a map value pointer at
 * a referenced kptr field. Returns the field.
 */
export function kptrXchgDest(st: VState, regno: number): MapField {
  const reg = readReg(st, regno);
  if (reg.type !== 'map_value' || reg.maybeNull)
    fail(`R${regno} type=${regTypeStr(reg)} expected=map_value, ptr_`);
  const map = reg.map;
  if (!map?.fields) fail(`map '${map?.name ?? ''}' has to have BTF in order to use bpf_kptr_xchg`);
  const c = constVarOff(reg);
  if (c === undefined) fail(`R${regno} doesn't have constant offset. kptr has to be at the constant offset`);
  const kptrs = map.fields.filter((f) => f.kind === 'kptr' || f.kind === 'kptr_untrusted');
  if (!kptrs.length) fail(`R${regno} has no valid kptr`);
  const off = reg.off + c;
  const field = kptrs.find((f) => f.off === off);
  if (!field) fail(`off=${off} doesn't point to kptr`);
  if (field.kind !== 'kptr') fail(`off=${off} kptr isn't referenced kptr`);
  return field;
}

/**
 * bpf_kptr_xchg's second argument (ARG_PTR_TO_BTF_ID_OR_NULL | OBJ_RELEASE) through check_reg_type:
 * NULL, or a referenced pointer of the kptr's type, which the call releases. Returns the reference.
 */
export function kptrXchgSrc(st: VState, regno: number, field: MapField): number {
  const reg = readReg(st, regno);
  if (isNullReg(reg)) return 0;
  // btf_ptr_types: PTR_TO_BTF_ID [| PTR_TRUSTED | MEM_RCU], after masking PTR_MAYBE_NULL and (for
  // this argument of this helper) MEM_ALLOC.
  const masked = reg.btfFlags & ~MEM_ALLOC;
  if (reg.type !== 'btf_id' || (masked !== 0 && masked !== MEM_RCU))
    fail(`R${regno} type=${regTypeStr(reg)} expected=ptr_, trusted_ptr_, rcu_ptr_`);
  // check_reg_type's switch on the full type: an allocated object only unflagged.
  if (reg.btfFlags !== MEM_ALLOC || reg.maybeNull)
    fail('verifier bug: invalid PTR_TO_BTF_ID register for type match');
  kptrMatchType(field, reg, regno);
  if (!reg.refObjId) fail(`R${regno} must be referenced when passed to release function`);
  return reg.refObjId;
}

/** bpf_kptr_xchg's result: the old object (MEM_ALLOC, a program type), a reference, or NULL. */
export function kptrXchgResult(r0: Reg, field: MapField): void {
  const id = r0.id;
  const ref = r0.refObjId;
  markLocalPtr(r0, field.kptrType ?? '', field.kptrSize ?? 0, MEM_ALLOC, true);
  r0.id = id;
  r0.refObjId = ref;
}

/** The local-object kfuncs (generic_kfunc_set, registered for XDP). */
const OBJ_KFUNCS = new Set(['bpf_obj_new_impl', 'bpf_obj_drop_impl']);
export const isObjKfunc = (name: string): boolean => OBJ_KFUNCS.has(name);

/** check_kfunc_call for bpf_obj_new_impl(local_type_id__k, meta__ign) and bpf_obj_drop_impl(p, meta__ign). */
export function checkObjKfunc(env: VerifierEnv, st: VState, name: string, pc: number): void {
  const regs = st.cur.regs;
  if (name === 'bpf_obj_new_impl') {
    // A __k argument: a known constant (is_kfunc_arg_constant), the type id in the program's BTF.
    const idReg = readReg(st, 1);
    if (idReg.type !== 'scalar') fail('R1 is not a scalar');
    const typeId = constVarOff(idReg);
    if (typeId === undefined) fail('R1 must be a known constant');
    if (typeId < 0 || typeId > 0xffffffff) fail('local type ID argument must be in range [0, U32_MAX]');
    if (!env.btf) fail('bpf_obj_new/bpf_percpu_obj_new requires prog BTF');
    const t = env.btf.type(typeId);
    if (!t || t.kind !== BTF_KIND.STRUCT)
      fail('bpf_obj_new/bpf_percpu_obj_new type ID argument must be of a struct');
    for (let r = 0; r <= 5; r++) markNotInit(regs[r] as Reg);
    const r0 = regs[0] as Reg;
    markLocalPtr(r0, t.name, t.sizeOrType, MEM_ALLOC, true);
    // KF_RET_NULL takes an id, then acquire_reference another: the reference is the second.
    ++env.idGen;
    const id = ++env.idGen;
    st.refs.push({ id, insn: pc });
    r0.id = id;
    r0.refObjId = id;
    return;
  }
  // bpf_obj_drop_impl: KF_RELEASE of an allocated object.
  const reg = readReg(st, 1);
  if (reg.type === 'btf_id' && reg.maybeNull) fail('Possibly NULL pointer passed to trusted arg0');
  if (reg.type === 'btf_id' && !reg.refObjId && reg.btfFlags !== MEM_ALLOC)
    fail('R1 must be referenced or trusted');
  if (reg.type !== 'btf_id' || !(reg.btfFlags & MEM_ALLOC))
    fail('arg#0 expected pointer to allocated object');
  if (!reg.refObjId) fail('allocated object must be referenced');
  const released = reg.refObjId;
  const idx = st.refs.findIndex((r) => r.id === released);
  if (idx >= 0) st.refs.splice(idx, 1);
  st.forEachReg((r) => {
    if (r.refObjId === released) markUnknown(r);
  });
  for (let r = 0; r <= 5; r++) markNotInit(regs[r] as Reg);
  markNotInit(regs[0] as Reg);
}

/** A pointer to a program type's object (bpf_obj_new's, or loaded from a kptr): it has a size. */
export const isLocalObj = (r: Reg): boolean => r.type === 'btf_id' && r.memSize > 0;

/**
 * check_ptr_to_btf_access over a program type (btf_struct_access): inside the struct, and a write
 * only to an allocated object (type_is_ptr_alloc_obj); anything read is a scalar (its fields are).
 */
export function localObjAccess(reg: Reg, regno: number, off: number, size: number, write: boolean): void {
  if (off < 0) fail(`R${regno} is ptr_${reg.btfStruct ?? ''} invalid negative access: off=${off}`);
  if (write && !(reg.btfFlags & MEM_ALLOC)) fail('only read is supported');
  if (off + size > reg.memSize)
    fail(`access beyond struct ${reg.btfStruct ?? ''} at off ${off} size ${size}`);
}
