// is_state_visited (verifier.c): the states kept at prune points, and when a path reaching one is
// covered by a kept state (it stops there), loops forever ("infinite loop detected"), or becomes a
// kept state itself; with the bookkeeping 6.18 does beside it — eviction of states that keep missing
// (maybe_free_verifier_state), peak_states, and update_branch_counts when a path ends. doCheck.ts
// walks the instructions and asks `visit` at every prune point.
import { PRUNE_CALLBACK, PRUNE_MAY_GOTO } from './cfg';
import { fail } from './env';
import type { VerifierEnv } from './env';
import type { StackLiveness } from './liveness';
import { markAllScalarsImprecise, propagatePrecision } from './precision';
import { loopSignature, Loops } from './sccLoops';
import type { Checkpoint, VState } from './state';
import { cleanVerifierState, sameCallsites, statesEqual } from './state';
import { MAX_JMP_HISTORY } from './jmpHistory';
import { verifierStateStr } from './stateLog';

const BPF_COMPLEXITY_LIMIT_STATES = 64;

/** update_branch_counts: a path ended; parents whose every path ended are complete (`done`). */
export function pathDone(cp: Checkpoint | undefined, done: (c: Checkpoint) => void): void {
  for (let c = cp; c; c = c.parent) {
    c.branches--;
    if (c.branches > 0) break;
    done(c);
  }
}

/** The kept states of one do_check walk (env->explored_states) and their counts. */
export class StateCache {
  /** Kept states by prune point, oldest first. */
  readonly visited = new Map<number, Checkpoint[]>();
  readonly loops: Loops;
  /** States kept in all (total_states). */
  states = 0;
  /** peak_states: explored states + evicted ones still referenced (free_list) + SCC backedges,
   * measured where 6.18's update_peak_states is called. */
  peak = 0;
  private kept = 0;
  private freeList = 0;

  constructor(
    private readonly env: VerifierEnv,
    private readonly live: StackLiveness,
  ) {
    this.loops = new Loops(env);
  }

  private bump(): void {
    const n = this.kept + this.freeList + this.loops.backedges;
    if (n > this.peak) this.peak = n;
  }

  /** maybe_free_verifier_state: an evicted state goes once its paths are done and its loop is. */
  private maybeFree(c: Checkpoint): void {
    if (c.evicted === 1 && !c.branches && !this.loops.incomplete(c)) {
      c.evicted = 2;
      this.freeList--;
    }
  }

  /** A kept state whose every path ended (pathDone's callback). */
  readonly done = (c: Checkpoint): void => {
    this.loops.exit(c);
    this.bump();
    this.maybeFree(c);
  };

