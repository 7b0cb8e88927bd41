// The run-time state a compiled program works against (the `S` of compiler.ts): helper and kfunc
// dispatch, the helpers' view of their arguments, the bpf-to-bpf call stack, tail calls and
// callbacks, and the instruction budget; its memory side (regions, packet, slow paths of loads and
// stores) is machineMemory.ts.
import { ADDR_BASE, MAX_CALL_FRAMES, REGION_STACK0 } from './memory';
import type { Region, RegionKind } from './memory';
import { MachineMemory } from './machineMemory';
import { VmFault } from './vmFault';
import type { CompiledProgram } from './compiler';
import type { BpfMap } from '../maps/bpfMap';
import { MapMemoryError } from '../maps/mapMemory';
import type { ConntrackTable } from '../xdp/conntrack';

/** A helper implementation: reads r1–r5 from M.A (hi, lo pairs), returns r0's low word, sets M.rh. */
export type HelperFn = (M: Machine, pc: number) => number;
/**
 * A helper called with r1–r3 as (hi, lo) arguments instead of through M.A (helperTable.ts
 * helperDirect): the compiled code's direct call, as the kernel's fixups call a map's own op.
 */
export type DirectHelperFn = (
  M: Machine,
  pc: number,
  a1h: number,
  a1l: number,
  a2h: number,
  a2l: number,
  a3h: number,
  a3l: number,
) => number;
/** A kfunc implementation (vm/kfuncs.ts): the same calling convention as a helper. */
export type KfuncFn = HelperFn;
/**
 * A kfunc called with its arguments as (hi, lo) pairs instead of through M.A (kfuncs.ts
 * kfuncDirect): the compiled code's direct call, r1..rN of the kfunc's prototype and no more.
 */
export type DirectKfuncFn = (
  M: Machine,
  pc: number,
  a1h: number,
  a1l: number,
  a2h: number,
  a2l: number,
  a3h: number,
  a3l: number,
  a4h: number,
  a4l: number,
  a5h: number,
  a5l: number,
) => number;

// Where these constants were defined before the split (importers across core and in flight).
export { DEFAULT_BUDGET } from './machineMemory';
export {
  FIRST_DYNAMIC_REGION,
  MAX_CALL_FRAMES,
  REGION_CTX,
  REGION_FUNC,
  REGION_MEMORY,
  REGION_NULL,
  REGION_PACKET,
  REGION_STACK0,
  STACK_SIZE,
} from './memory';
/** The kernel's limit of 33 tail calls per run (MAX_TAIL_CALL_CNT). */
export const MAX_TAIL_CALLS = 33;

/** What helpers read of the simulated kernel (implemented by BpfSystem). */
export interface HelperEnvironment {
  readonly redirectEnv: { ifindexExists(ifindex: number): boolean };
  readonly routes: import('../helpers/fibLookup').RouteTable | undefined;
  mtuOf(ifindex: number): number;
  /** Lines of bpf_trace_printk. */
  readonly printk: string[];
  /** Remarks about answers the VM had to make up (e.g. no route table). */
  readonly notes: string[];
  now(): bigint;
  random(): number;
  /** The conntrack table the conntrack kfuncs look into (xdp/conntrack.ts). */
  readonly conntrack: ConntrackTable;
}

/** What the machine needs of a program to run it and its callbacks and tail calls. */
export interface RunnableProgram {
  readonly name: string;
  compiled(trace: boolean): CompiledProgram;
  lineOf(pc: number): string | undefined;
}

export class Machine extends MachineMemory {
  readonly A = new Int32Array(10);
  depth = 0;
  cs: number[] = [];
  tail: RunnableProgram | null = null;
  tailCount = 0;
  readonly stack0 = REGION_STACK0;
  helpers: (HelperFn | undefined)[] = [];
  /** Kfunc implementations by the id the loader writes into a kfunc call's imm (vm/kfuncs.ts). */
  kfuncs: (KfuncFn | undefined)[] = [];
  /** Regions of kernel objects a kfunc acquired in this run (nf_conn): dropped when the run ends. */
  readonly kernelRefs: Region[] = [];
  /** Per-instruction callback of traced runs. */
  trace: ((pc: number, ...regs: number[]) => void) | undefined;
  current: RunnableProgram | undefined;
  tracing = false;
  system!: HelperEnvironment;

  /**
   * bpf_map_lookup_elem (helper 1) called directly by the compiled code: a map pointer in r1 and a
   * key in bounds go straight to the map (as the kernel's inlined lookups do); anything else takes
   * the helper, which faults with its usual messages.
   */
  lookupElem(pc: number, mh: number, ml: number, kh: number, kl: number): number {
    const m = this.R[mh];
    const k = this.R[kh];
    const a = kl - ADDR_BASE;
    const t = m?.lookupTable;
    if (t !== undefined && ml === ADDR_BASE && k !== undefined && a >= k.lo && a + 4 <= k.hi) {
      // An array's lookup as the kernel inlines it: NULL past max_entries, else the value's region.
      const i = k.dv.getUint32(a, true);
      if (i >= t.max) {
        this.rh = 0;
        return 0;
      }
      const id = t.ids[i + this.cpu * t.stride] as number;
      if (id !== 0) {
        this.rh = id;
        return ADDR_BASE;
      }
    }
    if (m !== undefined && m.kind === 'map' && ml === ADDR_BASE && k !== undefined && a >= k.lo) {
      const map = m.ref as BpfMap;
      if (a + map.def.keySize <= k.hi) {
        let r: Region | undefined;
        try {
          r = map.lookupAt(k, a, this.cpu);
        } catch (e) {
          if (e instanceof MapMemoryError) this.fault(pc, e.message);
          throw e;
        }
        if (r === undefined) {
          this.rh = 0;
          return 0;
        }
        if (t !== undefined) t.ids[k.dv.getUint32(a, true) + this.cpu * t.stride] = r.id;
        this.rh = r.id;
        return ADDR_BASE;
      }
    }
    const A = this.A;
    A[0] = mh;
    A[1] = ml;
    A[2] = kh;
    A[3] = kl;
    return this.call(pc, 1);
  }

