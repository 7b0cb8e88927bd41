// Benchmarks of the XDP C language support (issue #5 "Performance"): full analysis of a generated
// 5,000-line XDP file (target < 100 ms), time from didOpen to published diagnostics over LSP,
// completion latency p50/p95 (target p95 < 15 ms) and the server's memory after opening the file.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import type { CompletionList } from 'vscode-languageserver';
import { spawnServer, startInMemory } from '../test/lsp/lspClient';
import { testAnalyzer } from '../test/lsp/wasm';

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  target?: number;
}

/** A realistic large file: maps, parsing helpers and XDP programs repeated until `lines` lines. */
export function generateXdpFile(lines: number): string {
  const head = [
    '// SPDX-License-Identifier: GPL-2.0',
    '#include <linux/bpf.h>',
    '#include <linux/if_ether.h>',
    '#include <linux/ip.h>',
    '#include <linux/udp.h>',
    '#include <bpf/bpf_helpers.h>',
    '#include <bpf/bpf_endian.h>',
    '',
  ];
  const out = [...head];
  for (let i = 0; out.length < lines - 2; i++) {
    out.push(
      'struct {',
      `\t__uint(type, ${i % 3 === 0 ? 'BPF_MAP_TYPE_DEVMAP' : i % 3 === 1 ? 'BPF_MAP_TYPE_PERCPU_ARRAY' : 'BPF_MAP_TYPE_LRU_HASH'});`,
      '\t__type(key, __u32);',
      `\t__type(value, ${i % 3 === 0 ? 'struct bpf_devmap_val' : '__u64'});`,
      '\t__uint(max_entries, 64);',
      `} map_${i} SEC(".maps");`,
      '',
      `static __always_inline int parse_${i}(void *data, void *data_end, __u16 *proto)`,
      '{',
      '\tstruct ethhdr *eth = data;',
      '',
      '\tif ((void *)(eth + 1) > data_end)',
      '\t\treturn -1;',
      '\t*proto = eth->h_proto;',
      '\treturn sizeof(*eth);',
      '}',
      '',
      'SEC("xdp")',
      `int xdp_prog_${i}(struct xdp_md *ctx)`,
      '{',
      '\tvoid *data_end = (void *)(long)ctx->data_end;',
      '\tvoid *data = (void *)(long)ctx->data;',
      '\tstruct iphdr *iph;',
      '\t__u16 proto = 0;',
      '\t__u32 key = ctx->rx_queue_index;',
      `\tint off = parse_${i}(data, data_end, &proto);`,
      '',
      '\tif (off < 0)',
      '\t\treturn XDP_DROP;',
      '\tiph = data + sizeof(struct ethhdr);',
      '\tif ((void *)(iph + 1) > data_end)',
      '\t\treturn XDP_PASS;',
      '\tif (proto != bpf_htons(ETH_P_IP) || iph->ttl <= 1)',
      '\t\treturn XDP_PASS;',
      i % 3 === 0
        ? `\treturn bpf_redirect_map(&map_${i}, key & 63, XDP_PASS);`
        : `\treturn bpf_map_lookup_elem(&map_${i}, &key) ? XDP_TX : XDP_PASS;`,
      '}',
      '',
    );
  }
  out.push('char LICENSE[] SEC("license") = "GPL";', '');
  return out.join('\n');
}

const percentile = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const round = (x: number): number => Math.round(x * 100) / 100;

/** One fresh server's didOpen → diagnostics, in ms (a didOpen process prints it as its last line). */
interface DidOpenSample {
  wall: number;
  cpu: number;
}

/**
 * The same in-process bench up to the fresh server's didOpen, in a new process like this one (same
 * Node flags: tsx), which prints its sample. Why more than this process's one sample: what the
 * window costs is a draw made per process — whether V8's optimised code for the analysis is valid
 * when the new server's first analysis runs or is being (re)compiled by a background thread, and on
 * this VM whether the process is a fast or a slow one for its whole life (docs/vm.md) — and one
 * draw per bench run read 56-78 ms in three full runs and 92-99 ms in two (issue 16 goal 5).
 */
