// Loads through a map pointer (`map->max_entries` in C): check_ptr_to_map_access checks them against
// the kernel's BTF of the struct the map type's ops name (map_btf_id: struct bpf_array for arrays…).
// That struct's layout is the kernel's, not carried here: a read at any non-negative offset gives an
// unknown scalar, as reads of other kernel objects do (memAccess.ts, btf_id).
import { fail } from './env';
import type { VMap } from './regState';

/** The struct each map type's bpf_map_ops names (map_btf_id), by uapi map type, Linux 6.18. */
const MAP_STRUCT: ReadonlyMap<number, string> = new Map([
  [1, 'bpf_htab'], // HASH
  [2, 'bpf_array'], // ARRAY
  [3, 'bpf_array'], // PROG_ARRAY
  [4, 'bpf_array'], // PERF_EVENT_ARRAY
  [5, 'bpf_htab'], // PERCPU_HASH
  [6, 'bpf_array'], // PERCPU_ARRAY
  [7, 'bpf_stack_map'], // STACK_TRACE
  [8, 'bpf_array'], // CGROUP_ARRAY
  [9, 'bpf_htab'], // LRU_HASH
  [10, 'bpf_htab'], // LRU_PERCPU_HASH
  [11, 'lpm_trie'], // LPM_TRIE
  [12, 'bpf_array'], // ARRAY_OF_MAPS
  [13, 'bpf_htab'], // HASH_OF_MAPS
  [14, 'bpf_dtab'], // DEVMAP
  [15, 'bpf_stab'], // SOCKMAP
  [16, 'bpf_cpu_map'], // CPUMAP
  [17, 'xsk_map'], // XSKMAP
  [18, 'bpf_shtab'], // SOCKHASH
  [19, 'bpf_cgroup_storage_map'], // CGROUP_STORAGE
  [20, 'reuseport_array'], // REUSEPORT_SOCKARRAY
  [21, 'bpf_cgroup_storage_map'], // PERCPU_CGROUP_STORAGE
  [22, 'bpf_queue_stack'], // QUEUE
  [23, 'bpf_queue_stack'], // STACK
  [24, 'bpf_local_storage_map'], // SK_STORAGE
  [25, 'bpf_dtab'], // DEVMAP_HASH
  [27, 'bpf_ringbuf_map'], // RINGBUF
  [28, 'bpf_local_storage_map'], // INODE_STORAGE
  [29, 'bpf_local_storage_map'], // TASK_STORAGE
  [30, 'bpf_bloom_filter'], // BLOOM_FILTER
  [31, 'bpf_ringbuf_map'], // USER_RINGBUF
  [32, 'bpf_local_storage_map'], // CGRP_STORAGE
  [33, 'bpf_arena'], // ARENA
]);

/** check_ptr_to_map_access for a load or store of R`regno` (a map_ptr) at offset `off`. */
export function checkMapPtrAccess(map: VMap | undefined, regno: number, off: number, write: boolean): void {
  const tname = map ? MAP_STRUCT.get(map.type) : undefined;
  if (!map || !tname) fail(`map_ptr access not supported for map type ${map?.type ?? 0}`);
  if (off < 0) fail(`R${regno} is ${tname} invalid negative access: off=${off}`);
  if (write) fail(`only read from ${tname} is supported`);
}
