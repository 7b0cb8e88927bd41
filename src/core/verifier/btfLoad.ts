// Whether the kernel takes an object's BTF at all (BTF_LOAD, kernel/bpf/btf.c). When it refuses it,
// libbpf loads the programs without it ("BTF is optional, ignoring"): no line info, no func info
// (every sub-program static), maps without key/value types (no spin lock, timer or kptr fields).
import type { Btf } from '../elf/btf';
import { BTF_KIND } from '../elf/btf';

/** A FUNC's linkage (its vlen): static 0, global 1, extern 2. */
const BTF_FUNC_EXTERN = 2;

/**
 * btf_func_check, from btf_func_resolve for every FUNC: each argument of its prototype needs a
 * name, but a variadic `...` (type 0). Clang leaves the arguments of a `__naked` function unnamed.
 * The refusal in the kernel's words ("Invalid arg#N" of the function), or undefined.
 */
export function kernelBtfRefusal(btf: Btf): string | undefined {
  for (const t of btf.types) {
    // An extern FUNC (a kfunc): libbpf names its arguments itself before loading
    // (bpf_object__collect_externs), and makes it global.
    if (t?.kind !== BTF_KIND.FUNC || t.vlen === BTF_FUNC_EXTERN) continue;
    const proto = btf.type(t.sizeOrType);
    if (proto?.kind !== BTF_KIND.FUNC_PROTO) continue;
    const i = (proto.params ?? []).findIndex((a) => !a.name && a.type !== 0);
    if (i >= 0) return `[${t.id}] FUNC ${t.name} type_id=${proto.id} Invalid arg#${i + 1}`;
  }
  return undefined;
}
