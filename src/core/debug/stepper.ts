// Run control over a recorded run: continue, next / step in / step out by source line (or by
// instruction), step back and reverse continue, and the breakpoints (line, instruction, condition,
// hit count) each of them honours. Every answer is a step index of the record, or 'end'.
import type { RunnableProgram } from '../vm/machine';
import type { DebugTarget } from './debugTarget';
import type { SourcePos } from './programDebugInfo';

export interface Breakpoint {
  id: number;
  /** Program and pc pairs where it fires (programs by identity: a chain's objects may share names). */
  targets: { program: RunnableProgram; pc: number }[];
  /** A line breakpoint fires when its line is entered, not on every instruction of it. */
  line: boolean;
  condition?: string;
  hitCondition?: string;
}

export type StepResult = { step: number; reason: string; bps?: number[] } | 'end';

/** `N` (at least the N-th hit), `==N`, `>N`, `>=N`, `<N`, `<=N`, `%N` (every N-th). */
export function hitConditionHolds(cond: string, hit: number): boolean {
  const m = /^\s*(==|>=|<=|>|<|%)?\s*(\d+)\s*$/.exec(cond);
  if (!m) return true;
  const n = Number(m[2]);
  switch (m[1]) {
    case '==':
      return hit === n;
    case '>':
      return hit > n;
    case '>=':
    case undefined:
      return hit >= n;
    case '<':
      return hit < n;
    case '<=':
      return hit <= n;
    default:
      return n > 0 && hit % n === 0;
  }
}

/** The line a breakpoint on `line` of `path` lands on (the next line with code) and its pcs. */
export function findLineBreakpoint(
  t: DebugTarget,
  path: string,
  line: number,
): { line: number; targets: Breakpoint['targets'] } | undefined {
  let best = Infinity;
  for (const p of t.programs) for (const l of t.info(p).linesOf(path)) if (l >= line && l < best) best = l;
  if (best === Infinity) return undefined;
  const targets = t.programs.flatMap((p) =>
    t
      .info(p)
      .pcsOfLine(path, best)
      .map((pc) => ({ program: p, pc })),
  );
  return { line: best, targets };
}

export class Stepper {
  private readonly lines = new Map<RunnableProgram, (SourcePos | undefined)[]>();
  /** Per program (by record index): a number per pc naming its source line (0: none). */
  private readonly lineIds: Int32Array[] = [];
  private readonly lineNames = new Map<string, number>();
  private hits = new Map<Breakpoint, number[]>();

  constructor(
    private readonly t: DebugTarget,
    private readonly condition: (step: number, bp: Breakpoint) => boolean,
  ) {}

  /** Breakpoints changed: hit lists are recomputed on demand. */
  invalidate(): void {
    this.hits = new Map();
  }

  private get n(): number {
    return this.t.run.length;
  }

  lineAt(i: number): SourcePos | undefined {
    const run = this.t.run;
    const prog = run.program(i);
    let table = this.lines.get(prog);
    if (!table) {
      const info = this.t.info(prog);
      const len = info.program.insns.length;
      table = Array.from({ length: len }, (_, pc) => info.lineOf(pc));
      this.lines.set(prog, table);
    }
    return table[run.pc(i)];
  }

  /** A number naming step i's source line (file and line), or undefined without line info. */
  private lineKey(i: number): number | undefined {
    const run = this.t.run;
    const p = run.programIndex(i);
    let ids = this.lineIds[p];
    if (!ids) {
      const prog = run.programs[p];
      const info = this.t.info(prog as NonNullable<typeof prog>);
      ids = new Int32Array(info.program.insns.length);
      for (let pc = 0; pc < ids.length; pc++) {
        const l = info.lineOf(pc);
        if (!l) continue;
        const key = `${l.path}:${l.line}`;
        let id = this.lineNames.get(key);
        if (id === undefined) {
          id = this.lineNames.size + 1;
          this.lineNames.set(key, id);
        }
        ids[pc] = id;
      }
      this.lineIds[p] = ids;
    }
    const id = ids[run.pc(i)] ?? 0;
    return id === 0 ? undefined : id;
  }

  depth(i: number): number {
    return this.t.run.frameCount(i);
  }

  /** Step i enters a source line: the first step of a line's execution in its frame. */
  private isLineEntry(i: number): boolean {
    if (i === 0) return true;
    const run = this.t.run;
    if (run.programIndex(i) !== run.programIndex(i - 1) || run.depth(i) !== run.depth(i - 1)) return true;
    if (run.componentStart(i) === i) return true;
    return this.lineKey(i) !== this.lineKey(i - 1) || run.pc(i) <= run.pc(i - 1);
  }

  /** Steps where `bp` fires, in order, with its condition and hit count applied. */
  private hitsOf(bp: Breakpoint): number[] {
    let list = this.hits.get(bp);
    if (list) return list;
    const run = this.t.run;
    // One mask of target pcs per program of the record: no strings in the scan of the whole run.
    const masks = run.programs.map((p) => {
      const m = new Uint8Array(this.t.info(p).program.insns.length);
      for (const x of bp.targets) if (x.program === p && x.pc < m.length) m[x.pc] = 1;
      return m;
    });
    const candidates: number[] = [];
    for (let i = 0; i < this.n; i++) {
      if (!masks[run.programIndex(i)]?.[run.pc(i)]) continue;
      if (bp.line && !this.isLineEntry(i)) continue;
      candidates.push(i);
    }
    const passing = candidates.filter((i) => this.condition(i, bp));
    list = bp.hitCondition
      ? passing.filter((_, k) => hitConditionHolds(bp.hitCondition as string, k + 1))
      : passing;
    this.hits.set(bp, list);
    return list;
  }

