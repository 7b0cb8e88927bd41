// The program's shape before any state is tracked (verifier.c check_subprogs, check_cfg,
// compute_live_registers): subprogram starts, jump targets in range, instructions reached,
// prune points, back-edge targets, and the registers live before each instruction.
import { helperProto } from '../bpf/helperProtos';
import * as I from '../vm/isa';
import type { Insn } from '../vm/isa';
import { callsSyncCallback } from './callbackKinds';

/** prunePoints value of a helper call with a synchronous callback (calls_callback + force_checkpoint). */
export const PRUNE_CALLBACK = 2;
/** prunePoints value of a may_goto (BPF_JMP | BPF_JCOND): a forced checkpoint (visit_insn). */
export const PRUNE_MAY_GOTO = 3;

/** may_goto: a jump taken once its hidden loop budget runs out (the only BPF_JCOND). */
export const isMayGoto = (i: Insn): boolean => i.op === (I.BPF_JMP | JMP_JCOND);
const JMP_JCOND = 0xe0;

export interface Cfg {
  /** First instruction of each subprogram, 0 first, ascending. */
  subprogs: number[];
  /** Instructions where states are kept for pruning (is_prune_point). */
  prunePoints: Uint8Array;
  /** Instructions reached other than by falling through (is_jmp_point): each is a jump history entry. */
  jmpPoints: Uint8Array;
  /** Registers live before each instruction (bit r). */
  live: Uint16Array;
  /** compute_scc: the loop (strongly connected component) each instruction is in, 0 for none. */
  scc: Uint32Array;
}

export class CfgError extends Error {
  constructor(
    message: string,
    readonly insn: number,
  ) {
    super(message);
  }
}

const cls = (i: Insn): number => i.op & 7;
const isJmp = (i: Insn): boolean => cls(i) === I.BPF_JMP || cls(i) === I.BPF_JMP32;
const jop = (i: Insn): number => i.op & 0xf0;
export const isCall = (i: Insn): boolean => i.op === (I.BPF_JMP | I.JMP_CALL);
export const isExit = (i: Insn): boolean => i.op === (I.BPF_JMP | I.JMP_EXIT);
export const isPseudoCall = (i: Insn): boolean => isCall(i) && i.src === I.PSEUDO_CALL;
/** gotol (JMP32|JA) keeps its offset in imm. */
export const jaOffset = (i: Insn): number => (cls(i) === I.BPF_JMP32 ? i.imm : i.off);

/** Successors of insn `pc` (empty for exit). */
export function successors(insns: readonly Insn[], pc: number): number[] {
  const i = insns[pc] as Insn;
  if (I.isLdImm64(i)) return [pc + 2];
  if (!isJmp(i)) return [pc + 1];
  if (isExit(i)) return [];
  if (isCall(i)) return [pc + 1];
  // push_insn's `int w = t + off + 1`: a gotol's 32-bit offset wraps as the kernel's int does.
  if (jop(i) === I.JMP_JA) return [(pc + jaOffset(i) + 1) | 0];
  return [pc + 1, pc + i.off + 1];
}

