// Helper prototypes as the verifier reads them (struct bpf_func_proto: argument and return types,
// pkt_access), keyed by the ids of helperCatalog.ts, and the set an XDP program may call in Linux
// 6.18 (net/core/filter.c xdp_func_proto → bpf_sk_base_func_proto → bpf_base_func_proto, as root).
import { helperByName, helperCatalog } from './helperCatalog';

/** enum bpf_arg_type (the flags that matter folded into the name). */
export type ArgType =
  | 'anything'
  | 'const_map_ptr'
  | 'map_key'
  | 'map_value'
  /** ARG_PTR_TO_MAP_VALUE | MEM_UNINIT | MEM_WRITE (pop/peek fill it) */
  | 'map_value_uninit'
  /** ARG_PTR_TO_MEM | MEM_RDONLY, sized by the next argument */
  | 'mem'
  | 'mem_or_null'
  /** ARG_PTR_TO_UNINIT_MEM: written by the helper */
  | 'uninit_mem'
  | 'const_size'
  | 'const_size_or_zero'
  | 'ctx'
  | 'func'
  | 'stack_or_null'
  | 'ringbuf_mem'
  | 'const_alloc_size_or_zero'
  /** ARG_PTR_TO_BTF_ID_SOCK_COMMON: any socket pointer (sock_common, sock, tcp_sock, BTF sock_common) */
  | 'btf_sock'
  /** ARG_PTR_TO_FIXED_SIZE mem (arg_size) written by the helper, e.g. bpf_check_mtu's mtu_len */
  | 'fixed_uninit_mem4'
  | 'spin_lock'
  | 'timer'
  /** ARG_PTR_TO_DYNPTR | MEM_RDONLY: an initialised dynptr on the stack */
  | 'dynptr'
  /** ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_* | MEM_UNINIT: the helper initialises it */
  | 'dynptr_uninit_local'
  | 'dynptr_uninit_ringbuf'
  /** ARG_PTR_TO_DYNPTR | DYNPTR_TYPE_RINGBUF | OBJ_RELEASE */
  | 'dynptr_release_ringbuf'
  /** ARG_KPTR_XCHG_DEST: a map value pointer at a referenced kptr field */
  | 'kptr_xchg_dest'
  /** ARG_PTR_TO_BTF_ID_OR_NULL | OBJ_RELEASE: the object going into that field, or NULL */
  | 'kptr_xchg_src';

/** enum bpf_return_type */
export type RetType =
  | 'integer'
  | 'void'
  | 'map_value_or_null'
  | 'ringbuf_mem_or_null'
  /** RET_PTR_TO_SOCKET_OR_NULL */
  | 'sock_or_null'
  /** RET_PTR_TO_SOCK_COMMON_OR_NULL (bpf_skc_lookup_tcp) */
  | 'sock_common_or_null'
  | 'mem_or_btf_id'
  | 'btf_id_or_null'
  /** RET_PTR_TO_DYNPTR_MEM_OR_NULL (bpf_dynptr_data) */
  | 'dynptr_mem_or_null';

export interface HelperProto {
  readonly args: readonly ArgType[];
  readonly ret: RetType;
  /** bpf_func_proto.pkt_access: packet pointers may be passed as memory arguments. */
  readonly pktAccess?: boolean;
  /** bpf_helper_changes_pkt_data: every packet pointer is invalid after the call. */
  readonly changesPktData?: boolean;
  /** The returned pointer is a reference the program must release (is_acquire_function). */
  readonly acquire?: boolean;
  /** The argument of this index is released (OBJ_RELEASE). */
  readonly release?: number;
  /**
   * is_ptr_cast_function: the result is the argument's object seen as another type (bpf_skc_to_*),
   * holding the argument's reference (ref_obj_id) and named `castTo` (its ret_btf_id).
   */
  readonly castTo?: string;
  /** Range of an integer result (do_refine_retval_range), e.g. the cpu id. */
  readonly retRange?: readonly [number, number];
}