  /** The breakpoint that fires at step i, if any. */
  hitAt(i: number, bps: readonly Breakpoint[]): Breakpoint | undefined {
    return bps.find((bp) => this.hitsOf(bp).includes(i));
  }

  /** First breakpoint hit in (from, to) — exclusive — or undefined. */
  private firstHitBetween(from: number, to: number, bps: readonly Breakpoint[]): StepResult | undefined {
    let best = Infinity;
    const ids: number[] = [];
    for (const bp of bps) {
      const h = this.hitsOf(bp).find((s) => s > from && s < to);
      if (h === undefined) continue;
      if (h < best) {
        best = h;
        ids.length = 0;
      }
      if (h === best) ids.push(bp.id);
    }
    return best === Infinity ? undefined : { step: best, reason: 'breakpoint', bps: ids };
  }

  continueFrom(pos: number, bps: readonly Breakpoint[]): StepResult {
    return this.firstHitBetween(pos, Infinity, bps) ?? 'end';
  }

  reverseContinue(pos: number, bps: readonly Breakpoint[]): StepResult {
    let best = -1;
    const ids: number[] = [];
    for (const bp of bps) {
      const hs = this.hitsOf(bp).filter((s) => s < pos);
      const h = hs[hs.length - 1];
      if (h === undefined) continue;
      if (h > best) {
        best = h;
        ids.length = 0;
      }
      if (h === best) ids.push(bp.id);
    }
    return best >= 0 ? { step: best, reason: 'breakpoint', bps: ids } : { step: 0, reason: 'entry' };
  }

  /** Ends at `target` unless a breakpoint fires first. */
  private until(pos: number, target: number | undefined, bps: readonly Breakpoint[]): StepResult {
    const bp = this.firstHitBetween(pos, target ?? Infinity, bps);
    if (bp) return bp;
    return target === undefined ? 'end' : { step: target, reason: 'step' };
  }

  next(pos: number, bps: readonly Breakpoint[], instruction = false): StepResult {
    const d = this.depth(pos);
    // The end of a chain component returns to the dispatcher, which calls the next: a step there.
    const end = this.t.run.componentEnd(pos);
    if (instruction) {
      for (let i = pos + 1; i < this.n; i++)
        if (this.depth(i) <= d || i >= end) return this.until(pos, i, bps);
      return this.until(pos, undefined, bps);
    }
    const l = this.lineKey(pos);
    const run = this.t.run;
    let prev = pos;
    for (let i = pos + 1; i < this.n; i++) {
      const di = this.depth(i);
      if (i >= end) return this.until(pos, i, bps);
      if (di > d) continue;
      if (di < d) return this.until(pos, i, bps);
      const k = this.lineKey(i);
      if (k === undefined) continue;
      if (k !== l || (run.pc(i) < run.pc(prev) && this.isLineEntry(i))) return this.until(pos, i, bps);
      prev = i;
    }
    return this.until(pos, undefined, bps);
  }

  stepIn(pos: number, bps: readonly Breakpoint[], instruction = false): StepResult {
    if (instruction) return this.until(pos, pos + 1 < this.n ? pos + 1 : undefined, bps);
    const d = this.depth(pos);
    const l = this.lineKey(pos);
    for (let i = pos + 1; i < this.n; i++) {
      const k = this.lineKey(i);
      if (k === undefined) continue;
      if (this.depth(i) !== d || k !== l || (this.isLineEntry(i) && this.t.run.pc(i) <= this.t.run.pc(i - 1)))
        return this.until(pos, i, bps);
    }
    return this.until(pos, undefined, bps);
  }

  stepOut(pos: number, bps: readonly Breakpoint[]): StepResult {
    const d = this.depth(pos);
    // Out of a chain component's program: into the next component the dispatcher calls.
    const end = this.t.run.componentEnd(pos);
    for (let i = pos + 1; i < this.n; i++) if (this.depth(i) < d || i >= end) return this.until(pos, i, bps);
    return this.until(pos, undefined, bps);
  }

  /** The first step of the line instance step i belongs to. */
  private instanceStart(i: number): number {
    const run = this.t.run;
    const k = this.lineKey(i);
    const d = this.depth(i);
    const first = run.componentStart(i);
    let s = i;
    while (s > first && this.depth(s - 1) === d && this.lineKey(s - 1) === k && run.pc(s - 1) < run.pc(s))
      s--;
    return s;
  }

  stepBack(pos: number, instruction = false): StepResult {
    if (pos <= 0) return { step: 0, reason: 'entry' };
    if (instruction) return { step: pos - 1, reason: 'step' };
    const start = this.instanceStart(pos);
    if (start < pos) return { step: start, reason: 'step' };
    const d = this.depth(pos);
    for (let j = pos - 1; j >= 0; j--) {
      const dj = this.depth(j);
      if (dj > d) continue;
      if (this.lineKey(j) === undefined) continue;
      return { step: this.instanceStart(j), reason: 'step' };
    }
    return { step: 0, reason: 'entry' };
  }
}
