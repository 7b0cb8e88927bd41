// The breakpoints of a debug session (DAP setBreakpoints, setInstructionBreakpoints,
// breakpointLocations): source lines and instruction addresses resolved to program pcs, and the
// conditions the stepper asks about when one is hit (hit counts are the stepper's).
import type { DebugTarget } from './debugTarget';
import { insnAddress, parseInsnAddress } from './debugTarget';
import { evaluate, truthy } from './debugExpression';
import type { FrameContext } from './debugValues';
import { localsScope } from './dapVariables';
import { findLineBreakpoint } from './stepper';
import type { Breakpoint } from './stepper';

/** The breakpoints set so far: per source path (each setBreakpoints replaces its file's) and by instruction. */
export class DapBreakpoints {
  private readonly lineBps = new Map<string, Breakpoint[]>();
  private instructionBps: Breakpoint[] = [];
  private nextBpId = 1;

  /** `changed` runs after each set: the stepper drops the hits it counted for the old breakpoints. */
  constructor(private readonly changed: () => void) {}

  all(): Breakpoint[] {
    return [...[...this.lineBps.values()].flat(), ...this.instructionBps];
  }

  setBreakpoints(t: DebugTarget, a: Record<string, unknown>): unknown {
    const source = (a.source ?? {}) as { path?: string; name?: string };
    const path = source.path ?? source.name ?? '';
    const wanted = (Array.isArray(a.breakpoints) ? a.breakpoints : []) as {
      line: number;
      condition?: string;
      hitCondition?: string;
    }[];
    const bps: Breakpoint[] = [];
    const out = wanted.map((w) => {
      const found = findLineBreakpoint(t, path, Number(w.line));
      const id = this.nextBpId++;
      if (!found)
        return { id, verified: false, line: w.line, message: 'no code on or after this line in the program' };
      const bp: Breakpoint = {
        id,
        targets: found.targets,
        line: true,
        ...(w.condition ? { condition: w.condition } : {}),
        ...(w.hitCondition ? { hitCondition: w.hitCondition } : {}),
      };
      bps.push(bp);
      return {
        id,
        verified: true,
        line: found.line,
        source: { name: source.name ?? path.split('/').pop(), path },
      };
    });
    this.lineBps.set(path, bps);
    this.changed();
    return { breakpoints: out };
  }

  setInstructionBreakpoints(t: DebugTarget, a: Record<string, unknown>): unknown {
    const wanted = (Array.isArray(a.breakpoints) ? a.breakpoints : []) as {
      instructionReference: string;
      offset?: number;
      condition?: string;
      hitCondition?: string;
    }[];
    this.instructionBps = [];
    const out = wanted.map((w) => {
      const id = this.nextBpId++;
      const at = parseInsnAddress(w.instructionReference, w.offset ?? 0);
      const prog = at ? t.programs[at.progIndex] : undefined;
      if (!at || !prog || at.pc >= prog.insns.length)
        return { id, verified: false, message: `no instruction at ${w.instructionReference}` };
      this.instructionBps.push({
        id,
        targets: [{ program: prog, pc: at.pc }],
        line: false,
        ...(w.condition ? { condition: w.condition } : {}),
        ...(w.hitCondition ? { hitCondition: w.hitCondition } : {}),
      });
      return { id, verified: true, instructionReference: insnAddress(at.progIndex, at.pc) };
    });
    this.changed();
    return { breakpoints: out };
  }
}

/** The lines of `source` between `line` and `endLine` where a breakpoint can stand (any program's code). */
export function breakpointLocations(t: DebugTarget, a: Record<string, unknown>): unknown {
  const path = ((a.source ?? {}) as { path?: string }).path ?? '';
  const line = Number(a.line);
  const end = Number(a.endLine ?? line);
  const lines = new Set<number>();
  for (const p of t.programs)
    for (const l of t.info(p).linesOf(path)) if (l >= line && l <= end) lines.add(l);
  return { breakpoints: [...lines].sort((x, y) => x - y).map((l) => ({ line: l })) };
}

/** Whether a hit breakpoint's condition holds in the frame `frame()` builds; `report` says why not evaluable. */
export function conditionHolds(
  bp: Breakpoint,
  frame: () => FrameContext,
  report: (output: string) => void,
): boolean {
  if (!bp.condition) return true;
  try {
    const cx = frame();
    return truthy(cx, evaluate(cx, localsScope(cx), bp.condition));
  } catch (e) {
    // A condition that cannot be evaluated stops (and says why), like other debuggers.
    report(`breakpoint condition '${bp.condition}': ${(e as Error).message}\n`);
    return true;
  }
}
