// The wasm tier's JS side: one linear memory per machine (stack frames; the packet during a run),
// the imports a module calls (helpers, slow paths, atomics, faults) and the wrapper that makes a
// module a CompiledProgram, so the machine, tail calls and callbacks run it like the JS tier's code.
import type { Insn } from '../isa';
import type { CompiledProgram, CompileOptions } from '../compiler';
import type { Machine } from '../machine';
import { MAX_CALL_FRAMES, REGION_MEMORY, REGION_PACKET, REGION_STACK0, STACK_SIZE } from '../machine';
import { ADDR_BASE } from '../memory';
import { LoadError } from '../vmFault';
import { compileWasm } from './wasmCompiler';
import { IMPORTS } from './wasmFrame';
import * as W from './wasmLayout';

/** The part of the WebAssembly JS API the tier uses (core has no DOM or Node typings). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Memory: new (d: { initial: number }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** Whether this JavaScript engine can run the wasm tier. */
export const wasmAvailable = (): boolean => wasmApi !== undefined;

type RunFn = (blk: number, main: number, ...rest: number[]) => number;

/** The linear memory of one machine and the views the imports use. */
class WasmEnv {
  readonly memory: WasmMemory;
  u8!: Uint8Array;
  i32!: Int32Array;
  /** An XDP run has moved the packet into linear memory (nested invocations leave it there). */
  packetIn = false;
  private readonly packetViews = new Map<number, Uint8Array>();
  private readonly packetDataViews = new Map<number, DataView>();

  constructor(
    readonly M: Machine,
    api: WasmApi,
  ) {
    this.memory = new api.Memory({ initial: W.BASE_PAGES });
    this.remap();
  }

  /** (Re)creates the views after the memory grew and re-points the stack regions at it. */
  private remap(): void {
    this.u8 = new Uint8Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
    this.packetViews.clear();
    this.packetDataViews.clear();
    for (let id = 0; id < W.TABLE_REGIONS; id++) this.setEntry(id, 0, 0, -1, -1);
    for (let d = 0; d <= MAX_CALL_FRAMES; d++) {
      const r = this.M.R[REGION_STACK0 + d];
      if (!r) continue;
      const at = W.STACK_AREA + d * STACK_SIZE;
      const view = this.u8.subarray(at, at + STACK_SIZE);
      view.set(r.u8.subarray(0, Math.min(STACK_SIZE, r.u8.length)));
      r.setWindow(view, 0, STACK_SIZE, true);
      this.refresh(REGION_STACK0 + d);
    }
  }

  private setEntry(id: number, base: number, lo: number, hi: number, whi: number): void {
    const o = (W.REGION_TABLE + id * W.ENTRY_BYTES) >> 2;
    this.i32[o] = base;
    this.i32[o + 1] = lo;
    this.i32[o + 2] = hi;
    this.i32[o + 3] = whi;
  }

  /** Copies region `id`'s window into the table (or marks it slow-path only). */
  refresh(id: number): void {
    const r = this.M.R[id];
    if (r && r.u8.buffer === this.u8.buffer && r.u8.length > 0)
      this.setEntry(id, r.u8.byteOffset, r.lo, r.hi, r.whi);
    else this.setEntry(id, 0, 0, -1, -1);
  }

  /**
   * The packet's table entry: its window in linear memory while an XDP run has moved it in (helpers
   * such as bpf_xdp_adjust_head move the window, never the bytes), else slow-path only.
   */
  refreshPacket(): void {
    const r = this.M.R[REGION_PACKET];
    if (this.packetIn && r !== undefined) this.setEntry(REGION_PACKET, W.PACKET_AREA, r.lo, r.hi, r.whi);
    else this.setEntry(REGION_PACKET, 0, 0, -1, -1);
  }

