// The verifier state (struct bpf_verifier_state / bpf_func_state): call frames with registers and
// stack slots (STACK_INVALID/SPILL/MISC/ZERO per byte), cloning for branches, and the
// containment test used for pruning (states_equal → regsafe/stacksafe, range_within/tnum_in).
import type { HistEntry } from './precision';
import type { ActiveLock } from './spinLock';
import { ADD_CONST32, addConst, baseId, markNotInit, markUnknown, Reg } from './regState';
import { sle, ule } from './pair64';
import { tnumIn } from './tnum';

export const STACK_INVALID = 0;
export const STACK_SPILL = 1;
export const STACK_MISC = 2;
export const STACK_ZERO = 3;
/** Half of a 16-byte struct bpf_dynptr (dynptr.ts keeps its kind and id in the slot's spilled reg). */
export const STACK_DYNPTR = 4;
export const MAX_BPF_STACK = 512;
export const BPF_REG_SIZE = 8;
export const MAX_CALL_FRAMES = 8;
/** bpf_verifier.h: the largest offset a pointer may carry, variable part included. */
export const BPF_MAX_VAR_OFF = 1 << 29;

/**
 * The `spilled` of every slot that holds no spill: shared by all slots and states (a state copy then
 * allocates registers only for real spills). Frozen: code that fills a slot replaces `spilled`.
 */
export const NO_SPILL: Reg = (() => {
  const r = new Reg();
  markNotInit(r);
  return Object.freeze(r);
})();

export interface StackSlot {
  /**
   * slot_type[8]: index 7 is the lowest-addressed byte of the 8-byte slot. A plain array: states are
   * cloned at every branch, and copying eight small integers is several times cheaper than a typed array.
   */
  types: number[];
  /** The spilled register (its own copy) when types[7] is STACK_SPILL, else NO_SPILL or a stale one. */
  spilled: Reg;
}

/** FuncState.own when every register is the state's own. */
const ALL_OWN = 0x7ff;

export class FuncState {
  /**
   * The registers. A copy shares them with its original (copy on write, as the stack slots): between
   * two branches a path writes a few of its eleven registers, and copying all of them at every
   * branch and kept state was half of katran's allocation. `regs` and `reg(i)` are the doors for
   * code that may change a register (they copy a shared one first); `peekReg` only reads.
   */
  private readonly rs: Reg[];
  /** Bit i: rs[i] is this state's own, not shared with a copy. */
  private own: number;
  /** stack[spi] covers bytes [-(spi+1)*8, -spi*8). */
  stack: StackSlot[] = [];
  /** A helper's callback (callback_ret_range): the range its R0 must be in at its exit. */
  callbackRange: readonly [number, number] | undefined = undefined;
  /** An async callback's frame (a timer's: in_async_callback_fn), the bottom of its own state. */
  async = false;
  /** callback_depth: bpf_loop callbacks scheduled from this frame on this path (check_helper_call). */
  callbackDepth = 0;
  constructor(
    readonly frameno: number,
    /** Instruction of the call that created this frame (-1 for the main frame). */
    readonly callsite: number,
    /** First instruction of the subprogram. */
    readonly subprog: number,
    /** The registers, shared with the state they come from (a clone's); else eleven unreadable ones. */
    shared?: Reg[],
  ) {
    this.rs =
      shared ??
      Array.from({ length: 11 }, () => {
        const r = new Reg();
        markNotInit(r);
        return r;
      });
    this.own = shared ? 0 : ALL_OWN;
  }

  /** Every register, each this state's own (shared ones are copied first): for code that may change them. */
  get regs(): Reg[] {
    if (this.own !== ALL_OWN) for (let i = 0; i < 11; i++) this.reg(i);
    return this.rs;
  }

  /** Register `i`, this state's own (copied first if shared): its holder may change it. */
  reg(i: number): Reg {
    const bit = 1 << i;
    if (!(this.own & bit)) {
      this.rs[i] = (this.rs[i] as Reg).clone();
      this.own |= bit;
    }
    return this.rs[i] as Reg;
  }