const A = 'anything';
const protoByName: Record<string, HelperProto> = {
  bpf_map_lookup_elem: { args: ['const_map_ptr', 'map_key'], ret: 'map_value_or_null', pktAccess: true },
  bpf_map_update_elem: {
    args: ['const_map_ptr', 'map_key', 'map_value', A],
    ret: 'integer',
    pktAccess: true,
  },
  bpf_map_delete_elem: { args: ['const_map_ptr', 'map_key'], ret: 'integer', pktAccess: true },
  bpf_map_push_elem: { args: ['const_map_ptr', 'map_value', A], ret: 'integer', pktAccess: true },
  bpf_map_pop_elem: { args: ['const_map_ptr', 'map_value_uninit'], ret: 'integer' },
  bpf_map_peek_elem: { args: ['const_map_ptr', 'map_value_uninit'], ret: 'integer' },
  bpf_map_lookup_percpu_elem: {
    args: ['const_map_ptr', 'map_key', A],
    ret: 'map_value_or_null',
    pktAccess: true,
  },
  bpf_ktime_get_ns: { args: [], ret: 'integer' },
  bpf_ktime_get_boot_ns: { args: [], ret: 'integer' },
  bpf_ktime_get_coarse_ns: { args: [], ret: 'integer' },
  bpf_ktime_get_tai_ns: { args: [], ret: 'integer' },
  bpf_jiffies64: { args: [], ret: 'integer' },
  bpf_get_prandom_u32: { args: [], ret: 'integer' },
  bpf_get_smp_processor_id: { args: [], ret: 'integer' },
  bpf_get_numa_node_id: { args: [], ret: 'integer' },
  bpf_get_current_pid_tgid: { args: [], ret: 'integer' },
  bpf_get_current_uid_gid: { args: [], ret: 'integer' },
  bpf_get_current_task: { args: [], ret: 'integer' },
  bpf_get_current_cgroup_id: { args: [], ret: 'integer' },
  bpf_get_current_comm: { args: ['uninit_mem', 'const_size'], ret: 'integer' },
  bpf_trace_printk: { args: ['mem', 'const_size'], ret: 'integer' },
  bpf_tail_call: { args: ['ctx', 'const_map_ptr', A], ret: 'void' },
  bpf_redirect: { args: [A, A], ret: 'integer' },
  bpf_redirect_map: { args: ['const_map_ptr', A, A], ret: 'integer' },
  bpf_perf_event_output: { args: ['ctx', 'const_map_ptr', A, 'mem', 'const_size_or_zero'], ret: 'integer' },
  bpf_csum_diff: {
    args: ['mem_or_null', 'const_size_or_zero', 'mem_or_null', 'const_size_or_zero', A],
    ret: 'integer',
    pktAccess: true,
  },
  bpf_xdp_adjust_head: { args: ['ctx', A], ret: 'integer', changesPktData: true },
  bpf_xdp_adjust_meta: { args: ['ctx', A], ret: 'integer', changesPktData: true },
  bpf_xdp_adjust_tail: { args: ['ctx', A], ret: 'integer', changesPktData: true },
  bpf_xdp_get_buff_len: { args: ['ctx'], ret: 'integer' },
  bpf_xdp_load_bytes: { args: ['ctx', A, 'uninit_mem', 'const_size'], ret: 'integer' },
  bpf_xdp_store_bytes: { args: ['ctx', A, 'mem', 'const_size'], ret: 'integer' },
  bpf_fib_lookup: { args: ['ctx', 'mem', 'const_size', A], ret: 'integer' },
  bpf_check_mtu: { args: ['ctx', A, 'fixed_uninit_mem4', A, A], ret: 'integer' },
  bpf_sk_lookup_tcp: {
    args: ['ctx', 'mem', 'const_size', A, A],
    ret: 'sock_or_null',
    pktAccess: true,
    acquire: true,
  },
  bpf_sk_lookup_udp: {
    args: ['ctx', 'mem', 'const_size', A, A],
    ret: 'sock_or_null',
    pktAccess: true,
    acquire: true,
  },
  bpf_skc_lookup_tcp: {
    args: ['ctx', 'mem', 'const_size', A, A],
    ret: 'sock_common_or_null',
    pktAccess: true,
    acquire: true,
  },
  bpf_sk_release: { args: ['btf_sock'], ret: 'integer', release: 0 },
  bpf_tcp_check_syncookie: {
    args: ['btf_sock', 'mem', 'const_size', 'mem', 'const_size'],
    ret: 'integer',
    pktAccess: true,
  },
  bpf_tcp_gen_syncookie: {
    args: ['btf_sock', 'mem', 'const_size', 'mem', 'const_size'],
    ret: 'integer',
    pktAccess: true,
  },
  bpf_skc_to_tcp6_sock: { args: ['btf_sock'], ret: 'btf_id_or_null', castTo: 'tcp6_sock' },
  bpf_skc_to_tcp_sock: { args: ['btf_sock'], ret: 'btf_id_or_null', castTo: 'tcp_sock' },
  bpf_skc_to_tcp_timewait_sock: { args: ['btf_sock'], ret: 'btf_id_or_null', castTo: 'tcp_timewait_sock' },
  bpf_skc_to_tcp_request_sock: { args: ['btf_sock'], ret: 'btf_id_or_null', castTo: 'tcp_request_sock' },
  bpf_skc_to_udp6_sock: { args: ['btf_sock'], ret: 'btf_id_or_null', castTo: 'udp6_sock' },
  bpf_skc_to_unix_sock: { args: ['btf_sock'], ret: 'btf_id_or_null', castTo: 'unix_sock' },
  bpf_skc_to_mptcp_sock: { args: ['btf_sock'], ret: 'btf_id_or_null', castTo: 'mptcp_sock' },
  bpf_tcp_raw_gen_syncookie_ipv4: { args: ['mem', 'mem', 'const_size'], ret: 'integer', pktAccess: true },
  bpf_tcp_raw_gen_syncookie_ipv6: { args: ['mem', 'mem', 'const_size'], ret: 'integer', pktAccess: true },
  bpf_tcp_raw_check_syncookie_ipv4: { args: ['mem', 'mem'], ret: 'integer', pktAccess: true },
  bpf_tcp_raw_check_syncookie_ipv6: { args: ['mem', 'mem'], ret: 'integer', pktAccess: true },
  bpf_ringbuf_output: { args: ['const_map_ptr', 'mem', 'const_size_or_zero', A], ret: 'integer' },
  bpf_ringbuf_reserve: {
    args: ['const_map_ptr', 'const_alloc_size_or_zero', A],
    ret: 'ringbuf_mem_or_null',
    acquire: true,
  },
  bpf_ringbuf_submit: { args: ['ringbuf_mem', A], ret: 'void', release: 0 },
  bpf_ringbuf_discard: { args: ['ringbuf_mem', A], ret: 'void', release: 0 },
  bpf_ringbuf_query: { args: ['const_map_ptr', A], ret: 'integer' },
  bpf_spin_lock: { args: ['spin_lock'], ret: 'void' },
  bpf_spin_unlock: { args: ['spin_lock'], ret: 'void' },
  bpf_loop: { args: [A, 'func', 'stack_or_null', A], ret: 'integer' },
  bpf_for_each_map_elem: { args: ['const_map_ptr', 'func', 'stack_or_null', A], ret: 'integer' },
  bpf_user_ringbuf_drain: { args: ['const_map_ptr', 'func', 'stack_or_null', A], ret: 'integer' },
  bpf_strncmp: { args: ['mem', 'const_size', A], ret: 'integer' },
  bpf_probe_read_kernel: { args: ['uninit_mem', 'const_size_or_zero', A], ret: 'integer' },
  bpf_probe_read_user: { args: ['uninit_mem', 'const_size_or_zero', A], ret: 'integer' },
  bpf_probe_read_kernel_str: { args: ['uninit_mem', 'const_size_or_zero', A], ret: 'integer' },
  bpf_probe_read_user_str: { args: ['uninit_mem', 'const_size_or_zero', A], ret: 'integer' },
  bpf_snprintf: {
    args: ['uninit_mem', 'const_size_or_zero', A, 'mem_or_null', 'const_size_or_zero'],
    ret: 'integer',
  },
  bpf_this_cpu_ptr: { args: [A], ret: 'mem_or_btf_id' },
  bpf_per_cpu_ptr: { args: [A, A], ret: 'mem_or_btf_id' },
  bpf_timer_init: { args: ['timer', 'const_map_ptr', A], ret: 'integer' },
  bpf_timer_set_callback: { args: ['timer', 'func'], ret: 'integer' },
  bpf_timer_start: { args: ['timer', A, A], ret: 'integer' },
  bpf_timer_cancel: { args: ['timer'], ret: 'integer' },
  bpf_dynptr_from_mem: {
    args: ['uninit_mem', 'const_size_or_zero', A, 'dynptr_uninit_local'],
    ret: 'integer',
  },
  bpf_dynptr_read: { args: ['uninit_mem', 'const_size_or_zero', 'dynptr', A, A], ret: 'integer' },
  bpf_dynptr_write: { args: ['dynptr', A, 'mem', 'const_size_or_zero', A], ret: 'integer' },
  bpf_dynptr_data: { args: ['dynptr', A, 'const_alloc_size_or_zero'], ret: 'dynptr_mem_or_null' },
  bpf_ringbuf_reserve_dynptr: {
    args: ['const_map_ptr', A, A, 'dynptr_uninit_ringbuf'],
    ret: 'integer',
  },
  bpf_kptr_xchg: {
    args: ['kptr_xchg_dest', 'kptr_xchg_src'],
    ret: 'btf_id_or_null',
    acquire: true,
    release: 1,
  },
  bpf_ringbuf_submit_dynptr: { args: ['dynptr_release_ringbuf', A], ret: 'void', release: 0 },
  bpf_ringbuf_discard_dynptr: { args: ['dynptr_release_ringbuf', A], ret: 'void', release: 0 },
};

