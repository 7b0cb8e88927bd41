// save_aux_ptr_type (verifier.c): the pointer type each load and store instruction was first seen
// with. The kernel rewrites a context or socket access into the object's own layout
// (convert_ctx_accesses), so one instruction cannot serve two such types on different paths.
import { fail } from './env';
import type { Reg } from './regState';

/** reg->type with the flags that make two types differ (PTR_MAYBE_NULL, MEM_RDONLY, btf flags). */
export interface AuxPtrType {
  readonly type: Reg['type'];
  readonly key: string;
}

export const auxPtrTypeOf = (r: Reg): AuxPtrType => ({
  type: r.type,
  key: `${r.type}/${r.maybeNull ? 1 : 0}/${r.rdonly ? 1 : 0}/${r.btfFlags}`,
});

/** reg_type_mismatch_ok: the types whose accesses are not rewritten per type. */
const mismatchOk = (t: Reg['type']): boolean =>
  t !== 'ctx' && t !== 'sock' && t !== 'sock_common' && t !== 'btf_id';

/**
 * save_aux_ptr_type for the instruction at `pc`: `allowTrustMismatch` (loads) lets two PTR_TO_BTF_ID
 * flavours meet (the kernel then treats the load as untrusted).
 */
export function saveAuxPtrType(
  seen: Map<number, AuxPtrType>,
  pc: number,
  t: AuxPtrType,
  allowTrustMismatch: boolean,
): void {
  const prev = seen.get(pc);
  if (!prev) {
    seen.set(pc, t);
    return;
  }
  if (prev.key === t.key || (mismatchOk(prev.type) && mismatchOk(t.type))) return;
  if (allowTrustMismatch && prev.type === 'btf_id' && t.type === 'btf_id') {
    seen.set(pc, { type: 'btf_id', key: 'btf_id/untrusted' });
    return;
  }
  fail('same insn cannot be used with different pointers');
}
