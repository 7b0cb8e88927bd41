// Byte layouts of the network headers XDP programs parse, as the uapi headers define them
// (linux/if_ether.h, ip.h, ipv6.h, udp.h, tcp.h, icmp.h, icmpv6.h, if_arp.h; vlan_hdr as the kernel's
// linux/if_vlan.h and the samples declare it). Bit-fields report the byte that holds them.

export interface NetField {
  readonly offset: number;
  readonly size: number;
}

export interface NetHeaderLayout {
  readonly size: number;
  readonly fields: Readonly<Record<string, NetField>>;
}

const f = (offset: number, size: number): NetField => ({ offset, size });

export const netHeaderLayouts: Readonly<Record<string, NetHeaderLayout>> = {
  ethhdr: { size: 14, fields: { h_dest: f(0, 6), h_source: f(6, 6), h_proto: f(12, 2) } },
  vlan_hdr: { size: 4, fields: { h_vlan_TCI: f(0, 2), h_vlan_encapsulated_proto: f(2, 2) } },
  iphdr: {
    size: 20,
    fields: {
      ihl: f(0, 1),
      version: f(0, 1),
      tos: f(1, 1),
      tot_len: f(2, 2),
      id: f(4, 2),
      frag_off: f(6, 2),
      ttl: f(8, 1),
      protocol: f(9, 1),
      check: f(10, 2),
      addrs: f(12, 8),
      saddr: f(12, 4),
      daddr: f(16, 4),
    },
  },
  ipv6hdr: {
    size: 40,
    fields: {
      priority: f(0, 1),
      version: f(0, 1),
      flow_lbl: f(1, 3),
      payload_len: f(4, 2),
      nexthdr: f(6, 1),
      hop_limit: f(7, 1),
      addrs: f(8, 32),
      saddr: f(8, 16),
      daddr: f(24, 16),
    },
  },
  udphdr: { size: 8, fields: { source: f(0, 2), dest: f(2, 2), len: f(4, 2), check: f(6, 2) } },
  tcphdr: {
    size: 20,
    fields: {
      source: f(0, 2),
      dest: f(2, 2),
      seq: f(4, 4),
      ack_seq: f(8, 4),
      res1: f(12, 1),
      doff: f(12, 1),
      fin: f(13, 1),
      syn: f(13, 1),
      rst: f(13, 1),
      psh: f(13, 1),
      ack: f(13, 1),
      urg: f(13, 1),
      ece: f(13, 1),
      cwr: f(13, 1),
      window: f(14, 2),
      check: f(16, 2),
      urg_ptr: f(18, 2),
    },
  },
  icmphdr: { size: 8, fields: { type: f(0, 1), code: f(1, 1), checksum: f(2, 2), un: f(4, 4) } },
  icmp6hdr: { size: 8, fields: { icmp6_type: f(0, 1), icmp6_code: f(1, 1), icmp6_cksum: f(2, 2) } },
  arphdr: {
    size: 8,
    fields: { ar_hrd: f(0, 2), ar_pro: f(2, 2), ar_hln: f(4, 1), ar_pln: f(5, 1), ar_op: f(6, 2) },
  },
};
