// Which stack slots a kept state's future may still read (kernel/bpf/liveness.c, new in Linux 6.18):
// path-insensitive, call-chain-sensitive may_read / must_write marks gathered per instruction as the
// walk processes it, and a backward data-flow fixpoint over the CFG that clean_func_state consults.
import type { Insn } from '../vm/isa';
import { successors } from './cfg';
import type { FuncState, VState } from './state';

/** A 64-slot mask (MAX_BPF_STACK / BPF_REG_SIZE) as two 32-bit halves: slots 0–31, 32–63. */
const LO = 0;
const HI = 1;

/** struct per_frame_masks for every instruction of one function instance, two words per mask. */
class FrameMasks {
  readonly mayRead: Uint32Array;
  readonly mustWrite: Uint32Array;
  readonly mustWriteAcc: Uint32Array;
  readonly liveBefore: Uint32Array;
  constructor(n: number) {
    this.mayRead = new Uint32Array(2 * n);
    this.mustWrite = new Uint32Array(2 * n);
    this.mustWriteAcc = new Uint32Array(2 * n);
    this.liveBefore = new Uint32Array(2 * n);
  }
}

/** struct func_instance: one function as reached through one chain of call sites. */
interface FuncInstance {
  /** compute_callchain: callsites[0..depth-1] and the function's first instruction. */
  readonly callsites: readonly number[];
  readonly start: number;
  readonly depth: number;
  readonly insnCnt: number;
  /** Per frame 0..depth (lazily, alloc_frame_masks). */
  readonly frames: (FrameMasks | undefined)[];
  readonly mustWriteSet: Uint8Array;
  updated: boolean;
  mustWriteDropped: boolean;
}

/** The walk in progress (do_check is not re-entrant): where stack reads and writes are recorded. */
let active: StackLiveness | undefined;

/** Runs `fn` with `live` receiving the stack marks of the walk (bpf_stack_liveness_init/free). */
export function withStackLiveness<T>(live: StackLiveness, fn: () => T): T {
  const outer = active;
  active = live;
  try {
    return fn();
  } finally {
    active = outer;
  }
}

/** bpf_mark_stack_read: the current instruction reads slot `spi` of frame `frameno`. */
export function markStackRead(st: VState, frameno: number, spi: number): void {
  active?.markRead(st, frameno, spi);
}

/** bpf_mark_stack_write: the current instruction writes all 8 bytes of slot `spi` of frame `frameno`. */
export function markStackWrite(frameno: number, spi: number): void {
  active?.markWrite(frameno, spi);
}

/** bpf_update_live_stack at a function's exit (prepare_func_exit), before its frame goes. */
export function updateStackLiveness(st: VState): void {
  active?.update(st);
}

export class StackLiveness {
  private readonly instances = new Map<string, FuncInstance>();
  /** The instances of call chains of one frame, by function start. */
  private readonly roots = new Map<number, FuncInstance>();
  /** The instruction whose writes are being gathered, per frame (write_masks_acc, write_insn_idx). */
  private writeInsn = -1;
  private writeInstance: FuncInstance | undefined;
  private readonly writeAcc = new Uint32Array(2 * 8);
  /** cur_instance: the instance of the state being walked, valid while `curState`/`curDepth` hold. */
  private curInstance: FuncInstance | undefined;
  private curFrame: FuncState | undefined;
  private curDepth = -1;
  /** insn_postorder per function start (check_cfg's DFS), the order of the fixpoint's sweeps. */
  private readonly postorder = new Map<number, Int32Array>();
  /** bpf_insn_successors of every insn, computed once: [count, first, second] (-1 when absent). */
  private readonly succ: Int32Array;

  constructor(
    private readonly insns: readonly Insn[],
    /** First instruction of each subprogram, ascending. */
    private readonly subprogs: readonly number[],
    /** bpf_calls_callback: the instruction calls a helper that runs a callback. */
    private readonly callsCallback: (pc: number) => boolean,
  ) {
    this.succ = new Int32Array(3 * insns.length).fill(-1);
    for (let pc = 0; pc < insns.length; pc++) {
      const t = insns[pc] ? successors(insns, pc) : [];
      this.succ[3 * pc] = t.length;
      for (let k = 0; k < t.length && k < 2; k++) this.succ[3 * pc + 1 + k] = t[k] as number;
    }
  }

