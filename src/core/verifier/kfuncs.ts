// kfunc calls an XDP program may make in Linux 6.18 (verifier.c check_kfunc_call, the XDP kfunc
// sets of net/core/xdp.c, net/netfilter/nf_conntrack_bpf.c and nf_nat_bpf.c) with the argument and return kinds
// their BTF prototypes give, and the check of one call. A kfunc outside the table is one libbpf
// cannot resolve against the kernel's BTF (e.g. nf_flow_table's, a module not loaded).
import { fail, regTypeStr } from './env';
import type { VerifierEnv } from './env';
import { checkHelperMem, checkPtrOffReg } from './memAccess';
import { readReg } from './aluOp';
import type { Reg } from './regState';
import { isNullReg, markNotInit, markRegKnown, markUnknown } from './regState';
import type { VState } from './state';
import { markPrecise } from './precision';
import { checkDynptrKfunc, isDynptrKfunc } from './dynptr';
import { checkObjKfunc, isObjKfunc } from './kptr';

/**
 * One argument: the context; memory the kfunc writes (`out`) or reads (`in`) of its type's size; memory of the size the
 * next argument gives (`mem`, a `__sz` pair); that size; a referenced object it releases; a
 * referenced object it only uses (`trusted`: KF_TRUSTED_ARGS, the default in 6.18); a scalar.
 */
type KfuncArg =
  | { kind: 'ctx' }
  | { kind: 'out'; size: number }
  | { kind: 'in'; size: number }
  | { kind: 'mem' }
  | { kind: 'size' }
  | { kind: 'release'; struct: KernelStruct }
  | { kind: 'trusted'; struct: KernelStruct }
  | { kind: 'scalar' };

/**
 * The kernel structs these kfuncs hand out and take. The kernel matches them exactly
 * (process_kf_arg_ptr_to_btf_id → btf_struct_ids_match with strict_type_match): an nf_conn___init
 * (a new allocation) is not an nf_conn (a confirmed entry), although it starts with one.
 */
type KernelStruct = 'nf_conn' | 'nf_conn___init' | 'bpf_key';

export interface KfuncProto {
  args: KfuncArg[];
  /** int: a scalar; acquire: a referenced PTR_TO_BTF_ID or NULL (KF_ACQUIRE | KF_RET_NULL); void. */
  ret: 'int' | 'acquire' | 'void';
  /** The struct an `acquire` kfunc's pointer points to. */
  retStruct?: KernelStruct;
  /** KF_SLEEPABLE: only sleepable programs (never XDP) may call it. */
  sleepable?: true;
}

const ctx: KfuncArg = { kind: 'ctx' };
const mem: KfuncArg = { kind: 'mem' };
const size: KfuncArg = { kind: 'size' };
const out = (n: number): KfuncArg => ({ kind: 'out', size: n });
const input = (n: number): KfuncArg => ({ kind: 'in', size: n });
const trusted = (struct: KernelStruct): KfuncArg => ({ kind: 'trusted', struct });
const release = (struct: KernelStruct): KfuncArg => ({ kind: 'release', struct });
const scalar: KfuncArg = { kind: 'scalar' };