  /**
   * The context image (wasmLayout.ts CTX_IMAGE) from the current XDP run: the packet pointers
   * as the kernel's context rewrite gives them (Machine.loadCtx) and the device fields.
   */
  refreshCtx(): void {
    const x = this.M.xdp;
    const i32 = this.i32;
    if (x === null) {
      i32[W.CTX_VALID >> 2] = 0;
      return;
    }
    const o = W.CTX_IMAGE >> 2;
    const b = x.buffer;
    i32[o] = (ADDR_BASE + b.data) | 0;
    i32[o + 1] = REGION_PACKET;
    i32[o + 2] = (ADDR_BASE + b.dataEnd) | 0;
    i32[o + 3] = REGION_PACKET;
    i32[o + 4] = (ADDR_BASE + b.dataMeta) | 0;
    i32[o + 5] = REGION_PACKET;
    i32[o + 6] = x.ctx.ingressIfindex | 0;
    i32[o + 7] = 0;
    i32[o + 8] = x.ctx.rxQueueIndex | 0;
    i32[o + 9] = 0;
    i32[o + 10] = x.ctx.egressIfindex | 0;
    i32[o + 11] = 0;
    i32[W.CTX_VALID >> 2] = 1;
  }

  /** `exec` memory: a view of `length` bytes in linear memory (grows the memory when needed). */
  memoryView(length: number): Uint8Array {
    const need = W.MEMORY_AREA + length;
    if (need > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((need - this.memory.buffer.byteLength) / W.PAGE));
      this.remap();
    }
    return this.u8.subarray(W.MEMORY_AREA, W.MEMORY_AREA + length);
  }

  /** `a.subarray(0, end)` for copying the packet in (0) and out (1): runs reuse their buffers. */
  private readonly prefixes = [
    { a: undefined as Uint8Array | undefined, end: -1, sub: new Uint8Array(0) as Uint8Array },
    { a: undefined as Uint8Array | undefined, end: -1, sub: new Uint8Array(0) as Uint8Array },
  ];
  prefix(a: Uint8Array, end: number, dir: 0 | 1): Uint8Array {
    const p = this.prefixes[dir] as (typeof this.prefixes)[0];
    if (p.a !== a || p.end !== end) {
      p.a = a;
      p.end = end;
      p.sub = a.subarray(0, end);
    }
    return p.sub;
  }

  /** A DataView over packetView(length) (kept like the views: runs make none). */
  packetDataView(length: number): DataView {
    let v = this.packetDataViews.get(length);
    if (v === undefined) {
      const u8 = this.packetView(length);
      v = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
      this.packetDataViews.set(length, v);
    }
    return v;
  }

  packetView(length: number): Uint8Array {
    let v = this.packetViews.get(length);
    if (v === undefined) {
      v = this.u8.subarray(W.PACKET_AREA, W.PACKET_AREA + length);
      this.packetViews.set(length, v);
    }
    return v;
  }

  get n(): number {
    return (this.i32[W.SLOT_N >> 2] as number) + (this.i32[(W.SLOT_N >> 2) + 1] as number) * 4294967296;
  }

  set n(v: number) {
    this.i32[W.SLOT_N >> 2] = v | 0;
    this.i32[(W.SLOT_N >> 2) + 1] = Math.floor(v / 4294967296) | 0;
  }
}

const envs = new WeakMap<Machine, WasmEnv>();

function envOf(M: Machine): WasmEnv {
  let env = envs.get(M);
  if (!env) {
    if (!wasmApi) throw new LoadError('this JavaScript engine has no WebAssembly');
    env = new WasmEnv(M, wasmApi);
    envs.set(M, env);
  }
  return env;
}

/**
 * `exec` memory for a raw run: `bytes` copied into the machine's linear memory, the memory
 * region pointed at it. Returns the view (read it after the run for the memory's final bytes).
 */
export function placeRawMemory(M: Machine, bytes: Uint8Array): Uint8Array {
  const env = envOf(M);
  const view = env.memoryView(bytes.length);
  view.set(bytes);
  M.R[REGION_MEMORY]?.setWindow(view, 0, view.length, true);
  env.refresh(REGION_MEMORY);
  return view;
}

