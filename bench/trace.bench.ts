// Benchmarks of the capture side (issue #7 "Performance", issue #16 goal 5): perf script text parsing
// throughput on a generated 1 M-event capture (target ≥ 50 MB/s per CPU second), and folding those
// events into the summary.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { bundledEngine } from './lib/bundledEngine';
import { checkCaptureFile, type CaptureFile } from '../src/core/trace/captureFile';
import { summarize } from '../src/core/trace/summary';
import { formatEvent, type XdpEvent } from '../src/core/trace/tracepoints';
import { parsePerfScript } from '../src/core/trace/perfScriptParse';

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  target?: number;
}

/** 1 M lines shaped like a real capture: perf's header, then a mix of the redirect-path events. */
function generate(n: number): string {
  const parts: string[] = [];
  for (let i = 0; i < n; i++) {
    const k = i % 4;
    const ev: XdpEvent =
      k === 0
        ? {
            name: 'xdp:xdp_redirect',
            prog_id: 130,
            act: 4,
            ifindex: 7,
            to_ifindex: 9,
            err: 0,
            map_id: 29,
            map_index: i % 16,
          }
        : k === 1
          ? {
              name: 'xdp:xdp_redirect_err',
              prog_id: 130,
              act: 4,
              ifindex: 7,
              to_ifindex: 9,
              err: -95,
              map_id: 29,
              map_index: 0,
            }
          : k === 2
            ? {
                name: 'xdp:xdp_devmap_xmit',
                from_ifindex: 7,
                act: 4,
                to_ifindex: 9,
                drops: 0,
                sent: 16,
                err: 0,
              }
            : {
                name: 'xdp:xdp_cpumap_kthread',
                map_id: 3,
                act: 4,
                cpu: 1,
                drops: 0,
                processed: 8,
                sched: 0,
                xdp_pass: 8,
                xdp_drop: 0,
                xdp_redirect: 0,
              };
    const t = (4241 + i / 1e6).toFixed(6);
    parts.push(`         python3  ${4946 + (i % 7)} [00${i % 2}] ${t.padStart(12)}: ${formatEvent(ev)}`);
  }
  return parts.join('\n') + '\n';
}

/**
 * One parse of `file` as `xdp-lab` and the extension host run it: the bundled parser in a fresh plain
 * `node` process (no tsx, no bench code beside it), cold (its JIT warm-up is part of the cost, as in
 * a CLI run), timed in that process's CPU time.
 */
const CHILD = String.raw`'use strict';
const fs = require('node:fs');
const [engineFile, file, expected] = process.argv.slice(2);
const { parsePerfScript } = require(engineFile);
const text = fs.readFileSync(file, 'utf8');
const c0 = process.cpuUsage();
const w0 = performance.now();
const r = parsePerfScript(text);
const wallMs = performance.now() - w0;
const c = process.cpuUsage(c0);
if (r.events.length !== Number(expected) || r.errors.length)
  throw new Error('parsed ' + r.events.length + ' events, ' + r.errors.length + ' errors');
process.stdout.write(JSON.stringify({ cpuMs: (c.user + c.system) / 1000, wallMs }) + '\n');
`;

