// Our side of a per-run row measured as users run the engine: each round in a fresh plain `node`
// process (no tsx, no bench code beside it) that requires the bundled engine, loads the object,
// warms up and times `repeat` test runs in its own CPU time.
//
// Why not in the bench's own process: (1) the bench files run under tsx, and the same bundle
// executes 10–25 % more instructions per run there than in a plain process (cachegrind, session 14:
// parser 728 vs 666, flow counter 1,210 vs 973, conntrack 2,944 vs 2,664) — `xdp-lab run` and the
// extension never run under tsx; (2) on this VM a process is fast or slow for its whole life (the
// same code read 171–177 ns per conntrack run in one process and 419–469 ns in the next, each
// round within ±5 % of its own process's: docs/vm.md), so rounds taken in one process measure one
// draw of that lottery. A fresh process per round samples it the way the kernel's side (a fresh
// bpftool per round) is sampled, and the pairs' median (pairedRounds.ts) does the rest.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ConntrackSpec } from '../../src/core/xdp/conntrack';

/** What a round's process loads and runs. */
export interface RoundSetup {
  /** The object file and loadObject's name for it. */
  object: string;
  name: string;
  program: string;
  frame: Uint8Array;
  /** Map entries written before the first run (userUpdate, flags 0). */
  updates?: readonly { map: string; key: readonly number[]; value: readonly number[] }[];
  /** Connections added to the object's conntrack table, in order. */
  conntrack?: readonly ConntrackSpec[];
  /** The return value the first run must give (a round of a broken setup measures nothing). */
  expect: number;
}

/** The child's script: plain CommonJS, so that nothing but Node and the bundle is in the process. */
const CHILD = String.raw`'use strict';
const fs = require('node:fs');
const [engineFile, setupFile, repeatArg] = process.argv.slice(2);
const E = require(engineFile);
const s = JSON.parse(fs.readFileSync(setupFile, 'utf8'));
const obj = E.loadObject(new Uint8Array(fs.readFileSync(s.object)), { name: s.name });
for (const u of s.updates || []) {
  const m = obj.map(u.map);
  if (!m) throw new Error('no map ' + u.map);
  m.userUpdate(new Uint8Array(u.key), new Uint8Array(u.value), 0);
}
(s.conntrack || []).forEach((c, i) => obj.system.conntrack.add(c, '[' + i + ']'));
const prog = obj.program(s.program);
if (!prog) throw new Error('no program ' + s.program);
const frame = new Uint8Array(s.frame);
const first = prog.testRun(frame);
if (first.fault || first.retval !== s.expect)
  throw new Error('the first run gave ' + first.retval + ' ' + (first.fault ? first.fault.message : ''));
// As the in-process rows did: 400 k runs of warm-up in ten rounds (V8 optimises on the way).
for (let i = 0; i < 10; i++) prog.testRun(frame, { repeat: 40000 });
const now = () => {
  const u = process.cpuUsage();
  return BigInt(u.user + u.system) * 1000n;
};
const r = prog.testRun(frame, { repeat: Number(repeatArg), now });
process.stdout.write(JSON.stringify({ nsPerRun: r.nsPerRun }) + '\n');
`;

/**
 * `(repeat) => CPU ns per run` of `setup` over `repeat` runs, each call in a new `node` process
 * (inheriting this process's CPU pin: pairedRounds.ts pinnedTo). `engineFile` is the bundle
 * bench/lib/bundledEngine.ts wrote (it must export loadObject); `dir` a scratch folder.
 */
export function oursInFreshProcesses(
  engineFile: string,
  setup: RoundSetup,
  dir: string,
): (repeat: number) => number {
  const tag = `${setup.name}-${setup.program}`;
  const child = path.join(dir, 'round-child.cjs');
  fs.writeFileSync(child, CHILD);
  const setupFile = path.join(dir, `round-${tag}.json`);
  fs.writeFileSync(setupFile, JSON.stringify({ ...setup, frame: [...setup.frame] }));
  return (repeat) => {
    const r = spawnSync(process.execPath, [child, engineFile, setupFile, String(repeat)], {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    const out = /\{"nsPerRun":[^}]*\}/.exec(String(r.stdout))?.[0];
    const ns = out ? (JSON.parse(out) as { nsPerRun?: number }).nsPerRun : undefined;
    if (r.status !== 0 || ns === undefined)
      throw new Error(`bench: a round of ${tag} in a fresh process failed: ${String(r.stderr).trim()}`);
    return ns;
  };
}