/** The imports of a module instance for machine M (wasmCompiler.ts IMPORTS, in order). */
function importsFor(M: Machine, env: WasmEnv, messages: string[]): Record<string, unknown> {
  const slotRh = W.SLOT_RH >> 2;
  const args = W.SLOT_ARGS >> 2;
  const fns: Record<(typeof IMPORTS)[number], unknown> = {
    call(pc: number, id: number): number {
      const i32 = env.i32;
      const A = M.A;
      for (let k = 0; k < 5; k++) {
        A[2 * k] = i32[args + 2 * k + 1] as number;
        A[2 * k + 1] = i32[args + 2 * k] as number;
      }
      M.n = env.n;
      M.depth = i32[W.SLOT_DEPTH >> 2] as number;
      const moves = M.windowMoves;
      const lo = M.call(pc, id);
      i32[slotRh] = M.rh;
      i32[W.SLOT_TAIL >> 2] = M.tail !== null ? 1 : 0;
      env.n = M.n;
      // Only a helper that moved the packet's window (adjust_head/tail/meta) or unlocked it with a
      // write changes the packet's table entry and the context image.
      if (M.windowMoves !== moves) {
        env.refreshPacket();
        env.refreshCtx();
      }
      return lo;
    },
    ld(pc: number, size: number, sx: number, h: number, lo: number, off: number): number {
      const a = lo + off - ADDR_BASE;
      const m = M.R[h];
      let v: number;
      if (m !== undefined && a >= m.lo && a + size <= m.hi) {
        const dv = m.dv;
        let hi = 0;
        if (size === 8) {
          v = dv.getInt32(a, true);
          hi = dv.getInt32(a + 4, true);
        } else if (size === 4) v = dv.getInt32(a, true);
        else if (size === 2) v = sx ? dv.getInt16(a, true) : dv.getUint16(a, true);
        else v = sx ? dv.getInt8(a) : dv.getUint8(a);
        if (size < 8) hi = sx ? v >> 31 : 0;
        env.i32[slotRh] = hi;
        return v;
      }
      v = M.load(pc, size, sx !== 0, h, a);
      env.i32[slotRh] = M.rh;
      return v;
    },
    st(pc: number, size: number, h: number, lo: number, off: number, vh: number, vl: number): void {
      const a = lo + off - ADDR_BASE;
      const m = M.R[h];
      if (m !== undefined && a >= m.lo && a + size <= m.whi) {
        const dv = m.dv;
        if (size === 8) {
          dv.setInt32(a, vl, true);
          dv.setInt32(a + 4, vh, true);
        } else if (size === 4) dv.setInt32(a, vl, true);
        else if (size === 2) dv.setUint16(a, vl & 0xffff, true);
        else dv.setUint8(a, vl & 0xff);
        return;
      }
      M.store(pc, size, h, a, vh, vl);
      if (h === REGION_PACKET) env.refreshPacket(); // the first write unlocked it
    },
    atomic(
      pc: number,
      size: number,
      op: number,
      h: number,
      lo: number,
      off: number,
      vh: number,
      vl: number,
      r0h: number,
      r0l: number,
    ): number {
      const v = M.atomic(pc, size, op, h, lo + off - ADDR_BASE, vh, vl, r0h, r0l);
      env.i32[slotRh] = M.rh;
      if (h === REGION_PACKET) env.refreshPacket(); // the first write unlocked it
      return v;
    },
    fault(pc: number, id: number): void {
      M.n = env.n;
      M.fault(pc, messages[id] ?? 'fault');
    },
    budget(pc: number): void {
      M.outOfBudget(pc, env.n);
    },
    tailsub(): number {
      M.n = env.n;
      const lo = M.tailInSubprogram();
      env.i32[slotRh] = M.rh;
      env.n = M.n;
      return lo;
    },
  };
  return fns;
}

/** One compiled module (with or without budget checks) and its instances, one per machine. */
class Variant {
  private readonly module: object;
  readonly entryOfPc: Int32Array;
  private readonly messages: string[];
  private readonly instances = new WeakMap<Machine, RunFn>();

