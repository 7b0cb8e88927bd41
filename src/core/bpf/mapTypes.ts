// BPF map types (enum bpf_map_type in the uapi): number, name, purpose, and the rules XDP cares about.
// Redirect rules and key/value sizes: ../shared/notes/redirect-semantics.md §1.3 and §2.2.
// The analyzer, completion (map definition snippets), hover and the simulator read this table.

export interface MapTypeInfo {
  readonly value: number;
  /** Full uapi name, e.g. "BPF_MAP_TYPE_DEVMAP". */
  readonly name: string;
  /** One line, ours. */
  readonly summary: string;
  /** bpf_redirect_map accepts it (the verifier rejects the call on any other type, §1.3). */
  readonly redirectTarget: boolean;
  /** Extra bpf_redirect_map flag bits it accepts besides the fallback action (§2.2). */
  readonly redirectFlags: number;
  /** Required key_size in bytes, when the kernel fixes it. */
  readonly keySize?: number;
  /** Value sizes the kernel accepts, when it restricts them. */
  readonly valueSizes?: readonly number[];
  /** The map has no key (key_size must be 0), e.g. queues and ring buffers. */
  readonly noKey?: boolean;
  /** XDP programs may use bpf_map_lookup_elem on it. */
  readonly xdpLookup: boolean;
  /** Value layout, shown in hover and snippets. */
  readonly valueLayout?: string;
  /** Key and value C types the definition snippet proposes. */
  readonly snippetKey?: string;
  readonly snippetValue?: string;
}

const BROADCAST_BITS = 8 | 16;

