// The memory writes of a recorded run: each store's (ST/STX, atomics) step, region, offset and bytes
// before and after, in typed arrays, plus the steps with hidden effects (calls, exits). Between two
// hidden steps a memory moves to another step by redoing or undoing stores instead of a replay.
import * as I from '../vm/isa';
import type { Region } from '../vm/memory';

/** What a step does to memory, per pc: nothing, a store of 1/2/4/8 bytes, or something hidden. */
export const STEP_PLAIN = 0;
export const STEP_HIDDEN = 255;

/** Per-pc kind (STEP_PLAIN, store size, STEP_HIDDEN), destination register and offset of a program. */
export interface StepKinds {
  kind: Uint8Array;
  dst: Uint8Array;
  off: Int16Array;
}

/** Classifies each instruction the way the interpreter's store and call paths (do_check's BPF_ST/STX/JMP) would. */
export function stepKinds(insns: readonly I.Insn[] | undefined): StepKinds {
  const n = insns ? insns.length : 0;
  const k: StepKinds = { kind: new Uint8Array(n), dst: new Uint8Array(n), off: new Int16Array(n) };
  if (!insns) return k;
  for (let pc = 0; pc < n; pc++) {
    const i = insns[pc] as I.Insn;
    const cls = I.opClass(i.op);
    const mode = i.op & 0xe0;
    if (cls === I.BPF_ST || cls === I.BPF_STX) {
      if (mode === I.BPF_MEM || mode === I.BPF_ATOMIC) {
        k.kind[pc] = I.sizeBytes(i.op);
        k.dst[pc] = i.dst & 15;
        k.off[pc] = i.off;
      } else k.kind[pc] = STEP_HIDDEN;
    } else if ((cls === I.BPF_JMP || cls === I.BPF_JMP32) && (mode === I.JMP_CALL || mode === I.JMP_EXIT))
      k.kind[pc] = STEP_HIDDEN;
  }
  return k;
}

/** Index of the first element of a[0..n) that is >= v (a sorted ascending). */
function lowerBound(a: Int32Array, n: number, v: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if ((a[m] as number) < v) lo = m + 1;
    else hi = m;
  }
  return lo;
}

const grow = <T extends Int32Array | Uint8Array>(a: T, n: number): T => {
  const b = new (a.constructor as new (n: number) => T)(n);
  b.set(a);
  return b;
};

export class StoreLog {
  private step = new Int32Array(1024);
  private region = new Int32Array(1024);
  private off = new Int32Array(1024);
  private size = new Uint8Array(1024);
  private old = new Uint8Array(8 * 1024);
  private now = new Uint8Array(8 * 1024);
  count = 0;
  private hidden = new Int32Array(1024);
  hiddenCount = 0;
  /** The entry whose new bytes are read at the next step (-1: none). */
  private pending = -1;

  /** Notes that step `i` has effects the log cannot see. */
  hide(i: number): void {
    if (this.hiddenCount === this.hidden.length) this.hidden = grow(this.hidden, this.hidden.length * 2);
    this.hidden[this.hiddenCount++] = i;
  }

  /** Drops the hidden mark of the run's last step when it is the final exit (nothing runs after it). */
  unhideLast(i: number): void {
    if (this.hiddenCount > 0 && this.hidden[this.hiddenCount - 1] === i) this.hiddenCount--;
  }

  /** Before step `i` stores `size` bytes at `off` of region `id`: keeps the old bytes. */
  store(R: readonly (Region | undefined)[], i: number, id: number, off: number, size: number): void {
    this.settle(R);
    const r = id >= 0 ? R[id] : undefined;
    if (r === undefined || off < 0 || off + size > r.u8.length) return; // it faults: nothing is written
    if (this.count === this.step.length) {
      const n = this.step.length * 2;
      this.step = grow(this.step, n);
      this.region = grow(this.region, n);
      this.off = grow(this.off, n);
      this.size = grow(this.size, n);
      this.old = grow(this.old, 8 * n);
      this.now = grow(this.now, 8 * n);
    }
    const e = this.count++;
    this.step[e] = i;
    this.region[e] = id;
    this.off[e] = off;
    this.size[e] = size;
    const u8 = r.u8;
    for (let b = 0; b < size; b++) this.old[8 * e + b] = u8[off + b] as number;
    this.pending = e;
  }

  /** Reads the bytes the pending store wrote (called at the next step and after the run). */
  settle(R: readonly (Region | undefined)[]): void {
    const e = this.pending;
    if (e < 0) return;
    this.pending = -1;
    const r = R[this.region[e] as number];
    const off = this.off[e] as number;
    const size = this.size[e] as number;
    for (let b = 0; b < size; b++)
      this.now[8 * e + b] = r && off + b < r.u8.length ? (r.u8[off + b] as number) : this.old[8 * e + b]!;
  }

  /** Hidden steps before step i: two steps with the same count are joined by stores alone. */
  segment(i: number): number {
    return lowerBound(this.hidden, this.hiddenCount, i);
  }

  /** Moves memory `R` from before step `from` to before step `to` (same segment) by redoing or undoing stores. */
  move(R: readonly (Region | undefined)[], from: number, to: number): void {
    const a = lowerBound(this.step, this.count, Math.min(from, to));
    const b = lowerBound(this.step, this.count, Math.max(from, to));
    if (to > from) for (let e = a; e < b; e++) this.put(R, e, this.now);
    else for (let e = b - 1; e >= a; e--) this.put(R, e, this.old);
  }

  private put(R: readonly (Region | undefined)[], e: number, bytes: Uint8Array): void {
    const r = R[this.region[e] as number];
    if (r === undefined) return;
    const off = this.off[e] as number;
    const size = this.size[e] as number;
    const u8 = r.u8;
    for (let b = 0; b < size && off + b < u8.length; b++) u8[off + b] = bytes[8 * e + b] as number;
  }

  get byteSize(): number {
    return this.step.length * (4 + 4 + 4 + 1 + 16) + this.hidden.length * 4;
  }
}