/** check_subprogs + check_cfg */
export function buildCfg(insns: readonly Insn[], mainLength = 0): Cfg {
  const n = insns.length;
  if (n === 0) throw new CfgError('last insn is not an exit or jmp', 0);
  const starts = new Set<number>([0]);
  const ldimmSecond = new Uint8Array(n);
  for (let pc = 0; pc < n; pc++) {
    const i = insns[pc] as Insn;
    if (I.isLdImm64(i)) {
      // resolve_pseudo_ldimm64 (before check_cfg): the second half must exist and be all zero but imm.
      const next = insns[pc + 1];
      if (!next || next.op !== 0 || next.dst || next.src || next.off)
        throw new CfgError('invalid bpf_ld_imm64 insn', pc);
      ldimmSecond[pc + 1] = 1;
      if (i.src === I.PSEUDO_FUNC) starts.add(pc + i.imm + 1);
      pc++;
      continue;
    }
    if (isPseudoCall(i)) {
      const t = pc + i.imm + 1;
      if (t < 0 || t >= n) throw new CfgError(`function call to invalid destination`, pc);
      starts.add(t);
    }
  }
  const subprogs = [...starts].sort((a, b) => a - b);
  for (const s of subprogs)
    if (s < 0 || s >= n || ldimmSecond[s]) throw new CfgError('function call to invalid destination', s);

  // check_cfg: a walk from every subprogram start.
  const seen = new Uint8Array(n);
  const prune = new Uint8Array(n);
  const jmp = new Uint8Array(n);
  // A jump target is a prune point, without undoing a forced checkpoint (PRUNE_CALLBACK,
  // PRUNE_MAY_GOTO) the walk marked there first.
  const mark = (t: number): void => {
    prune[t] ||= 1;
    jmp[t] = 1;
  };
  const stack: number[] = [...subprogs];
  for (const s of subprogs) seen[s] = 1;
  while (stack.length) {
    const pc = stack.pop() as number;
    const i = insns[pc] as Insn;
    const succ = successors(insns, pc);
    const cond = isJmp(i) && !isCall(i) && !isExit(i) && jop(i) !== I.JMP_JA;
    if (isJmp(i) && !isCall(i) && !isExit(i)) {
      const t = succ[succ.length - 1] as number;
      if (t < 0 || t >= n) throw new CfgError(`jump out of range from insn ${pc} to ${t}`, pc);
      if (ldimmSecond[t]) throw new CfgError(`jump into the middle of ldimm64 insn ${t - 1}`, pc);
      // visit_insn: a conditional jump is a prune point itself; push_insn marks every jump's
      // target (the BRANCH edge, or the JA's only edge) as one too.
      if (cond) prune[pc] = 1;
      mark(t);
      if (isMayGoto(i)) {
        prune[pc] = PRUNE_MAY_GOTO;
        jmp[pc] = 1;
      }
    }
    // visit_func_call_insn: the instruction after a call; a bpf-to-bpf call and its callee's entry.
    if (isCall(i) && pc + 1 < n) mark(pc + 1);
    if (isPseudoCall(i)) {
      prune[pc] = 1;
      mark(pc + i.imm + 1);
    }
    // visit_insn: a callback's address (bpf_pseudo_func) is visited as a call of it.
    if (I.isLdImm64(i) && i.src === I.PSEUDO_FUNC && pc + 2 < n) {
      prune[pc] = 1;
      mark(pc + 2);
      mark(pc + i.imm + 1);
    }
    // A call whose callback may run any number of times: a forced checkpoint (PRUNE_CALLBACK).
    if (callsSyncCallback(i.op, i.src, i.imm)) {
      prune[pc] = PRUNE_CALLBACK;
      jmp[pc] = 1;
    }
    for (const t of succ) {
      if (t >= n) throw new CfgError('last insn is not an exit or jmp', n - 1);
      if (!seen[t]) {
        seen[t] = 1;
        stack.push(t);
      }
    }
  }
  // Unreachable instructions inside the extent a subprogram's own flow covers (the rest of .text
  // may hold functions libbpf would not have appended).
  for (let k = 0; k < subprogs.length; k++) {
    const s = subprogs[k] as number;
    const end = (subprogs[k + 1] ?? n) - 1;
    // The program's own function is known whole; .text functions up to their last reached insn.
    let last = s === 0 && mainLength > 0 ? Math.min(end, mainLength - 1) : s;
    for (let pc = s; pc <= end; pc++) if (seen[pc] && pc > last) last = pc;
    for (let pc = s; pc <= last; pc++)
      if (!seen[pc] && !ldimmSecond[pc]) throw new CfgError(`unreachable insn ${pc}`, pc);
  }
  return {
    subprogs,
    prunePoints: prune,
    jmpPoints: jmp,
    live: computeLive(insns, seen),
    scc: computeScc(insns, seen),
  };
}