export const mapTypes: readonly MapTypeInfo[] = [
  {
    value: 0,
    name: 'BPF_MAP_TYPE_UNSPEC',
    summary: 'Not a map type.',
    redirectTarget: false,
    redirectFlags: 0,
    xdpLookup: false,
  },
  {
    value: 1,
    name: 'BPF_MAP_TYPE_HASH',
    summary: 'Hash table with any key and value; entries added and removed at run time.',
    redirectTarget: false,
    redirectFlags: 0,
    xdpLookup: true,
    snippetKey: '__u32',
    snippetValue: '__u64',
  },
  {
    value: 2,
    name: 'BPF_MAP_TYPE_ARRAY',
    summary: 'Fixed array indexed by a __u32; every slot always exists (zeroed).',
    redirectTarget: false,
    redirectFlags: 0,
    keySize: 4,
    xdpLookup: true,
    snippetKey: '__u32',
    snippetValue: '__u64',
  },
  {
    value: 3,
    name: 'BPF_MAP_TYPE_PROG_ARRAY',
    summary: 'Program fds for bpf_tail_call.',
    redirectTarget: false,
    redirectFlags: 0,
    keySize: 4,
    valueSizes: [4],
    xdpLookup: false,
    snippetKey: '__u32',
    snippetValue: '__u32',
  },
  {
    value: 4,
    name: 'BPF_MAP_TYPE_PERF_EVENT_ARRAY',
    summary: 'Per-CPU perf rings for bpf_perf_event_output.',
    redirectTarget: false,
    redirectFlags: 0,
    keySize: 4,
    valueSizes: [4],
    xdpLookup: false,
    snippetKey: 'int',
    snippetValue: '__u32',
  },
  {
    value: 5,
    name: 'BPF_MAP_TYPE_PERCPU_HASH',
    summary: 'Hash table with one value per CPU (no atomics needed for counters).',
    redirectTarget: false,
    redirectFlags: 0,
    xdpLookup: true,
    snippetKey: '__u32',
    snippetValue: '__u64',
  },
  {
    value: 6,
    name: 'BPF_MAP_TYPE_PERCPU_ARRAY',
    summary: 'Array with one value per CPU: the usual home of XDP packet counters.',
    redirectTarget: false,
    redirectFlags: 0,
    keySize: 4,
    xdpLookup: true,
    snippetKey: '__u32',
    snippetValue: '__u64',
  },
  {
    value: 7,
    name: 'BPF_MAP_TYPE_STACK_TRACE',
    summary: 'Stack traces stored by bpf_get_stackid.',
    redirectTarget: false,
    redirectFlags: 0,
    keySize: 4,
    xdpLookup: false,
  },
  {
    value: 8,
    name: 'BPF_MAP_TYPE_CGROUP_ARRAY',
    summary: 'cgroup fds for cgroup membership tests.',
    redirectTarget: false,
    redirectFlags: 0,
    keySize: 4,
    valueSizes: [4],
    xdpLookup: false,
  },
  {
    value: 9,
    name: 'BPF_MAP_TYPE_LRU_HASH',
    summary: 'Hash table that evicts the least recently used entry when full (flow tables).',
    redirectTarget: false,
    redirectFlags: 0,
    xdpLookup: true,
    snippetKey: '__u32',
    snippetValue: '__u64',
  },
  {
    value: 10,
    name: 'BPF_MAP_TYPE_LRU_PERCPU_HASH',
    summary: 'LRU hash with one value per CPU.',
    redirectTarget: false,
    redirectFlags: 0,
    xdpLookup: true,
    snippetKey: '__u32',
    snippetValue: '__u64',
  },
  {
    value: 11,
    name: 'BPF_MAP_TYPE_LPM_TRIE',
    summary:
      'Longest-prefix-match table (IP prefixes); key starts with a __u32 prefix length; needs BPF_F_NO_PREALLOC.',
    redirectTarget: false,
    redirectFlags: 0,
    xdpLookup: true,
    snippetKey: 'struct lpm_key',
    snippetValue: '__u32',
  },
  {
    value: 12,
    name: 'BPF_MAP_TYPE_ARRAY_OF_MAPS',
    summary: 'Array whose values are inner maps.',
    redirectTarget: false,
    redirectFlags: 0,
    keySize: 4,
    valueSizes: [4],
    xdpLookup: true,
  },
  {
    value: 13,
    name: 'BPF_MAP_TYPE_HASH_OF_MAPS',
    summary: 'Hash whose values are inner maps.',
    redirectTarget: false,
    redirectFlags: 0,
    valueSizes: [4],
    xdpLookup: true,
  },
  {
    value: 14,
    name: 'BPF_MAP_TYPE_DEVMAP',
    summary:
      'Array of network devices (ifindex + optional egress program) for XDP_REDIRECT; supports broadcast.',
    redirectTarget: true,
    redirectFlags: BROADCAST_BITS,
    keySize: 4,
    valueSizes: [4, 8],
    xdpLookup: true,
    valueLayout:
      'struct bpf_devmap_val { __u32 ifindex; union { int fd; __u32 id; } bpf_prog; } — value_size 4 (ifindex only) or 8',
    snippetKey: '__u32',
    snippetValue: 'struct bpf_devmap_val',
  },
  {
    value: 15,
    name: 'BPF_MAP_TYPE_SOCKMAP',
    summary: 'Array of sockets for sk_skb/sk_msg redirects (not XDP).',
    redirectTarget: false,
    redirectFlags: 0,
    keySize: 4,
    xdpLookup: false,
  },
  {
    value: 16,
    name: 'BPF_MAP_TYPE_CPUMAP',
    summary:
      'Array of CPUs (queue size + optional program) that XDP_REDIRECT hands frames to, for RSS in software.',
    redirectTarget: true,
    redirectFlags: 0,
    keySize: 4,
    valueSizes: [4, 8],
    xdpLookup: false,
    valueLayout:
      'struct bpf_cpumap_val { __u32 qsize; union { int fd; __u32 id; } bpf_prog; } — value_size 4 (qsize only) or 8',
    snippetKey: '__u32',
    snippetValue: 'struct bpf_cpumap_val',
  },
  {
    value: 17,
    name: 'BPF_MAP_TYPE_XSKMAP',
    summary: 'Array of AF_XDP sockets, usually indexed by rx_queue_index, for XDP_REDIRECT to user space.',
    redirectTarget: true,
    redirectFlags: 0,
    keySize: 4,
    valueSizes: [4],
    xdpLookup: true,
    valueLayout: '__u32 socket fd on update (value_size must be 4)',
    snippetKey: '__u32',
    snippetValue: '__u32',
  },
  {
    value: 18,
    name: 'BPF_MAP_TYPE_SOCKHASH',
    summary: 'Hash of sockets for sk_skb/sk_msg redirects (not XDP).',
    redirectTarget: false,
    redirectFlags: 0,
    xdpLookup: false,
  },
  {
    value: 19,
    name: 'BPF_MAP_TYPE_CGROUP_STORAGE',
    summary: 'Per-cgroup storage for cgroup programs (deprecated name).',
    redirectTarget: false,
    redirectFlags: 0,
    xdpLookup: false,
  },
  {
    value: 20,
    name: 'BPF_MAP_TYPE_REUSEPORT_SOCKARRAY',
    summary: 'Sockets of a SO_REUSEPORT group.',
    redirectTarget: false,
    redirectFlags: 0,
    xdpLookup: false,
  },
  {
    value: 21,
    name: 'BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE',
    summary: 'Per-CPU per-cgroup storage.',
    redirectTarget: false,
    redirectFlags: 0,
    xdpLookup: false,
  },
  {
    value: 22,
    name: 'BPF_MAP_TYPE_QUEUE',
    summary: 'FIFO of values (no key): bpf_map_push_elem / bpf_map_pop_elem.',
    redirectTarget: false,
    redirectFlags: 0,
    noKey: true,
    xdpLookup: false,
    snippetValue: '__u32',
  },
  {
    value: 23,
    name: 'BPF_MAP_TYPE_STACK',
    summary: 'LIFO of values (no key).',
    redirectTarget: false,
    redirectFlags: 0,
    noKey: true,
    xdpLookup: false,
    snippetValue: '__u32',
  },
  {
    value: 24,
    name: 'BPF_MAP_TYPE_SK_STORAGE',
    summary: 'Socket-local storage.',
    redirectTarget: false,
    redirectFlags: 0,
    xdpLookup: false,
  },
  {
    value: 25,
    name: 'BPF_MAP_TYPE_DEVMAP_HASH',
    summary:
      'Hash of network devices keyed by any __u32 (usually the ifindex) for XDP_REDIRECT; supports broadcast.',
    redirectTarget: true,
    redirectFlags: BROADCAST_BITS,
    keySize: 4,
    valueSizes: [4, 8],
    xdpLookup: true,
    valueLayout:
      'struct bpf_devmap_val { __u32 ifindex; union { int fd; __u32 id; } bpf_prog; } — value_size 4 or 8',
    snippetKey: '__u32',
    snippetValue: 'struct bpf_devmap_val',
  },
  {
    value: 26,
    name: 'BPF_MAP_TYPE_STRUCT_OPS',
    summary: 'Kernel struct_ops implementations.',
    redirectTarget: false,
    redirectFlags: 0,
    xdpLookup: false,
  },
  {
    value: 27,
    name: 'BPF_MAP_TYPE_RINGBUF',
    summary: 'Multi-producer ring buffer to user space (no key; max_entries = size in bytes, a power of 2).',
    redirectTarget: false,
    redirectFlags: 0,
    noKey: true,
    xdpLookup: false,
  },
  {
    value: 28,
    name: 'BPF_MAP_TYPE_INODE_STORAGE',
    summary: 'Inode-local storage (LSM).',
    redirectTarget: false,
    redirectFlags: 0,
    xdpLookup: false,
  },
  {
    value: 29,
    name: 'BPF_MAP_TYPE_TASK_STORAGE',
    summary: 'Task-local storage.',
    redirectTarget: false,
    redirectFlags: 0,
    xdpLookup: false,
  },
  {
    value: 30,
    name: 'BPF_MAP_TYPE_BLOOM_FILTER',
    summary: 'Bloom filter (no key): push to add, peek to test membership.',
    redirectTarget: false,
    redirectFlags: 0,
    noKey: true,
    xdpLookup: false,
  },
  {
    value: 31,
    name: 'BPF_MAP_TYPE_USER_RINGBUF',
    summary: 'Ring buffer user space writes and programs drain.',
    redirectTarget: false,
    redirectFlags: 0,
    noKey: true,
    xdpLookup: false,
  },
  {
    value: 32,
    name: 'BPF_MAP_TYPE_CGRP_STORAGE',
    summary: 'cgroup-local storage.',
    redirectTarget: false,
    redirectFlags: 0,
    xdpLookup: false,
  },
  {
    value: 33,
    name: 'BPF_MAP_TYPE_ARENA',
    summary: 'Memory region shared between programs and user space (6.9+).',
    redirectTarget: false,
    redirectFlags: 0,
    xdpLookup: false,
  },
];

const byName = new Map<string, MapTypeInfo>(mapTypes.map((m) => [m.name, m]));

/** Accepts "BPF_MAP_TYPE_DEVMAP" or the short "DEVMAP". */
export function mapTypeByName(name: string): MapTypeInfo | undefined {
  return byName.get(name) ?? byName.get(`BPF_MAP_TYPE_${name}`);
}

export function mapTypeByValue(value: number): MapTypeInfo | undefined {
  return mapTypes[value];
}

/** "BPF_MAP_TYPE_DEVMAP_HASH" → "DEVMAP_HASH". */
export function shortMapTypeName(info: MapTypeInfo): string {
  return info.name.replace(/^BPF_MAP_TYPE_/, '');
}