  /** Instruction being processed (set by the walk before each one: bpf_reset_stack_write_marks). */
  pc = 0;

  private key(callsites: readonly number[], start: number): string {
    return callsites.length ? `${callsites.join(',')}|${start}` : `${start}`;
  }

  /** lookup_instance for `st` at depth `frameno` (created on first use, kept to the end). */
  private lookup(st: VState, frameno: number): FuncInstance {
    // The outermost frame (most lookups): no call chain to build.
    if (frameno === 0) {
      const start = (st.frames[0] as FuncState).subprog;
      return this.roots.get(start) ?? this.instanceOf([], start);
    }
    const callsites: number[] = [];
    for (let i = 0; i < frameno; i++) callsites.push((st.frames[i + 1] as FuncState).callsite);
    return this.instanceOf(callsites, (st.frames[frameno] as FuncState).subprog);
  }

  private instanceOf(callsites: readonly number[], start: number): FuncInstance {
    const k = this.key(callsites, start);
    let inst = this.instances.get(k);
    if (!inst) {
      const idx = this.subprogs.indexOf(start);
      const end =
        idx >= 0 && idx + 1 < this.subprogs.length ? (this.subprogs[idx + 1] as number) : this.insns.length;
      const n = Math.max(1, end - start);
      inst = {
        callsites,
        start,
        depth: callsites.length,
        insnCnt: n,
        frames: new Array<FrameMasks | undefined>(callsites.length + 1).fill(undefined),
        mustWriteSet: new Uint8Array(n),
        updated: false,
        mustWriteDropped: false,
      };
      this.instances.set(k, inst);
      if (!callsites.length) this.roots.set(start, inst);
    }
    return inst;
  }

  /** ensure_cur_instance: the instance of `st`'s innermost frame (cached while the frame stays). */
  private current(st: VState): FuncInstance {
    const depth = st.frames.length - 1;
    const top = st.frames[depth] as FuncState;
    if (!this.curInstance || this.curDepth !== depth || this.curFrame !== top) {
      this.curInstance = this.lookup(st, depth);
      this.curDepth = depth;
      this.curFrame = top;
    }
    return this.curInstance;
  }

  private masks(inst: FuncInstance, frame: number): FrameMasks {
    let m = inst.frames[frame];
    if (!m) {
      m = new FrameMasks(inst.insnCnt);
      inst.frames[frame] = m;
    }
    return m;
  }

  /** mark_stack_read into the current instance at the current instruction. */
  markRead(st: VState, frameno: number, spi: number): void {
    if (spi < 0 || spi > 63) return;
    const inst = this.current(st);
    const i = this.pc - inst.start;
    if (i < 0 || i >= inst.insnCnt) return;
    this.orRead(inst, frameno, i, spi < 32 ? 1 << spi : 0, spi >= 32 ? 1 << (spi - 32) : 0);
  }

  private orRead(inst: FuncInstance, frame: number, i: number, lo: number, hi: number): void {
    const m = this.masks(inst, frame);
    const r0 = m.mayRead[2 * i + LO] as number;
    const r1 = m.mayRead[2 * i + HI] as number;
    const n0 = (r0 | lo) >>> 0;
    const n1 = (r1 | hi) >>> 0;
    const l0 = m.liveBefore[2 * i + LO] as number;
    const l1 = m.liveBefore[2 * i + HI] as number;
    if ((n0 !== r0 || n1 !== r1) && ((n0 | l0) >>> 0 !== l0 || (n1 | l1) >>> 0 !== l1)) inst.updated = true;
    m.mayRead[2 * i + LO] = n0;
    m.mayRead[2 * i + HI] = n1;
  }

  /** bpf_reset_stack_write_marks: the walk is about to process `pc` in `st`. */
  resetWrites(st: VState, pc: number): void {
    this.pc = pc;
    this.writeInsn = pc;
    this.writeInstance = this.current(st);
    for (let k = 0; k < 2 * st.frames.length && k < 16; k++) this.writeAcc[k] = 0;
  }