/** By name: the XDP metadata kfuncs (bpf_xdp_metadata_kfunc_ids) and conntrack's XDP set. */
const KFUNCS: ReadonlyMap<string, KfuncProto> = new Map([
  ['bpf_xdp_metadata_rx_timestamp', { args: [ctx, out(8)], ret: 'int' }],
  ['bpf_xdp_metadata_rx_hash', { args: [ctx, out(4), out(4)], ret: 'int' }],
  ['bpf_xdp_metadata_rx_vlan_tag', { args: [ctx, out(2), out(2)], ret: 'int' }],
  ['bpf_xdp_ct_lookup', { args: [ctx, mem, size, mem, size], ret: 'acquire', retStruct: 'nf_conn' }],
  ['bpf_xdp_ct_alloc', { args: [ctx, mem, size, mem, size], ret: 'acquire', retStruct: 'nf_conn___init' }],
  ['bpf_ct_release', { args: [release('nf_conn')], ret: 'void' }],
  // KF_ACQUIRE | KF_RET_NULL | KF_RELEASE: the nf_conn___init goes, an nf_conn (or NULL) comes.
  ['bpf_ct_insert_entry', { args: [release('nf_conn___init')], ret: 'acquire', retStruct: 'nf_conn' }],
  // Set_* change a new allocation, change_* a confirmed entry (nf_conntrack_bpf.c's prototypes).
  ['bpf_ct_set_timeout', { args: [trusted('nf_conn___init'), scalar], ret: 'void' }],
  ['bpf_ct_change_timeout', { args: [trusted('nf_conn'), scalar], ret: 'int' }],
  ['bpf_ct_set_status', { args: [trusted('nf_conn___init'), scalar], ret: 'int' }],
  ['bpf_ct_change_status', { args: [trusted('nf_conn'), scalar], ret: 'int' }],
  // nf_nat_bpf.c (KF_TRUSTED_ARGS): (nf_conn___init *, union nf_inet_addr *addr, int port, manip).
  ['bpf_ct_set_nat_info', { args: [trusted('nf_conn___init'), input(16), scalar, scalar], ret: 'int' }],
  // The key kfuncs (6.18 registers them for every program type): a referenced bpf_key or NULL, put
  // back by bpf_key_put; the user keyring's lookup may sleep (KF_ACQUIRE | KF_RET_NULL | KF_SLEEPABLE).
  ['bpf_lookup_system_key', { args: [scalar], ret: 'acquire', retStruct: 'bpf_key' }],
  ['bpf_lookup_user_key', { args: [scalar, scalar], ret: 'acquire', retStruct: 'bpf_key', sleepable: true }],
  ['bpf_key_put', { args: [release('bpf_key')], ret: 'void' }],
]);

/** The prototype of kfunc `name` (the VM's kfuncs take their argument counts from it). */
export function kfuncProto(name: string): KfuncProto | undefined {
  return KFUNCS.get(name);
}

/** Whether `name` is a metadata kfunc only device-bound programs may call. */
export function isDevBoundKfunc(name: string): boolean {
  return DEV_BOUND.has(name);
}

/** bpf_dev_bound_kfunc_id: the metadata kfuncs a driver implements for a device-bound program. */
const DEV_BOUND = new Set([
  'bpf_xdp_metadata_rx_timestamp',
  'bpf_xdp_metadata_rx_hash',
  'bpf_xdp_metadata_rx_vlan_tag',
]);

/**
 * Refusals before the kernel walks any instruction: a kfunc the kernel does not have (libbpf's
 * bpf_object__resolve_ksym_func_btf_id, in its words), and a metadata kfunc in a program that is not
 * device-bound (add_kfunc_call → bpf_dev_bound_kfunc_check: EINVAL with an empty log, worded as
 * `verify --kernel` words a refusal without a log). Programs here are never device-bound.
 */
export function kfuncLoadRefusal(names: Iterable<string>): string | undefined {
  for (const name of names) {
    if (!KFUNCS.has(name) && !isDynptrKfunc(name) && !isObjKfunc(name))
      return `libbpf: extern (func ksym) '${name}': not found in kernel or module BTFs`;
    if (DEV_BOUND.has(name)) return 'the program could not be loaded: Invalid argument';
  }
  return undefined;
}

