// Helper calls (verifier.c check_helper_call, check_func_arg, check_reg_type, check_mem_size_reg,
// check_map_func_compatibility, get_constant_map_key): arguments against the prototype of
// bpf/helperProtos.ts, the result register, and which helpers and maps an XDP program may use.
import { helperById } from '../bpf/helperCatalog';
import type { ArgType } from '../bpf/helperProtos';
import { helperProto, xdpMayCall } from '../bpf/helperProtos';
import { MapType } from '../maps/bpfMap';
import { CORE_POISON_HELPER } from '../elf/coreRelo';
import { readReg } from './aluOp';
import { fail, regTypeStr } from './env';
import type { VerifierEnv } from './env';
import { checkHelperMem, checkPtrOffReg } from './memAccess';
import type { Reg, RegType, VMap } from './regState';
import { isNullReg, markKnown, markNotInit, markRegKnown, markUnknown } from './regState';
import { regBoundsSync } from './regBounds';
import type { VState } from './state';
import { BPF_REG_SIZE, STACK_SPILL, STACK_ZERO } from './state';
import { tnumIsConst } from './tnum';
import { markPrecise } from './precision';
import { processSpinLock, SPIN_LOCK_ID } from './spinLock';
import type { DynptrInfo } from './dynptr';
import { checkDynptrReleasable, isPktSlice, processDynptrArg, releaseDynptr } from './dynptr';
import { checkReferenceLeak } from './funcCall';
import { kptrXchgDest, kptrXchgResult, kptrXchgSrc } from './kptr';
import type { MapField } from './mapFields';

const MEM_TYPES: RegType[] = ['stack', 'pkt', 'pkt_meta', 'map_key', 'map_value', 'mem'];
const MEM_TYPE_NAMES = 'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_';
/** btf_id_sock_common_types as reg_type_str prints them (tcp_sock and xdp_sock: no XDP helper returns one). */
const SOCK_COMMON_TYPE_NAMES = 'sock_common, sock, tcp_sock, xdp_sock, ptr_, trusted_ptr_';

function expected(arg: ArgType): { types: RegType[]; names: string } | undefined {
  switch (arg) {
    case 'const_map_ptr':
      return { types: ['map_ptr'], names: 'map_ptr' };
    case 'map_key':
    case 'map_value':
    case 'map_value_uninit':
    case 'mem':
    case 'mem_or_null':
    case 'uninit_mem':
    case 'fixed_uninit_mem4':
      return { types: MEM_TYPES, names: MEM_TYPE_NAMES };
    case 'const_size':
    case 'const_size_or_zero':
    case 'const_alloc_size_or_zero':
      return { types: ['scalar'], names: 'scalar' };
    case 'ctx':
      return { types: ['ctx'], names: 'ctx' };
    case 'func':
      return { types: ['func'], names: 'func' };
    case 'stack_or_null':
      return { types: ['stack'], names: 'fp' };
    case 'ringbuf_mem':
      return { types: ['mem'], names: 'ringbuf_mem' };
    case 'spin_lock':
    case 'timer':
      return { types: ['map_value'], names: 'map_value' };
    case 'btf_sock':
      // btf_id_sock_common_types: a PTR_TO_BTF_ID must be plain or trusted, not rcu or untrusted.
      return { types: ['sock_common', 'sock', 'btf_id'], names: SOCK_COMMON_TYPE_NAMES };
    case 'dynptr':
    case 'dynptr_uninit_local':
    case 'dynptr_uninit_ringbuf':
    case 'dynptr_release_ringbuf':
      // dynptr_types: a stack slot or a callback's const dynptr (CONST_PTR_TO_DYNPTR).
      return { types: ['stack', 'dynptr_ptr'], names: 'fp, dynptr_ptr' };
    default:
      return undefined;
  }
}