function parseInFreshProcess(
  dir: string,
  engine: string,
  file: string,
  events: number,
): { cpuMs: number; wallMs: number } {
  const child = path.join(dir, 'parse-child.cjs');
  fs.writeFileSync(child, CHILD);
  const r = spawnSync(process.execPath, [child, engine, file, String(events)], {
    encoding: 'utf8',
    maxBuffer: 1 << 20,
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  const out = /\{"cpuMs":[^}]*\}/.exec(String(r.stdout))?.[0];
  if (r.status !== 0 || !out)
    throw new Error(`bench: a parse in a fresh process failed: ${String(r.stderr).trim()}`);
  return JSON.parse(out) as { cpuMs: number; wallMs: number };
}

export async function runBench(): Promise<BenchRow[]> {
  const text = generate(1_000_000);
  const mb = new TextEncoder().encode(text).length / 1e6;
  // The target row: best of three rounds, each one parse in a fresh process (parseInFreshProcess).
  // Not in this process: it runs under tsx (10-25 % more instructions for the same code, session 14,
  // docs/vm.md), and its warm-up parse, whose events die young, makes V8 decide never to pretenure
  // the event objects (--trace-pretenuring-statistics: "don't tenure"), so every later parse copies
  // each event through the young generation: 32 scavenges per parse instead of 12 in a process that
  // parses once, as `xdp-lab` and the extension host do.
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-trace-bench-'));
  let freshCpu = Infinity;
  let freshWall = Infinity;
  try {
    bundledEngine(dir, ['core/trace/perfScriptParse']);
    const file = path.join(dir, 'capture.txt');
    fs.writeFileSync(file, text);
    for (let round = 0; round < 3; round++) {
      const r = parseInFreshProcess(dir, path.join(dir, 'engine.cjs'), file, 1_000_000);
      freshCpu = Math.min(freshCpu, r.cpuMs / 1000);
      freshWall = Math.min(freshWall, r.wallMs / 1000);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  // The same parser in this process (tsx, after a warm-up parse), kept for comparison with earlier
  // sessions' figures. Best of three, timed in CPU seconds of this process as well as wall time: the
  // benchmark machines are shared (2 cores, other engineers' builds), and CPU time is what the parser
  // itself costs.
  parsePerfScript(text.slice(0, 200_000));
  let bestWall = Infinity;
  let bestCpu = Infinity;
  let parsed = parsePerfScript('');
  for (let run = 0; run < 3; run++) {
    const c0 = process.cpuUsage();
    const w0 = performance.now();
    parsed = parsePerfScript(text);
    const wall = (performance.now() - w0) / 1000;
    const c = process.cpuUsage(c0);
    bestWall = Math.min(bestWall, wall);
    bestCpu = Math.min(bestCpu, (c.user + c.system) / 1e6);
  }
  const t1 = performance.now();
  if (parsed.events.length !== 1_000_000 || parsed.errors.length)
    throw new Error(`bench: parsed ${parsed.events.length} events, ${parsed.errors.length} errors`);
  const s = summarize(parsed.events.map((e) => e.event));
  const t2 = performance.now();
  if (s.tracepoints['xdp:xdp_redirect'] !== 250_000) throw new Error('bench: wrong summary');
  // Reopening a saved 1 M-event perf capture: the extension host parses and validates the file; the
  // panel only ever receives the summary (protocol/capture.ts), so the UI's cost does not grow.
  const file: CaptureFile = {
    format: 'xdp-lab-capture',
    version: 1,
    host: 'bench',
    tool: 'perf',
    kernel: '6.18',
    startedAt: new Date(0).toISOString(),
    durationSeconds: 10,
    status: 'complete',
    summary: s,
    devices: {},
    events: parsed.events.map((e) => formatEvent(e.event)),
  };
  const json = JSON.stringify(file);
  const t3 = performance.now();
  const reopened = checkCaptureFile(JSON.parse(json));
  const t4 = performance.now();
  if (typeof reopened === 'string' || reopened.events?.length !== 1_000_000)
    throw new Error('bench: reopen failed');
  const viewBytes = JSON.stringify({
    capture: { ...file, events: undefined },
    running: false,
    eventCount: 1_000_000,
  }).length;
  return Promise.resolve([
    {
      name: 'perf script parsing throughput (1 M events, per CPU second, best of 3 fresh node processes, bundled)',
      value: Number((mb / freshCpu).toFixed(1)),
      unit: 'MB/s',
      target: 50,
    },
    {
      name: 'perf script parsing throughput (wall clock, best of 3 fresh node processes, bundled)',
      value: Number((mb / freshWall).toFixed(1)),
      unit: 'MB/s',
    },
    {
      name: 'perf script parsing, events per CPU second (fresh processes)',
      value: Math.round(1e6 / freshCpu),
      unit: 'events/s',
    },
    {
      name: 'perf script parsing throughput in the bench process (tsx, warmed up, per CPU second, best of 3)',
      value: Number((mb / bestCpu).toFixed(1)),
      unit: 'MB/s',
    },
    {
      name: 'perf script parsing throughput in the bench process (wall clock, best of 3)',
      value: Number((mb / bestWall).toFixed(1)),
      unit: 'MB/s',
    },
    { name: 'summary fold of 1 M events', value: Number((t2 - t1).toFixed(0)), unit: 'ms' },
    {
      name: `reopen a 1 M-event .xdpcapture.json (${(json.length / 1e6).toFixed(0)} MB): parse + validate`,
      value: Number((t4 - t3).toFixed(0)),
      unit: 'ms',
    },
    { name: 'capture panel state for a 1 M-event capture', value: viewBytes, unit: 'bytes' },
  ]);
}

if (process.argv[1] && /trace\.bench\.ts$/.test(process.argv[1])) {
  process.stdout.on('error', () => undefined); // `| head` closes the pipe early
  void runBench().then((rows) => {
    for (const r of rows)
      process.stdout.write(`${r.name}: ${r.value} ${r.unit}${r.target ? ` (target ${r.target})` : ''}\n`);
  });
}
