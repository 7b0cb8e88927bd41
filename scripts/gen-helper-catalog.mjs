// Generates src/core/bpf/helperCatalog.ts, the one table of BPF helpers (issue #5 "Knowledge base").
// Ids, names and C prototypes come from the installed uapi header (/usr/include/linux/bpf.h, the
// __BPF_FUNC_MAPPER list and the " * <ret> bpf_<name>(<args>)" prototype lines); everything else
// (summaries, kernel versions, GPL-only, which program kinds may call a helper) is written here by us.
// Run: node scripts/gen-helper-catalog.mjs [path/to/bpf.h]   — then review the diff and commit it.
import fs from 'node:fs';
import path from 'node:path';
import { execFileSync } from 'node:child_process';

const headerPath = process.argv[2] ?? '/usr/include/linux/bpf.h';
const out = path.resolve(import.meta.dirname, '../src/core/bpf/helperCatalog.ts');
const header = fs.readFileSync(headerPath, 'utf8');

// --- ids: the mapper list (old form FN(name) or new form FN(name, id, ...)) ---
const mapper = /#define\s+_{2,3}BPF_FUNC_MAPPER\(FN(?:, ctx\.\.\.)?\)\s*\\\n([\s\S]*?)\n\s*\n/.exec(header);
if (!mapper) throw new Error(`${headerPath}: no __BPF_FUNC_MAPPER list`);
const names = [];
for (const m of mapper[1].matchAll(/FN\((\w+)(?:,\s*(\d+))?/g)) {
  const id = m[2] === undefined ? names.length : Number(m[2]);
  if (id !== names.length)
    throw new Error(`${headerPath}: helper ${m[1]} has id ${id}, expected ${names.length}`);
  names.push(m[1]);
}

// Helpers newer than the installed header (linux-libc-dev may lag the running kernel): id, name,
// prototype written from the kernel's uapi. Kept short: no helpers were added after 6.2 (kfuncs instead).
const newer = [
  [
    210,
    'cgrp_storage_get',
    'void *bpf_cgrp_storage_get(struct bpf_map *map, struct cgroup *cgroup, void *value, u64 flags)',
  ],
  [211, 'cgrp_storage_delete', 'long bpf_cgrp_storage_delete(struct bpf_map *map, struct cgroup *cgroup)'],
];

// --- prototypes ---
const protos = new Map();
for (const m of header.matchAll(/^ \* ((?:const )?(?:struct )?\w+ \**)bpf_(\w+)\((.*)\)\s*$/gm)) {
  protos.set(m[2], { ret: m[1].trim(), args: m[3] });
}
for (const [id, name, proto] of newer) {
  if (names.length > id) continue;
  if (names.length !== id) throw new Error(`gap before helper ${id}`);
  names.push(name);
  const m = /^(.*?)bpf_(\w+)\((.*)\)$/.exec(proto);
  protos.set(name, { ret: m[1].trim(), args: m[3] });
}

function parseArgs(text) {
  if (text.trim() === 'void' || text.trim() === '') return [];
  return text.split(',').map((a) => {
    a = a.trim();
    if (a === '...') return { type: '...', name: '...' };
    const m = /^(.*?)(\w+)$/.exec(a);
    return { type: m[1].trim(), name: m[2] };
  });
}

// --- kernel version a helper appeared in: ids are handed out in merge order, so a table of the first
// id of each release is both compact and reviewable (checked against the release notes of each merge).
const firstIdOfRelease = [
  [1, '3.19'],
  [4, '4.1'],
  [12, '4.2'],
  [17, '4.3'],
  [23, '4.4'],
  [26, '4.5'],
  [27, '4.6'],
  [31, '4.8'],
  [37, '4.9'],
  [42, '4.10'],
  [45, '4.11'],
  [46, '4.12'],
  [48, '4.13'],
  [51, '4.14'],
  [54, '4.15'],
  [58, '4.16'],
  [60, '4.17'],
  [65, '4.18'],
  [81, '4.19'],
  [84, '4.20'],
  [91, '5.0'],
  [93, '5.1'],
  [99, '5.2'],
  [109, '5.3'],
  [111, '5.5'],
  [119, '5.6'],
  [122, '5.7'],
  [125, '5.8'],
  [136, '5.9'],
  [142, '5.10'],
  [156, '5.11'],
  [163, '5.12'],
  [164, '5.13'],
  [166, '5.14'],
  [169, '5.15'],
  [176, '5.16'],
  [180, '5.17'],
  [186, '5.18'],
  [194, '5.19'],
  [204, '6.0'],
  [208, '6.1'],
  [210, '6.2'],
];
function since(id) {
  let v = '';
  for (const [first, ver] of firstIdOfRelease) if (id >= first) v = ver;
  return v;
}

// Helpers whose kernel proto sets gpl_only = true. For the ones XDP may call this is checked against the
// 6.18 verifier ("cannot call GPL-restricted function") by test/kernel/helperAvailability.test.ts.
const gplOnly = new Set(
  `probe_read trace_printk get_current_task perf_event_read perf_event_output get_stackid
probe_write_user probe_read_str perf_event_read_value perf_prog_read_value override_return get_stack fib_lookup
rc_repeat rc_keydown rc_pointer_rel skb_output probe_read_user probe_read_kernel probe_read_user_str
probe_read_kernel_str read_branch_records xdp_output seq_printf seq_write seq_printf_btf snprintf check_mtu
tcp_check_syncookie tcp_gen_syncookie tcp_raw_gen_syncookie_ipv4 tcp_raw_gen_syncookie_ipv6
tcp_raw_check_syncookie_ipv4 tcp_raw_check_syncookie_ipv6
get_current_task_btf timer_init timer_set_callback timer_start timer_cancel get_func_ip trace_vprintk
get_branch_snapshot copy_from_user_task get_func_arg get_func_ret get_func_arg_cnt task_pt_regs`.split(/\s+/),
);

// Which helpers an XDP program may call on Linux 6.18 (xdp_func_proto, the socket base and base protos),
// checked against the kernel itself by test/kernel/helperAvailability.test.ts (it loads an XDP program
// calling each helper id and reads whether the verifier answers "program of this type cannot use helper").
const xdp = new Set(
  `map_lookup_elem map_update_elem map_delete_elem ktime_get_ns trace_printk get_prandom_u32
get_smp_processor_id tail_call redirect perf_event_output csum_diff get_numa_node_id xdp_adjust_head
redirect_map xdp_adjust_meta xdp_adjust_tail fib_lookup sk_lookup_tcp sk_lookup_udp sk_release
map_push_elem map_pop_elem map_peek_elem spin_lock spin_unlock skc_lookup_tcp tcp_check_syncookie
tcp_gen_syncookie probe_read_user probe_read_kernel probe_read_user_str probe_read_kernel_str jiffies64
ktime_get_boot_ns ringbuf_output ringbuf_reserve ringbuf_submit ringbuf_discard ringbuf_query skc_to_tcp6_sock
skc_to_tcp_sock skc_to_tcp_timewait_sock skc_to_tcp_request_sock skc_to_udp6_sock snprintf_btf per_cpu_ptr
this_cpu_ptr get_current_task_btf ktime_get_coarse_ns check_mtu for_each_map_elem snprintf timer_init
timer_set_callback timer_start timer_cancel trace_vprintk skc_to_unix_sock loop strncmp xdp_get_buff_len
xdp_load_bytes xdp_store_bytes kptr_xchg map_lookup_percpu_elem skc_to_mptcp_sock dynptr_from_mem
ringbuf_reserve_dynptr ringbuf_submit_dynptr ringbuf_discard_dynptr dynptr_read dynptr_write dynptr_data
tcp_raw_gen_syncookie_ipv4 tcp_raw_gen_syncookie_ipv6 tcp_raw_check_syncookie_ipv4 tcp_raw_check_syncookie_ipv6
ktime_get_tai_ns user_ringbuf_drain get_current_task task_pt_regs
get_current_pid_tgid get_current_uid_gid get_current_comm get_cgroup_classid perf_event_read
current_task_under_cgroup perf_event_read_value get_current_cgroup_id strtol strtoul send_signal
send_signal_thread get_ns_current_pid_tgid get_current_ancestor_cgroup_id get_task_stack task_storage_get
task_storage_delete get_branch_snapshot find_vma cgrp_storage_get cgrp_storage_delete`.split(/\s+/),
);

// Helpers every program type may call (bpf_base_func_proto), besides XDP.
const base = new Set(
  `map_lookup_elem map_update_elem map_delete_elem map_push_elem map_pop_elem map_peek_elem
map_lookup_percpu_elem get_prandom_u32 get_smp_processor_id get_numa_node_id tail_call ktime_get_ns
ktime_get_boot_ns ktime_get_tai_ns ringbuf_output ringbuf_reserve ringbuf_submit ringbuf_discard ringbuf_query
for_each_map_elem loop strncmp spin_lock spin_unlock jiffies64 per_cpu_ptr this_cpu_ptr timer_init
timer_set_callback timer_start timer_cancel trace_printk trace_vprintk snprintf snprintf_btf kptr_xchg
dynptr_from_mem ringbuf_reserve_dynptr ringbuf_submit_dynptr ringbuf_discard_dynptr dynptr_read dynptr_write
dynptr_data user_ringbuf_drain probe_read_user probe_read_kernel probe_read_user_str probe_read_kernel_str
get_current_task get_current_task_btf task_pt_regs`.split(/\s+/),
);

/** Program kinds (coarse families of BPF_PROG_TYPE_*) that may call a helper besides XDP and base. */
function kindsOf(name) {
  const k = new Set();
  if (base.has(name)) return ['all'];
  if (xdp.has(name)) k.add('xdp');
  const rules = [
    [
      /^(skb_|l[34]_csum|clone_redirect|get_cgroup_classid|get_route_realm|get_hash_recalc|set_hash|csum_|redirect|fib_lookup|check_mtu|get_socket_|sk_|skc_|tcp_|get_listener_sock|sk_assign)/,
      'tc',
    ],
    [
      /^(msg_|sk_redirect|sock_map|sock_hash|sk_select_reuseport|sock_ops|setsockopt|getsockopt|bind|get_socket_|load_hdr_opt|store_hdr_opt|reserve_hdr_opt|sk_storage|tcp_send_ack|sock_from_file)/,
      'socket',
    ],
    [
      /^(sysctl_|get_local_storage|get_retval|set_retval|skb_cgroup|sk_cgroup|sk_ancestor_cgroup|strto)/,
      'cgroup',
    ],
    [/^(lwt_)/, 'lwt'],
    [/^(rc_)/, 'lirc'],
    [
      /^(probe_|get_current_|get_stack|perf_|override_return|send_signal|current_task_under_cgroup|read_branch|get_ns_current|seq_|get_task_stack|d_path|copy_from_user|get_func_|get_attach_cookie|get_branch_snapshot|kallsyms_|find_vma|task_storage|inode_storage|skb_output|xdp_output|get_netns_cookie|ima_|bprm_|cgrp_storage)/,
      'tracing',
    ],
    [/^(inode_storage|task_storage|bprm_opts_set|ima_|d_path|sock_from_file|cgrp_storage)/, 'lsm'],
    [/^(sys_bpf|sys_close|btf_find_by_name_kind)/, 'syscall'],
  ];
  for (const [re, kind] of rules) if (re.test(name)) k.add(kind);
  if (k.size === 0 || (k.size === 1 && k.has('xdp') && !/^xdp_/.test(name) && name !== 'redirect_map'))
    k.add(/^(sk|tcp)/.test(name) ? 'tc' : 'tracing');
  return [...k].sort();
}

const summaries = JSON.parse(
  fs.readFileSync(path.resolve(import.meta.dirname, 'helper-summaries.json'), 'utf8'),
);

const rows = [];
for (let id = 1; id < names.length; id++) {
  const name = names[id];
  const p = protos.get(name);
  if (!p) throw new Error(`${headerPath}: no prototype line for bpf_${name}`);
  const summary = summaries[name];
  if (!summary) throw new Error(`scripts/helper-summaries.json: no summary for ${name}`);
  rows.push({
    id,
    name: `bpf_${name}`,
    returns: p.ret,
    args: parseArgs(p.args),
    since: since(id),
    gplOnly: gplOnly.has(name),
    xdp: xdp.has(name),
    programKinds: kindsOf(name),
    summary,
  });
}
for (const k of Object.keys(summaries))
  if (!names.includes(k)) throw new Error(`summary for unknown helper ${k}`);

const q = (s) => JSON.stringify(s);
const lines = rows.map((r) => {
  const args = r.args.map((a) => `{ type: ${q(a.type)}, name: ${q(a.name)} }`).join(', ');
  return (
    `  { id: ${r.id}, name: ${q(r.name)}, returns: ${q(r.returns)}, args: [${args}], since: ${q(r.since)}, ` +
    `gplOnly: ${r.gplOnly}, xdp: ${r.xdp}, programKinds: [${r.programKinds.map(q).join(', ')}], summary: ${q(r.summary)} },`
  );
});

const text = `// GENERATED by scripts/gen-helper-catalog.mjs from ${headerPath} (ids, prototypes) and our own data
// (summaries, versions, GPL-only, program kinds). Do not edit by hand: edit the script and regenerate.
// The one table of BPF helpers (issue #5): the VM names calls with it, the analyzer checks calls with it.

/** Coarse families of BPF_PROG_TYPE_* a helper is offered to; 'all' means bpf_base_func_proto. */
export type ProgramKind = 'all' | 'xdp' | 'tc' | 'socket' | 'cgroup' | 'lwt' | 'lirc' | 'tracing' | 'lsm' | 'syscall';

export interface HelperArg {
  /** C type as the uapi header writes it, e.g. "struct bpf_map *", "u64"; "..." for varargs. */
  readonly type: string;
  readonly name: string;
}

export interface HelperInfo {
  /** BPF_FUNC_* number: the imm of a BPF_CALL instruction. */
  readonly id: number;
  /** C name, e.g. "bpf_redirect_map". */
  readonly name: string;
  readonly returns: string;
  readonly args: readonly HelperArg[];
  /** Kernel release that introduced it, e.g. "4.14". */
  readonly since: string;
  /** Loading a program that calls it requires a GPL-compatible license section. */
  readonly gplOnly: boolean;
  /** Whether BPF_PROG_TYPE_XDP programs may call it. */
  readonly xdp: boolean;
  readonly programKinds: readonly ProgramKind[];
  /** One line, ours. */
  readonly summary: string;
}

/** Highest helper id known to this catalog. */
export const maxHelperId = ${rows.length};

export const helperCatalog: readonly HelperInfo[] = [
${lines.join('\n')}
];

const byId = new Map<number, HelperInfo>(helperCatalog.map((h) => [h.id, h]));
const byName = new Map<string, HelperInfo>(helperCatalog.map((h) => [h.name, h]));

/** The helper a BPF_CALL imm names, or undefined for an unknown id. */
export function helperById(id: number): HelperInfo | undefined {
  return byId.get(id);
}

/** Looks up "bpf_redirect_map" (the "bpf_" prefix may be omitted). */
export function helperByName(name: string): HelperInfo | undefined {
  return byName.get(name) ?? byName.get(\`bpf_\${name}\`);
}

/** The C prototype, e.g. "long bpf_redirect_map(struct bpf_map *map, u32 key, u64 flags)". */
export function helperPrototype(h: HelperInfo): string {
  const args = h.args.length ? h.args.map((a) => (a.type === '...' ? '...' : \`\${a.type}\${a.type.endsWith('*') ? '' : ' '}\${a.name}\`)).join(', ') : 'void';
  return \`\${h.returns}\${h.returns.endsWith('*') ? '' : ' '}\${h.name}(\${args})\`;
}
`;
fs.mkdirSync(path.dirname(out), { recursive: true });
fs.writeFileSync(out, text);
// Prettier makes the output the same shape as hand-written code, so regenerating gives a clean diff.
execFileSync(path.resolve(import.meta.dirname, '../node_modules/.bin/prettier'), ['--write', out], {
  stdio: 'ignore',
});
console.error(`wrote ${out}: ${rows.length} helpers (ids 1..${rows.length}) from ${headerPath}`);