/**
 * bpf_base_func_proto gives every program these two (so xdp_func_proto returns a prototype), but
 * they sleep: the verifier then refuses the call for a non-sleepable XDP program with another
 * message, which is why the catalog (what XDP may call in the end) does not flag them.
 */
const SLEEPABLE_BASE_HELPERS = ['bpf_copy_from_user', 'bpf_copy_from_user_task'];

/**
 * Helper ids xdp_func_proto answers with a prototype on Linux 6.18 as root: the catalog's `xdp`
 * flag (the one table, checked against the kernel by test/kernel/helperAvailability.test.ts) plus
 * the sleepable base helpers above.
 */
export const XDP_HELPER_IDS: ReadonlySet<number> = new Set([
  ...helperCatalog.filter((h) => h.xdp).map((h) => h.id),
  ...SLEEPABLE_BASE_HELPERS.map((n) => helperByName(n)?.id ?? -1),
]);

const protoById = new Map<number, HelperProto>();
for (const [name, proto] of Object.entries(protoByName)) {
  const h = helperByName(name);
  if (!h) throw new Error(`helper catalog lacks ${name}`);
  protoById.set(h.id, proto);
}

/** The prototype of helper `id`, or undefined when this table has no precise one. */
export function helperProto(id: number): HelperProto | undefined {
  return protoById.get(id);
}

/** Whether an XDP program may call helper `id` (xdp_func_proto returns a prototype). */
export const xdpMayCall = (id: number): boolean => XDP_HELPER_IDS.has(id);
