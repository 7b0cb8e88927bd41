// The wasm tier's linear memory, one per machine: its layout's tables kept current (regions, the
// packet, inline array lookups), the heap that map values and test-run frames are allocated from
// when the memory can be shared, and `exec` memory. wasmTier.ts runs modules against it.
import type { Machine } from '../machine';
import { MAX_CALL_FRAMES, REGION_MEMORY, REGION_PACKET, REGION_STACK0, STACK_SIZE } from '../machine';
import { ADDR_BASE } from '../memory';
import type { Region } from '../memory';
import { ArrayMap } from '../../maps/arrayMap';
import { RedirectSlotMap } from '../../maps/redirectSlotMap';
import { LoadError } from '../vmFault';
import * as W from './wasmLayout';

/** The part of the WebAssembly JS API the tier uses (core has no DOM or Node typings). */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
export interface WasmApi {
  Memory: new (d: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => object;
  Instance: new (m: object, imports: object) => { exports: Record<string, unknown> };
}
export const wasmApi = (globalThis as unknown as { WebAssembly?: WasmApi }).WebAssembly;

/** Whether this JavaScript engine can run the wasm tier. */
export const wasmAvailable = (): boolean => wasmApi !== undefined;

/**
 * Whether linear memories can be shared (Node; browsers only when cross-origin isolated): a shared
 * memory's views survive its growth, so map values and test-run frames can live in it for good.
 * Without it the tier copies the packet in and out and map values take the JS slow path.
 */
export const sharedMemory: boolean = ((): boolean => {
  try {
    if (wasmApi === undefined) return false;
    new wasmApi.Memory({ initial: 1, maximum: 1, shared: true });
    return true;
  } catch {
    return false;
  }
})();

/** An inlined array's pointer table in linear memory (wasmLayout.ts MAP_DESC). */
interface LookupTable {
  at: number;
  stride: number;
  map: ArrayMap;
}

/** The linear memory of one machine and the views the imports use. */
export class WasmEnv {
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
      this.regionChanges++;
      if (id < W.TABLE_REGIONS && id !== REGION_PACKET) this.refresh(id);
    };
    if (this.shared) M.allocBytes = (n): Uint8Array => this.alloc(n);
  }

  /** Is `u8` a view of this linear memory? (The last answer is kept: runs ask about one frame.) */
  holds(u8: Uint8Array): boolean {
    if (u8 === this.lastAsked) return this.lastAnswer;
    this.lastAsked = u8;
    const b = u8.buffer;
    this.lastAnswer = u8.length > 0 && (b === this.lastHeld || this.buffers.has(b));
    if (this.lastAnswer) this.lastHeld = b;
    return this.lastAnswer;
  }
  private lastAsked: Uint8Array | undefined;
  private lastAnswer = false;
  /** The buffer of the last view held (the simulator asks about a new frame page per run). */
  private lastHeld: ArrayBufferLike | undefined;

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
    this.knownBytes = undefined;
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

  /**
   * Presence bytes of the redirect maps whose bpf_redirect_map hits the compiled code answers inline
   * (REDIR_DESC): a DEVMAP, CPUMAP or XSKMAP of at most 65 536 slots, in a shared memory, whose
   * lookup is its class's own (a wrapper on the instance, such as the starter probe's, must see
   * every key). The map tells of every slot change (RedirectSlotMap.onSlotChange).
   */
  private readonly redirectDescribed: boolean[] = [];

  private describeRedirectMap(id: number, r: Region): void {
    const map = r.ref;
    if (!this.shared || !(map instanceof RedirectSlotMap) || this.redirectDescribed[id]) return;
    if (Object.prototype.hasOwnProperty.call(map, 'redirectTarget') || map.onSlotChange !== undefined) return;
    const max = map.def.maxEntries;
    if (max > 65536) return;
    const present = this.alloc(Math.max(1, max));
    if (!this.holds(present)) return;
    for (let i = 0; i < max; i++) present[i] = map.redirectTarget(i) !== undefined ? 1 : 0;
    map.onSlotChange = (i, p): void => {
      if (i < max) present[i] = p ? 1 : 0;
    };
    this.redirectDescribed[id] = true;
    const o = (W.REDIR_DESC + id * W.REDIR_DESC_BYTES) >> 2;
    this.i32[o] = present.byteOffset;
    this.i32[o + 1] = max;
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
    if (r !== undefined && r.kind === 'map') {
      this.describeMap(id, r);
      this.describeRedirectMap(id, r);
    }
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
    else if (r.u8 === this.knownBytes) this.packetEntry(this.knownAt, r.lo, r.hi, r.whi);
    else if (this.holds(r.u8)) this.packetEntry(r.u8.byteOffset, r.lo, r.hi, r.whi);
    else this.packetEntry(0, 0, -1, -1);
  }

  /**
   * refreshPacket for packet bytes `u8` its caller knows sit at `at` in this memory (the
   * simulator's pages, XdpBuffer.at): neither `holds` nor byteOffset is asked — both read a shared
   * memory view's buffer, a slow path in V8 — now or when the run's first write refreshes it.
   */
  packetAt(u8: Uint8Array, at: number): void {
    this.knownBytes = u8;
    this.knownAt = at;
    this.refreshPacket();
  }
  private knownBytes: Uint8Array | undefined;
  private knownAt = 0;

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
  /** Counts regions allocated and freed (a lookup that made one may leave caches to sweep). */
  regionChanges = 0;
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

export function envOf(M: Machine): WasmEnv {
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