/** get_constant_map_key: a key known from the stack (spilled constant or zeros), else -1. */
function constantMapKey(insns: VerifierEnv['insns'], st: VState, key: Reg, keySize: number): bigint {
  if (key.type !== 'stack' || !tnumIsConst(key.varOff)) return -1n;
  const stackOff = key.off + Number(BigInt.asIntN(64, key.varOff.value));
  const slot = -stackOff - 1;
  const spi = Math.floor(slot / BPF_REG_SIZE);
  const off = slot % BPF_REG_SIZE;
  const s = st.frames[key.frameno]?.stack[spi];
  if (!s) return -1n;
  let zero = 0;
  for (let i = off; i >= 0 && s.types[i] === STACK_ZERO; i--) zero++;
  if (zero >= keySize) return 0n;
  if (s.types[BPF_REG_SIZE - 1] !== STACK_SPILL || s.spilled.type !== 'scalar') return -1n;
  let spill = 0;
  for (let i = off; i >= 0 && s.types[i] === STACK_SPILL; i--) spill++;
  if (spill !== keySize || !tnumIsConst(s.spilled.varOff)) return -1n;
  if (key.frameno === st.frames.length - 1) markPrecise(insns, st, 0, [spi]);
  return s.spilled.varOff.value;
}

const BLOOM_FILTER = 30;
const USER_RINGBUF = 31;
/**
 * check_map_func_compatibility, the map's side, for the map types the VM only declares
 * (maps/declaredMap.ts): the helper ids each accepts. Sockmap and sockhash take update and delete
 * too: may_update_sockmap allows them in XDP programs.
 */
const HELPERS_OF_MAP_TYPE: ReadonlyMap<number, readonly number[]> = new Map([
  [7, [27]], // STACK_TRACE: get_stackid
  [8, [33, 37]], // CGROUP_ARRAY: skb_under_cgroup, current_task_under_cgroup
  [15, [52, 53, 60, 82, 1, 2, 3]], // SOCKMAP
  [18, [72, 70, 71, 82, 1, 2, 3]], // SOCKHASH
  [19, [81]], // CGROUP_STORAGE: get_local_storage
  [20, [82]], // REUSEPORT_SOCKARRAY: sk_select_reuseport
  [21, [81]], // PERCPU_CGROUP_STORAGE
  [24, [107, 108, 194]], // SK_STORAGE: sk_storage_get/delete, kptr_xchg
  [28, [145, 146, 194]], // INODE_STORAGE
  [29, [156, 157, 194]], // TASK_STORAGE
  [BLOOM_FILTER, [88, 87]], // map_peek_elem, map_push_elem
  [USER_RINGBUF, [209]], // user_ringbuf_drain
  [32, [210, 211, 194]], // CGRP_STORAGE
]);

const SOCKMAP = 15;
const SOCKHASH = 18;
const isSockMap = (map: VMap): boolean => map.type === SOCKMAP || map.type === SOCKHASH;

/** check_map_func_compatibility (the map types XDP programs meet). */
function mapFuncCompatible(map: VMap | undefined, id: number, name: string): void {
  if (!map) return;
  const t = map.type;
  const bad = (): never => fail(`cannot pass map_type ${t} into func ${name}#${id}`);
  const lookupLike = [1, 2, 3, 195];
  switch (t) {
    case MapType.PROG_ARRAY:
      if (id !== 12) bad();
      break;
    case MapType.PERF_EVENT_ARRAY:
      if (![22, 25, 55].includes(id)) bad();
      break;
    case MapType.RINGBUF:
      if (![130, 131, 134, 198].includes(id)) bad();
      break;
    case MapType.DEVMAP:
    case MapType.DEVMAP_HASH:
      if (id !== 51 && id !== 1 && id !== 164) bad();
      break;
    case MapType.CPUMAP:
      if (id !== 51) bad();
      break;
    case MapType.XSKMAP:
      if (id !== 51 && id !== 1) bad();
      break;
    case MapType.QUEUE:
    case MapType.STACK:
      if (![87, 88, 89].includes(id)) bad();
      break;
    case MapType.ARRAY_OF_MAPS:
    case MapType.HASH_OF_MAPS:
      if (id !== 1) bad();
      break;
    default:
      if (!(HELPERS_OF_MAP_TYPE.get(t)?.includes(id) ?? true)) bad();
      break;
  }
  switch (id) {
    case 12:
      if (t !== MapType.PROG_ARRAY) bad();
      break;
    case 25:
    case 22:
    case 55:
      if (t !== MapType.PERF_EVENT_ARRAY) bad();
      break;
    case 130:
    case 131:
    case 134:
      if (t !== MapType.RINGBUF) bad();
      break;
    case 51:
      if (!([MapType.DEVMAP, MapType.DEVMAP_HASH, MapType.CPUMAP, MapType.XSKMAP] as number[]).includes(t))
        bad();
      break;
    case 89:
      if (t !== MapType.QUEUE && t !== MapType.STACK) bad();
      break;
    case 87:
    case 88:
      if (t !== MapType.QUEUE && t !== MapType.STACK && t !== BLOOM_FILTER) bad();
      break;
    case 209:
      if (t !== USER_RINGBUF) bad();
      break;
    case 195:
      if (!([MapType.PERCPU_ARRAY, MapType.PERCPU_HASH, MapType.LRU_PERCPU_HASH] as number[]).includes(t))
        bad();
      break;
    default:
      void lookupLike;
  }
}

