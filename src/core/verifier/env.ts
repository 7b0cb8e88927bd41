// What every check shares (struct bpf_verifier_env): the instructions, the map each ld_imm64
// refers to, the id generator, and the failure that stops verification with the kernel's words.
import type { AuxPtrType } from './auxPtrType';
import type { Insn } from '../vm/isa';
import type { Cfg } from './cfg';
import type { GlobalFunc } from './globalFuncs';
import type { Btf } from '../elf/btf';
import type { Reg, RegType, VMap } from './regState';
import type { VState } from './state';
import { MEM_RCU, PTR_UNTRUSTED } from './regState';

/** What a pseudo ld_imm64 loads (resolve_pseudo_ldimm64). */
import type { TypedKsym } from './ksymVars';

export type LdImm64Target =
  | { kind: 'map'; map: VMap }
  | { kind: 'map_value'; map: VMap; off: number }
  | { kind: 'func'; target: number }
  /** BPF_PSEUDO_BTF_ID: a typed `__ksym` variable (ksymVars.ts). */
  | { kind: 'ksym'; ksym: TypedKsym };

export interface VerifierEnv {
  readonly insns: readonly Insn[];
  readonly cfg: Cfg;
  ldImm64(pc: number): LdImm64Target | undefined;
  /** The kfunc a BPF_PSEUDO_KFUNC_CALL at `pc` calls (the loader keeps their names). */
  kfuncAt(pc: number): string | undefined;
  /**
   * The poisoned CO-RE relocation at `pc` (libbpf wrote `call 0xbad2310` there), as libbpf's
   * bpf_core_format_spec prints it; undefined: no poisoned relocation at `pc`.
   */
  coreFailureAt?(pc: number): string | undefined;
  /** env->id_gen */
  idGen: number;
  /**
   * env->jmps_processed, prev_jmps_processed and prev_insn_processed: is_state_visited's heuristics
   * count across the main program and its global sub-programs (do_check_common does not reset them).
   */
  readonly counts: { jmps: number; prevJmps: number; prevProcessed: number };
  /** The program's license is GPL-compatible. */
  readonly gpl: boolean;
  /** Expected attach type (egress_ifindex is only readable by devmap programs). */
  readonly attach: 'xdp' | 'devmap' | 'cpumap';
  /** Global sub-programs by first instruction (verified on their own). */
  readonly globalFuncs: ReadonlyMap<number, GlobalFunc>;
  /** Global sub-programs called so far, in call order (do_check_subprogs verifies these). */
  readonly calledGlobals: number[];
  /** The program's BTF (prog->aux->btf): the local types bpf_obj_new allocates; none: no .BTF. */
  readonly btf?: Btf;
  /** insn_aux_data[].ptr_type: the pointer type each load or store was first seen with. */
  readonly auxPtrTypes: Map<number, AuxPtrType>;
  /** Told of each processed instruction (VerifyOptions.onInsn). */
  readonly onInsn?: ((pc: number, state: VState) => void) | undefined;
}

/** A refusal: the kernel's log lines for it (the last is printed last). */
export class VerifyFail extends Error {
  constructor(readonly lines: string[]) {
    super(lines.join('\n'));
  }
}

export function fail(...lines: string[]): never {
  throw new VerifyFail(lines);
}

const typeNames: Record<RegType, string> = {
  not_init: '?',
  scalar: 'scalar',
  ctx: 'ctx',
  map_ptr: 'map_ptr',
  map_value: 'map_value',
  map_key: 'map_key',
  stack: 'fp',
  pkt: 'pkt',
  pkt_meta: 'pkt_meta',
  pkt_end: 'pkt_end',
  mem: 'mem',
  func: 'func',
  btf_id: 'ptr_',
  sock: 'sock',
  sock_common: 'sock_common',
  dynptr_ptr: 'dynptr_ptr',
};

/** reg_type_str (MEM_ALLOC prints nothing: an allocated object is a plain "ptr_"). */
export function regTypeStr(
  r: Pick<Reg, 'type' | 'maybeNull' | 'rdonly' | 'refObjId'> & { btfFlags?: number; map?: Reg['map'] },
): string {
  const ringbuf = r.type === 'mem' && r.refObjId !== 0;
  // A map-in-map lookup is CONST_PTR_TO_MAP | PTR_MAYBE_NULL (kept here as a map_value with .inner).
  const base = r.type === 'map_value' && r.maybeNull && r.map?.inner ? typeNames.map_ptr : typeNames[r.type];
  const f = r.btfFlags ?? 0;
  const prefix =
    (r.rdonly ? 'rdonly_' : '') +
    (ringbuf ? 'ringbuf_' : '') +
    (f & MEM_RCU ? 'rcu_' : '') +
    (f & PTR_UNTRUSTED ? 'untrusted_' : '');
  if (!r.maybeNull) return prefix + base;
  return r.type === 'btf_id' ? `${prefix}${base}or_null_` : `${prefix}${base}_or_null`;
}

export const typeStr = (t: RegType): string => typeNames[t];
