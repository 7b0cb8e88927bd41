// A recorded run of one XDP program (or of a libxdp dispatcher's chain, component after component): for
// every executed instruction its program, pc, call depth, the step that opened its stack frame and
// r0–r10 before it ran. The VM is deterministic, so stepping forward and back is navigation over this
// record; memory moves between steps along its store log.
import * as I from '../vm/isa';
import type { RunnableProgram } from '../vm/machine';
import { ADDR_BASE } from '../vm/memory';
import type { RunOptions, XdpProgram } from '../vm/xdpProgram';
import type { XdpBuffer, XdpRunContext, XdpRunResult } from '../vm/xdpRun';
import type { XdpDispatcher } from '../xdp/xdpDispatcher';
import { STEP_HIDDEN, STEP_PLAIN, StoreLog, stepKinds } from './storeLog';
import type { StepKinds } from './storeLog';

const CHUNK = 1 << 16;
/** int32 words of r0–r10 as (hi, lo) pairs per step. */
export const REG_WORDS = 22;

interface Chunk {
  pc: Int32Array;
  prog: Uint8Array;
  depth: Uint8Array;
  /** Frames on the stack (bpf-to-bpf calls and tail calls), 1 in the outermost. */
  frames: Uint8Array;
  frameStart: Int32Array;
  regs: Int32Array;
}

/** Thrown from the step hook to end a replay at a chosen step (not a VmFault: the run does not catch it). */
class ReplayStop extends Error {}

/** What one run needs: the program, a fresh buffer and context (a replay builds them again). */
export interface RunSetup {
  /** The program under debug; with `chain`, its first component. */
  program: XdpProgram;
  /** libxdp's dispatcher: the run goes through every component as the simulator runs it. */
  chain?: XdpDispatcher;
  buffer: XdpBuffer;
  ctx: XdpRunContext;
  budget?: number;
}

/** One run of `setup` under `opts`; `enter(i)` before chain component i (a lone program is component 0). */
function runSetup(setup: RunSetup, opts: RunOptions, enter: (component: number) => void): XdpRunResult {
  if (setup.chain) return setup.chain.runTraced(setup.buffer, setup.ctx, opts, enter);
  enter(0);
  return setup.program.run(setup.buffer, setup.ctx, opts);
}

export class RecordedRun {
  private readonly chunks: Chunk[] = [];
  /** Steps recorded (instructions executed, the faulting one included). */
  length = 0;
  /** Programs by index (tail calls add the programs they enter). */
  readonly programs: RunnableProgram[] = [];
  result: XdpRunResult = { action: 0, insns: 0 };
  /** Every store of the run and the steps with hidden effects. */
  readonly stores = new StoreLog();
  /** First step of each chain component that ran ([0] for a lone program). */
  readonly componentStarts: number[] = [];

  /** Runs `setup` to its end, recording every step. */
  static record(setup: RunSetup): RecordedRun {
    const rec = new RecordedRun();
    const M = setup.program.system.machine;
    const progIndex = new Map<RunnableProgram, number>();
    /** Open frames: the step of the call that opened each and the depth it runs at. */
    const frames: { step: number; depth: number }[] = [];
    let lastDepth = 0;
    let lastProg: RunnableProgram | undefined;
    let p = 0;
    const log = rec.stores;
    const kinds: StepKinds[] = [];
    let k: StepKinds = stepKinds(undefined);
    /** A chain component starts: its first step opens a root frame (the dispatcher's call), not a tail call. */
    let entering = false;
    const enter = (): void => {
      rec.componentStarts.push(rec.length);
      frames.length = 0;
      lastDepth = 0;
      entering = true;
    };
    const hook = (
      pc: number,
      a0: number,
      a1: number,
      a2: number,
      a3: number,
      a4: number,
      a5: number,
      a6: number,
      a7: number,
      a8: number,
      a9: number,
      a10: number,
      a11: number,
      a12: number,
      a13: number,
      a14: number,
      a15: number,
      a16: number,
      a17: number,
      a18: number,
      a19: number,
      a20: number,
      a21: number,
    ): void => {
      const i = rec.length;
      const cur = M.current as RunnableProgram;
      if (cur !== lastProg) {
        let q = progIndex.get(cur);
        if (q === undefined) {
          q = rec.programs.length;
          progIndex.set(cur, q);
          rec.programs.push(cur);
          kinds.push(stepKinds((cur as { insns?: readonly I.Insn[] }).insns));
        }
        p = q;
        k = kinds[q] as StepKinds;
      }
      const d = M.depth;
      if (entering) entering = false;
      else if (i > 0 && (d !== lastDepth || cur !== lastProg)) {
        if (d > lastDepth) frames.push({ step: i - 1, depth: d });
        else if (d < lastDepth)
          while (frames.length && (frames[frames.length - 1] as { depth: number }).depth > d) frames.pop();
        else if (cur !== lastProg) frames.push({ step: i - 1, depth: d }); // a tail call: its own frame
      }
      lastDepth = d;
      lastProg = cur;
      const ci = i >>> 16;
      const j = i & (CHUNK - 1);
      let c = rec.chunks[ci];
      if (c === undefined) {
        c = {
          pc: new Int32Array(CHUNK),
          prog: new Uint8Array(CHUNK),
          depth: new Uint8Array(CHUNK),
          frames: new Uint8Array(CHUNK),
          frameStart: new Int32Array(CHUNK),
          regs: new Int32Array(CHUNK * REG_WORDS),
        };
        rec.chunks.push(c);
      }
      c.pc[j] = pc;
      c.prog[j] = p;
      c.depth[j] = d;
      c.frames[j] = frames.length + 1;
      c.frameStart[j] = frames.length ? (frames[frames.length - 1] as { step: number }).step : -1;
      const r = c.regs;
      const o = j * REG_WORDS;
      r[o] = a0;
      r[o + 1] = a1;
      r[o + 2] = a2;
      r[o + 3] = a3;
      r[o + 4] = a4;
      r[o + 5] = a5;
      r[o + 6] = a6;
      r[o + 7] = a7;
      r[o + 8] = a8;
      r[o + 9] = a9;
      r[o + 10] = a10;
      r[o + 11] = a11;
      r[o + 12] = a12;
      r[o + 13] = a13;
      r[o + 14] = a14;
      r[o + 15] = a15;
      r[o + 16] = a16;
      r[o + 17] = a17;
      r[o + 18] = a18;
      r[o + 19] = a19;
      r[o + 20] = a20;
      r[o + 21] = a21;
      rec.length = i + 1;
      log.settle(M.R);
      const kind = pc < k.kind.length ? (k.kind[pc] as number) : STEP_HIDDEN;
      if (kind === STEP_HIDDEN) log.hide(i);
      else if (kind !== STEP_PLAIN) {
        const d2 = o + 2 * (k.dst[pc] as number);
        log.store(M.R, i, r[d2] as number, (r[d2 + 1] as number) - ADDR_BASE + (k.off[pc] as number), kind);
      }
    };
    rec.result = runSetup(
      setup,
      { onRawStep: hook, ...(setup.budget !== undefined ? { budget: setup.budget } : {}) },
      enter,
    );
    log.settle(M.R);
    // The final exit ends the run: nothing it hides happens before the end.
    const last = rec.length - 1;
    if (last >= 0 && !rec.result.fault) {
      const q = rec.programIndex(last);
      const pcl = rec.pc(last);
      const ins = (rec.programs[q] as { insns?: readonly I.Insn[] }).insns?.[pcl];
      if (ins && ins.op === (I.BPF_JMP | I.JMP_EXIT)) log.unhideLast(last);
    }
    return rec;
  }

