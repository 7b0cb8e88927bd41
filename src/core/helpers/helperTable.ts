// The VM's helper implementations by name; ids come from the one helper table, ../bpf/helperCatalog.ts.
// A call to a helper the catalog knows but the VM does not implement is refused at load time
// (see unsupportedHelper), never mis-run.
import { helperByName, helperById } from '../bpf/helperCatalog';
import type { DirectHelperFn, HelperFn } from '../vm/machine';
import { bpf_fib_lookup } from './fibLookup';
import * as mapH from './mapHelpers';
import * as misc from './miscHelpers';
import * as redirect from './redirectHelpers';
import * as syncookie from './syncookieHelpers';
import * as xdp from './xdpHelpers';

const implementations: Record<string, HelperFn> = {
  bpf_map_lookup_elem: mapH.bpf_map_lookup_elem,
  bpf_map_update_elem: mapH.bpf_map_update_elem,
  bpf_map_delete_elem: mapH.bpf_map_delete_elem,
  bpf_map_push_elem: mapH.bpf_map_push_elem,
  bpf_map_pop_elem: mapH.bpf_map_pop_elem,
  bpf_map_peek_elem: mapH.bpf_map_peek_elem,
  bpf_map_lookup_percpu_elem: mapH.bpf_map_lookup_percpu_elem,
  bpf_redirect: redirect.bpf_redirect,
  bpf_redirect_map: redirect.bpf_redirect_map,
  bpf_xdp_adjust_head: xdp.bpf_xdp_adjust_head,
  bpf_xdp_adjust_tail: xdp.bpf_xdp_adjust_tail,
  bpf_xdp_adjust_meta: xdp.bpf_xdp_adjust_meta,
  bpf_xdp_load_bytes: xdp.bpf_xdp_load_bytes,
  bpf_xdp_store_bytes: xdp.bpf_xdp_store_bytes,
  bpf_xdp_get_buff_len: xdp.bpf_xdp_get_buff_len,
  bpf_check_mtu: xdp.bpf_check_mtu,
  bpf_fib_lookup,
  bpf_ktime_get_ns: misc.bpf_ktime_get_ns,
  bpf_ktime_get_boot_ns: misc.bpf_ktime_get_boot_ns,
  bpf_ktime_get_coarse_ns: misc.bpf_ktime_get_coarse_ns,
  bpf_get_prandom_u32: misc.bpf_get_prandom_u32,
  bpf_get_smp_processor_id: misc.bpf_get_smp_processor_id,
  bpf_get_numa_node_id: misc.bpf_get_numa_node_id,
  bpf_trace_printk: misc.bpf_trace_printk,
  bpf_csum_diff: misc.bpf_csum_diff,
  bpf_tail_call: misc.bpf_tail_call,
  bpf_loop: misc.bpf_loop,
  bpf_spin_lock: misc.bpf_spin_lock,
  bpf_spin_unlock: misc.bpf_spin_unlock,
  bpf_ringbuf_output: misc.bpf_ringbuf_output,
  bpf_ringbuf_reserve: misc.bpf_ringbuf_reserve,
  bpf_ringbuf_submit: misc.bpf_ringbuf_submit,
  bpf_ringbuf_discard: misc.bpf_ringbuf_discard,
  bpf_perf_event_output: misc.bpf_perf_event_output,
  bpf_tcp_raw_gen_syncookie_ipv4: syncookie.bpf_tcp_raw_gen_syncookie_ipv4,
  bpf_tcp_raw_gen_syncookie_ipv6: syncookie.bpf_tcp_raw_gen_syncookie_ipv6,
  bpf_tcp_raw_check_syncookie_ipv4: syncookie.bpf_tcp_raw_check_syncookie_ipv4,
  bpf_tcp_raw_check_syncookie_ipv6: syncookie.bpf_tcp_raw_check_syncookie_ipv6,
};

/** The helper id of bpf_tail_call (the compiler returns after it when a tail call was taken). */
export const TAIL_CALL_HELPER_ID = helperByName('bpf_tail_call')?.id ?? 12;

/** How many arguments helper `id` takes (its prototype in the catalog); 5 when unknown. */
export const helperArgs = (id: number): number =>
  helperById(id)?.args.filter((a) => a.type !== '...').length ?? 5;

/** Helper functions indexed by id (one table: the compiler binds calls to it, see helperImpl). */
export function helperTable(): (HelperFn | undefined)[] {
  return [...sharedTable];
}

/**
 * The implementation of helper `id`, for the JS tier to call directly (a monomorphic call site V8
 * can inline, instead of Machine.call's table dispatch); undefined: the call goes through M.call.
 */
export const helperImpl = (id: number): HelperFn | undefined => sharedTable[id];

const sharedTable: (HelperFn | undefined)[] = buildTable();

/**
 * Helpers the compiled code calls with r1–r3 as arguments (no trip through M.A): bpf_redirect_map,
 * which the kernel, too, calls as the map's own op (do_misc_fixups: ops->map_redirect).
 */
const directTable: (DirectHelperFn | undefined)[] = [];
directTable[helperByName('bpf_redirect_map')?.id ?? 51] = redirect.redirectMapDirect;

/** The register-argument form of helper `id`, when it has one (see directTable). */
export const helperDirect = (id: number): DirectHelperFn | undefined => directTable[id];

function buildTable(): (HelperFn | undefined)[] {
  const table: (HelperFn | undefined)[] = [];
  for (const [name, fn] of Object.entries(implementations)) {
    const info = helperByName(name);
    if (info) table[info.id] = fn;
  }
  return table;
}

/** Why a call to helper `id` cannot be loaded, or undefined when the VM runs it. */
export function unsupportedHelper(id: number, xdpProgram: boolean): string | undefined {
  const info = helperById(id);
  if (!info) return `unknown helper id ${id}`;
  if (xdpProgram && !info.xdp)
    return `helper ${info.name} (${id}) is not available to XDP programs (the verifier rejects it)`;
  if (!implementations[info.name]) return `helper ${info.name} (${id}) is not supported by the XDP Lab VM`;
  return undefined;
}
