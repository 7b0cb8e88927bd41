// SPDX-License-Identifier: GPL-2.0
// Programs of the simulator's kernel differential tier (test/kernel/simDifferential.test.ts).
// Each scenario in this folder attaches some of them; the same object runs in the simulator and in
// the kernel. Device ifindexes are fixed by the scenarios (4001-4008, xlsim- namespaces).
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define IF_B0 4004
#define IF_MISSING 4999

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 8);
} tx_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP_HASH);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 8);
} tx_hash SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 2);
} cpu_map SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_XSKMAP);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 4);
} xsks SEC(".maps");

/* Entries with programs (bpf_devmap_val / bpf_cpumap_val with a program fd). */
struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 8);
	__uint(max_entries, 8);
} tx_prog SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_CPUMAP);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, 8);
	__uint(max_entries, 2);
} cpu_prog SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} runs SEC(".maps");

/* What Linux samples/bpf xdp_redirect_map and xdp_redirect_cpu's round robin keep (own rewrite):
 * a per-CPU frame counter, the CPUs to spread over, how many, and a per-CPU position. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} rx_cnt SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 4);
} cpus_available SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} cpus_count SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} cpus_iterator SEC(".maps");

/* xdp-tutorial packet03's redirect_params: source MAC -> the destination MAC to write. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__type(key, unsigned char[6]);
	__type(value, unsigned char[6]);
	__uint(max_entries, 4);
} redirect_params SEC(".maps");

/* samples/bpf xdp_router_ipv4's route table shape: longest prefix -> egress ifindex and MACs. */
struct lpm_v4 {
	__u32 prefixlen;
	__u8 addr[4];
};

struct route_v4 {
	__u32 ifindex;
	__u8 smac[6];
	__u8 dmac[6];
};

struct {
	__uint(type, BPF_MAP_TYPE_LPM_TRIE);
	__type(key, struct lpm_v4);
	__type(value, struct route_v4);
	__uint(max_entries, 8);
	__uint(map_flags, BPF_F_NO_PREALLOC);
} routes SEC(".maps");

/* The number of earlier runs of any counting program: frame k of a batch sees k. */
static __always_inline __u32 run_number(void)
{
	__u32 zero = 0, *n = bpf_map_lookup_elem(&runs, &zero);
	if (!n)
		return 0;
	return (*n)++;
}

