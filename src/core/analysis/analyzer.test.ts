// The analyzer against the corpus: zero diagnostics on correct programs (test/fixtures/analysis/ok,
// each of which also loads in the 6.18 verifier — see test/kernel/verifier.test.ts), and on the bad
// programs exactly the diagnostics their `// expect: CODE` comments name, on those lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { testAnalyzer } from '../../../test/lsp/wasm';
import { isBpfSource } from './bpfSource';
import { diagnosticCodes } from './diagnostic';

const fixtures = path.resolve(__dirname, '../../../test/fixtures/analysis');
const list = (dir: string) =>
  fs
    .readdirSync(path.join(fixtures, dir))
    .filter((f) => f.endsWith('.c'))
    .map((f) => path.join(fixtures, dir, f));

test('corpus of correct XDP programs: zero diagnostics', async () => {
  const analyzer = await testAnalyzer();
  const files = list('ok');
  assert.ok(files.length >= 8);
  for (const f of files) {
    const a = analyzer.analyze(fs.readFileSync(f, 'utf8'));
    assert.deepEqual(
      a.diagnostics.map((d) => `${d.range.start.line + 1}: ${d.code}: ${d.message}`),
      [],
      path.basename(f),
    );
    assert.ok(a.model.programs.length >= 1, `${path.basename(f)} has a program`);
    a.dispose();
  }
});

test('bad programs: exactly the expected diagnostics, on the expected lines', async () => {
  const analyzer = await testAnalyzer();
  const seen = new Set<string>();
  for (const f of list('bad')) {
    const text = fs.readFileSync(f, 'utf8');
    const expected = text
      .split('\n')
      .flatMap((l, i) => [...l.matchAll(/expect: ([a-z-]+)/g)].map((m) => `${i + 1}: ${m[1]}`))
      .sort();
    const a = analyzer.analyze(text);
    const got = a.diagnostics.map((d) => `${d.range.start.line + 1}: ${d.code}`).sort();
    assert.deepEqual(got, expected, path.basename(f));
    a.diagnostics.forEach((d) => seen.add(d.code));
    a.dispose();
  }
  // Every diagnostic the analyzer can emit has at least one bad program (unknown-map-type: below).
  for (const code of Object.keys(diagnosticCodes))
    if (code !== 'unknown-map-type') assert.ok(seen.has(code), `no bad fixture for ${code}`);
});

test('quick fixes: redirect through a HASH map offers DEVMAP_HASH first and the edit targets the type', async () => {
  const analyzer = await testAnalyzer();
  const text = fs.readFileSync(path.join(fixtures, 'bad/redirect_hash_map.bpf.c'), 'utf8');
  const a = analyzer.analyze(text);
  const d = a.diagnostics.find((x) => x.code === 'redirect-map-type');
  assert.ok(d?.fixes?.length);
  const fix = d.fixes[0];
  assert.equal(fix?.preferred, true);
  assert.match(fix?.title ?? '', /DEVMAP_HASH/);
  const edit = fix?.edits[0];
  assert.ok(edit);
  const lines = text.split('\n');
  const line = lines[edit.range.start.line] ?? '';
  assert.equal(line.slice(edit.range.start.character, edit.range.end.character), 'BPF_MAP_TYPE_HASH');
  // Applying it makes the diagnostic go away.
  lines[edit.range.start.line] =
    line.slice(0, edit.range.start.character) + edit.newText + line.slice(edit.range.end.character);
  const fixed = analyzer.analyze(lines.join('\n'));
  assert.deepEqual(
    fixed.diagnostics.map((x) => x.code),
    [],
  );
  a.dispose();
  fixed.dispose();
});

test('missing license fix appends a GPL license section that silences the diagnostic', async () => {
  const analyzer = await testAnalyzer();
  const text = fs.readFileSync(path.join(fixtures, 'bad/missing_license.bpf.c'), 'utf8');
  const d = analyzer.analyze(text).diagnostics[0];
  const edit = d?.fixes?.[0]?.edits[0];
  assert.ok(edit);
  const fixed = analyzer.analyze(text + edit.newText);
  assert.equal(fixed.model.license?.value, 'GPL');
  assert.deepEqual(fixed.diagnostics, []);
});