  /**
   * is_state_visited at prune point `pc`: true when `st` is covered by a kept state (its path ends
   * here: the branch counts are updated); else `st` may become a new kept state and the walk goes on.
   * `processed` is do_check's insn count so far (the heuristics for adding a state read it).
   */
  visit(st: VState, pc: number, processed: number): boolean {
    const list = this.visited.get(pc) ?? [];
    let pruned = false;
    // clean_live_states: kept states whose every path is explored forget what none reads.
    for (const cp of list)
      if (!cp.branches && !cp.cleaned && sameCallsites(cp.state, st) && !this.loops.incomplete(cp)) {
        cleanVerifierState(cp.state, pc, this.env.cfg.live, (fi, spi) =>
          this.live.alive(cp.state, pc, fi, spi),
        );
        cp.cleaned = true;
      }
    // is_state_visited: a new state every 2 jumps and 8 insns, fewer while looping.
    // A call with a synchronous callback always gets a checkpoint (force_checkpoint).
    const callsCallback = this.env.cfg.prunePoints[pc] === PRUNE_CALLBACK;
    const mayGoto = this.env.cfg.prunePoints[pc] === PRUNE_MAY_GOTO;
    // A path with a long jump history gets a new state whatever the heuristics say.
    const force = callsCallback || mayGoto || st.jmpHistoryCnt > MAX_JMP_HISTORY;
    let addNew =
      force ||
      (this.env.counts.jmps - this.env.counts.prevJmps >= 2 &&
        processed - this.env.counts.prevProcessed >= 8);
    let sig: string | undefined;
    // The newest state first, as the kernel keeps its list (list_add at the head).
    for (let k = list.length - 1; k >= 0; k--) {
      const cp = list[k] as Checkpoint;
      if (cp.branches > 0 && callsCallback) {
        // An iteration of the callback reached the call again: a state within an earlier
        // one (RANGE_WITHIN) is a fixed point; no infinite-loop check here.
        if (statesEqual(cp.state, st, this.env.cfg.live, pc, false, true)) {
          cp.hit++;
          propagatePrecision(this.env.insns, cp.state, st);
          this.loops.addBackedge(cp, st);
          this.bump();
          pruned = true;
          break;
        }
      } else if (
        cp.branches > 0 &&
        mayGoto &&
        cp.state.mayGotoDepth !== st.mayGotoDepth &&
        statesEqual(cp.state, st, this.env.cfg.live, pc, false, true)
      ) {
        // A may_goto iteration within an earlier one (RANGE_WITHIN): the budget ends it.
        cp.hit++;
        propagatePrecision(this.env.insns, cp.state, st);
        this.loops.addBackedge(cp, st);
        this.bump();
        pruned = true;
        break;
      } else if (cp.branches > 0) {
        sig ??= loopSignature(st);
        cp.sig ??= loopSignature(cp.state);
        if (
          cp.sig === sig &&
          cp.state.callbackUnrollDepth === st.callbackUnrollDepth &&
          cp.state.mayGotoDepth === st.mayGotoDepth &&
          statesEqual(cp.state, st, undefined, pc, true)
        )
          // is_state_visited prints both states of the frame that loops (print_verifier_state).
          fail(
            `infinite loop detected at insn ${pc}`,
            `cur state:${verifierStateStr(st, st.frames.length - 1)}`,
            `old state:${verifierStateStr(cp.state, st.frames.length - 1)}`,
          );
        if (
          !force &&
          this.env.counts.jmps - this.env.counts.prevJmps < 20 &&
          processed - this.env.counts.prevProcessed < 100
        )
          addNew = false;
      } else {
        // A state in a loop not yet explored whole has no final marks: RANGE_WITHIN.
        const loop = this.loops.incomplete(cp);
        if (statesEqual(cp.state, st, this.env.cfg.live, pc, false, loop)) {
          cp.hit++;
          propagatePrecision(this.env.insns, cp.state, st);
          if (loop) {
            this.loops.addBackedge(cp, st);
            this.bump();
          }
          pruned = true;
          break;
        }
      }
      // is_state_visited: evict states that keep missing (a miss counts only when a new
      // state is going to be added, so that a loop's iterations keep its early states);
      // a forced checkpoint still being explored gets more misses (iterator convergence).
      const n = (callsCallback || mayGoto) && cp.branches > 0 ? 64 : 3;
      if (addNew && ++cp.miss > cp.hit * n + n) {
        list.splice(k, 1);
        this.kept--;
        cp.evicted = 1;
        this.freeList++;
        this.maybeFree(cp);
      }
    }
    if (pruned) {
      pathDone(st.parent, this.done);
      this.live.update(st);
      return true;
    }
    if (addNew && list.length < BPF_COMPLEXITY_LIMIT_STATES * 4) {
      this.env.counts.prevJmps = this.env.counts.jmps;
      this.env.counts.prevProcessed = processed;
      // Precision the path inherited is forgotten: backtracking marks what the new state needs.
      markAllScalarsImprecise(st);
      const cp: Checkpoint = {
        state: st.clone(),
        pc,
        cleaned: false,
        branches: 1,
        parent: st.parent,
        hist: st.hist,
        hit: 0,
        miss: 0,
        sig: undefined,
        evicted: 0,
      };
      list.push(cp);
      this.visited.set(pc, list);
      this.loops.enter(cp);
      st.parent = cp;
      st.dfsDepth = cp.state.dfsDepth + 1;
      st.jmpHistoryCnt = 0;
      st.hist = undefined;
      this.states++;
      this.kept++;
      this.bump();
    }
    return false;
  }
}