  markWrite(frameno: number, spi: number): void {
    if (spi < 0 || spi > 63 || frameno > 7) return;
    if (spi < 32)
      this.writeAcc[2 * frameno + LO] = ((this.writeAcc[2 * frameno + LO] as number) | (1 << spi)) >>> 0;
    else
      this.writeAcc[2 * frameno + HI] =
        ((this.writeAcc[2 * frameno + HI] as number) | (1 << (spi - 32))) >>> 0;
  }

  /**
   * bpf_commit_stack_write_marks after the instruction. A call into a function or a return from
   * one changed the call chain meanwhile (cur_instance was reset): nothing is committed then.
   */
  commitWrites(st: VState): void {
    const inst = this.writeInstance;
    if (!inst || inst.depth !== st.frames.length - 1 || this.current(st) !== inst) return;
    this.commit(inst, this.writeInsn);
  }

  /** commit_stack_write_marks: must_write is the intersection over every visit of the instruction. */
  private commit(inst: FuncInstance, pc: number): void {
    const i = pc - inst.start;
    if (i < 0 || i >= inst.insnCnt) return;
    const seen = inst.mustWriteSet[i] === 1;
    for (let frame = 0; frame <= inst.depth; frame++) {
      let lo = this.writeAcc[2 * frame + LO] as number;
      let hi = this.writeAcc[2 * frame + HI] as number;
      if (lo === 0 && hi === 0 && !seen) continue;
      const m = this.masks(inst, frame);
      const o0 = m.mustWrite[2 * i + LO] as number;
      const o1 = m.mustWrite[2 * i + HI] as number;
      if (seen) {
        lo = (lo & o0) >>> 0;
        hi = (hi & o1) >>> 0;
      }
      if (o0 !== lo || o1 !== hi) {
        m.mustWrite[2 * i + LO] = lo;
        m.mustWrite[2 * i + HI] = hi;
        inst.updated = true;
      }
      if ((o0 & ~lo) !== 0 || (o1 & ~hi) !== 0) inst.mustWriteDropped = true;
    }
    inst.mustWriteSet[i] = 1;
  }

  /** bpf_update_live_stack: after a path ends and at a function's exit, for `st`'s call chain. */
  update(st: VState): void {
    this.curInstance = undefined;
    for (let frame = st.frames.length - 1; frame >= 0; frame--) {
      const inst = this.lookup(st, frame);
      if (inst.updated) {
        this.updateInstance(inst);
        inst.updated = false;
        inst.mustWriteDropped = false;
      }
    }
  }

  /** The function's instructions in check_cfg's DFS postorder (fall-through explored first). */
  private order(start: number, cnt: number): Int32Array {
    let po = this.postorder.get(start);
    if (po) return po;
    const out: number[] = [];
    const state = new Uint8Array(cnt);
    const stack: Array<[number, number]> = [[start, 0]];
    state[0] = 1;
    while (stack.length) {
      const top = stack[stack.length - 1] as [number, number];
      if (top[1] < (this.succ[3 * top[0]] as number)) {
        const t = this.succ[3 * top[0] + 1 + top[1]++] as number;
        const ti = t - start;
        if (ti >= 0 && ti < cnt && !state[ti]) {
          state[ti] = 1;
          stack.push([t, 0]);
        }
        continue;
      }
      out.push(top[0]);
      stack.pop();
    }
    po = Int32Array.from(out);
    this.postorder.set(start, po);
    return po;
  }

  /** update_instance: the live_before / must_write_acc fixpoint, then the caller learns of it. */
  private updateInstance(inst: FuncInstance): void {
    if (inst.mustWriteDropped) for (const m of inst.frames) if (m) m.mustWriteAcc.fill(0);
    const po = this.order(inst.start, inst.insnCnt);
    let changed: boolean;
    do {
      changed = false;
      for (let frame = 0; frame <= inst.depth; frame++) {
        const m = inst.frames[frame];
        if (!m) continue;
        for (let k = 0; k < po.length; k++) if (this.updateInsn(inst, m, po[k] as number)) changed = true;
      }
    } while (changed);
    if (inst.depth > 0) this.propagateToOuter(inst);
  }

