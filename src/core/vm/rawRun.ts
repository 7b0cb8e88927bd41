// Runs raw eBPF bytecode with no object and no maps, the way ISA conformance runners drive a runtime
// (`xdp-lab exec`, cli.md): optional memory whose address is in r1, r10 at a 512-byte stack.
import { compile } from './compiler';
import type { CompiledProgram, VmTier } from './compiler';
import { placeRawMemory } from './wasm/wasmEnv';
import { decodeInsns, INSN_SIZE } from './isa';
import { DEFAULT_BUDGET, REGION_MEMORY } from './machine';
import { BpfSystem } from './bpfSystem';
import {
  helperArgs,
  helperDirect,
  helperImpl,
  TAIL_CALL_HELPER_ID,
  unsupportedHelper,
} from '../helpers/helperTable';
import type { RunnableProgram } from './machine';
import { ADDR_BASE, pairToBigInt } from './memory';
import { LoadError, VmFault } from './vmFault';

export interface RawRunResult {
  /** r0 as an unsigned 64-bit value. */
  r0: bigint;
  insns: number;
  /** The memory after the run (the program may write it). */
  memory: Uint8Array;
}

export interface RawRunOptions {
  /** Instruction budget (default 1 M; 0 or Infinity: unlimited). */
  budget?: number;
  /** Compilation tier (default 'js'). */
  tier?: VmTier;
}

/** Loads and runs `code`; throws LoadError (cannot load) or VmFault (faulted while running). */
export function runRaw(
  code: Uint8Array,
  memory: Uint8Array | undefined,
  opts: RawRunOptions = {},
): RawRunResult {
  if (code.length === 0) throw new LoadError('the program is empty');
  if (code.length % INSN_SIZE !== 0)
    throw new LoadError(`the program is ${code.length} bytes, not a multiple of 8`);
  const insns = decodeInsns(code);
  const fn = compile(insns, {
    checkHelper: (id, pc) =>
      unsupportedHelper(id, false) ? `pc ${pc}: ${unsupportedHelper(id, false)}` : undefined,
    tailCallHelper: TAIL_CALL_HELPER_ID,
    helperImpl,
    helperDirect,
    helperArgs,
    uninitFaults: false,
    tier: opts.tier ?? 'js',
  });
  const M = new BpfSystem().machine;
  // The wasm tier keeps the memory in its linear memory; the JS tier in a copy.
  const wasm = fn.name === 'wasmProgram';
  const mem = memory ? (wasm ? placeRawMemory(M, memory) : memory.slice()) : new Uint8Array(0);
  if (!wasm) M.R[REGION_MEMORY]?.setWindow(mem, 0, mem.length, true);
  const prog: RunnableProgram = {
    name: 'exec',
    compiled: (): CompiledProgram => fn,
    lineOf: () => undefined,
  };
  M.current = prog;
  M.budget = opts.budget === 0 ? Infinity : (opts.budget ?? DEFAULT_BUDGET);
  const r1h = memory ? REGION_MEMORY : 0;
  const r1l = memory ? ADDR_BASE : 0;
  // r2 = the memory length, as ISA conformance runners (bpf_conformance, uBPF) pass it.
  const lo = fn(M, 0, r1h, r1l, 0, memory ? mem.length : 0, 0, 0, 0, 0, 0, 0);
  return { r0: pairToBigInt(M.rh, lo), insns: M.n, memory: wasm ? mem.slice() : mem };
}

export { LoadError, VmFault };
