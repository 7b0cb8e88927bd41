// The verifier state (struct bpf_verifier_state / bpf_func_state): call frames with registers and
// stack slots (STACK_INVALID/SPILL/MISC/ZERO per byte), cloning for branches, and the
// containment test used for pruning (states_equal → regsafe/stacksafe, range_within/tnum_in).
import type { HistEntry } from './precision';
import { markNotInit, Reg } from './regState';
import { tnumIn } from './tnum';

export const STACK_INVALID = 0;
export const STACK_SPILL = 1;
export const STACK_MISC = 2;
export const STACK_ZERO = 3;
export const MAX_BPF_STACK = 512;
export const BPF_REG_SIZE = 8;
export const MAX_CALL_FRAMES = 8;

export interface StackSlot {
  /** slot_type[8]: index 7 is the lowest-addressed byte of the 8-byte slot. */
  types: Uint8Array;
  spilled: Reg;
}

export class FuncState {
  regs: Reg[];
  /** stack[spi] covers bytes [-(spi+1)*8, -spi*8). */
  stack: StackSlot[] = [];
  constructor(
    readonly frameno: number,
    /** Instruction of the call that created this frame (-1 for the main frame). */
    readonly callsite: number,
    /** First instruction of the subprogram. */
    readonly subprog: number,
  ) {
    this.regs = Array.from({ length: 11 }, () => {
      const r = new Reg();
      markNotInit(r);
      return r;
    });
  }

  clone(): FuncState {
    const f = new FuncState(this.frameno, this.callsite, this.subprog);
    f.regs = this.regs.map((r) => r.clone());
    f.stack = this.stack.map((s) => ({ types: s.types.slice(), spilled: s.spilled.clone() }));
    return f;
  }

  /** grow_stack_state */
  slot(spi: number): StackSlot {
    while (this.stack.length <= spi) {
      const spilled = new Reg();
      markNotInit(spilled);
      this.stack.push({ types: new Uint8Array(BPF_REG_SIZE), spilled });
    }
    return this.stack[spi] as StackSlot;
  }

  /** Byte type at stack offset `off` (negative). */
  byteType(off: number): number {
    const slot = -off - 1;
    const s = this.stack[Math.floor(slot / BPF_REG_SIZE)];
    return s ? (s.types[slot % BPF_REG_SIZE] as number) : STACK_INVALID;
  }
}

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
  path: PathStep | undefined = undefined;
  /** The checkpoint this state descends from (is_state_visited's parent). */
  parent: Checkpoint | undefined = undefined;
  /** Instructions executed since `parent` (jmp_history), for precision backtracking. */
  hist: HistEntry | undefined = undefined;
  constructor(frames: FuncState[]) {
    this.frames = frames;
  }
  get cur(): FuncState {
    return this.frames[this.frames.length - 1] as FuncState;
  }
  clone(): VState {
    const s = new VState(this.frames.map((f) => f.clone()));
    s.refs = this.refs.map((r) => ({ ...r }));
    s.path = this.path;
    s.parent = this.parent;
    s.hist = this.hist;
    return s;
  }
  /** Every register of every frame, spilled ones included (bpf_for_each_reg_in_vstate). */
  forEachReg(fn: (r: Reg) => void): void {
    for (const f of this.frames) {
      for (const r of f.regs) fn(r);
      for (const s of f.stack) if (s.types[BPF_REG_SIZE - 1] === STACK_SPILL) fn(s.spilled);
    }
  }
}

/** A state kept at a prune point (struct bpf_verifier_state_list). */
export interface Checkpoint {
  state: VState;
  /** Paths from this state still being explored (branches). */
  branches: number;
  parent: Checkpoint | undefined;
  /** The instructions from `parent` to this state. */
  hist: HistEntry | undefined;
  /** Prune hits and misses (the kernel's eviction heuristic). */
  hit: number;
  miss: number;
  /** loopSignature of the state (states_maybe_looping). */
  sig: string;
}

/** range_within + tnum_in: every value `cur` may hold, `old` may hold too. */
function scalarWithin(old: Reg, cur: Reg): boolean {
  return (
    old.umin <= cur.umin &&
    old.umax >= cur.umax &&
    old.smin <= cur.smin &&
    old.smax >= cur.smax &&
    old.u32min <= cur.u32min &&
    old.u32max >= cur.u32max &&
    old.s32min <= cur.s32min &&
    old.s32max >= cur.s32max &&
    tnumIn(old.varOff, cur.varOff)
  );
}