test('map key padding: the layout counts the padding, the fix zeroes the key and silences it; packed or padless keys stay silent', async () => {
  const analyzer = await testAnalyzer();
  const text = fs.readFileSync(path.join(fixtures, 'bad/map_key_padding.bpf.c'), 'utf8');
  const a = analyzer.analyze(text);
  assert.deepEqual(a.model.structs.get('struct flow_key'), { size: 12, align: 4, padding: 3 });
  const d = a.diagnostics.find((x) => x.code === 'map-key-padding');
  assert.match(d?.message ?? '', /struct flow_key has 3 padding bytes .* all 12 bytes/);
  const edit = d?.fixes?.[0]?.edits[0];
  assert.ok(edit);
  assert.match(edit.newText, /__builtin_memset\(&key, 0, sizeof\(key\)\);/);
  // Apply the edit (an insertion at the end of the declaration) and analyse again.
  const lines = text.split('\n');
  const at = edit.range.start;
  const line = lines[at.line] ?? '';
  lines[at.line] = line.slice(0, at.character) + edit.newText + line.slice(at.character);
  const fixed = analyzer.analyze(lines.join('\n'));
  assert.deepEqual(
    fixed.diagnostics.map((x) => x.code),
    [],
    'both calls of count_flows are silenced by one memset',
  );
  a.dispose();
  fixed.dispose();

  const prog = (key: string) =>
    `#include <bpf/bpf_helpers.h>\n${key}\nstruct {\n__uint(type, BPF_MAP_TYPE_HASH);\n__type(key, struct k);\n__type(value, __u64);\n__uint(max_entries, 8);\n} m SEC(".maps");\nSEC("xdp")\nint p(struct xdp_md *ctx)\n{\nstruct k key;\nkey.a = 1;\nkey.b = 2;\nreturn bpf_map_lookup_elem(&m, &key) ? XDP_PASS : XDP_DROP;\n}\nchar LICENSE[] SEC("license") = "GPL";\n`;
  const codes = (t: string) => {
    const r = analyzer.analyze(t);
    const c = r.diagnostics.map((x) => x.code);
    r.dispose();
    return c;
  };
  assert.deepEqual(codes(prog('struct k { __u32 a; __u8 b; };')), ['map-key-padding']);
  assert.deepEqual(codes(prog('struct k { __u32 a; __u8 b; } __attribute__((packed));')), []);
  assert.deepEqual(codes(prog('struct k { __u32 a; __u32 b; };')), []);
});

test('negative cases: correct variants of each rule stay silent', async () => {
  const analyzer = await testAnalyzer();
  const prog = (body: string, extra = '') =>
    `#include <bpf/bpf_helpers.h>\n${extra}\nSEC("xdp")\nint p(struct xdp_md *ctx)\n{\n${body}\n}\nchar LICENSE[] SEC("license") = "GPL";\n`;
  const devmap =
    'struct {\n__uint(type, BPF_MAP_TYPE_DEVMAP);\n__type(key, __u32);\n__type(value, struct bpf_devmap_val);\n__uint(max_entries, 4);\n} tx SEC(".maps");';
  const ok = [
    prog('return bpf_redirect_map(&tx, 1, XDP_DROP);', devmap),
    prog('return bpf_redirect_map(&tx, 1, BPF_F_BROADCAST);', devmap),
    prog('return bpf_redirect(3, 0);'),
    prog('return XDP_TX;'),
    prog('int r = XDP_DROP; return r;'),
    prog(
      'void *data = (void *)(long)ctx->data; void *data_end = (void *)(long)ctx->data_end; __u8 *p = data; if (p + 14 > data_end) return XDP_DROP; return p[12] ? XDP_PASS : XDP_DROP;',
    ),
    prog('bpf_printk("hi"); return XDP_PASS;'),
    // A tc program may call skb helpers; only XDP programs are checked for XDP availability.
    '#include <bpf/bpf_helpers.h>\nSEC("tc")\nint t(struct __sk_buff *skb)\n{\n__u32 w; bpf_skb_load_bytes(skb, 0, &w, 4); return 0;\n}\n',
  ];
  for (const text of ok)
    assert.deepEqual(
      analyzer.analyze(text).diagnostics.map((d) => d.code),
      [],
      text,
    );
});

