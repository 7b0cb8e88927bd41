// Benchmarks of the XDP debugger (issue 14 "Speed"): a session's start (initialize → launch →
// breakpoint → stopped, target < 500 ms), one step's answer (next + stackTrace + scopes + locals, target
// < 50 ms) on the debugger fixture and at the end of a 1 M-instruction run (memory moves along the store
// log), a stop behind a helper call (still a replay), and the memory a 1 M-instruction record holds (< 200 MB).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { DapSession } from '../src/core/debug/dapSession';
import type { DapMessage, LaunchInput } from '../src/core/debug/dapMessages';
import { DebugTarget } from '../src/core/debug/debugTarget';
import { buildFrame } from '../src/core/packet/frameBuilder';

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  target?: number;
}

const fixtures = path.resolve(__dirname, '../test/fixtures/programs');

function input(object: Uint8Array, budget?: number): LaunchInput {
  return {
    object,
    objectName: 'bench',
    frame: buildFrame({ udp: { dport: 9 } }),
    frameLabel: 'bench',
    stopOnEntry: false,
    ingressIfindex: 1,
    rxQueueIndex: 0,
    cpu: 0,
    ...(budget ? { budget } : {}),
  };
}

/** A session driven like a client; `stopped` resolves on each stopped/terminated event. */
function client(inp: LaunchInput): {
  req(c: string, a?: Record<string, unknown>): Promise<unknown>;
  session: DapSession;
} {
  let seq = 1;
  let last: unknown;
  const s = new DapSession({
    prepare: () => Promise.resolve(inp),
    send: (m: DapMessage) => {
      if (m.type === 'response') last = m.body;
    },
  });
  return {
    session: s,
    req: async (command, args = {}) => {
      await s.handle({ seq: seq++, type: 'request', command, arguments: args });
      return last;
    },
  };
}