/** check_kfunc_call for the call at `pc` to `name`. */
export function checkKfuncCall(env: VerifierEnv, st: VState, name: string, pc: number): void {
  if (isDynptrKfunc(name)) {
    if (!env.gpl) fail('cannot call kernel function from non-GPL compatible program');
    return checkDynptrKfunc(env, st, name, pc);
  }
  if (isObjKfunc(name)) {
    if (!env.gpl) fail('cannot call kernel function from non-GPL compatible program');
    return checkObjKfunc(env, st, name, pc);
  }
  const proto = KFUNCS.get(name);
  // libbpf stops before the kernel sees the program (bpf_object__resolve_ksym_func_btf_id).
  if (!proto) fail(`libbpf: extern (func ksym) '${name}': not found in kernel or module BTFs`);
  if (!env.gpl) fail('cannot call kernel function from non-GPL compatible program');
  // check_kfunc_call: a sleepable kfunc outside a sleepable program (in_sleepable), before its arguments.
  if (proto.sleepable) fail(`program must be sleepable to call sleepable kfunc ${name}`);
  const regs = st.cur.regs;
  let releaseId = 0;
  proto.args.forEach((a, i) => {
    const regno = i + 1;
    const reg = readReg(st, regno);
    switch (a.kind) {
      case 'ctx':
        if (reg.type !== 'ctx') fail(`arg#${i} expected pointer to ctx, but got ${regTypeStr(reg)}`);
        checkPtrOffReg(reg, regno, false);
        break;
      case 'out':
        if (reg.type === 'scalar')
          fail(`arg#${i} pointer type UNKNOWN  must point to scalar, or struct with scalar`);
        // check_mem_reg: read, then written with anything (the kfunc may write any memory it gets).
        checkHelperMem(st, regno, a.size, 'read', false, false);
        checkHelperMem(st, regno, a.size, 'write', false, false);
        break;
      case 'in':
        checkHelperMem(st, regno, a.size, 'read', false, false);
        checkHelperMem(st, regno, a.size, 'write', false, false);
        break;
      case 'mem': {
        // check_kfunc_args, before the argument's kind is looked at: a NULL (or maybe-NULL) pointer to
        // a kfunc whose args are trusted (the default in 6.18), unless the arg is __nullable — none of
        // conntrack's (test_bpf_nf's lookup with a NULL tuple: the kernel's words).
        if ((reg.type === 'scalar' && isNullReg(reg)) || (reg.type !== 'scalar' && reg.maybeNull))
          fail(`Possibly NULL pointer passed to trusted arg${i}`);
        // check_kfunc_mem_size_reg: the size is the next argument, a known bound.
        const sz = regs[regno + 1] as Reg;
        if (sz.type !== 'scalar') fail(`R${regno + 1} is not a scalar`);
        markPrecise(env.insns, st, 1 << (regno + 1));
        if (sz.umax >= 1n << 29n)
          fail(`R${regno + 1} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
        // check_kfunc_mem_size_reg: BPF_READ, then BPF_WRITE (the bytes become MISC).
        checkHelperMem(st, regno, Number(sz.umax), 'read', sz.umin === 0n, true);
        checkHelperMem(st, regno, Number(sz.umax), 'write', sz.umin === 0n, true);
        break;
      }
      case 'size':
        if (reg.type !== 'scalar') fail(`R${regno} is not a scalar`);
        break;
      case 'release':
        if (reg.type !== 'btf_id' || reg.maybeNull)
          fail(`R${regno} must be referenced when passed to release function`);
        structMatch(name, i, regno, reg, a.struct);
        releaseId = reg.refObjId;
        break;
      case 'trusted':
        // check_kfunc_args, KF_ARG_PTR_TO_BTF_ID of a trusted-args kfunc.
        if (reg.type === 'btf_id' && reg.maybeNull) fail(`Possibly NULL pointer passed to trusted arg${i}`);
        if (reg.type !== 'btf_id' || !reg.refObjId) fail(`R${regno} must be referenced or trusted`);
        structMatch(name, i, regno, reg, a.struct);
        break;
      case 'scalar':
        if (reg.type !== 'scalar') fail(`R${regno} is not a scalar`);
        break;
    }
  });
  if (releaseId) {
    const idx = st.refs.findIndex((r) => r.id === releaseId);
    if (idx < 0) fail('R1 must be referenced when passed to release function');
    st.refs.splice(idx, 1);
    st.forEachReg((r) => {
      if (r.refObjId === releaseId) markUnknown(r);
    });
  }
  for (let r = 0; r <= 5; r++) markNotInit(regs[r] as Reg);
  const r0 = regs[0] as Reg;
  if (proto.ret === 'int') markUnknown(r0);
  else if (proto.ret === 'acquire') {
    markUnknown(r0);
    markRegKnown(r0, 0n);
    r0.type = 'btf_id';
    r0.btfStruct = proto.retStruct;
    r0.maybeNull = true;
    // check_kfunc_call: KF_RET_NULL takes an id, then acquire_reference another: the reference is the
    // second (every acquiring kfunc here is KF_RET_NULL).
    ++env.idGen;
    const id = ++env.idGen;
    st.refs.push({ id, insn: pc });
    r0.id = id;
    r0.refObjId = id;
  }
}

/** process_kf_arg_ptr_to_btf_id: the pointer's struct must be the argument's (strict match). */
function structMatch(name: string, i: number, regno: number, reg: Reg, want: KernelStruct): void {
  if (reg.btfStruct !== undefined && reg.btfStruct !== want)
    fail(
      `kernel function ${name} args#${i} expected pointer to STRUCT ${want} but R${regno} has a pointer to STRUCT ${reg.btfStruct}`,
    );
}
