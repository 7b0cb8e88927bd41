// The header index: tags with members (bit-fields, struct groups), macros, typedefs, helper pointers,
// includes — and nothing from comments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { indexHeader } from './headerIndex';

const HDR = `/* struct fake { int nope; }; */
#include <linux/types.h>
#include "local.h"
#define ETH_P_IP\t0x0800\t\t/* Internet Protocol packet */
typedef unsigned int __u32;
typedef struct { int x; } anon_t;
struct iphdr {
#if defined(__LITTLE_ENDIAN_BITFIELD)
\t__u8\tihl:4,
\t\tversion:4;
#endif
\t__u8\tttl; // time to live
\t__struct_group(/* no tag */, addrs, /* no attrs */,
\t\t__be32\tsaddr;
\t\t__be32\tdaddr;
\t);
};
static void *(*bpf_map_lookup_elem)(void *map, const void *key) = (void *) 1;
static long (* const bpf_redirect_map)(void *map, __u64 key, __u64 flags) = (void *) 51;
enum xdp_action { XDP_ABORTED = 0, XDP_DROP, };
`;

test('indexes tags, members, macros, typedefs, helper pointers and includes; skips comments', () => {
  const ix = indexHeader(HDR);
  const lineOf = (p: { line: number } | undefined) => (p ? HDR.split('\n')[p.line] : undefined);
  assert.equal(ix.tags.has('fake'), false);
  assert.match(lineOf(ix.tags.get('iphdr')?.at) ?? '', /^struct iphdr \{/);
  assert.deepEqual(
    [...(ix.tags.get('iphdr')?.fields.keys() ?? [])],
    ['ihl', 'version', 'ttl', 'addrs', 'saddr', 'daddr'],
  );
  assert.match(lineOf(ix.tags.get('iphdr')?.fields.get('ttl')) ?? '', /ttl; \/\/ time/);
  assert.match(lineOf(ix.names.get('ETH_P_IP')) ?? '', /#define ETH_P_IP/);
  assert.match(lineOf(ix.names.get('__u32')) ?? '', /typedef unsigned int __u32/);
  assert.match(lineOf(ix.names.get('anon_t')) ?? '', /anon_t;/);
  assert.match(lineOf(ix.names.get('bpf_map_lookup_elem')) ?? '', /\(\*bpf_map_lookup_elem\)/);
  assert.match(lineOf(ix.names.get('bpf_redirect_map')) ?? '', /const bpf_redirect_map/);
  assert.match(lineOf(ix.names.get('XDP_DROP')) ?? '', /enum xdp_action/);
  assert.deepEqual(ix.includes, [
    { path: 'linux/types.h', system: true },
    { path: 'local.h', system: false },
  ]);
});

test('a header that is not C does not throw', () => {
  const ix = indexHeader('struct { { {\n#define\n typedef ;;; /* unterminated');
  assert.equal(ix.tags.size, 0);
});