  /** Register `i` to read only (it may be shared with other states: never change it). */
  peekReg(i: number): Reg {
    return this.rs[i] as Reg;
  }

  /**
   * A copy sharing this frame's registers and stack slots. A register held across the copy is
   * shared afterwards: fetch it again through `reg` before changing it.
   */
  clone(): FuncState {
    this.own = 0;
    const f = new FuncState(this.frameno, this.callsite, this.subprog, this.rs.slice());
    f.callbackRange = this.callbackRange;
    f.async = this.async;
    f.callbackDepth = this.callbackDepth;
    // The slots are shared whole (FuncState.slot copies one before a write).
    f.stack = this.stack.slice();
    this.slotsLo = 0;
    this.slotsHi = 0;
    return f;
  }

  /** Bit spi of (slotsHi:slotsLo): stack[spi] is this state's own slot (not shared with a copy). */
  private slotsLo = 0;
  private slotsHi = 0;

  /** grow_stack_state; the slot to write: its bytes and spill this state's own (copied if shared). */
  slot(spi: number): StackSlot {
    while (this.stack.length <= spi) this.stack.push({ types: [0, 0, 0, 0, 0, 0, 0, 0], spilled: NO_SPILL });
    const owned = spi < 32 ? this.slotsLo & (1 << spi) : spi < 64 ? this.slotsHi & (1 << (spi - 32)) : 0;
    if (owned) return this.stack[spi] as StackSlot;
    const s = this.stack[spi] as StackSlot;
    const c: StackSlot = {
      types: s.types.slice(),
      spilled: s.types[BPF_REG_SIZE - 1] === STACK_SPILL ? s.spilled.clone() : s.spilled,
    };
    this.stack[spi] = c;
    if (spi < 32) this.slotsLo |= 1 << spi;
    else if (spi < 64) this.slotsHi |= 1 << (spi - 32);
    return c;
  }

  /** Slot `spi` made dead (clean_func_state's STACK_INVALID) with shared `types`: no longer own. */
  killSlot(spi: number, types: number[]): void {
    this.stack[spi] = { types, spilled: NO_SPILL };
    if (spi < 32) this.slotsLo &= ~(1 << spi);
    else if (spi < 64) this.slotsHi &= ~(1 << (spi - 32));
  }

  /** Byte type at stack offset `off` (negative). */
  byteType(off: number): number {
    const slot = -off - 1;
    const s = this.stack[Math.floor(slot / BPF_REG_SIZE)];
    return s ? (s.types[slot % BPF_REG_SIZE] as number) : STACK_INVALID;
  }
}

const anyReg = (): boolean => true;

/** One decision on the path (for the error's branch list). */
export interface PathStep {
  insn: number;
  taken: boolean;
  prev: PathStep | undefined;
}

export interface Reference {
  id: number;
  insn: number;
}