/**
 * Helpers whose initialised memory argument is ARG_PTR_TO_MEM | MEM_WRITE in the running 6.18.y
 * (net/core/filter.c, kernel/bpf/helpers.c: "bpf: Fix memory access flags in helper prototypes"):
 * after the call the bytes are MISC, a spill there is gone.
 */
const MEM_WRITE = new Set(['bpf_fib_lookup', 'bpf_snprintf']);

/** check_helper_call for helper `id` at `pc`. */
export function checkHelperCall(env: VerifierEnv, st: VState, id: number, pc: number): void {
  const info = helperById(id);
  if (!info) {
    // The kernel says "invalid func unknown#195896080" at a poisoned CO-RE relocation; libbpf rewrites
    // that line of the log to name the relocation (libbpf.c fixup_log_failed_core_relo), and that is
    // what its users read (the instruction line becomes "N: <invalid CO-RE relocation>").
    const core = id === CORE_POISON_HELPER ? env.coreFailureAt?.(pc) : undefined;
    fail(core !== undefined ? `failed to resolve CO-RE relocation ${core}` : `invalid func unknown#${id}`);
  }
  const name = info.name;
  if (!xdpMayCall(id)) fail(`program of this type cannot use helper ${name}#${id}`);
  if (info.gplOnly && !env.gpl) fail('cannot call GPL-restricted function from non-GPL compatible program');
  const proto = helperProto(id) ?? {
    args: info.args.map((): ArgType => 'anything'),
    ret: info.returns.endsWith('*') ? 'integer' : info.returns === 'void' ? 'void' : 'integer',
  };
  // Registers through FuncState.reg: R6–R9 stay shared with other states (copy on write).
  const f = st.cur;
  let map: VMap | undefined;
  let constKey = -1n;
  let releaseId = 0;
  let dynptr: DynptrInfo | undefined;
  let kptrField: MapField | undefined;
  // meta.ref_obj_id: the one referenced argument, whose reference a pointer cast's result shares.
  let argRefObjId = 0;
  for (let a = 0; a < proto.args.length; a++) {
    const regno = a + 1;
    // resolve_map_arg_type: the value a sockmap or sockhash takes is a socket, not map memory.
    const arg: ArgType =
      proto.args[a] === 'map_value' && map && isSockMap(map) ? 'btf_sock' : (proto.args[a] as ArgType);
    const reg = readReg(st, regno);
    if (arg === 'anything') continue;
    const nullable = arg === 'mem_or_null' || arg === 'stack_or_null';
    if (nullable && isNullReg(reg)) continue;
    const exp = expected(arg);
    if (exp && (!exp.types.includes(reg.type) || reg.maybeNull))
      fail(`R${regno} type=${regTypeStr(reg)} expected=${exp.names}`);
    if (reg.type === 'ctx') checkPtrOffReg(reg, regno, false);
    // check_func_arg_reg_off: a const dynptr is passed as it came (release: its own words first).
    if (reg.type === 'dynptr_ptr') {
      if (arg === 'dynptr_release_ringbuf' && reg.off)
        fail(`R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
      checkPtrOffReg(reg, regno, false);
    }
    switch (arg) {
      case 'const_map_ptr':
        map = reg.map;
        break;
      case 'map_key':
        if (!map) fail('invalid map_ptr to access map->key');
        checkHelperMem(st, regno, map.keySize, 'read', false, proto.pktAccess === true);
        if (map.type === MapType.ARRAY || map.type === MapType.PERCPU_ARRAY)
          constKey = constantMapKey(env.insns, st, reg, map.keySize);
        break;
      case 'map_value':
      case 'map_value_uninit':
        if (!map) fail('invalid map_ptr to access map->value');
        checkHelperMem(
          st,
          regno,
          map.valueSize,
          arg === 'map_value' ? 'read' : 'write',
          false,
          proto.pktAccess === true,
        );
        break;
      case 'fixed_uninit_mem4':
        // bpf_check_mtu's mtu_len (ARG_PTR_TO_FIXED_SIZE_MEM | MEM_WRITE, not MEM_UNINIT): read, then
        // written with anything (check_stack_range_initialized's clobber).
        checkHelperMem(st, regno, 4, 'read', false, proto.pktAccess === true);
        checkHelperMem(st, regno, 4, 'write', false, proto.pktAccess === true);
        break;
      case 'const_size':
      case 'const_size_or_zero': {
        // check_mem_size_reg: the previous argument is the memory, this one its size.
        const zeroOk = arg === 'const_size_or_zero';
        const memArg = proto.args[a - 1];
        const memReg = f.reg(regno - 1);
        markPrecise(env.insns, st, 1 << regno);
        if (reg.smin < 0n) fail(`R${regno} min value is negative, either use unsigned or 'var &= const'`);
        if (reg.umin === 0n && !zeroOk && reg.umax === 0n)
          fail(`R${regno} invalid zero-sized read: u64=[${reg.umin},${reg.umax}]`);
        if (reg.umax >= 1n << 29n)
          fail(`R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
        if (memArg === 'mem_or_null' && isNullReg(memReg)) break;
        const t = memArg === 'uninit_mem' ? 'write' : 'read';
        const len = Number(reg.umax);
        const zero = zeroOk || reg.umin === 0n;
        checkHelperMem(st, regno - 1, len, t, zero, proto.pktAccess === true);
        // check_mem_size_reg with BPF_WRITE: the memory is read and then written with anything.
        if (t === 'read' && MEM_WRITE.has(name))
          checkHelperMem(st, regno - 1, len, 'write', zero, proto.pktAccess === true);
        break;
      }
      case 'spin_lock':
        processSpinLock(st, regno, id === SPIN_LOCK_ID, pc);
        break;
      case 'dynptr':
        // bpf_dynptr_read / _write / _data take a `const struct bpf_dynptr *` (MEM_RDONLY).
        dynptr = processDynptrArg(env, st, regno, { init: undefined, rdonly: true }, pc);
        break;
      case 'dynptr_uninit_local':
        processDynptrArg(env, st, regno, { uninit: 'local' }, pc);
        break;
      case 'dynptr_uninit_ringbuf':
        processDynptrArg(env, st, regno, { uninit: 'ringbuf' }, pc);
        break;
      case 'dynptr_release_ringbuf':
        checkDynptrReleasable(st, regno);
        dynptr = processDynptrArg(env, st, regno, { init: 'ringbuf' }, pc);
        releaseId = dynptr.refObjId;
        releaseDynptr(st, releaseId);
        break;
      case 'kptr_xchg_dest':
        kptrField = kptrXchgDest(st, regno);
        break;
      case 'kptr_xchg_src':
        if (kptrField) releaseId = kptrXchgSrc(st, regno, kptrField);
        break;
      case 'ringbuf_mem':
      case 'btf_sock': {
        const release = proto.release === a;
        if (arg === 'btf_sock' && reg.type === 'btf_id' && reg.btfFlags !== 0)
          fail(`R${regno} type=${regTypeStr(reg)} expected=${SOCK_COMMON_TYPE_NAMES}`);
        if (release) releaseId = reg.refObjId;
        // check_func_arg_reg_off's release rule comes before check_func_arg's reference rule.
        if ((arg === 'ringbuf_mem' || release) && reg.off !== 0)
          fail(`R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
        if ((arg === 'ringbuf_mem' || release) && !reg.refObjId)
          fail(`R${regno} must be referenced when passed to release function`);
        argRefObjId = reg.refObjId;
        break;
      }
      default:
        break;
    }
  }
  // record_func_map
  if (id === 12 && map && map.type !== MapType.PROG_ARRAY) fail('expected prog array map for tail call');
  mapFuncCompatible(map, id, name);
  if (name === 'bpf_dynptr_from_mem' && f.reg(1).type !== 'map_value')
    fail(`Unsupported reg type ${regTypeStr(f.reg(1))} for bpf_dynptr_from_mem data`);
  const dynptrDataSize = f.reg(3).clone();
  if (releaseId) {
    const idx = st.refs.findIndex((r) => r.id === releaseId);
    if (idx < 0) fail(`R1 must be referenced when passed to release function`);
    st.refs.splice(idx, 1);
    st.forEachReg((r) => {
      if (r.refObjId === releaseId) markUnknown(r);
    });
  }
  // check_helper_call: a tail call never returns here, so whatever is held would leak.
  if (name === 'bpf_tail_call') checkReferenceLeak(st, 'tail_call');
  const sizeArg = f.reg(2).clone();
  // reset caller saved regs
  for (let r = 0; r <= 5; r++) markNotInit(f.reg(r));
  const r0 = f.reg(0);
  switch (proto.ret) {
    case 'integer':
      markUnknown(r0);
      if (proto.retRange) {
        r0.umin = BigInt(proto.retRange[0]);
        r0.umax = BigInt(proto.retRange[1]);
        regBoundsSync(r0);
      }
      break;
    case 'void':
      markNotInit(r0);
      break;
    case 'dynptr_mem_or_null':
      // bpf_dynptr_data: memory of the asked size, or NULL; dropped with its dynptr.
      markUnknown(r0);
      markRegKnown(r0, 0n);
      r0.type = 'mem';
      r0.maybeNull = true;
      r0.memSize = Number(dynptrDataSize.umax);
      r0.id = ++env.idGen;
      r0.dynptrId = dynptr?.id ?? 0;
      break;
    case 'map_value_or_null':
    case 'ringbuf_mem_or_null':
    case 'sock_or_null':
    case 'sock_common_or_null':
    case 'btf_id_or_null':
    case 'mem_or_btf_id':
      markUnknown(r0);
      markRegKnown(r0, 0n);
      if (proto.ret === 'map_value_or_null' && map && isSockMap(map)) {
        // A sockmap or sockhash lookup hands out the socket itself, referenced (is_acquire_function).
        r0.type = 'sock';
        r0.maybeNull = true;
      } else if (proto.ret === 'map_value_or_null') {
        if (!map) fail('kernel subsystem misconfigured verifier');
        r0.type = 'map_value';
        r0.map = map;
        r0.maybeNull = !(
          id === 1 &&
          constKey >= 0n &&
          constKey < BigInt(map.maxEntries) &&
          (map.type === MapType.ARRAY || map.type === MapType.PERCPU_ARRAY)
        );
      } else if (proto.ret === 'ringbuf_mem_or_null') {
        r0.type = 'mem';
        r0.maybeNull = true;
        r0.memSize = Number(sizeArg.umax);
      } else if (proto.ret === 'mem_or_btf_id') {
        r0.type = 'btf_id';
      } else if (proto.ret === 'sock_or_null' || proto.ret === 'sock_common_or_null') {
        r0.type = proto.ret === 'sock_or_null' ? 'sock' : 'sock_common';
        r0.maybeNull = true;
      } else {
        r0.type = 'btf_id';
        r0.maybeNull = true;
        if (proto.castTo) {
          r0.btfStruct = proto.castTo;
          r0.refObjId = argRefObjId;
        }
      }
      // A map value with a bpf_spin_lock gets an id even when it cannot be NULL (the lock's identity).
      if (r0.maybeNull || r0.map?.fields?.some((f) => f.kind === 'spin_lock')) r0.id = ++env.idGen;
      break;
  }
  if (proto.acquire || (id === 1 && map && isSockMap(map))) {
    const rid = ++env.idGen;
    st.refs.push({ id: rid, insn: pc });
    r0.refObjId = rid;
    r0.id = rid;
  }
  if (kptrField) kptrXchgResult(r0, kptrField);
  if (proto.changesPktData) clearAllPktPointers(st);
  void markKnown;
}

/** clear_all_pkt_pointers: every packet pointer (and packet slice) of every frame becomes unknown. */
export function clearAllPktPointers(st: VState): void {
  st.forEachReg((r) => {
    if (r.type === 'pkt' || r.type === 'pkt_meta' || r.type === 'pkt_end' || isPktSlice(r)) markUnknown(r);
  });
}
