// Which register reads may see an uninitialised register (the verifier's "R3 !read_ok"): a forward
// must-analysis over the control-flow graph. Registers it flags get a cheap run-time "written"
// flag in the compiled code, so a run faults exactly when it really reads an unwritten register
// (clang-built programs normally have none, and then the compiled code carries no extra work).
import * as I from './isa';
import type { Insn } from './isa';

export interface InitAnalysis {
  /** pc → registers read there that some path leaves unwritten. */
  flagged: Map<number, number[]>;
  /** Every register that needs a run-time flag. */
  tracked: number[];
}

/** Registers an instruction reads and writes; `clobbers` for calls (r1–r5 become unreadable). */
export function defsUses(
  i: Insn,
  helperArgs: (id: number) => number,
): { uses: number[]; defs: number[]; clobbers: boolean } {
  const cls = I.opClass(i.op);
  const x = (i.op & I.BPF_X) !== 0;
  if (cls === I.BPF_ALU || cls === I.BPF_ALU64) {
    const code = i.op & 0xf0;
    const uses = code === I.ALU_MOV ? [] : [i.dst];
    if (x && code !== I.ALU_END && code !== I.ALU_NEG) uses.push(i.src);
    return { uses, defs: [i.dst], clobbers: false };
  }
  if (cls === I.BPF_LD) return { uses: [], defs: [i.dst], clobbers: false };
  if (cls === I.BPF_LDX) return { uses: [i.src], defs: [i.dst], clobbers: false };
  if (cls === I.BPF_ST) return { uses: [i.dst], defs: [], clobbers: false };
  if (cls === I.BPF_STX) {
    if ((i.op & 0xe0) !== I.BPF_ATOMIC) return { uses: [i.dst, i.src], defs: [], clobbers: false };
    if (i.imm === I.ATOMIC_CMPXCHG) return { uses: [i.dst, i.src, 0], defs: [0], clobbers: false };
    return { uses: [i.dst, i.src], defs: i.imm & I.ATOMIC_FETCH ? [i.src] : [], clobbers: false };
  }
  const code = i.op & 0xf0;
  if (code === I.JMP_EXIT) return { uses: [0], defs: [], clobbers: false };
  if (code === I.JMP_CALL) {
    const n = i.src === 0 ? Math.min(5, helperArgs(i.imm)) : 0;
    return { uses: Array.from({ length: n }, (_, k) => k + 1), defs: [0], clobbers: true };
  }
  if (code === I.JMP_JA) return { uses: [], defs: [], clobbers: false };
  return { uses: x ? [i.dst, i.src] : [i.dst], defs: [], clobbers: false };
}

const ALL = 0x7ff;
const bit = (r: number): number => 1 << r;
const ARGS = bit(1) | bit(2) | bit(3) | bit(4) | bit(5);
/** At pc 0: the context (r1) and the frame pointer; at a sub-program or callback: r1–r5 and r10. */
export const MAIN_ENTRY = bit(1) | bit(10);
export const SUB_ENTRY = ARGS | bit(10);

/**
 * Where each sub-program starts and what kind it is (the kernel's add_subprog order): pc 0 is the
 * main program; a bpf-to-bpf call target is a static sub-program; an `ld_imm64 PSEUDO_FUNC`
 * target is a callback (bpf_loop, bpf_for_each_map_elem, timers). A function that is both is
 * treated as a callback (its exit rule is the stricter one).
 */
function subprograms(insns: readonly Insn[]): { starts: number[]; callbacks: Set<number> } {
  const starts = new Set<number>([0]);
  const callbacks = new Set<number>();
  insns.forEach((i, pc) => {
    if (I.isLdImm64(i) && i.src === I.PSEUDO_FUNC) {
      starts.add(pc + i.imm + 1);
      callbacks.add(pc + i.imm + 1);
    }
    if (I.opClass(i.op) === I.BPF_JMP && (i.op & 0xf0) === I.JMP_CALL && i.src === I.PSEUDO_CALL)
      starts.add(pc + i.imm + 1);
  });
  return { starts: [...starts].filter((p) => p >= 0 && p < insns.length).sort((a, b) => a - b), callbacks };
}

const isExit = (i: Insn): boolean => I.opClass(i.op) === I.BPF_JMP && (i.op & 0xf0) === I.JMP_EXIT;
const isPseudoCall = (i: Insn): boolean =>
  I.opClass(i.op) === I.BPF_JMP && (i.op & 0xf0) === I.JMP_CALL && i.src === I.PSEUDO_CALL;