export class VState {
  frames: FuncState[];
  /** Acquired references (sockets, ring buffer records) not yet released. */
  refs: Reference[] = [];
  /** The bpf_spin_lock held (active_locks), if any. */
  lock: ActiveLock | undefined = undefined;
  /** callback_unroll_depth: callback iterations on this path (iterations are not infinite loops). */
  callbackUnrollDepth = 0;
  /** may_goto_depth: may_goto fall-throughs taken on this path (each a bounded iteration). */
  mayGotoDepth = 0;
  /** dfs_depth: kept states between the entry and this state (find_prev_entry's ancestor test). */
  dfsDepth = 0;
  /** jmp_history_cnt: entries of the kernel's jump history since `parent` (jmpHistory.ts). */
  jmpHistoryCnt = 0;
  path: PathStep | undefined = undefined;
  /** The checkpoint this state descends from (is_state_visited's parent). */
  parent: Checkpoint | undefined = undefined;
  /** Instructions executed since `parent` (jmp_history), for precision backtracking. */
  hist: HistEntry | undefined = undefined;
  /**
   * insn_idx: the instruction being processed, which `hist` does not hold yet. Backtracking starts
   * before it and takes it as the subsequent instruction (__mark_chain_precision's skip_first and
   * subseq_idx): a callback's exit right before its bpf_loop call is crossed as a callback's.
   */
  insnIdx = -1;
  constructor(frames: FuncState[]) {
    this.frames = frames;
  }
  get cur(): FuncState {
    return this.frames[this.frames.length - 1] as FuncState;
  }
  clone(): VState {
    const s = new VState(this.frames.map((f) => f.clone()));
    s.refs = this.refs.map((r) => ({ ...r }));
    s.lock = this.lock;
    s.callbackUnrollDepth = this.callbackUnrollDepth;
    s.mayGotoDepth = this.mayGotoDepth;
    s.dfsDepth = this.dfsDepth;
    s.jmpHistoryCnt = this.jmpHistoryCnt;
    s.path = this.path;
    s.parent = this.parent;
    s.hist = this.hist;
    s.insnIdx = this.insnIdx;
    return s;
  }
  /** Every register of every frame, spilled ones included (bpf_for_each_reg_in_vstate). */
  forEachReg(fn: (r: Reg) => void): void {
    this.forEachRegWhere(anyReg, fn);
  }
  /**
   * bpf_for_each_reg_in_vstate for the registers `match` picks, which `fn` may change in place: only
   * those spills are copied first (FuncState.slot) — un-sharing every spill of the state at each
   * null check or packet-range mark was a tenth of katran's allocation.
   */
  forEachRegWhere(match: (r: Reg) => boolean, fn: (r: Reg) => void): void {
    for (const f of this.frames) {
      for (let i = 0; i < 11; i++) if (match(f.peekReg(i))) fn(f.reg(i));
      for (let spi = 0; spi < f.stack.length; spi++) {
        const s = f.stack[spi] as StackSlot;
        if (s.types[BPF_REG_SIZE - 1] === STACK_SPILL && match(s.spilled)) fn(f.slot(spi).spilled);
      }
    }
  }
}

/** A state kept at a prune point (struct bpf_verifier_state_list). */
export interface Checkpoint {
  state: VState;
  /** The instruction it was kept at (its insn_idx). */
  pc: number;
  /** clean_verifier_state ran: its dead registers and stack slots are cleared. */
  cleaned: boolean;
  /** Paths from this state still being explored (branches). */
  branches: number;
  parent: Checkpoint | undefined;
  /** The instructions from `parent` to this state. */
  hist: HistEntry | undefined;
  /** Prune hits and misses (the kernel's eviction heuristic). */
  hit: number;
  miss: number;
  /** loopSignature of the state (states_maybe_looping), computed when first needed. */
  sig: string | undefined;
  /** Evicted from its list but still alive (the kernel's free_list): 1; freed: 2; else 0. */
  evicted: number;
}

/** range_within + tnum_in: every value `cur` may hold, `old` may hold too. */
function scalarWithin(old: Reg, cur: Reg): boolean {
  return (
    ule(old.uminH, old.uminL, cur.uminH, cur.uminL) &&
    ule(cur.umaxH, cur.umaxL, old.umaxH, old.umaxL) &&
    sle(old.sminH, old.sminL, cur.sminH, cur.sminL) &&
    sle(cur.smaxH, cur.smaxL, old.smaxH, old.smaxL) &&
    old.umin32 >>> 0 <= cur.umin32 >>> 0 &&
    old.umax32 >>> 0 >= cur.umax32 >>> 0 &&
    old.smin32 <= cur.smin32 &&
    old.smax32 >= cur.smax32 &&
    tnumIn(old.varOff, cur.varOff)
  );
}

