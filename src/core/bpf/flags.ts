// Flag constants BPF C code passes to helpers (uapi values) and what they mean for XDP programs.
// One table: completion and hover list them, the analyzer folds them into numbers when checking calls
// (redirect flag rules: ../shared/notes/redirect-semantics.md §2.2).

export interface BpfFlag {
  readonly name: string;
  readonly value: number;
  /** Helper names (with "bpf_" prefix) whose flags argument takes it. */
  readonly helpers: readonly string[];
  /** One line, ours. */
  readonly summary: string;
}

export const bpfFlags: readonly BpfFlag[] = [
  {
    name: 'BPF_ANY',
    value: 0,
    helpers: ['bpf_map_update_elem'],
    summary: 'Create the entry or replace an existing one.',
  },
  {
    name: 'BPF_NOEXIST',
    value: 1,
    helpers: ['bpf_map_update_elem'],
    summary: 'Create only: fails with -EEXIST when the key is present.',
  },
  {
    name: 'BPF_EXIST',
    value: 2,
    helpers: ['bpf_map_update_elem'],
    summary: 'Replace only: fails with -ENOENT when the key is absent (hash maps).',
  },
  {
    name: 'BPF_F_LOCK',
    value: 4,
    helpers: ['bpf_map_update_elem'],
    summary: "Update under the value's bpf_spin_lock (user-space updates only).",
  },
  {
    name: 'BPF_F_INGRESS',
    value: 1,
    helpers: ['bpf_redirect', 'bpf_clone_redirect', 'bpf_sk_redirect_map', 'bpf_msg_redirect_map'],
    summary:
      'tc/sk redirects: deliver into the ingress path. Not valid for XDP bpf_redirect (returns XDP_ABORTED).',
  },
  {
    name: 'BPF_F_BROADCAST',
    value: 8,
    helpers: ['bpf_redirect_map'],
    summary: 'DEVMAP/DEVMAP_HASH only: send a copy to every device in the map; never falls back on a miss.',
  },
  {
    name: 'BPF_F_EXCLUDE_INGRESS',
    value: 16,
    helpers: ['bpf_redirect_map'],
    summary: 'With BPF_F_BROADCAST: skip the device the frame arrived on.',
  },
  {
    name: 'BPF_F_CURRENT_CPU',
    value: 0xffffffff,
    helpers: ['bpf_perf_event_output'],
    summary: "Write to the current CPU's perf ring.",
  },
  {
    name: 'BPF_RB_NO_WAKEUP',
    value: 1,
    helpers: ['bpf_ringbuf_output', 'bpf_ringbuf_submit', 'bpf_ringbuf_discard'],
    summary: 'Do not wake up the ring-buffer consumer.',
  },
  {
    name: 'BPF_RB_FORCE_WAKEUP',
    value: 2,
    helpers: ['bpf_ringbuf_output', 'bpf_ringbuf_submit', 'bpf_ringbuf_discard'],
    summary: 'Always wake up the ring-buffer consumer.',
  },
  {
    name: 'BPF_FIB_LOOKUP_DIRECT',
    value: 1,
    helpers: ['bpf_fib_lookup'],
    summary: 'Skip policy rules; look up the main table (or the VRF) directly.',
  },
  {
    name: 'BPF_FIB_LOOKUP_OUTPUT',
    value: 2,
    helpers: ['bpf_fib_lookup'],
    summary: 'Do the lookup as for output (locally generated traffic).',
  },
  {
    name: 'BPF_FIB_LOOKUP_SKIP_NEIGH',
    value: 4,
    helpers: ['bpf_fib_lookup'],
    summary: 'Do not resolve the neighbour (MAC) entry.',
  },
  {
    name: 'BPF_F_NUMA_NODE',
    value: 4,
    helpers: [],
    summary: 'Map flag: allocate on the numa_node given at creation.',
  },
  {
    name: 'BPF_F_NO_PREALLOC',
    value: 1,
    helpers: [],
    summary: 'Map flag: allocate hash entries on demand (required for LPM_TRIE).',
  },
  {
    name: 'BPF_F_RDONLY_PROG',
    value: 0x80,
    helpers: [],
    summary: 'Map flag: programs may read but not write the map.',
  },
  { name: 'BPF_F_MMAPABLE', value: 0x400, helpers: [], summary: 'Map flag: ARRAY maps user space may mmap.' },
];

/** Bits of the bpf_redirect_map flags argument that are the fallback action on a miss (§2.2). */
export const REDIRECT_ACTION_MASK = 3;
export const BPF_F_BROADCAST = 8;
export const BPF_F_EXCLUDE_INGRESS = 16;

const byName = new Map<string, BpfFlag>(bpfFlags.map((f) => [f.name, f]));

export function bpfFlagByName(name: string): BpfFlag | undefined {
  return byName.get(name);
}