test('file model: programs, maps, includes, helper calls, returns', async () => {
  const analyzer = await testAnalyzer();
  const a = analyzer.analyze(fs.readFileSync(path.join(fixtures, 'ok/ringbuf_sampler.bpf.c'), 'utf8'));
  const m = a.model;
  assert.deepEqual(
    m.programs.map((p) => [p.name, p.sec?.name, p.xdp?.attach]),
    [
      ['xdp_sampler', 'xdp', 'xdp'],
      ['xdp_egress_mark', 'xdp/devmap', 'devmap'],
    ],
  );
  assert.deepEqual(
    m.maps.map((x) => [x.name, x.type?.name, x.keySize, x.valueSize, x.maxEntries]),
    [
      ['samples', 'BPF_MAP_TYPE_RINGBUF', undefined, undefined, 1 << 20],
      ['out_ports', 'BPF_MAP_TYPE_DEVMAP', 4, 8, 4],
    ],
  );
  assert.deepEqual(
    m.includes.map((i) => i.path),
    ['linux/bpf.h', 'linux/if_ether.h', 'bpf/bpf_helpers.h'],
  );
  assert.ok(m.calls.some((c) => c.name === 'bpf_printk' && c.helper?.name === 'bpf_trace_printk'));
  assert.equal(m.programs[0]?.returns.length, 1);
  assert.equal(m.license?.value, 'GPL');
});

test('legacy bpf_map_def maps are modelled', async () => {
  const analyzer = await testAnalyzer();
  const a = analyzer.analyze(
    'struct bpf_map_def SEC("maps") tx = {\n .type = BPF_MAP_TYPE_DEVMAP,\n .key_size = sizeof(int),\n .value_size = 16,\n .max_entries = 8,\n};\n',
  );
  assert.deepEqual(
    a.model.maps.map((x) => [x.name, x.style, x.type?.value, x.keySize, x.valueSize]),
    [['tx', 'legacy', 14, 4, 16]],
  );
  assert.deepEqual(
    a.diagnostics.map((d) => d.code),
    ['map-key-value-size'],
  );
});

test('a legacy map sized with sizeof(struct …) of the file gets the struct layout, as a BTF map does', async () => {
  const analyzer = await testAnalyzer();
  const a = analyzer.analyze(
    'struct flow { unsigned int saddr, daddr; unsigned short sport, dport; unsigned char proto; };\n' +
      'struct bpf_map_def SEC("maps") flows = {\n .type = BPF_MAP_TYPE_HASH,\n .key_size = sizeof(struct flow),\n' +
      ' .value_size = sizeof(long),\n .max_entries = 1024,\n};\n',
  );
  assert.deepEqual(
    a.model.maps.map((x) => [x.name, x.style, x.type?.value, x.keySize, x.valueSize, x.maxEntries]),
    [['flows', 'legacy', 1, 16, 8, 1024]],
  );
});

test('isBpfSource: *.bpf.c, bpf_helpers.h or SEC( — not other C files', () => {
  assert.equal(isBpfSource('/a/x.bpf.c', ''), true);
  assert.equal(isBpfSource('/a/x.c', '#include <bpf/bpf_helpers.h>\n'), true);
  assert.equal(isBpfSource('/a/x.c', 'SEC("xdp") int f(void *c) { return 2; }'), true);
  assert.equal(isBpfSource('/a/main.c', '#include <stdio.h>\nint main(void) { return 0; }\n'), false);
});

test('incremental re-analysis after edits gives the same result as a fresh analysis', async () => {
  const analyzer = await testAnalyzer();
  let text = fs.readFileSync(path.join(fixtures, 'bad/redirect_flags.bpf.c'), 'utf8');
  let prev = analyzer.analyze(text);
  const edits: [string, string][] = [
    ['XDP_REDIRECT);', 'XDP_PASS);'], // fixes one diagnostic
    ['#define MY_FLAGS 32', '#define MY_FLAGS 2'], // fixes another through a #define
    ['\tif (q == 3)', '\t/* é€😀 */\n\tif (q == 3)'], // non-ASCII text and a new line before the rest
    ['BPF_MAP_TYPE_DEVMAP', 'BPF_MAP_TYPE_ARRAY'], // a map type change far from the calls
    ['', ''],
  ];
  for (const [from, to] of edits) {
    text = text.replace(from, to);
    const inc = analyzer.analyze(text, prev);
    prev.dispose();
    const fresh = analyzer.analyze(text);
    assert.deepEqual(inc.diagnostics, fresh.diagnostics, `after replacing ${from}`);
    assert.equal(inc.model.tree.rootNode.toString(), fresh.model.tree.rootNode.toString());
    fresh.dispose();
    prev = inc;
  }
  assert.ok(
    prev.diagnostics.some((d) => d.code === 'redirect-map-type'),
    'the ARRAY map is now rejected by bpf_redirect_map',
  );
  prev.dispose();
});