/**
 * check_ids: a consistent old-id → cur-id mapping (struct bpf_idmap). One instance is reused by
 * every comparison: `reset` forgets only the ids the last one touched.
 */
/**
 * An id as a small array index: the base id times four plus its BPF_ADD_CONST flags (bits 30–31),
 * so that a linked scalar's id (base | ADD_CONST64) does not size the map to 2^31 entries.
 */
const idKey = (id: number): number => baseId(id) * 4 + (id >>> 30);

export class IdMap {
  private m = new Int32Array(64);
  private back = new Int32Array(64);
  private readonly touched: number[] = [];
  reset(): this {
    for (const t of this.touched) {
      this.m[t] = 0;
      this.back[t] = 0;
    }
    this.touched.length = 0;
    return this;
  }
  private grow(n: number): void {
    let len = this.m.length;
    while (len <= n) len *= 2;
    const m = new Int32Array(len);
    m.set(this.m);
    const b = new Int32Array(len);
    b.set(this.back);
    this.m = m;
    this.back = b;
  }
  ok(a: number, b: number): boolean {
    if (!a && !b) return true;
    if (!a || !b) return false;
    a = idKey(a);
    b = idKey(b);
    if (a >= this.m.length || b >= this.m.length) this.grow(Math.max(a, b));
    const x = this.m[a] as number;
    const y = this.back[b] as number;
    if (x === 0 && y === 0) {
      this.m[a] = b;
      this.back[b] = a;
      this.touched.push(a, b);
      return true;
    }
    return x === b && y === a;
  }
  /**
   * check_scalar_ids: an id of 0 stands for a fresh id of its own (tmp_id_gen), so an old scalar
   * linked to others matches a current unlinked one as long as nothing else claimed the pairing.
   */
  scalarOk(a: number, b: number): boolean {
    if (a && b) return this.ok(a, b);
    if (!a && !b) return true;
    a = idKey(a);
    b = idKey(b);
    if (a >= this.m.length || b >= this.m.length) this.grow(Math.max(a, b));
    if (a) {
      if (this.m[a] !== 0) return false;
      this.m[a] = -1;
      this.touched.push(a);
    } else {
      if (this.back[b] !== 0) return false;
      this.back[b] = -1;
      this.touched.push(b);
    }
    return true;
  }
}
const idmap = new IdMap();

/** regsafe: is `cur` at least as safe as `old` was? */
function regsafe(old: Reg, cur: Reg, ids: IdMap, exact: boolean, within = false): boolean {
  if (old.type === 'not_init') return !exact || cur.type === 'not_init';
  if (old.type !== cur.type) return false;
  if (old.maybeNull !== cur.maybeNull || old.rdonly !== cur.rdonly) return false;
  switch (old.type) {
    case 'scalar':
      if (exact) return sameBounds(old, cur) && ids.ok(old.id, cur.id);
      // NOT_EXACT: an imprecise scalar did not matter; RANGE_WITHIN (a loop whose read and precision
      // marks are not final yet) compares it as a precise one.
      if (!old.precise && !within) return true;
      // Linked as copies plus a constant (BPF_ADD_CONST): the same kind of link, the same constant.
      // An old scalar linked to nothing (id 0) took no decision from a link: whatever links the
      // current one only adds constraints (6.18 prunes so: a can_loop index `i + 1` linked to its
      // copy, within the loop's entry state at the may_goto, is safe).
      if (old.id && (old.id >= ADD_CONST32 || cur.id >= ADD_CONST32) && !sameAddConst(old, cur)) return false;
      return scalarWithin(old, cur) && ids.scalarOk(old.id, cur.id);
    case 'pkt':
    case 'pkt_meta':
      if (old.off !== cur.off) return false;
      if (old.range < 0 || cur.range < 0 ? old.range !== cur.range : old.range > cur.range) return false;
      return scalarWithin(old, cur) && ids.ok(old.id, cur.id);
    case 'map_value':
    case 'map_key':
    case 'mem':
      if (old.map !== cur.map || old.off !== cur.off || old.memSize !== cur.memSize) return false;
      return scalarWithin(old, cur) && ids.ok(old.id, cur.id) && ids.ok(old.refObjId, cur.refObjId);
    case 'stack':
      return old.off === cur.off && old.frameno === cur.frameno && scalarWithin(old, cur);
    default:
      return (
        old.off === cur.off &&
        old.btfStruct === cur.btfStruct &&
        old.btfFlags === cur.btfFlags &&
        old.map === cur.map &&
        old.memSize === cur.memSize &&
        sameBounds(old, cur) &&
        ids.ok(old.id, cur.id) &&
        ids.ok(old.refObjId, cur.refObjId)
      );
  }
}

