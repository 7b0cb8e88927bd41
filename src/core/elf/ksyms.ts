// libbpf's `__ksym` extern variables (bpf_object__resolve_externs): a typed one (`extern const int
// bpf_prog_active __ksym;`) is looked up by name among the kernel BTF's VARs
// (bpf_object__resolve_ksym_var_btf_id) and becomes a BPF_PSEUDO_BTF_ID ld_imm64 of that VAR's id; a
// typeless one (`extern const void X __ksym;`) takes its address from /proc/kallsyms
// (bpf_object__read_kallsyms_file) and becomes a plain ld_imm64 of that number. The kernel then needs
// the VAR's address from its own kallsyms (__check_pseudo_btf_id: kallsyms_lookup_name) — on a kernel
// without CONFIG_KALLSYMS_ALL only text symbols are there, so every typed ksym variable is refused.
// Pure: the host gives the kallsyms lookup (KernelFacts.kallsyms).
import { BTF_KIND } from './btf';
import type { Btf } from './btf';
import { KconfigError } from './kconfig';
import type { KsymExtern } from './kconfig';

/** What one `__ksym` variable resolved to. */
export type KsymResolution =
  /** Typed, found in the kernel BTF: BPF_PSEUDO_BTF_ID of `btfId`. */
  | {
      kind: 'btf';
      name: string;
      btfId: number;
      /** The VAR's type size in the kernel BTF (btf_resolve_size): the VM's object is this long. */
      size: number;
      /** The VAR is in the kernel BTF's `.data..percpu` DATASEC (find_btf_percpu_datasec). */
      percpu: boolean;
      /** The VAR's type is a struct or union (btf_type_is_struct after modifiers). */
      struct: boolean;
      /** Its C type name, for messages ('int', 'rq'). */
      typeName: string;
      /**
       * kallsyms_lookup_name(name) on the kernel the verdict is for: 'missing' refuses the load
       * ("ldimm64 failed to find the address …"); 'unknown' when the host cannot say (a browser).
       */
      kallsyms: 'found' | 'missing' | 'unknown';
      /** The VM's region for it (a run's load, not a verifier's). */
      region?: number;
    }
  /** Typeless (kallsyms' address), or a weak one left unresolved (0): a plain 64-bit constant. */
  | { kind: 'addr'; name: string; addr: bigint };

/**
 * libbpf's resolution of every `.ksyms` variable, or its refusal (a KconfigError with libbpf's words):
 * a strong typed one missing from the kernel BTF ("extern (var ksym) 'X': not found in kernel BTF"),
 * a strong typeless one missing from kallsyms ("extern 'X' (strong): not resolved").
 */
export function resolveKsyms(
  ksyms: readonly KsymExtern[],
  kernelBtf: () => Btf,
  kernelBtfName: () => string,
  kallsyms: ((name: string) => bigint | undefined) | undefined,
): Map<number, KsymResolution> {
  const out = new Map<number, KsymResolution>();
  for (const k of ksyms) {
    if (!k.typed) {
      // bpf_object__read_kallsyms_file; without a host kallsyms (a browser) an address is unknown:
      // 0, as the kernel prints it to a reader without CAP_SYSLOG.
      const addr = kallsyms ? kallsyms(k.name) : 0n;
      if (addr === undefined && !k.weak)
        throw new KconfigError(
          `extern '${k.name}' (strong): not resolved (no such symbol in /proc/kallsyms)`,
        );
      out.set(k.symIndex, { kind: 'addr', name: k.name, addr: addr ?? 0n });
      continue;
    }
    const btf = kernelBtf();
    const v = btf.findByNameKind(k.name, BTF_KIND.VAR);
    if (!v) {
      if (!k.weak)
        throw new KconfigError(`extern (var ksym) '${k.name}': not found in kernel BTF (${kernelBtfName()})`);
      out.set(k.symIndex, { kind: 'addr', name: k.name, addr: 0n });
      continue;
    }
    const t = skipModifiers(btf, v.sizeOrType);
    const percpu = btf.findDatasec('.data..percpu')?.vars?.some((s) => s.type === v.id) ?? false;
    const found = kallsyms ? (kallsyms(k.name) !== undefined ? 'found' : 'missing') : 'unknown';
    out.set(k.symIndex, {
      kind: 'btf',
      name: k.name,
      btfId: v.id,
      size: btf.sizeOf(v.sizeOrType) ?? 0,
      percpu,
      struct: t?.kind === BTF_KIND.STRUCT || t?.kind === BTF_KIND.UNION,
      typeName: t?.name || '?',
      kallsyms: found,
    });
  }
  return out;
}

/** btf_type_skip_modifiers: past typedef, volatile, const, restrict, type tags. */
function skipModifiers(btf: Btf, id: number): ReturnType<Btf['type']> {
  let t = btf.type(id);
  for (let i = 0; t && i < 32; i++) {
    if (
      t.kind !== BTF_KIND.TYPEDEF &&
      t.kind !== BTF_KIND.VOLATILE &&
      t.kind !== BTF_KIND.CONST &&
      t.kind !== BTF_KIND.RESTRICT &&
      t.kind !== BTF_KIND.TYPE_TAG
    )
      break;
    t = btf.type(t.sizeOrType);
  }
  return t;
}

/** What the VM gives a typed ksym: said with the run, never passed off as kernel data. */
export function ksymVmNote(r: KsymResolution & { kind: 'btf' }): string {
  return (
    `kernel variable '${r.name}' (${r.percpu ? 'per-CPU ' : ''}${r.struct ? 'struct ' : ''}${r.typeName}, ${r.size} bytes): ` +
    `the VM has no kernel memory; it points at a zeroed, read-only object of that size` +
    (r.percpu ? ' (one for every CPU)' : '')
  );
}
