// The wasm tier's JS side: one linear memory per machine (stack frames; the packet during a run),
// the imports a module calls (helpers, slow paths, atomics, faults) and the wrapper that makes a
// module a CompiledProgram, so the machine, tail calls and callbacks run it like the JS tier's code.
import type { Insn } from '../isa';
import type { CompiledProgram, CompileOptions } from '../compiler';
import type { Machine } from '../machine';
import { MAX_CALL_FRAMES, REGION_MEMORY, REGION_PACKET, REGION_STACK0, STACK_SIZE } from '../machine';
import { ADDR_BASE } from '../memory';
import type { Region } from '../memory';
import { ArrayMap } from '../../maps/arrayMap';
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
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
}
const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** Whether this JavaScript engine can run the wasm tier. */
export const wasmAvailable = (): boolean => wasmApi !== undefined;

/**
 * Whether linear memories can be shared (Node; browsers only when cross-origin isolated): a shared
 * memory's views survive its growth, so map values and test-run frames can live in it for good.
 * Without it the tier copies the packet in and out and map values take the JS slow path.
 */
const sharedMemory: boolean = ((): boolean => {
  try {
    if (wasmApi === undefined) return false;
    new wasmApi.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
})();

type RunFn = (blk: number, main: number, ...rest: number[]) => number;

/** An inlined array's pointer table in linear memory (wasmLayout.ts MAP_DESC). */
interface LookupTable {
  at: number;
  stride: number;
  map: ArrayMap;
}

/** The linear memory of one machine and the views the imports use. */
class WasmEnv {
  readonly memory: WasmMemory;
  readonly shared = sharedMemory;
  u8!: Uint8Array;
  i32!: Int32Array;
  f64!: Float64Array;
  /** An XDP run has moved the packet into linear memory (nested invocations leave it there). */
  packetIn = false;
  /** Every buffer this memory has had (a shared memory's grow gives a new one; old views stay valid). */
  private readonly buffers = new WeakSet<object>();
  /** The heap's next free byte (shared memories: map values, test-run frames; never freed). */
  private heap = W.HEAP_AREA;
  private mapped = false;
  private packetLength = -1;
  private packetU8: Uint8Array = new Uint8Array(0);
  private packetDv: DataView = new DataView(new ArrayBuffer(0));

  constructor(
    readonly M: Machine,
    api: WasmApi,
  ) {
    this.memory = this.shared
      ? new api.Memory({ initial: W.BASE_PAGES, maximum: W.MAX_PAGES, shared: true })
      : new api.Memory({ initial: W.BASE_PAGES });
    this.remap();
    // The region table follows the machine's regions (map values are allocated and freed by id).
    M.onRegion = (id): void => {
      if (id < W.TABLE_REGIONS && id !== REGION_PACKET) this.refresh(id);
    };
    if (this.shared) M.allocBytes = (n): Uint8Array => this.alloc(n);
  }

  /** Is `u8` a view of this linear memory? (The last answer is kept: runs ask about one frame.) */
  holds(u8: Uint8Array): boolean {
    if (u8 === this.lastAsked) return this.lastAnswer;
    this.lastAsked = u8;
    this.lastAnswer = u8.length > 0 && this.buffers.has(u8.buffer);
    return this.lastAnswer;
  }
  private lastAsked: Uint8Array | undefined;
  private lastAnswer = false;

  /**
   * (Re)creates the views after the memory grew. An unshared memory's old views are detached: the
   * stack regions are re-pointed and the table rebuilt. A shared memory's stay valid (and with them
   * the table), so only the first call sets up.
   */
  private remap(): void {
    this.u8 = new Uint8Array(this.memory.buffer);
    this.i32 = new Int32Array(this.memory.buffer);
    this.f64 = new Float64Array(this.memory.buffer, 0, 8);
    this.buffers.add(this.memory.buffer);
    this.packetLength = -1;
    this.lastAsked = undefined; // an unshared memory's old views are now empty
    // The machine's context image is this memory's (wasmLayout.ts CTX_IMAGE): Machine.syncPacket
    // writes it for both tiers, so entering a run copies nothing.
    const ctx = new Int32Array(this.memory.buffer, W.CTX_IMAGE, W.CTX_IMAGE_WORDS);
    if (this.M.ctxImage.length === ctx.length) ctx.set(this.M.ctxImage);
    this.M.ctxImage = ctx;
    if (this.shared && this.mapped) return;
    this.mapped = true;
    for (let id = 0; id < W.TABLE_REGIONS; id++) this.setEntry(id, 0, 0, -1, -1);
    this.packetShadow.splice(0, 4, 0, 0, -1, -1);
    this.seenMoves = -1;
    for (let d = 0; d <= MAX_CALL_FRAMES; d++) {
      const r = this.M.R[REGION_STACK0 + d];
      if (!r) continue;
      const at = W.STACK_AREA + d * STACK_SIZE;
      const view = this.u8.subarray(at, at + STACK_SIZE);
      view.set(r.u8.subarray(0, Math.min(STACK_SIZE, r.u8.length)));
      r.setWindow(view, 0, STACK_SIZE, true);
    }
    const n = Math.min(this.M.R.length, W.TABLE_REGIONS);
    for (let id = 0; id < n; id++) if (id !== REGION_PACKET) this.refresh(id);
  }

  /**
   * `n` zeroed bytes of the heap (8-aligned), growing the memory when needed; past the memory's
   * maximum, ordinary bytes (their accesses then take the slow path, as unshared memories' do).
   */
  alloc(n: number): Uint8Array {
    const at = (this.heap + 7) & ~7;
    const end = at + n;
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      try {
        this.memory.grow(Math.max(W.HEAP_GROWTH_PAGES, Math.ceil((end - have) / W.PAGE)));
      } catch {
        return new Uint8Array(n);
      }
      this.remap();
    }
    this.heap = end;
    return this.u8.subarray(at, end);
  }

  private setEntry(id: number, base: number, lo: number, hi: number, whi: number): void {
    const o = (W.REGION_TABLE + id * W.ENTRY_BYTES) >> 2;
    this.i32[o] = base;
    this.i32[o + 1] = lo;
    this.i32[o + 2] = hi;
    this.i32[o + 3] = whi;
  }

  /**
   * Pointer tables of the maps whose lookups the compiled code inlines, by their handle's region
   * id (MAP_DESC): arrays whose value regions live as long as the map, in a shared memory.
   */
  readonly lookupTables: (LookupTable | undefined)[] = [];

  private describeMap(id: number, r: Region): void {
    const map = r.ref;
    if (!this.shared || !(map instanceof ArrayMap) || !map.regionsKept || this.lookupTables[id]) return;
    const max = map.def.maxEntries;
    const bytes = this.alloc(max * map.cpus * 8);
    if (!this.holds(bytes)) return;
    const t: LookupTable = { at: bytes.byteOffset, stride: map.percpu ? max : 0, map };
    this.lookupTables[id] = t;
    const o = (W.MAP_DESC + id * W.MAP_DESC_BYTES) >> 2;
    this.i32[o] = t.at;
    this.i32[o + 1] = max;
    this.i32[o + 2] = t.stride;
  }

  /** Remembers a lookup's answer (`lookup` import) where the inline lookup finds it next time. */
  remember(mh: number, kh: number, kl: number, vh: number): void {
    const t = this.lookupTables[mh];
    const k = this.M.R[kh];
    if (t === undefined || k === undefined || vh === 0) return;
    const key = k.dv.getUint32(kl - ADDR_BASE, true);
    const o = (t.at + (key + this.M.cpu * t.stride) * 8) >> 2;
    this.i32[o] = ADDR_BASE;
    this.i32[o + 1] = vh;
  }

  /** Copies region `id`'s window into the table (or marks it slow-path only). */
  refresh(id: number): void {
    const r = this.M.R[id];
    if (r !== undefined && r.kind === 'map') this.describeMap(id, r);
    if (r && this.holds(r.u8)) this.setEntry(id, r.u8.byteOffset, r.lo, r.hi, r.whi);
    else this.setEntry(id, 0, 0, -1, -1);
  }

  /**
   * The packet's table entry: its window in linear memory while an XDP run has moved it in or its
   * frame lives there (helpers such as bpf_xdp_adjust_head move the window, never the bytes), else
   * slow-path only.
   */
  refreshPacket(): void {
    const r = this.M.R[REGION_PACKET];
    if (r === undefined) return;
    if (this.packetIn) this.packetEntry(W.PACKET_AREA, r.lo, r.hi, r.whi);
    else if (this.holds(r.u8)) this.packetEntry(r.u8.byteOffset, r.lo, r.hi, r.whi);
    else this.packetEntry(0, 0, -1, -1);
  }

  /** The packet's entry, written only when it changed (a run's entry: stores to memory cost). */
  private packetEntry(base: number, lo: number, hi: number, whi: number): void {
    const p = this.packetShadow;
    if (p[0] === base && p[1] === lo && p[2] === hi && p[3] === whi) return;
    p[0] = base;
    p[1] = lo;
    p[2] = hi;
    p[3] = whi;
    this.setEntry(REGION_PACKET, base, lo, hi, whi);
  }
  private readonly packetShadow = [0, 0, -1, -1];
  /** Machine.windowMoves when the packet's entry was last refreshed. */
  seenMoves = -1;
  /** The CPU in SLOT_CPU, the flag in SLOT_TAIL. */
  cpu = 0;
  tailFlag = 0;

  /** `exec` memory: a view of `length` bytes in linear memory (grows the memory when needed). */
  memoryView(length: number): Uint8Array {
    if (this.shared && length > W.EXEC_RESERVE) {
      // Past the reserve the heap holds it: the last such area is reused when it is big enough.
      if (this.bigExec === undefined || this.bigExec.length < length) this.bigExec = this.alloc(length);
      if (this.bigExec.length === length) return this.bigExec;
      return this.bigExec.subarray(0, length);
    }
    const need = W.MEMORY_AREA + length;
    if (need > this.memory.buffer.byteLength) {
      this.memory.grow(Math.ceil((need - this.memory.buffer.byteLength) / W.PAGE));
      this.remap();
    }
    return this.u8.subarray(W.MEMORY_AREA, W.MEMORY_AREA + length);
  }

  private bigExec: Uint8Array | undefined;

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

  /** The packet area's first `length` bytes and a DataView over them (kept: runs make none). */
  packetView(length: number): Uint8Array {
    if (length !== this.packetLength) {
      this.packetLength = length;
      this.packetU8 = this.u8.subarray(W.PACKET_AREA, W.PACKET_AREA + length);
      this.packetDv = new DataView(this.packetU8.buffer, this.packetU8.byteOffset, length);
    }
    return this.packetU8;
  }

  packetDataView(length: number): DataView {
    this.packetView(length);
    return this.packetDv;
  }

  get n(): number {
    return this.f64[W.SLOT_N >> 3] as number;
  }

  set n(v: number) {
    this.f64[W.SLOT_N >> 3] = v;
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
 * Gives machine M its linear memory now (a system whose programs may run on the wasm tier, before
 * its maps are made): with a shared memory, M.allocBytes then allocates from its heap, so map
 * values and test-run frames live where the compiled code reaches them inline.
 */
export function attachLinearMemory(M: Machine): void {
  if (wasmApi) envOf(M);
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
  const fns: Record<(typeof IMPORTS)[number], unknown> = {
    call(
      pc: number,
      id: number,
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
    ): number {
      const i32 = env.i32;
      const A = M.A;
      A[0] = a1h;
      A[1] = a1l;
      A[2] = a2h;
      A[3] = a2l;
      A[4] = a3h;
      A[5] = a3l;
      A[6] = a4h;
      A[7] = a4l;
      A[8] = a5h;
      A[9] = a5l;
      const n = env.n;
      M.n = n;
      M.depth = i32[W.SLOT_DEPTH >> 2] as number;
      const moves = M.windowMoves;
      const lo = M.call(pc, id);
      i32[slotRh] = M.rh;
      // Written only when they change (stores to a shared memory cost): only a tail call sets the
      // flag, only callbacks (bpf_loop …) add instructions.
      const tail = M.tail !== null ? 1 : 0;
      if (tail !== env.tailFlag) i32[W.SLOT_TAIL >> 2] = env.tailFlag = tail;
      if (M.n !== n) env.n = M.n;
      // Only a helper that moved the packet's window (adjust_head/tail/meta) or unlocked it with a
      // write changes the packet's table entry and the context image.
      if (M.windowMoves !== moves) env.refreshPacket();
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
    lookup(pc: number, mh: number, ml: number, kh: number, kl: number): number {
      const lo = M.lookupElem(pc, mh, ml, kh, kl);
      env.i32[slotRh] = M.rh;
      if (env.lookupTables[mh] !== undefined) env.remember(mh, kh, kl, M.rh);
      return lo;
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
    const w = compileWasm(insns, opts, unlimited, sharedMemory ? W.MAX_PAGES : undefined);
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
    // (Not when the frame already lives in linear memory: a test run's, with a shared memory.)
    if (x !== null && !e.packetIn && !e.holds(x.buffer.bytes) && x.buffer.bytes.length <= W.PACKET_CAPACITY) {
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
    if (e.cpu !== M.cpu) {
      e.cpu = M.cpu;
      e.i32[W.SLOT_CPU >> 2] = M.cpu;
    }
    if (e.seenMoves !== M.windowMoves) {
      e.seenMoves = M.windowMoves;
      e.refreshPacket();
    }
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