/** regsafe's BPF_ADD_CONST test: the same kind of link and, if any, the same constant. */
const sameAddConst = (old: Reg, cur: Reg): boolean =>
  addConst(old.id) === addConst(cur.id) && (!addConst(old.id) || old.off === cur.off);

export function sameBounds(a: Reg, b: Reg): boolean {
  const x = a.varOff;
  const y = b.varOff;
  return (
    a.uminH === b.uminH &&
    a.uminL === b.uminL &&
    a.umaxH === b.umaxH &&
    a.umaxL === b.umaxL &&
    a.sminH === b.sminH &&
    a.sminL === b.sminL &&
    a.smaxH === b.smaxH &&
    a.smaxL === b.smaxL &&
    a.umin32 === b.umin32 &&
    a.umax32 === b.umax32 &&
    a.smin32 === b.smin32 &&
    a.smax32 === b.smax32 &&
    (x === y || (x.vh === y.vh && x.vl === y.vl && x.mh === y.mh && x.ml === y.ml))
  );
}

/** is_stack_all_misc (uninitialised bytes count as MISC: XDP programs are loaded as root). */
function allMisc(s: StackSlot): boolean {
  for (let i = 0; i < BPF_REG_SIZE; i++) {
    const t = s.types[i];
    if (t !== STACK_MISC && t !== STACK_INVALID) return false;
  }
  return true;
}

/** scalar_reg_for_stack's unbound_reg. */
const UNBOUND: Reg = (() => {
  const r = new Reg();
  markUnknown(r);
  return Object.freeze(r);
})();

/** stacksafe */
function stacksafe(old: FuncState, cur: FuncState, ids: IdMap, exact: boolean, within: boolean): boolean {
  for (let spi = 0; spi < old.stack.length; spi++) {
    const o = old.stack[spi] as StackSlot;
    // A slot no path from the kept state reads (cleaned): any content will do.
    if (!exact && o.types === DEAD_TYPES) continue;
    const c = cur.stack[spi];
    // scalar_reg_for_stack: a 64-bit spilled scalar against a slot of only STACK_MISC (a load from it
    // gives an unbound scalar) compares as that register against an unbound one.
    if (!exact && c && o.types[0] === STACK_SPILL && o.spilled.type === 'scalar' && allMisc(c)) {
      if (!regsafe(o.spilled, UNBOUND, ids, false, within)) return false;
      continue;
    }
    for (let i = 0; i < BPF_REG_SIZE; i++) {
      const ot = o.types[i] as number;
      const ct = c ? (c.types[i] as number) : STACK_INVALID;
      if (!exact && (ot === STACK_INVALID || ot === STACK_MISC)) continue;
      if (exact && ot !== ct) return false;
      if (ot === STACK_ZERO && ct === STACK_ZERO) continue;
      if (ot !== ct) return false;
    }
    if (o.types[BPF_REG_SIZE - 1] === STACK_SPILL && c && !regsafe(o.spilled, c.spilled, ids, exact, within))
      return false;
  }
  if (exact && cur.stack.length > old.stack.length) {
    for (let spi = old.stack.length; spi < cur.stack.length; spi++)
      if ((cur.stack[spi] as StackSlot).types.some((t) => t !== STACK_INVALID)) return false;
  }
  return true;
}