/** check_ids: a consistent old-id → cur-id mapping. */
class IdMap {
  private readonly m = new Map<number, number>();
  private readonly back = new Map<number, number>();
  ok(a: number, b: number): boolean {
    if (!a && !b) return true;
    if (!a || !b) return false;
    const x = this.m.get(a);
    const y = this.back.get(b);
    if (x === undefined && y === undefined) {
      this.m.set(a, b);
      this.back.set(b, a);
      return true;
    }
    return x === b && y === a;
  }
}

/** regsafe: is `cur` at least as safe as `old` was? */
function regsafe(old: Reg, cur: Reg, ids: IdMap, exact: boolean): boolean {
  if (old.type === 'not_init') return !exact || cur.type === 'not_init';
  if (old.type !== cur.type) return false;
  if (old.maybeNull !== cur.maybeNull || old.rdonly !== cur.rdonly) return false;
  switch (old.type) {
    case 'scalar':
      if (exact) return sameBounds(old, cur) && ids.ok(old.id, cur.id);
      if (!old.precise) return true;
      if (!scalarWithin(old, cur)) return false;
      return !old.id || ids.ok(old.id, cur.id);
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
        old.map === cur.map &&
        old.memSize === cur.memSize &&
        sameBounds(old, cur) &&
        ids.ok(old.id, cur.id) &&
        ids.ok(old.refObjId, cur.refObjId)
      );
  }
}

function sameBounds(a: Reg, b: Reg): boolean {
  return (
    a.umin === b.umin &&
    a.umax === b.umax &&
    a.smin === b.smin &&
    a.smax === b.smax &&
    a.u32min === b.u32min &&
    a.u32max === b.u32max &&
    a.s32min === b.s32min &&
    a.s32max === b.s32max &&
    a.varOff.value === b.varOff.value &&
    a.varOff.mask === b.varOff.mask
  );
}

/** stacksafe */
function stacksafe(old: FuncState, cur: FuncState, ids: IdMap, exact: boolean): boolean {
  for (let spi = 0; spi < old.stack.length; spi++) {
    const o = old.stack[spi] as StackSlot;
    const c = cur.stack[spi];
    for (let i = 0; i < BPF_REG_SIZE; i++) {
      const ot = o.types[i] as number;
      const ct = c ? (c.types[i] as number) : STACK_INVALID;
      if (!exact && (ot === STACK_INVALID || ot === STACK_MISC)) continue;
      if (exact && ot !== ct) return false;
      if (ot === STACK_ZERO && ct === STACK_ZERO) continue;
      if (ot !== ct) return false;
    }
    if (o.types[BPF_REG_SIZE - 1] === STACK_SPILL && c && !regsafe(o.spilled, c.spilled, ids, exact))
      return false;
  }
  if (exact && cur.stack.length > old.stack.length) {
    for (let spi = old.stack.length; spi < cur.stack.length; spi++)
      if ((cur.stack[spi] as StackSlot).types.some((t) => t !== STACK_INVALID)) return false;
  }
  return true;
}

/**
 * states_equal(old, cur): `old` was (or is being) verified safe and covers `cur`. `liveRegs` is the
 * static liveness mask of the innermost frame's registers at the instruction (compute_live_registers).
 */
export function statesEqual(old: VState, cur: VState, liveRegs: number, exact: boolean): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  if (old.refs.length !== cur.refs.length) return false;
  const ids = new IdMap();
  for (let i = 0; i < old.refs.length; i++)
    if (!ids.ok((old.refs[i] as Reference).id, (cur.refs[i] as Reference).id)) return false;
  for (let fi = 0; fi < old.frames.length; fi++) {
    const o = old.frames[fi] as FuncState;
    const c = cur.frames[fi] as FuncState;
    if (o.callsite !== c.callsite) return false;
    const top = fi === old.frames.length - 1;
    for (let r = 0; r < 11; r++) {
      // Only the innermost frame's registers have a static liveness mask.
      if (top && !exact && !(liveRegs & (1 << r))) continue;
      if (!regsafe(o.regs[r] as Reg, c.regs[r] as Reg, ids, exact)) return false;
    }
    if (!stacksafe(o, c, ids, exact)) return false;
  }
  return true;
}

/** Marks the caller-saved registers R1–R5 unreadable after a call (caller_saved). */
export function clobberCallerSaved(f: FuncState): void {
  for (let r = 1; r <= 5; r++) markNotInit(f.regs[r] as Reg);
}