function didOpenInNewProcess(): DidOpenSample | undefined {
  const r = spawnSync(process.execPath, [...process.execArgv, __filename], {
    env: { ...process.env, XDP_LAB_BENCH_DIDOPEN_ONLY: '1' },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const last = r.stdout.trim().split('\n').pop() ?? '';
  try {
    const v = JSON.parse(last) as Partial<DidOpenSample>;
    return typeof v.wall === 'number' && typeof v.cpu === 'number' ? { wall: v.wall, cpu: v.cpu } : undefined;
  } catch {
    process.stderr.write(`analysis bench: a didOpen process gave no sample (exit ${r.status}): ${last}\n`);
    return undefined;
  }
}

/** `didOpenOnly`: a didOpen process's run, which stops after the fresh server's didOpen and hands
 * over its sample. */
export async function runBench(
  opts: { didOpenOnly?: (sample: DidOpenSample) => void } = {},
): Promise<BenchRow[]> {
  const text = generateXdpFile(5000);
  const rows: BenchRow[] = [];

  const analyzer = await testAnalyzer();
  // Warm-up: V8 tiers up both the JS and the WASM of tree-sitter over the first ~12 runs; a language
  // server analyses the same kind of text all day, so the steady state is the figure that matters.
  for (let i = 0; i < 15; i++) analyzer.analyze(text).dispose();
  const times: number[] = [];
  // CPU time as well as wall time: on a shared 2-core machine the wall time mostly measures the
  // neighbours; the process's own CPU time is the cost of the analysis.
  const cpu: number[] = [];
  for (let i = 0; i < 10; i++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    const a = analyzer.analyze(text);
    const c1 = process.cpuUsage(c0);
    times.push(performance.now() - t0);
    cpu.push((c1.user + c1.system) / 1000);
    if (a.diagnostics.length)
      throw new Error(`generated file should be clean, got ${a.diagnostics[0]?.message}`);
    a.dispose();
  }
  rows.push({
    name: 'analysis: full analysis of a 5,000-line XDP file (median)',
    value: round(percentile(times, 50)),
    unit: 'ms',
    target: 100,
  });
  rows.push({
    name: 'analysis: full analysis of a 5,000-line XDP file (fastest of 10)',
    value: round(Math.min(...times)),
    unit: 'ms',
  });
  rows.push({
    name: 'analysis: full analysis of a 5,000-line XDP file (CPU time, median)',
    value: round(percentile(cpu, 50)),
    unit: 'ms',
    target: 100,
  });

  // Typing: a few characters change in the middle of the file; the tree is reparsed incrementally.
  let prev = analyzer.analyze(text);
  const inc: number[] = [];
  const mid = text.indexOf('\treturn XDP_DROP;', text.length / 2);
  for (let i = 0; i < 10; i++) {
    const edited = text.slice(0, mid) + `\t/* ${i} */` + text.slice(mid);
    const t0 = performance.now();
    const a = analyzer.analyze(edited, prev);
    inc.push(performance.now() - t0);
    prev.dispose();
    prev = a;
  }
  prev.dispose();
  rows.push({
    name: 'analysis: re-analysis after an edit, 5,000 lines (incremental parse, median)',
    value: round(percentile(inc, 50)),
    unit: 'ms',
    target: 100,
  });

  // A fresh server (its own parser, document and state) in this process, whose JIT and tree-sitter
  // runtime the rows above warmed: the cost of opening a large file in a running editor. A new server
  // process pays more once (its own row below). Median of three processes: this one and two new ones
  // that run the same steps up to here (didOpenInNewProcess says why).
  const c = await startInMemory();
  try {
    const uri = 'untitled:bench5000.bpf.c';
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    await c.open(uri, text);
    await c.diagnostics(uri);
    const wall = performance.now() - t0;
    // CPU time of this process (client and in-memory server, all threads): on a shared machine the
    // wall clock mostly measures the neighbours.
    const used = process.cpuUsage(c0);
    const here = { wall, cpu: (used.user + used.system) / 1000 };
    if (opts.didOpenOnly) {
      opts.didOpenOnly(here);
      return rows;
    }
    const samples = [here];
    for (let k = 0; k < 2; k++) {
      const s = didOpenInNewProcess();
      if (s) samples.push(s);
    }
    rows.push({
      name: 'analysis: didOpen → diagnostics published, 5,000 lines (fresh server, cold, median of 3 processes)',
      value: round(
        percentile(
          samples.map((x) => x.wall),
          50,
        ),
      ),
      unit: 'ms',
      target: 100,
    });
    rows.push({
      name: 'analysis: didOpen → diagnostics published, 5,000 lines (fresh server, cold, CPU time, median of 3 processes)',
      value: round(
        percentile(
          samples.map((x) => x.cpu),
          50,
        ),
      ),
      unit: 'ms',
      target: 100,
    });

    const lines = text.split('\n');
    const spots: { line: number; character: number }[] = [];
    lines.forEach((l, i) => {
      if (l.includes('bpf_redirect_map(')) spots.push({ line: i, character: l.indexOf('(') + 1 });
      if (l.startsWith('\tint off')) spots.push({ line: i, character: 1 });
      if (l.includes('ctx->rx_queue_index')) spots.push({ line: i, character: l.indexOf('->') + 2 });
    });
    const lat: number[] = [];
    for (let i = 0; i < 300; i++) {
      const position = spots[(i * 7) % spots.length] ?? { line: 0, character: 0 };
      const t = performance.now();
      const list = await c.request<CompletionList>('textDocument/completion', {
        textDocument: { uri },
        position,
      });
      lat.push(performance.now() - t);
      if (!list.items.length) throw new Error('empty completion');
    }
    rows.push({
      name: 'analysis: completion latency p50 (5,000-line file)',
      value: round(percentile(lat, 50)),
      unit: 'ms',
    });
    rows.push({
      name: 'analysis: completion latency p95 (5,000-line file)',
      value: round(percentile(lat, 95)),
      unit: 'ms',
      target: 15,
    });

    // Inlay hints for one screen (60 lines) in the middle: the editor asks per visible range.
    const ih: number[] = [];
    for (let i = 0; i < 50; i++) {
      const line = 2000 + ((i * 97) % 2000);
      const t = performance.now();
      await c.request('textDocument/inlayHint', {
        textDocument: { uri },
        range: { start: { line, character: 0 }, end: { line: line + 60, character: 0 } },
      });
      ih.push(performance.now() - t);
    }
    rows.push({
      name: 'analysis: inlay hints for a 60-line range of a 5,000-line file, p95',
      value: round(percentile(ih, 95)),
      unit: 'ms',
    });

    // Go to definition into a header (issue 12): `struct iphdr` → linux/ip.h. The first lookup runs
    // clang -E -v once and indexes the headers on the way; later ones hit the per-mtime cache.
    const iph = lines.findIndex((l) => l.includes('struct iphdr *iph'));
    const defPos = { line: iph, character: (lines[iph] ?? '').indexOf('iphdr') + 2 };
    const d0 = performance.now();
    const first = await c.request<{ uri: string } | null>('textDocument/definition', {
      textDocument: { uri },
      position: defPos,
    });
    const cold = performance.now() - d0;
    if (first && !first.uri.endsWith('linux/ip.h')) throw new Error(`definition went to ${first.uri}`);
    if (first) {
      rows.push({
        name: 'analysis: go to definition into a header, first (clang -E -v + index)',
        value: round(cold),
        unit: 'ms',
      });
      const def: number[] = [];
      for (let i = 0; i < 50; i++) {
        const t = performance.now();
        await c.request('textDocument/definition', { textDocument: { uri }, position: defPos });
        def.push(performance.now() - t);
      }
      rows.push({
        name: 'analysis: go to definition into a header after the first index, p95',
        value: round(percentile(def, 95)),
        unit: 'ms',
        target: 200,
      });
    }
  } finally {
    await c.close();
  }

  const dist = path.resolve(__dirname, '../dist/server.js');
  if (fs.existsSync(dist)) {
    // From spawn: what a user waits for when the first XDP C file opens (the editor's own start and
    // the extension's activation aside) — Node's start, the bundle's load, initialize (tree-sitter's
    // WASM), then the didOpen below. The rows after it start at didOpen (issue 16 goal 5). Three new
    // processes, one after the other, medians reported: one process read 130, 61 and 102 ms in three
    // bench runs on this machine, the spread of a shared 2-core VM, not of the server.
    const runs: { total: number; wall: number; cpu?: number; rss?: number }[] = [];
    for (let k = 0; k < 3; k++) {
      const spawned = performance.now();
      const s = await spawnServer();
      try {
        const uri = 'untitled:bench5000.bpf.c';
        const pid = (s as unknown as { pid?: number }).pid;
        // A new server process, as the editor starts one: its first parse runs tree-sitter's WASM in
        // V8's baseline tier and the analysis' JS unoptimised, which the in-process rows above never see.
        const ticks = (): number | undefined => {
          const f = pid ? fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') : undefined;
          return f ? Number(f[11]) + Number(f[12]) : undefined;
        };
        const before = ticks();
        const t0 = performance.now();
        await s.open(uri, text);
        await s.diagnostics(uri);
        const wall = performance.now() - t0;
        const after = ticks();
        const rss = pid
          ? /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1]
          : undefined;
        runs.push({
          total: performance.now() - spawned,
          wall,
          // /proc/PID/stat counts clock ticks (USER_HZ, 100 on Linux).
          cpu: before !== undefined && after !== undefined ? (after - before) * 10 : undefined,
          rss: rss ? Number(rss) / 1024 : undefined,
        });
      } finally {
        await s.close();
      }
    }
    const median = (xs: (number | undefined)[]): number | undefined => {
      const ok = xs.filter((x): x is number => x !== undefined);
      return ok.length ? percentile(ok, 50) : undefined;
    };
    const push = (name: string, value: number | undefined, unit: string): void => {
      if (value !== undefined) rows.push({ name, value: round(value), unit });
    };
    push(
      'analysis: spawn → initialize → didOpen → diagnostics, 5,000 lines, new server process (median of 3)',
      median(runs.map((r) => r.total)),
      'ms',
    );
    push(
      'analysis: didOpen → diagnostics, 5,000 lines, new server process (dist/server.js, median of 3)',
      median(runs.map((r) => r.wall)),
      'ms',
    );
    push(
      'analysis: didOpen → diagnostics, 5,000 lines, new server process, server CPU time (median of 3)',
      median(runs.map((r) => r.cpu)),
      'ms',
    );
    push(
      'analysis: server memory (RSS) after opening the 5,000-line file',
      median(runs.map((r) => r.rss)),
      'MiB',
    );
  }
  return rows;
}

if (require.main === module && process.env.XDP_LAB_BENCH_DIDOPEN_ONLY === '1') {
  // A didOpen process (didOpenInNewProcess): its sample as the last line.
  runBench({ didOpenOnly: (sample) => console.log(JSON.stringify(sample)) }).then(
    () => undefined,
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
} else if (require.main === module) {
  runBench().then(
    (rows) =>
      rows.forEach((r) =>
        console.log(
          `${r.name}: ${r.value} ${r.unit}${r.target !== undefined ? ` (target ${r.target})` : ''}`,
        ),
      ),
    (e: unknown) => {
      console.error(e);
      process.exit(1);
    },
  );
}