/**
 * states_equal(old, cur) at instruction `pc`: `old` was (or is being) verified safe and covers `cur`.
 * `live` is the static register liveness per instruction (compute_live_registers).
 */
export function statesEqual(
  old: VState,
  cur: VState,
  live: Uint16Array | undefined,
  pc: number,
  exact: boolean,
  /** RANGE_WITHIN rather than NOT_EXACT (a state in a loop still being explored). */
  within = false,
): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  if (old.refs.length !== cur.refs.length) return false;
  const ids = idmap.reset();
  for (let i = 0; i < old.refs.length; i++)
    if (!ids.ok((old.refs[i] as Reference).id, (cur.refs[i] as Reference).id)) return false;
  // refsafe: the same lock held (active_locks, the lock's id through the id map).
  if (!old.lock !== !cur.lock) return false;
  if (old.lock && cur.lock && (old.lock.map !== cur.lock.map || !ids.ok(old.lock.id, cur.lock.id)))
    return false;
  for (let fi = 0; fi < old.frames.length; fi++) {
    const o = old.frames[fi] as FuncState;
    const c = cur.frames[fi] as FuncState;
    if (o.callsite !== c.callsite) return false;
    // func_states_equal: a frame that scheduled more bpf_loop iterations covers no frame with fewer.
    if (o.callbackDepth > c.callbackDepth) return false;
    // clean_func_state: the registers live before the frame's instruction (compute_live_registers)
    // — the current one for the innermost frame, the call it made for the others.
    const at = fi === old.frames.length - 1 ? pc : (old.frames[fi + 1] as FuncState).callsite;
    const liveRegs = exact || !live ? 0x7ff : (live[at] as number);
    for (let r = 0; r < 11; r++) {
      if (!(liveRegs & (1 << r))) continue;
      if (!regsafe(o.peekReg(r), c.peekReg(r), ids, exact, within)) return false;
    }
    if (!stacksafe(o, c, ids, exact, within)) return false;
  }
  return true;
}

/** Marks the caller-saved registers R1–R5 unreadable after a call (caller_saved). */
export function clobberCallerSaved(f: FuncState): void {
  for (let r = 1; r <= 5; r++) markNotInit(f.reg(r));
}

/** The bytes of every slot clean_func_state found dead: shared (FuncState.slot copies before a write). */
const DEAD_TYPES: number[] = [0, 0, 0, 0, 0, 0, 0, 0];

/**
 * clean_verifier_state / clean_func_state for a kept state at `pc` whose every path is explored:
 * registers not live (compute_live_registers) become NOT_INIT and stack slots no path may still read
 * (`alive`, liveness.c's bpf_stack_slot_alive) become STACK_INVALID, so states_equal ignores them.
 */
export function cleanVerifierState(
  st: VState,
  pc: number,
  liveRegs: Uint16Array,
  alive: (frame: number, spi: number) => boolean,
): void {
  for (let fi = 0; fi < st.frames.length; fi++) {
    const f = st.frames[fi] as FuncState;
    const ip = fi === st.frames.length - 1 ? pc : (st.frames[fi + 1] as FuncState).callsite;
    const live = liveRegs[ip] as number;
    for (let r = 0; r < 10; r++)
      if (!(live & (1 << r)) && f.peekReg(r).type !== 'not_init') markNotInit(f.reg(r));
    for (let spi = 0; spi < f.stack.length; spi++) if (!alive(fi, spi)) f.killSlot(spi, DEAD_TYPES);
  }
}

/** same_callsites: the two states are in the same chain of calls. */
export function sameCallsites(a: VState, b: VState): boolean {
  if (a.frames.length !== b.frames.length) return false;
  for (let i = 0; i < a.frames.length; i++)
    if ((a.frames[i] as FuncState).callsite !== (b.frames[i] as FuncState).callsite) return false;
  return true;
}