  /**
   * Runs `setup` (a fresh copy of the recorded run's inputs) and stops before step `step` executes,
   * leaving the machine's memory (stack, packet, maps) as it was at that step.
   */
  static replayTo(setup: RunSetup, step: number): void {
    let n = 0;
    const stopAt = step;
    try {
      runSetup(
        setup,
        {
          onRawStep: () => {
            if (n++ === stopAt) throw new ReplayStop();
          },
          ...(setup.budget !== undefined ? { budget: setup.budget } : {}),
        },
        () => undefined,
      );
    } catch (e) {
      if (!(e instanceof ReplayStop)) throw e;
    }
  }

  private chunk(i: number): Chunk {
    const c = this.chunks[i >>> 16];
    if (c === undefined || i < 0 || i >= this.length)
      throw new RangeError(`step ${i} is outside the run (0..${this.length - 1})`);
    return c;
  }
  pc(i: number): number {
    return this.chunk(i).pc[i & (CHUNK - 1)] as number;
  }
  programIndex(i: number): number {
    return this.chunk(i).prog[i & (CHUNK - 1)] as number;
  }
  program(i: number): RunnableProgram {
    return this.programs[this.programIndex(i)] as RunnableProgram;
  }
  depth(i: number): number {
    return this.chunk(i).depth[i & (CHUNK - 1)] as number;
  }
  /** Frames on the stack at step i (1 in the outermost). */
  frameCount(i: number): number {
    return this.chunk(i).frames[i & (CHUNK - 1)] as number;
  }
  /** The step of the call that opened step i's frame (-1 in the outermost frame). */
  frameStart(i: number): number {
    return this.chunk(i).frameStart[i & (CHUNK - 1)] as number;
  }
  /** The chain component step i belongs to (0 for a lone program). */
  component(i: number): number {
    const s = this.componentStarts;
    let c = 0;
    while (c + 1 < s.length && (s[c + 1] as number) <= i) c++;
    return c;
  }
  /** The first step of step i's component. */
  componentStart(i: number): number {
    return this.componentStarts[this.component(i)] ?? 0;
  }
  /** The step after step i's component ends (the next component's first step, or the run's length). */
  componentEnd(i: number): number {
    return this.componentStarts[this.component(i) + 1] ?? this.length;
  }
  /** Register r as (hi, lo) before step i. */
  regHi(i: number, r: number): number {
    return this.chunk(i).regs[(i & (CHUNK - 1)) * REG_WORDS + 2 * r] as number;
  }
  regLo(i: number, r: number): number {
    return this.chunk(i).regs[(i & (CHUNK - 1)) * REG_WORDS + 2 * r + 1] as number;
  }
  reg(i: number, r: number): bigint {
    return (BigInt(this.regHi(i, r) >>> 0) << 32n) | BigInt(this.regLo(i, r) >>> 0);
  }
  /** The frames of step i, innermost first: each is the step where that frame currently is. */
  stack(i: number): number[] {
    const out = [i];
    for (let s = this.frameStart(i); s >= 0 && out.length < 64; s = this.frameStart(s)) out.push(s);
    return out;
  }
  /** Bytes the record holds (the bench's memory row). */
  get byteSize(): number {
    return this.chunks.length * CHUNK * (4 + 1 + 1 + 1 + 4 + REG_WORDS * 4) + this.stores.byteSize;
  }
}