SEC("xdp") int redir_devmap(struct xdp_md *ctx) { return bpf_redirect_map(&tx_port, 1, 0); }
SEC("xdp") int redir_devmap_miss_pass(struct xdp_md *ctx) { return bpf_redirect_map(&tx_port, 5, XDP_PASS); }
SEC("xdp") int redir_devmap_miss_abort(struct xdp_md *ctx) { return bpf_redirect_map(&tx_port, 5, 0); }
SEC("xdp") int redir_ifindex(struct xdp_md *ctx) { return bpf_redirect(IF_B0, 0); }
SEC("xdp") int redir_ifindex_missing(struct xdp_md *ctx) { return bpf_redirect(IF_MISSING, 0); }
SEC("xdp") int redir_hash(struct xdp_md *ctx) { return bpf_redirect_map(&tx_hash, IF_B0, 0); }
SEC("xdp") int bcast(struct xdp_md *ctx) { return bpf_redirect_map(&tx_port, 0, BPF_F_BROADCAST); }
SEC("xdp") int bcast_excl(struct xdp_md *ctx) { return bpf_redirect_map(&tx_port, 0, BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS); }
SEC("xdp") int aborted(struct xdp_md *ctx) { return XDP_ABORTED; }
SEC("xdp") int invalid(struct xdp_md *ctx) { return 7; }
SEC("xdp") int redir_cpu0(struct xdp_md *ctx) { return bpf_redirect_map(&cpu_map, 0, 0); }
SEC("xdp") int redir_cpu1(struct xdp_md *ctx) { return bpf_redirect_map(&cpu_map, 1, 0); }
SEC("xdp") int redir_xsk(struct xdp_md *ctx) { return bpf_redirect_map(&xsks, 0, 0); }
SEC("xdp") int redir_none(struct xdp_md *ctx) { return XDP_REDIRECT; }
SEC("xdp") int tx(struct xdp_md *ctx) { return XDP_TX; }
SEC("xdp") int pass(struct xdp_md *ctx) { return XDP_PASS; }
SEC("xdp") int redir_devmap_generic(struct xdp_md *ctx) { return bpf_redirect_map(&tx_port, 1, 0); }
/* §8.18: frame 0 sets an ifindex target and drops; later frames return REDIRECT without a helper. */
SEC("xdp") int stale_ifindex(struct xdp_md *ctx)
{
	if (run_number() == 0) {
		bpf_redirect(IF_B0, 0);
		return XDP_DROP;
	}
	return XDP_REDIRECT;
}
/* §8.19: frame 0 hits devmap key 3 and drops; later frames miss key 6 but return REDIRECT anyway. */
SEC("xdp") int stale_key(struct xdp_md *ctx)
{
	if (run_number() == 0) {
		bpf_redirect_map(&tx_port, 3, 0);
		return XDP_DROP;
	}
	bpf_redirect_map(&tx_port, 6, 0);
	return XDP_REDIRECT;
}
/* §8.20: the last helper call wins. */
SEC("xdp") int last_helper_wins(struct xdp_md *ctx)
{
	bpf_redirect_map(&tx_port, 1, 0);
	return bpf_redirect(4006, 0);
}
/* §8.12: the key is truncated to 32 bits (0x1_0000_0003 finds slot 3); flag bit 32 → ABORTED. */
SEC("xdp") int redir_devmap_bigkey(struct xdp_md *ctx) { return bpf_redirect_map(&tx_port, 0x100000003ULL, 0); }
SEC("xdp") int redir_devmap_badflag(struct xdp_md *ctx) { return bpf_redirect_map(&tx_port, 3, 32); }
SEC("xdp.frags") int redir_ifindex_frags(struct xdp_md *ctx) { return bpf_redirect(IF_B0, 0); }
SEC("xdp.frags") int pass_frags(struct xdp_md *ctx) { return XDP_PASS; }

/* §8.21/§8.22: redirects through tx_prog; frame k uses key 2 + (k & 1) (alternating entries). */
SEC("xdp") int redir_txprog(struct xdp_md *ctx) { return bpf_redirect_map(&tx_prog, 1, 0); }
SEC("xdp") int redir_txprog_alt(struct xdp_md *ctx) { return bpf_redirect_map(&tx_prog, 2 + (run_number() & 1), 0); }
SEC("xdp") int redir_cpuprog(struct xdp_md *ctx) { return bpf_redirect_map(&cpu_prog, 0, 0); }
SEC("xdp/devmap") int egress_drop(struct xdp_md *ctx) { return XDP_DROP; }
SEC("xdp/devmap") int egress_aborted(struct xdp_md *ctx) { return XDP_ABORTED; }
SEC("xdp/devmap") int egress_pass(struct xdp_md *ctx) { return XDP_PASS; }
SEC("xdp/devmap") int egress_tx(struct xdp_md *ctx) { return XDP_TX; }
SEC("xdp/cpumap") int cpu_pass(struct xdp_md *ctx) { return XDP_PASS; }
SEC("xdp/cpumap") int cpu_aborted(struct xdp_md *ctx) { return XDP_ABORTED; }
SEC("xdp/cpumap") int cpu_redirect_b0(struct xdp_md *ctx) { return bpf_redirect(IF_B0, 0); }
SEC("xdp/cpumap") int cpu_redirect_missing(struct xdp_md *ctx) { return bpf_redirect(IF_MISSING, 0); }

/* samples/bpf xdp_redirect_map's shape: count the frame per CPU, swap the Ethernet addresses and
 * redirect through DEVMAP slot 0 (a runt is dropped). */
SEC("xdp") int rw_redirect_map(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	__u16 *eth = data, tmp[3];
	__u32 zero = 0;
	__u64 *cnt;

	if (data + 14 > data_end)
		return XDP_DROP;
	cnt = bpf_map_lookup_elem(&rx_cnt, &zero);
	if (cnt)
		*cnt += 1;
	__builtin_memcpy(tmp, eth, 6);
	__builtin_memcpy(eth, eth + 3, 6);
	__builtin_memcpy(eth + 3, tmp, 6);
	return bpf_redirect_map(&tx_port, 0, 0);
}