  /** update_insn: live_before = (∪ succ.live_before \ must_write) ∪ may_read; must_write_acc likewise. */
  private updateInsn(inst: FuncInstance, m: FrameMasks, pc: number): boolean {
    const cnt = this.succ[3 * pc] as number;
    if (cnt <= 0) return false;
    const i = pc - inst.start;
    let after0 = 0;
    let after1 = 0;
    let acc0 = 0xffffffff;
    let acc1 = 0xffffffff;
    for (let k = 0; k < cnt; k++) {
      const s = (this.succ[3 * pc + 1 + k] as number) - inst.start;
      if (s < 0 || s >= inst.insnCnt) continue;
      after0 |= m.liveBefore[2 * s + LO] as number;
      after1 |= m.liveBefore[2 * s + HI] as number;
      acc0 &= m.mustWriteAcc[2 * s + LO] as number;
      acc1 &= m.mustWriteAcc[2 * s + HI] as number;
    }
    const w0 = m.mustWrite[2 * i + LO] as number;
    const w1 = m.mustWrite[2 * i + HI] as number;
    acc0 = (acc0 | w0) >>> 0;
    acc1 = (acc1 | w1) >>> 0;
    const b0 = ((after0 & ~w0) | (m.mayRead[2 * i + LO] as number)) >>> 0;
    const b1 = ((after1 & ~w1) | (m.mayRead[2 * i + HI] as number)) >>> 0;
    const changed =
      b0 !== m.liveBefore[2 * i + LO] ||
      b1 !== m.liveBefore[2 * i + HI] ||
      acc0 !== m.mustWriteAcc[2 * i + LO] ||
      acc1 !== m.mustWriteAcc[2 * i + HI];
    m.liveBefore[2 * i + LO] = b0;
    m.liveBefore[2 * i + HI] = b1;
    m.mustWriteAcc[2 * i + LO] = acc0;
    m.mustWriteAcc[2 * i + HI] = acc1;
    return changed;
  }

  /**
   * propagate_to_outer_instance: what the function's entry may read of its callers' frames is read
   * at the call site, and what every path through it writes is written there.
   */
  private propagateToOuter(inst: FuncInstance): void {
    const callsite = inst.callsites[inst.depth - 1] as number;
    const outer = this.instanceOf(inst.callsites.slice(0, inst.depth - 1), this.subprogOf(callsite));
    const savedInsn = this.writeInsn;
    const savedAcc = this.writeAcc.slice();
    this.writeAcc.fill(0);
    for (let frame = 0; frame < inst.depth; frame++) {
      const m = inst.frames[frame];
      if (!m) continue;
      this.writeAcc[2 * frame + LO] = m.mustWriteAcc[LO] as number;
      this.writeAcc[2 * frame + HI] = m.mustWriteAcc[HI] as number;
      const i = callsite - outer.start;
      if (i >= 0 && i < outer.insnCnt)
        this.orRead(outer, frame, i, m.liveBefore[LO] as number, m.liveBefore[HI] as number);
    }
    this.commit(outer, callsite);
    this.writeInsn = savedInsn;
    this.writeAcc.set(savedAcc);
  }

  /** bpf_find_containing_subprog */
  private subprogOf(pc: number): number {
    let s = 0;
    for (const start of this.subprogs) if (start <= pc) s = start;
    return s;
  }

  /**
   * bpf_live_stack_query_init + bpf_stack_slot_alive for a kept state at instruction `pc`: whether
   * slot `spi` of frame `frameno` may still be read — before `pc` in the innermost function, or
   * after (before, for a callback-calling helper) the call each outer frame is making.
   */
  alive(st: VState, pc: number, frameno: number, spi: number): boolean {
    const depth = st.frames.length - 1;
    const cur = this.lookup(st, depth);
    if (this.liveBefore(cur, pc, frameno, spi)) return true;
    for (let i = frameno; i < depth; i++) {
      const callsite = cur.callsites[i] as number;
      const inst = this.lookup(st, i);
      const at = this.callsCallback(callsite) ? callsite : callsite + 1;
      if (this.liveBefore(inst, at, frameno, spi)) return true;
    }
    return false;
  }

  private liveBefore(inst: FuncInstance, pc: number, frame: number, spi: number): boolean {
    const m = inst.frames[frame];
    const i = pc - inst.start;
    if (!m || i < 0 || i >= inst.insnCnt) return false;
    const word = m.liveBefore[2 * i + (spi < 32 ? LO : HI)] as number;
    return (word & (1 << (spi & 31))) !== 0;
  }
}
