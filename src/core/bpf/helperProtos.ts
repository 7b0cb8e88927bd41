// Helper prototypes as the verifier reads them (struct bpf_func_proto: argument and return types,
// pkt_access), keyed by the ids of helperCatalog.ts, and the set an XDP program may call in Linux
// 6.18 (net/core/filter.c xdp_func_proto → bpf_sk_base_func_proto → bpf_base_func_proto, as root).
import { helperByName } from './helperCatalog';

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
  | 'btf_sock'
  /** ARG_PTR_TO_FIXED_SIZE mem (arg_size) written by the helper, e.g. bpf_check_mtu's mtu_len */
  | 'fixed_uninit_mem4'
  | 'spin_lock'
  | 'timer';

/** enum bpf_return_type */
export type RetType =
  | 'integer'
  | 'void'
  | 'map_value_or_null'
  | 'ringbuf_mem_or_null'
  | 'sock_or_null'
  | 'mem_or_btf_id'
  | 'btf_id_or_null';

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
    ret: 'sock_or_null',
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
};

/** Helper ids a BPF_PROG_TYPE_XDP program may call on Linux 6.18 as root (measured with bpftool). */
export const XDP_HELPER_IDS: ReadonlySet<number> = new Set([
  1, 2, 3, 5, 6, 7, 8, 12, 14, 15, 16, 17, 22, 23, 25, 28, 35, 37, 42, 44, 51, 54, 55, 65, 69, 80, 84, 85, 86,
  87, 88, 89, 93, 94, 99, 100, 105, 106, 109, 110, 112, 113, 114, 115, 117, 118, 120, 123, 125, 130, 131, 132,
  133, 134, 136, 137, 138, 139, 140, 141, 148, 149, 153, 154, 156, 157, 158, 160, 163, 164, 165, 169, 170,
  171, 172, 175, 176, 177, 178, 180, 181, 182, 188, 189, 190, 191, 194, 195, 196, 197, 198, 199, 200, 201,
  202, 203, 204, 205, 206, 207, 208, 209, 210, 211,
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
