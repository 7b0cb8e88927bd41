// Typed `__ksym` variables in the verifier: __check_pseudo_btf_id (resolve_pseudo_ldimm64, before
// check_cfg) and check_ld_imm's BPF_PSEUDO_BTF_ID case. The loader resolved each against the kernel
// BTF (elf/ksyms.ts); here the kernel's own needs: the symbol's address from kallsyms, then the
// register type — PTR_TO_MEM | MEM_RDONLY of the type's size for a plain variable, PTR_TO_BTF_ID for
// a struct, PTR_TO_BTF_ID | MEM_PERCPU for a per-CPU one.
import type { KsymResolution } from '../elf/ksyms';
import * as I from '../vm/isa';
import type { Insn } from '../vm/isa';
import { fail } from './env';
import type { Reg } from './regState';

export type TypedKsym = KsymResolution & { kind: 'btf' };

/**
 * __check_pseudo_btf_id's refusal for the first BPF_PSEUDO_BTF_ID ld_imm64 in instruction order
 * (resolve_pseudo_ldimm64 walks them so) whose symbol kallsyms_lookup_name cannot find: a kernel
 * without CONFIG_KALLSYMS_ALL lists no data symbols, so it refuses every typed ksym variable.
 */
export function pseudoBtfIdRefusal(
  insns: readonly Insn[],
  ksymAt: (pc: number) => TypedKsym | undefined,
): { message: string; pc: number } | undefined {
  for (let pc = 0; pc < insns.length; pc++) {
    const i = insns[pc] as Insn;
    if (!I.isLdImm64(i)) continue;
    const k = i.src === I.PSEUDO_BTF_ID ? ksymAt(pc) : undefined;
    if (k?.kallsyms === 'missing')
      return { message: `ldimm64 failed to find the address for kernel symbol '${k.name}'.`, pc };
    pc++;
  }
  return undefined;
}

/** check_ld_imm for BPF_PSEUDO_BTF_ID: the register aux->btf_var gives (`d` is known zero already). */
export function ksymLdImm(d: Reg, k: TypedKsym): void {
  if (!k.percpu && !k.struct) {
    d.type = 'mem';
    d.rdonly = true;
    d.memSize = k.size;
    return;
  }
  // PTR_TO_BTF_ID of a kernel struct, or of a per-CPU variable (MEM_PERCPU, for bpf_per_cpu_ptr /
  // bpf_this_cpu_ptr): the accesses and helpers these need are not modelled here yet. Said plainly
  // rather than judged wrongly.
  fail(
    `XDP Lab's verifier does not model ${k.percpu ? 'per-CPU ' : ''}kernel variable '${k.name}' ` +
      `(${k.struct ? 'struct ' : ''}${k.typeName}: PTR_TO_BTF_ID${k.percpu ? ' | MEM_PERCPU' : ''}); ` +
      'verify it with --kernel',
  );
}
