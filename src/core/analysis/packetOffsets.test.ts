// Packet offsets of header field accesses: the parse chain from ctx->data, only where certain.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testAnalyzer } from '../../../test/lsp/wasm';
import { packetFieldAccesses } from './packetOffsets';

const SRC = `SEC("xdp")
int prog(struct xdp_md *ctx)
{
\tvoid *data_end = (void *)(long)ctx->data_end;
\tvoid *data = (void *)(long)ctx->data;
\tstruct ethhdr *eth = data;
\tstruct iphdr *iph = data + sizeof(struct ethhdr);
\tstruct udphdr *udph = (void *)(iph + 1);
\tstruct tcphdr *tcph = (void *)iph + iph->ihl * 4;
\tstruct ipv6hdr *ip6h;
\tstruct vlan_hdr *vh = (struct vlan_hdr *)(eth + 1);

\tif ((void *)(udph + 1) > data_end)
\t\treturn XDP_PASS;
\tif (eth->h_proto == 0 && iph->ttl > 1 && udph->dest == 53 && tcph->syn && vh->h_vlan_TCI)
\t\treturn XDP_DROP;
\tip6h = data + 14;
\tip6h = data + 18;
\treturn ip6h->hop_limit ? XDP_PASS : XDP_DROP;
}
`;

test('offsets follow the chain: eth at 0, iph after it, udph after iph; variable offsets and reassigned pointers get none', async () => {
  const a = (await testAnalyzer()).analyze(SRC);
  const got = packetFieldAccesses(a.model).map((x) => `${x.struct}.${x.field}@${x.offset}/${x.size}`);
  assert.deepEqual(got, [
    'iphdr.ihl@14/1',
    'ethhdr.h_proto@12/2',
    'iphdr.ttl@22/1',
    'udphdr.dest@36/2',
    'vlan_hdr.h_vlan_TCI@14/2',
  ]);
  a.dispose();
});