export function analyzeInit(insns: readonly Insn[], helperArgs: (id: number) => number): InitAnalysis {
  const n = insns.length;
  const { starts, callbacks } = subprograms(insns);
  // owner[pc]: the start of the sub-program holding pc (sub-programs are contiguous ranges).
  const owner = new Int32Array(n);
  for (let k = 0, s = 0; k < n; k++) {
    while (s + 1 < starts.length && (starts[s + 1] as number) <= k) s++;
    owner[k] = starts[s] as number;
  }
  // An exit of a static sub-program does not read r0: prepare_func_exit() copies the callee's r0,
  // initialised or not, into the caller's (kernel/bpf/verifier.c), so only a later read in the
  // caller is refused ("R0 !read_ok"). The main program's exit (check_return_code) and a
  // callback's (R0 must be a scalar) read it.
  const exitReadsR0 = (pc: number): boolean => owner[pc] === 0 || callbacks.has(owner[pc] as number);
  const uses = (i: Insn, pc: number): number[] =>
    isExit(i) && !exitReadsR0(pc) ? [] : defsUses(i, helperArgs).uses;
  // Per static sub-program: is r0 written on every path to its exits? Starts optimistic and only
  // falls (a must-analysis), so re-running until no summary changes terminates.
  const r0AtExit = new Map<number, boolean>();
  const state = new Int32Array(n);
  for (let round = 0; round <= starts.length; round++) {
    flow(insns, state, r0AtExit, helperArgs);
    let changed = false;
    for (const start of starts) {
      if (start === 0 || callbacks.has(start)) continue;
      let all = true;
      for (let pc = start; pc < n && owner[pc] === start; pc++) {
        const s = state[pc] as number;
        if (s !== -1 && isExit(insns[pc] as Insn) && !(s & bit(0))) all = false;
      }
      if ((r0AtExit.get(start) ?? true) !== all) {
        r0AtExit.set(start, all);
        changed = true;
      }
    }
    if (!changed) break;
  }
  const flagged = new Map<number, number[]>();
  const tracked = new Set<number>();
  insns.forEach((i, pc) => {
    const s = state[pc] as number;
    if (s === -1 || s === ALL) return;
    const bad = [...new Set(uses(i, pc))].filter((r) => r <= 10 && !(s & bit(r)));
    if (bad.length) {
      flagged.set(pc, bad);
      bad.forEach((r) => tracked.add(r));
    }
  });
  return { flagged, tracked: [...tracked].sort((a, b) => a - b) };
}

/** One forward pass to the fixed point: state[pc] = registers written on every path to pc (-1: unreached). */
function flow(
  insns: readonly Insn[],
  state: Int32Array,
  r0AtExit: ReadonlyMap<number, boolean>,
  helperArgs: (id: number) => number,
): void {
  const n = insns.length;
  state.fill(-1);
  const work: number[] = [];
  const enter = (pc: number, mask: number): void => {
    if (pc < 0 || pc >= n) return;
    const old = state[pc] as number;
    const merged = old === -1 ? mask : old & mask;
    if (merged !== old) {
      state[pc] = merged;
      work.push(pc);
    }
  };
  enter(0, MAIN_ENTRY);
  insns.forEach((i, pc) => {
    if (I.isLdImm64(i) && i.src === I.PSEUDO_FUNC) enter(pc + i.imm + 1, SUB_ENTRY);
    if (isPseudoCall(i)) enter(pc + i.imm + 1, SUB_ENTRY);
  });
  while (work.length) {
    const pc = work.pop() as number;
    const i = insns[pc] as Insn;
    const du = defsUses(i, helperArgs);
    let out = state[pc] as number;
    if (du.clobbers) out &= ~ARGS;
    for (const d of du.defs) out |= bit(d);
    // After a bpf-to-bpf call r0 is what the callee left in it (written or not).
    if (isPseudoCall(i) && r0AtExit.get(pc + i.imm + 1) === false) out &= ~bit(0);
    const cls = I.opClass(i.op);
    const code = i.op & 0xf0;
    if (I.isLdImm64(i)) enter(pc + 2, out);
    else if (cls === I.BPF_JMP || cls === I.BPF_JMP32) {
      if (code === I.JMP_EXIT) continue;
      if (code === I.JMP_CALL) enter(pc + 1, out);
      else if (code === I.JMP_JA) enter(cls === I.BPF_JMP32 ? pc + i.imm + 1 : pc + i.off + 1, out);
      else {
        enter(pc + i.off + 1, out);
        enter(pc + 1, out);
      }
    } else enter(pc + 1, out);
  }
}