async function stepCycle(c: ReturnType<typeof client>, command: string): Promise<number> {
  const t0 = performance.now();
  await c.req(command, { threadId: 1 });
  await c.req('stackTrace', { threadId: 1 });
  const scopes = (await c.req('scopes', { frameId: 1 })) as { scopes: { variablesReference: number }[] };
  await c.req('variables', { variablesReference: scopes.scopes[0]?.variablesReference });
  return performance.now() - t0;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? 0;

/** A loop of about 1 M instructions (compiled here: the bench needs clang). */
const SPIN_C = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int xdp_spin(struct xdp_md *ctx)
{
	__u32 h = ctx->ingress_ifindex;
	for (int i = 0; i < 100000; i++) {
		h = h * 31 + i;
		asm volatile("" : "+r"(h));
	}
	return h & 1 ? XDP_PASS : XDP_DROP;
}
char _license[] SEC("license") = "GPL";
`;

/** The same loop with a helper call in it: a stop behind a call is rebuilt by a replay. */
const SPIN_CALL_C = SPIN_C.replace('h = h * 31 + i;', 'h = h * 31 + i + bpf_get_smp_processor_id();');

export async function runBench(): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  const obj = new Uint8Array(fs.readFileSync(path.join(fixtures, 'obj/debugme.bpf.o')));
  const src = path.join(fixtures, 'debugme.bpf.c');
  const line =
    fs
      .readFileSync(src, 'utf8')
      .split('\n')
      .findIndex((l) => l.includes('if ((void *)(eth + 1)')) + 1;
  // Warm the JIT once, then time a fresh session.
  for (let k = 0; k < 2; k++) {
    const t0 = performance.now();
    const c = client(input(obj));
    await c.req('initialize');
    await c.req('launch', { program: 'x' });
    await c.req('setBreakpoints', { source: { path: src }, breakpoints: [{ line }] });
    await c.req('configurationDone');
    await c.req('stackTrace', { threadId: 1 });
    const t = performance.now() - t0;
    if (k === 1)
      rows.push({ name: 'debugger: session start to the first stop', value: t, unit: 'ms', target: 500 });
    const steps: number[] = [];
    for (let i = 0; i < 10; i++) steps.push(await stepCycle(c, i % 3 === 2 ? 'stepBack' : 'next'));
    if (k === 1)
      rows.push({
        name: 'debugger: step (next + stack + locals), median',
        value: median(steps),
        unit: 'ms',
        target: 50,
      });
  }

  // The Registers scope's kinds come from one walk of our verifier per program
  // (src/core/debug/verifierKinds.ts). A client that asks for Registers at the first stop before the
  // adapter was idle pays it on that request; once the client has been quiet (node/debug/idleWork.ts
  // runs DapSession.idle), the request answers from the walk's cache. Both timed, warm (second round).
  for (const file of ['debugme.bpf.o', 'conntrack.bpf.o']) {
    const bytes = new Uint8Array(fs.readFileSync(path.join(fixtures, 'obj', file)));
    const stopped = async (): Promise<ReturnType<typeof client>> => {
      const c = client({ ...input(bytes), stopOnEntry: true });
      await c.req('initialize');
      await c.req('launch', { program: 'x' });
      await c.req('configurationDone');
      await c.req('stackTrace', { threadId: 1 });
      await c.req('scopes', { frameId: 1 });
      // Locals, expanded by default in VS Code: the stop's memory is rebuilt here, not in Registers.
      await c.req('variables', { variablesReference: 11 });
      return c;
    };
    const registers = async (c: ReturnType<typeof client>): Promise<number> => {
      const t0 = performance.now();
      await c.req('variables', { variablesReference: 1001 }); // Registers of frame 1 (dapVariables.ts)
      return performance.now() - t0;
    };
    let cold = 0;
    let idleMs = 0;
    let warm = 0;
    for (let k = 0; k < 2; k++) {
      cold = await registers(await stopped());
      const c = await stopped();
      const t0 = performance.now();
      while (c.session.idle());
      idleMs = performance.now() - t0;
      warm = await registers(c);
    }
    rows.push({
      name: `debugger: first Registers request at a stop, asked before the adapter was idle (${file})`,
      value: cold,
      unit: 'ms',
    });
    rows.push({
      name: `debugger: the verifier's walk in the adapter's idle time after the stop (${file})`,
      value: idleMs,
      unit: 'ms',
    });
    rows.push({
      name: `debugger: first Registers request at a stop, after idle time (${file})`,
      value: warm,
      unit: 'ms',
    });
  }

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-dbg-bench-'));
  /** Compiles `text` with clang (undefined without clang). */
  const compile = (name: string, text: string): Uint8Array | undefined => {
    const c = path.join(dir, `${name}.bpf.c`);
    fs.writeFileSync(c, text);
    const o = path.join(dir, `${name}.bpf.o`);
    const r = spawnSync('clang', [
      '-O2',
      '-g',
      '-target',
      'bpf',
      `-I/usr/include/${os.arch() === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`,
      '-c',
      c,
      '-o',
      o,
    ]);
    return r.status === 0 ? new Uint8Array(fs.readFileSync(o)) : undefined;
  };
  try {
    const spin = compile('spin', SPIN_C);
    if (!spin) return rows; // no clang: the 1 M rows are omitted
    (globalThis as { gc?: () => void }).gc?.();
    const before = process.memoryUsage();
    const t0 = performance.now();
    const target = new DebugTarget(input(spin, 2_000_000));
    const recordMs = performance.now() - t0;
    (globalThis as { gc?: () => void }).gc?.();
    const after = process.memoryUsage();
    const n = target.run.length;
    rows.push({
      name: `debugger: record a run of ${(n / 1e6).toFixed(2)} M instructions`,
      value: recordMs,
      unit: 'ms',
    });
    rows.push({
      name: 'debugger: recorded run, bytes held per 1 M instructions',
      value: ((target.run.byteSize / n) * 1e6) / 2 ** 20,
      unit: 'MB',
      target: 200,
    });
    rows.push({
      name: 'debugger: heap + array buffers grown by the 1 M recording',
      value: (after.heapUsed + after.arrayBuffers - before.heapUsed - before.arrayBuffers) / 2 ** 20,
      unit: 'MB',
      target: 200,
    });
    // Stop on entry, then continue to a breakpoint on the final exit: the last steps of the run.
    const cl2 = client({ ...input(spin, 2_000_000), stopOnEntry: true });
    await cl2.req('initialize');
    await cl2.req('launch', { program: 'x' });
    await cl2.req('configurationDone');
    const tEnd: number[] = [];
    const d = (await cl2.req('disassemble', { memoryReference: '0x100000000', instructionCount: 64 })) as {
      instructions: { instruction: string; address: string }[];
    };
    const exit = [...d.instructions].reverse().find((i) => i.instruction === 'exit');
    await cl2.req('setInstructionBreakpoints', {
      breakpoints: exit ? [{ instructionReference: exit.address }] : [],
    });
    tEnd.push(await stepCycle(cl2, 'continue'));
    tEnd.push(await stepCycle(cl2, 'stepBack'));
    tEnd.push(await stepCycle(cl2, 'next'));
    rows.push({
      name: 'debugger: step at the end of the 1 M run, median',
      value: median(tEnd),
      unit: 'ms',
      target: 50,
    });
    // A helper call in the loop: memory before the last call is a replay of the whole run.
    const spinCall = compile('spincall', SPIN_CALL_C);
    if (spinCall) {
      const tc = new DebugTarget(input(spinCall, 2_000_000));
      const n2 = tc.run.length;
      let back = n2 - 1;
      while (back > 0 && tc.run.stores.segment(back) === tc.run.stores.segment(n2)) back--;
      const t1 = performance.now();
      tc.memoryAt(back);
      rows.push({
        name: 'debugger: memory at a stop behind the last helper call of a 1 M run (replay)',
        value: performance.now() - t1,
        unit: 'ms',
      });
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
  return rows;
}