/* xdp_redirect_cpu's xdp_prognum2_round_robin shape: each CPU walks cpus_available with its own
 * per-CPU position (wrapping at cpus_count) and redirects into that CPU's cpumap entry. */
SEC("xdp") int rw_cpu_round_robin(struct xdp_md *ctx)
{
	__u32 zero = 0, idx, *max, *pos, *cpu;
	__u64 *cnt;

	max = bpf_map_lookup_elem(&cpus_count, &zero);
	pos = bpf_map_lookup_elem(&cpus_iterator, &zero);
	if (!max || !pos)
		return XDP_ABORTED;
	idx = (*pos)++;
	if (*pos == *max)
		*pos = 0;
	cpu = bpf_map_lookup_elem(&cpus_available, &idx);
	if (!cpu)
		return XDP_ABORTED;
	cnt = bpf_map_lookup_elem(&rx_cnt, &zero);
	if (cnt)
		*cnt += 1;
	return bpf_redirect_map(&cpu_map, *cpu, 0);
}

/* xdp-tutorial packet03 xdp_redirect_map_func's shape: a frame whose source MAC is in
 * redirect_params gets that destination MAC and goes through DEVMAP slot 0; others XDP_PASS. */
SEC("xdp") int rw_redirect_by_mac(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	unsigned char *eth = data, *dst;

	if (data + 14 > data_end)
		return XDP_PASS;
	dst = bpf_map_lookup_elem(&redirect_params, eth + 6);
	if (!dst)
		return XDP_PASS;
	__builtin_memcpy(eth, dst, 6);
	return bpf_redirect_map(&tx_port, 0, 0);
}

/* bpf-examples xdp_cpumap_qinq's shape: a VLAN-tagged frame's VID, hashed, picks an entry of
 * cpus_available (cpus_count of them); a cpumap miss falls back to XDP_PASS through the flags.
 * Untagged frames XDP_PASS. */
SEC("xdp") int rw_cpu_by_vlan(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	__u8 *p = data;
	__u32 zero = 0, vid, idx, *max, *cpu;

	if (data + 18 > data_end)
		return XDP_PASS;
	if (!((p[12] == 0x81 && p[13] == 0x00) || (p[12] == 0x88 && p[13] == 0xa8)))
		return XDP_PASS;
	vid = ((p[14] & 0x0f) << 8) | p[15];
	max = bpf_map_lookup_elem(&cpus_count, &zero);
	if (!max || !*max)
		return XDP_ABORTED;
	idx = ((vid * 2654435761u) >> 16) % *max;
	cpu = bpf_map_lookup_elem(&cpus_available, &idx);
	if (!cpu)
		return XDP_ABORTED;
	return bpf_redirect_map(&cpu_map, *cpu, XDP_PASS);
}

/* samples/bpf xdp_router_ipv4's shape: the IPv4 destination's longest-prefix route gives the MACs
 * and the egress ifindex, which keys the DEVMAP_HASH (an ifindex without an entry: XDP_ABORTED);
 * no route: XDP_DROP; TTL 1 and non-IPv4: XDP_PASS. */
SEC("xdp") int rw_router_lpm(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;
	__u8 *eth = data, *ip = data + 14;
	struct lpm_v4 key = { .prefixlen = 32 };
	struct route_v4 *r;

	if (data + 34 > data_end || eth[12] != 0x08 || eth[13] != 0x00)
		return XDP_PASS;
	__builtin_memcpy(key.addr, ip + 16, 4);
	r = bpf_map_lookup_elem(&routes, &key);
	if (!r)
		return XDP_DROP;
	if (ip[8] <= 1)
		return XDP_PASS;
	ip[8]--;
	__builtin_memcpy(eth, r->dmac, 6);
	__builtin_memcpy(eth + 6, r->smac, 6);
	return bpf_redirect_map(&tx_hash, r->ifindex, 0);
}

char LICENSE[] SEC("license") = "GPL";