  call(pc: number, id: number): number {
    const h = this.helpers[id];
    if (h === undefined)
      this.fault(
        pc,
        id === 0xbad2310 // libbpf's bpf_core_poison_insn
          ? 'reached an instruction poisoned by an unresolved CO-RE relocation (libbpf writes call 0xbad2310; the kernel refuses it as "invalid func unknown#195896080")'
          : `helper ${id} is not available in this run`,
      );
    return h(this, pc);
  }

  /** A kfunc call (BPF_PSEUDO_KFUNC_CALL): r1–r5 in A, as for helpers. */
  kfunc(pc: number, id: number): number {
    const k = this.kfuncs[id];
    if (k === undefined) this.fault(pc, `kfunc #${id} is not available in this run`);
    return k(this, pc);
  }

  /** Frees the kernel-object regions of the run that ended (a fault can leave references behind). */
  dropKernelRefs(): void {
    for (const r of this.kernelRefs) this.freeRegion(r);
    this.kernelRefs.length = 0;
  }

  // ---- utilities for helpers ------------------------------------------------------------------

  /** Argument i (1..5) as hi/lo. */
  argLo(i: number): number {
    return this.A[2 * i - 1] as number;
  }
  argHi(i: number): number {
    return this.A[2 * i - 2] as number;
  }
  /** Argument as an unsigned 64-bit BigInt (flags, keys). */
  argU64(i: number): bigint {
    return (BigInt(this.argHi(i) >>> 0) << 32n) | BigInt(this.argLo(i) >>> 0);
  }

  /** Bytes [ptr, ptr+size) of argument i, bounds-checked like the verifier checks helper memory args. */
  argMem(pc: number, i: number, size: number, write: boolean, what: string): Uint8Array {
    const hi = this.argHi(i);
    const a = this.argLo(i) - ADDR_BASE;
    const m = this.R[hi];
    if (write && m !== undefined && this.packetLocked && m.kind === 'packet') this.unlockPacket(m);
    if (m === undefined || size < 0 || a < m.lo || a + size > (write ? m.whi : m.hi)) {
      if (m && m.kind === 'null' && size === 0) return new Uint8Array(0);
      try {
        this.badAccess(pc, write ? 'write' : 'read', size, hi, a);
      } catch (e) {
        if (e instanceof VmFault) this.fault(pc, `${what} (argument ${i}): ${e.message}`);
        throw e;
      }
    }
    return m.u8.subarray(a, a + size);
  }

  /** The little-endian int32 that argument i points to (4-byte keys: no copy). */
  argI32At(pc: number, i: number, what: string): number {
    const hi = this.argHi(i);
    const a = this.argLo(i) - ADDR_BASE;
    const m = this.R[hi];
    if (m === undefined || a < m.lo || a + 4 > m.hi)
      return new DataView(this.argMem(pc, i, 4, false, what).buffer).getInt32(0, true);
    return m.dv.getInt32(a, true);
  }

  /** The region argument i points to (map pointers, ringbuf samples), or a fault. */
  argRegion(pc: number, i: number, kind: RegionKind, what: string): Region {
    const m = this.R[this.argHi(i)];
    if (m === undefined || m.kind !== kind)
      this.fault(pc, `${what} (argument ${i}) is not a ${kind === 'map' ? 'map pointer' : kind}`);
    return m;
  }

  /** Returns a pointer to offset 0 of a region (or NULL). */
  ptr(r: Region | undefined): number {
    // (\`=== undefined\`, not \`!r\`: a full ToBoolean on every pointer a helper or kfunc returns.)
    if (r === undefined) {
      this.rh = 0;
      return 0;
    }
    this.rh = r.id;
    return ADDR_BASE;
  }

  /** Returns a signed 64-bit number (helper return codes). */
  ret(v: number): number {
    this.rh = v < 0 ? -1 : 0;
    return v | 0;
  }

  /**
   * Runs a tail call taken inside a bpf-to-bpf sub-program: the target (and any tail calls it
   * takes) runs in the sub-program's frame with the context in r1; returns its r0 (hi in rh).
   */
  tailInSubprogram(): number {
    const caller = this.current;
    const ctxH = this.A[0] as number;
    const ctxL = this.A[1] as number;
    let lo = 0;
    try {
      while (this.tail !== null) {
        const prog = this.tail;
        this.tail = null;
        this.current = prog;
        lo = prog.compiled(this.tracing)(this, 0, ctxH, ctxL, 0, 0, 0, 0, 0, 0, 0, 0);
      }
    } finally {
      this.current = caller;
    }
    return lo;
  }

  /** Calls a callback subprogram (bpf_loop and friends) at `entry` with up to 5 arguments. */
  invoke(pc: number, entry: number, args: number[]): number {
    const prog = this.current;
    if (!prog) this.fault(pc, 'no program to call back into');
    if (this.depth + 1 >= MAX_CALL_FRAMES) this.fault(pc, `call depth exceeds ${MAX_CALL_FRAMES} frames`);
    this.depth++;
    try {
      const a = (k: number): number => args[k] ?? 0;
      return prog.compiled(this.tracing)(
        this,
        entry,
        a(0),
        a(1),
        a(2),
        a(3),
        a(4),
        a(5),
        a(6),
        a(7),
        a(8),
        a(9),
      );
    } finally {
      this.depth--;
    }
  }
}
