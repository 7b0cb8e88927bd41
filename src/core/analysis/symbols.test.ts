// Scope-aware symbols: locals of two functions are different symbols, shadowing, maps, fields.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { testAnalyzer } from '../../../test/lsp/wasm';
import { referencesOf, symbolAt } from './symbols';

const SRC = `#include <linux/ip.h>
#define MAX_TTL 64
struct key { __u32 ip; __u16 port; };
struct {
\t__uint(type, BPF_MAP_TYPE_HASH);
\t__type(key, struct key);
\t__type(value, __u64);
\t__uint(max_entries, 16);
} counts SEC(".maps");
static int bump(struct key *key)
{
\t__u64 *v = bpf_map_lookup_elem(&counts, key);
\treturn v ? 1 : 0;
}
SEC("xdp")
int prog(struct xdp_md *ctx)
{
\tstruct key key = {};
\tstruct iphdr *iph = (void *)(long)ctx->data;
\tkey.ip = iph->saddr;
\t{
\t\tint key = MAX_TTL;
\t\tkey++;
\t}
\tif (iph->ttl > MAX_TTL)
\t\treturn bump(&key);
\treturn XDP_PASS;
}
`;

const nth = (s: string, n: number): number => {
  let i = -1;
  for (let k = 0; k <= n; k++) i = SRC.indexOf(s, i + 1);
  return i;
};

test('a local named key in two functions, and a shadowing one, are three symbols', async () => {
  const a = (await testAnalyzer()).analyze(SRC);
  const m = a.model;
  const inProg = symbolAt(m, nth('key.ip', 0) + 1);
  assert.equal(inProg?.kind, 'local');
  const refs = referencesOf(m, inProg).map((s) => SRC.slice(s.start - 1, s.end));
  // The declaration `key = {}`, `key.ip` and `&key` — not bump's parameter, not the inner int.
  assert.equal(refs.length, 3);
  assert.ok(
    refs.every((r) => / key|\tkey|&key/.test(r)),
    refs.join('|'),
  );
  const param = symbolAt(m, nth('*key)', 0) + 2);
  assert.equal(param?.kind, 'param');
  assert.equal(referencesOf(m, param).length, 2);
  const inner = symbolAt(m, nth('key++', 0) + 1);
  assert.equal(referencesOf(m, inner!).length, 2);
  a.dispose();
});

test('maps, macros and fields resolve to this file or name their struct', async () => {
  const a = (await testAnalyzer()).analyze(SRC);
  const m = a.model;
  const map = symbolAt(m, nth('&counts', 0) + 3);
  assert.equal(map?.kind, 'map');
  assert.equal(referencesOf(m, map).length, 2);
  const macro = symbolAt(m, nth('MAX_TTL;', 0) + 2);
  assert.equal(macro?.kind, 'macro');
  assert.equal(SRC.slice(macro.decl!.start, macro.decl!.end), 'MAX_TTL');
  assert.equal(referencesOf(m, macro).length, 3);
  const ttl = symbolAt(m, nth('ttl', 0) + 1);
  assert.deepEqual([ttl?.kind, ttl?.struct, ttl?.decl], ['field', 'iphdr', undefined]);
  const ip = symbolAt(m, nth('key.ip', 0) + 5);
  assert.equal(ip?.struct, 'key');
  assert.equal(SRC.slice(ip.decl!.start, ip.decl!.end + 1), 'ip;');
  const helper = symbolAt(m, nth('bpf_map_lookup_elem', 0) + 2);
  assert.equal(helper?.kind, 'helper');
  const st = symbolAt(m, nth('iphdr', 0) + 1);
  assert.deepEqual([st?.kind, st?.struct, st?.decl], ['struct', 'iphdr', undefined]);
  a.dispose();
});
