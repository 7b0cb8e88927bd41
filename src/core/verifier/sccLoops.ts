// The loops of a program as 6.18's is_state_visited sees them: strongly connected components of the
// CFG (cfg.ts compute_scc), a visit per loop entered (maybe_enter_scc/maybe_exit_scc), the states
// pruned inside a loop before it completed (add_scc_backedge) and their precision propagated at its end.
import type { VerifierEnv } from './env';
import { markAll, propagatePrecision } from './precision';
import type { Checkpoint, FuncState, VState } from './state';

/** A loop being explored from its first kept state (struct bpf_scc_visit). */
interface SccVisit {
  entry: Checkpoint | undefined;
  /** States pruned inside the loop against a state whose marks were not final (bpf_scc_backedge). */
  backedges: Array<{ state: VState; equal: VState }>;
}

/** propagate_backedges gives up after this many rounds and marks everything precise. */
const MAX_BACKEDGE_ITERS = 64;

/**
 * The SCC bookkeeping of is_state_visited (maybe_enter_scc, maybe_exit_scc, add_scc_backedge,
 * incomplete_read_marks): a state pruned inside a loop before the loop is done is remembered, and
 * when the loop's first kept state completes, the precision its match needed is propagated.
 */
export class Loops {
  private readonly visits = new Map<string, SccVisit>();
  /** The program has a loop at all (most XDP programs have none: nothing to do then). */
  private readonly any: boolean;
  constructor(private readonly env: VerifierEnv) {
    this.any = env.cfg.scc.some((x) => x !== 0);
  }

  /** compute_scc_callchain: the call sites down to the first frame that is inside a loop. */
  private key(st: VState, pc: number): string | undefined {
    let key = '';
    for (let i = 0; i < st.frames.length; i++) {
      const ip = i === st.frames.length - 1 ? pc : (st.frames[i + 1] as FuncState).callsite;
      const scc = this.env.cfg.scc[ip] as number;
      if (scc) return `${key}s${scc}`;
      key += `${ip},`;
    }
    return undefined;
  }

  enter(cp: Checkpoint): void {
    if (!this.any) return;
    const k = this.key(cp.state, cp.pc);
    if (k === undefined) return;
    let v = this.visits.get(k);
    if (!v) {
      v = { entry: undefined, backedges: [] };
      this.visits.set(k, v);
    }
    v.entry ??= cp;
  }

  incomplete(cp: Checkpoint): boolean {
    if (!this.visits.size) return false;
    const k = this.key(cp.state, cp.pc);
    return k !== undefined && (this.visits.get(k)?.backedges.length ?? 0) > 0;
  }

  addBackedge(cp: Checkpoint, cur: VState): void {
    const k = this.key(cp.state, cp.pc);
    const v = k === undefined ? undefined : this.visits.get(k);
    v?.backedges.push({ state: cur.clone(), equal: cp.state });
  }

  get backedges(): number {
    if (!this.visits.size) return 0;
    let n = 0;
    for (const v of this.visits.values()) n += v.backedges.length;
    return n;
  }

  exit(cp: Checkpoint): void {
    if (!this.visits.size) return;
    const k = this.key(cp.state, cp.pc);
    const v = k === undefined ? undefined : this.visits.get(k);
    if (!v || v.entry !== cp) return;
    v.entry = undefined;
    // propagate_backedges
    for (let i = 0, changed = true; changed; i++) {
      if (i > MAX_BACKEDGE_ITERS) {
        for (const b of v.backedges) markAll(b.state.parent);
        break;
      }
      changed = false;
      for (const b of v.backedges) if (propagatePrecision(this.env.insns, b.equal, b.state)) changed = true;
    }
    v.backedges = [];
  }
}

/** states_maybe_looping as a key: equal keys when the innermost frame's registers are the same. */
export function loopSignature(st: VState): string {
  let k = `${st.frames.length}`;
  for (let r = 0; r < 10; r++) {
    const x = st.cur.peekReg(r);
    const t = x.varOff;
    k += `|${x.type},${x.off},${x.range},${t.vh},${t.vl},${t.mh},${t.ml},${x.uminH},${x.uminL},${x.umaxH},${x.umaxL},${x.sminH},${x.sminL},${x.smaxH},${x.smaxL}`;
  }
  return k;
}