  constructor(
    private readonly api: WasmApi,
    insns: readonly Insn[],
    opts: CompileOptions,
    unlimited: boolean,
  ) {
    const w = compileWasm(insns, opts, unlimited);
    try {
      this.module = new api.Module(w.bytes);
    } catch (e) {
      // The engine's limits (e.g. V8's 65 520 br_table entries: one per basic block).
      throw new LoadError(
        `the wasm tier cannot compile this program (${(e as Error).message}); use the js tier`,
      );
    }
    this.entryOfPc = w.entryOfPc;
    this.messages = w.messages;
  }

  private lastM: Machine | undefined;
  private lastRun: RunFn | undefined;

  runFor(M: Machine, env: WasmEnv): RunFn {
    if (M === this.lastM && this.lastRun) return this.lastRun;
    let r = this.instances.get(M);
    if (!r) {
      const inst = new this.api.Instance(this.module, {
        e: { ...importsFor(M, env, this.messages), mem: env.memory },
      });
      r = inst.exports['run'] as RunFn;
      this.instances.set(M, r);
    }
    this.lastM = M;
    this.lastRun = r;
    return r;
  }
}

/**
 * Compiles `insns` to a wasm module and returns it as a CompiledProgram (same calling convention as
 * the JS tier's function). Runs without a budget use a second module without the budget checks
 * (compiled on first use). Throws LoadError when the engine has no WebAssembly.
 */
export function compileWasmTier(insns: readonly Insn[], opts: CompileOptions): CompiledProgram {
  if (!wasmApi) throw new LoadError('this JavaScript engine has no WebAssembly (use the js tier)');
  const api = wasmApi;
  const checked = new Variant(api, insns, opts, false);
  let unchecked: Variant | undefined;
  let lastM: Machine | undefined;
  let lastEnv: WasmEnv | undefined;
  return function wasmProgram(S, pc, a1h, a1l, a2h, a2l, a3h, a3l, a4h, a4l, a5h, a5l): number {
    const M = S as Machine;
    const e = M === lastM && lastEnv ? lastEnv : (lastEnv = envOf(M));
    lastM = M;
    const variant = M.budget === Infinity ? (unchecked ??= new Variant(api, insns, opts, true)) : checked;
    const run = variant.runFor(M, e);
    const blk = pc === 0 ? 0 : (variant.entryOfPc[pc] ?? -1);
    if (blk < 0) return M.fault(pc, 'no instruction starts at pc ' + pc);
    // An XDP run: the packet's bytes move into linear memory for the run (and back after it).
    const x = M.xdp;
    let moved: Uint8Array | undefined;
    let movedView: DataView | undefined;
    let end0 = 0;
    if (x !== null && !e.packetIn && x.buffer.bytes.length <= W.PACKET_CAPACITY) {
      const b = x.buffer;
      moved = b.bytes;
      end0 = b.dataEnd;
      const view = e.packetView(moved.length);
      view.set(e.prefix(moved, end0, 0));
      b.bytes = view;
      movedView = b.view;
      b.view = e.packetDataView(moved.length);
      M.syncPacket();
      // Read-only until the run's first write (Machine.lockPacket): an unwritten packet is not
      // copied back, and a test run does not restore it.
      M.lockPacket();
      e.packetIn = true;
    }
    e.refreshPacket();
    e.refreshCtx();
    try {
      const lo = run(
        blk,
        pc === 0 ? 1 : 0,
        a1h,
        a1l,
        a2h,
        a2l,
        a3h,
        a3l,
        a4h,
        a4l,
        a5h,
        a5l,
        M.budget,
        M.n,
        M.depth,
      );
      M.rh = e.i32[W.SLOT_RH >> 2] as number;
      return lo;
    } finally {
      M.n = e.n;
      if (moved !== undefined && x !== null) {
        const b = x.buffer;
        const wrote = M.packetDirty;
        if (wrote) moved.set(e.prefix(b.bytes, Math.max(end0, b.dataEnd), 1));
        b.bytes = moved;
        b.view = movedView;
        M.syncPacket();
        M.packetDirty = wrote;
        e.packetIn = false;
        e.refreshPacket();
      }
    }
  };
}