/** Registers read (use) and written (def) by one instruction. */
function useDef(i: Insn): [number, number] {
  const c = cls(i);
  const b = (r: number): number => 1 << (r & 15);
  switch (c) {
    case I.BPF_ALU:
    case I.BPF_ALU64: {
      const op = i.op & 0xf0;
      const srcX = (i.op & I.BPF_X) !== 0 && op !== I.ALU_END && op !== I.ALU_NEG;
      if (op === I.ALU_MOV) return [srcX ? b(i.src) : 0, b(i.dst)];
      return [b(i.dst) | (srcX ? b(i.src) : 0), b(i.dst)];
    }
    case I.BPF_LDX:
      return [b(i.src), b(i.dst)];
    case I.BPF_ST:
      return [b(i.dst), 0];
    case I.BPF_STX:
      if ((i.op & 0xe0) === I.BPF_ATOMIC) {
        const fetch = (i.imm & I.ATOMIC_FETCH) !== 0;
        const cmpx = i.imm === I.ATOMIC_CMPXCHG;
        return [b(i.dst) | b(i.src) | (cmpx ? 1 : 0), cmpx ? 1 : fetch ? b(i.src) : 0];
      }
      return [b(i.dst) | b(i.src), 0];
    case I.BPF_LD:
      return [0, b(i.dst)];
    default: {
      if (isExit(i)) return [1, 0];
      // get_call_summary: a helper reads only its own arguments (R1..Rn of its prototype).
      if (isCall(i)) {
        const proto = i.src === 0 ? helperProto(i.imm) : undefined;
        return [proto ? ((1 << (proto.args.length + 1)) - 2) & 0x3e : 0x3e, 0x3f];
      }
      if (jop(i) === I.JMP_JA || isMayGoto(i)) return [0, 0];
      return [b(i.dst) | ((i.op & I.BPF_X) !== 0 ? b(i.src) : 0), 0];
    }
  }
}

/** compute_live_registers: backward fixpoint over the reachable instructions. */
function computeLive(insns: readonly Insn[], seen: Uint8Array): Uint16Array {
  const n = insns.length;
  const live = new Uint16Array(n);
  const ud = insns.map((i) => useDef(i));
  let changed = true;
  for (let iter = 0; changed && iter < 64; iter++) {
    changed = false;
    for (let pc = n - 1; pc >= 0; pc--) {
      if (!seen[pc]) continue;
      let out = 0;
      for (const t of successors(insns, pc)) if (t < n) out |= live[t] as number;
      const [use, def] = ud[pc] as [number, number];
      const v = (use | (out & ~def)) & 0x7ff;
      if (v !== live[pc]) {
        live[pc] = v;
        changed = true;
      }
    }
  }
  if (changed) live.fill(0x7ff);
  return live;
}

/**
 * compute_scc: Tarjan's strongly connected components over the instruction graph (a call falls
 * through to the next instruction); a number only for components of two or more instructions or
 * an instruction that jumps to itself — the loops.
 */
function computeScc(insns: readonly Insn[], seen: Uint8Array): Uint32Array {
  const n = insns.length;
  const scc = new Uint32Array(n);
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const stack: number[] = [];
  let next = 0;
  let sccs = 0;
  for (let root = 0; root < n; root++) {
    if (!seen[root] || index[root] !== -1) continue;
    // Iterative DFS: frames of [insn, successor cursor].
    const work: Array<[number, number]> = [[root, 0]];
    index[root] = low[root] = next++;
    stack.push(root);
    onStack[root] = 1;
    while (work.length) {
      const top = work[work.length - 1] as [number, number];
      const v = top[0];
      const succ = successors(insns, v);
      if (top[1] < succ.length) {
        const w = succ[top[1]++] as number;
        if (w >= n) continue;
        if (index[w] === -1) {
          index[w] = low[w] = next++;
          stack.push(w);
          onStack[w] = 1;
          work.push([w, 0]);
        } else if (onStack[w]) low[v] = Math.min(low[v] as number, index[w] as number);
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) low[parent[0]] = Math.min(low[parent[0]] as number, low[v] as number);
      if (low[v] !== index[v]) continue;
      const members: number[] = [];
      for (;;) {
        const w = stack.pop() as number;
        onStack[w] = 0;
        members.push(w);
        if (w === v) break;
      }
      // One instruction is a loop of its own when it jumps to itself or calls a callback any
      // number of times (compute_scc's "implicit loop", bpf_calls_callback).
      const i = insns[v] as Insn;
      const selfLoop =
        members.length === 1 && (successors(insns, v).includes(v) || callsSyncCallback(i.op, i.src, i.imm));
      if (members.length > 1 || selfLoop) {
        sccs++;
        for (const w of members) scc[w] = sccs;
      }
    }
  }
  return scc;
}
