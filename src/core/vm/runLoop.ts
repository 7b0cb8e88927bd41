// The repetition loop of an untraced test run (bpf_test_run's loop over one xdp_buff), one copy per
// program: XdpProgram.repeatRuns calls it inside its try/catch, which turns a fault into the run's.
import type { CompiledProgram } from './compiler';
import type { Machine, RunnableProgram } from './machine';
import { ADDR_BASE, REGION_CTX } from './memory';

/** What the loop needs of the test run's frame, redirect record and map memory. */
export interface RunLoopParts {
  /** Restores the frame the last repetition wrote (Machine.packetDirty). */
  restore(): void;
}

/** Runs `repeat` repetitions of `prog` (compiled: `fast`) and returns r0 of the last, as u32. */
export type RunLoop = (
  M: Machine,
  prog: RunnableProgram,
  fast: CompiledProgram,
  frame: RunLoopParts,
  redirect: { reset(): void },
  mem: { readonly pending: readonly unknown[]; sweep(): void },
  repeat: number,
) => number;

/**
 * A wasm-tier program brings its own loop (wasmTier.ts repeatRuns, the module's `repeat`): from
 * the second repetition on, the repetitions that need nothing between them (no written packet,
 * no tail call, no import called) run inside the module; it returns how many it ran.
 *
 * Each repetition restores a frame the last one wrote, resets the redirect record (plain test-run
 * mode: every repetition is its own context, §1.2), sweeps the map-value region caches that grew
 * past their limit (no map-value pointer outlives a run), re-enters the packet, resets the per-run
 * counters, calls the program and follows its tail calls.
 */
const BODY = `
let action = 0;
const inModule = fast.repeatRuns;
for (let i = 0; i < repeat; i++) {
  if (i > 0 && M.packetDirty) frame.restore();
  redirect.reset();
  if (mem.pending.length) mem.sweep();
  if (i === 0) M.enterPacket(true);
  else M.enterPacketRepeat();
  M.n = 0;
  // A run that ended at its exit left depth 0, no call frames and no tail call pending; only tail
  // calls (also from sub-programs, which put M.current back) move the rest.
  if (i === 0 || M.tailCount !== 0 || M.current !== prog) {
    M.depth = 0;
    if (M.cs.length) M.cs.length = 0;
    M.tail = null;
    M.tailCount = 0;
    M.current = prog;
  }
  let lo;
  const k = i > 0 && inModule !== undefined ? inModule(M, repeat - i) : 0;
  if (k > 0) {
    i += k - 1;
    lo = inModule.lo;
  } else lo = fast(M, 0, ${REGION_CTX}, ${ADDR_BASE}, 0, 0, 0, 0, 0, 0, 0, 0);
  while (M.tail !== null) {
    const next = M.tail;
    M.tail = null;
    M.depth = 0;
    M.cs.length = 0;
    M.current = next;
    lo = next.compiled(false)(M, 0, ${REGION_CTX}, ${ADDR_BASE}, 0, 0, 0, 0, 0, 0, 0, 0);
  }
  action = lo >>> 0;
  if (M.kernelRefs.length) M.dropKernelRefs();
}
return action;`;

/**
 * A fresh copy of the loop. V8 keeps call feedback per function: one loop shared by all programs
 * sees each program's compiled function at its call site and calls them through its generic path;
 * a program's own loop sees one target and inlines it — for the wasm tier its small common entry
 * and the JS-to-Wasm call with it (a program alone in its process: 24 → 16 ns per run for a two-instruction program). Made from source, as compiler.ts makes
 * the JS tier's functions (the text is this file's, never the program's).
 */
export function makeRunLoop(): RunLoop {
  // eslint-disable-next-line @typescript-eslint/no-implied-eval
  const factory = new Function(
    `"use strict"; return function runLoop(M, prog, fast, frame, redirect, mem, repeat) {${BODY}\n};`,
  ) as () => RunLoop;
  return factory();
}
