// SPDX-License-Identifier: GPL-2.0
// XDP Lab example: forward UDP frames to a port chosen by their destination port, through a DEVMAP.
// Frames to UDP port 8 go to slot 0 (r2, whose peer c0 runs an XDP program: delivered);
// frames to port 9 go to slot 1 (r3, whose peer d0 has no XDP program: the kernel drops them
// with EOPNOTSUPP in xdp:xdp_redirect_err — the classic "silent drop").
#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <linux/in.h>
#include <linux/udp.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

struct {
	__uint(type, BPF_MAP_TYPE_DEVMAP);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
	__uint(max_entries, 8);
} tx_port SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 8);
} rx_count SEC(".maps");

SEC("xdp")
int xdp_redirect_udp(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data;
	void *data_end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *iph;
	struct udphdr *udph;
	__u32 key;
	__u64 *count;

	if ((void *)(eth + 1) > data_end)
		return XDP_DROP;
	if (eth->h_proto != bpf_htons(ETH_P_IP))
		return XDP_PASS;
	iph = (void *)(eth + 1);
	if ((void *)(iph + 1) > data_end || iph->protocol != IPPROTO_UDP)
		return XDP_PASS;
	udph = (void *)iph + iph->ihl * 4;
	if ((void *)(udph + 1) > data_end)
		return XDP_PASS;

	key = bpf_ntohs(udph->dest) & 7;
	count = bpf_map_lookup_elem(&rx_count, &key);
	if (count)
		*count += 1;
	/* A missing slot falls back to XDP_PASS: the frame goes up the stack instead. */
	return bpf_redirect_map(&tx_port, key, XDP_PASS);
}

SEC("xdp")
int xdp_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
