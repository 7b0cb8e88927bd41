// The memory side of the VM's run state (the base of Machine, machine.ts): the region table, the
// packet window and the xdp_md context image (xdp_convert_ctx_access), and the slow paths of the
// compiled code's loads, stores and atomics — with every fault a verifier would have prevented.
import { ATOMIC_CMPXCHG, ATOMIC_FETCH, ATOMIC_XCHG } from './isa';
import {
  ADDR_BASE,
  FIRST_DYNAMIC_REGION,
  MAX_CALL_FRAMES,
  Region,
  REGION_CTX,
  REGION_FUNC,
  REGION_MEMORY,
  REGION_NULL,
  REGION_PACKET,
  REGION_STACK0,
  STACK_SIZE,
} from './memory';
import type { RegionKind } from './memory';
import { VmFault } from './vmFault';
import type { XdpBuffer, XdpRunContext } from './xdpRun';

/** Default instruction budget of one run (issue #3). */
export const DEFAULT_BUDGET = 1_000_000;

/** The xdp_md fields (uapi struct xdp_md), by byte offset. */
const XDP_MD = {
  data: 0,
  data_end: 4,
  data_meta: 8,
  ingress_ifindex: 12,
  rx_queue_index: 16,
  egress_ifindex: 20,
} as const;

export class MachineMemory {
  readonly R: Region[];
  budget = DEFAULT_BUDGET;
  n = 0;
  rh = 0;
  /** The XDP buffer and context of the current run (null for raw `exec`). */
  xdp: { buffer: XdpBuffer; ctx: XdpRunContext } | null = null;
  /** The object `xdp` points to during runs (reused: no allocation per run). */
  readonly xdpSlot: { buffer: XdpBuffer; ctx: XdpRunContext } = {
    buffer: { bytes: new Uint8Array(0), dataMeta: 0, data: 0, dataEnd: 0, frags: [] },
    ctx: { ingressIfindex: 0, rxQueueIndex: 0, egressIfindex: 0, cpu: 0, redirect: undefined as never },
  };
  cpu = 0;
  /**
   * Whether the packet's bytes may have changed since lockPacket(): a test run restores the frame
   * between repetitions only when they did. Until a run's first write the packet region is kept
   * read-only (whi = -1), so that write takes the slow path (store, atomic, argMem) and unlocks it.
   */
  packetDirty = true;
  protected packetLocked = false;
  /**
   * The xdp_md context as the kernel's rewrite reads it (lo, hi per 4-byte field: data, data_end,
   * data_meta, ingress_ifindex, rx_queue_index, egress_ifindex), [12] = 1 while it is valid. The
   * compiled code reads fields from it inline; syncPacket() keeps it current. The wasm tier points
   * it into its linear memory (its code reads the same image).
   */
  ctxImage = ctxImageOf();
  /** Counts changes of the packet region (syncPacket, the unlocking write): tiers with tables of their own refresh them. */
  windowMoves = 0;
  private readonly freeIds: number[] = [];
  /** Told of every dynamic region id allocated or freed (the wasm tier's region table follows). */
  onRegion: ((id: number) => void) | undefined;
  /**
   * Where map storage and test-run frames get their bytes when not from the JS heap: the wasm
   * tier's linear memory (wasmTier.ts attachLinearMemory), so its code reaches them inline.
   */
  allocBytes: ((n: number) => Uint8Array) | undefined;
  private runBytes: Uint8Array | undefined;

  constructor() {
    const null0 = new Region('null', REGION_NULL, new Uint8Array(0), false, 'NULL');
    this.R = [null0];
    for (let d = 0; d <= MAX_CALL_FRAMES; d++)
      this.R.push(
        new Region('stack', REGION_STACK0 + d, new Uint8Array(STACK_SIZE), true, `stack frame ${d}`),
      );
    this.R.push(new Region('ctx', REGION_CTX, new Uint8Array(24), false, 'xdp_md context'));
    this.R.push(new Region('packet', REGION_PACKET, new Uint8Array(0), true, 'packet'));
    this.R.push(new Region('memory', REGION_MEMORY, new Uint8Array(0), true, 'memory'));
    this.R.push(new Region('func', REGION_FUNC, new Uint8Array(0), false, 'callback'));
  }

  allocRegion(kind: RegionKind, u8: Uint8Array, writable: boolean, label: string, ref?: unknown): Region {
    const id = this.freeIds.pop() ?? this.R.length;
    const r = new Region(kind, id, u8, writable, label, ref);
    this.R[id] = r;
    this.onRegion?.(id);
    return r;
  }

  freeRegion(r: Region): void {
    if (this.R[r.id] !== r || r.id < FIRST_DYNAMIC_REGION) return;
    this.R[r.id] = this.R[REGION_NULL] as Region;
    this.freeIds.push(r.id);
    this.onRegion?.(r.id);
  }

  /**
   * A copy of `src` for a test run's frame: in allocBytes' memory when there is one (one buffer per
   * machine, reused: test runs do not nest and hand out copies of it), else on the JS heap.
   */
  testRunBytes(src: Uint8Array): Uint8Array {
    if (this.allocBytes === undefined) return src.slice();
    if (this.runBytes === undefined || this.runBytes.length < src.length)
      this.runBytes = this.allocBytes(src.length);
    const b = this.runBytes.length === src.length ? this.runBytes : this.runBytes.subarray(0, src.length);
    b.set(src);
    return b;
  }

  // ---- faults -------------------------------------------------------------------------------

  fault(pc: number, message: string): never {
    throw new VmFault(pc, message);
  }

  outOfBudget(pc: number, n: number): never {
    this.n = n;
    throw new VmFault(
      pc,
      `instruction budget exhausted after ${n} instructions (limit ${this.budget}): an endless loop?`,
    );
  }

  /** Names a bad access the way a verifier log would explain it. */
  protected badAccess(pc: number, what: 'read' | 'write', size: number, hi: number, a: number): never {
    const m = this.R[hi];
    const at = `${what} of ${size} byte${size === 1 ? '' : 's'}`;
    if (m === undefined || m.kind === 'null')
      this.fault(
        pc,
        `invalid memory access: ${at} through a pointer that is NULL or a scalar (0x${(hi >>> 0).toString(16)}${((a + ADDR_BASE) >>> 0).toString(16).padStart(8, '0')})`,
      );
    if (m.kind === 'map' || m.kind === 'func')
      this.fault(
        pc,
        `invalid memory access: ${at} through a ${m.kind === 'map' ? 'map pointer' : 'function pointer'} (${m.label})`,
      );
    if (what === 'write' && m.whi < 0) this.fault(pc, `write into read-only ${m.label}`);
    if (m.kind === 'packet') {
      const b = this.xdp?.buffer;
      const rel = b ? a - b.data : a;
      const len = b ? b.dataEnd - b.data : 0;
      this.fault(
        pc,
        `packet access out of bounds: ${at} at offset ${rel} from data, but data_end is at ${len} (missing or wrong 'if (ptr + N > data_end)' check)`,
      );
    }
    if (m.kind === 'stack') {
      this.fault(
        pc,
        `stack access out of bounds: ${at} at fp${a - STACK_SIZE >= 0 ? '+' : ''}${a - STACK_SIZE} (the frame is 512 bytes: fp-512 .. fp-1)`,
      );
    }
    this.fault(pc, `out-of-bounds ${at} at offset ${a} of ${m.label} (size ${m.hi - m.lo})`);
  }

  // ---- slow paths of the compiled code --------------------------------------------------------

  load(pc: number, size: number, sx: boolean, hi: number, a: number): number {
    const m = this.R[hi];
    if (m !== undefined && m.kind === 'ctx') return this.loadCtx(pc, size, a);
    return this.badAccess(pc, 'read', size, hi, a);
  }

  /** The kernel's xdp_md context rewrite: 32-bit fields become pointers or device facts. */
  private loadCtx(pc: number, size: number, off: number): number {
    const x = this.xdp;
    if (!x) this.fault(pc, 'no context in this run');
    if (size !== 4 || off < 0 || off > 20 || off % 4 !== 0)
      this.fault(
        pc,
        `invalid access to xdp_md: ${size} bytes at offset ${off} (only aligned 4-byte reads of its fields are allowed)`,
      );
    this.rh = 0;
    switch (off) {
      case XDP_MD.data:
        this.rh = REGION_PACKET;
        return (ADDR_BASE + x.buffer.data) | 0;
      case XDP_MD.data_end:
        this.rh = REGION_PACKET;
        return (ADDR_BASE + x.buffer.dataEnd) | 0;
      case XDP_MD.data_meta:
        this.rh = REGION_PACKET;
        return (ADDR_BASE + x.buffer.dataMeta) | 0;
      case XDP_MD.ingress_ifindex:
        return x.ctx.ingressIfindex | 0;
      case XDP_MD.rx_queue_index:
        return x.ctx.rxQueueIndex | 0;
      default:
        return x.ctx.egressIfindex | 0;
    }
  }

  store(pc: number, size: number, hi: number, a: number, vh: number, vl: number): void {
    const m = this.R[hi];
    if (m !== undefined && this.packetLocked && m.kind === 'packet' && a >= m.lo && a + size <= m.hi) {
      this.unlockPacket(m);
      const dv = m.dv;
      if (size === 8) {
        dv.setInt32(a, vl, true);
        dv.setInt32(a + 4, vh, true);
      } else if (size === 4) dv.setInt32(a, vl, true);
      else if (size === 2) dv.setUint16(a, vl & 0xffff, true);
      else dv.setUint8(a, vl & 0xff);
      return;
    }
    if (m !== undefined && m.kind === 'ctx')
      this.fault(
        pc,
        `write into the xdp_md context at offset ${a} (the context is read-only for XDP programs)`,
      );
    this.badAccess(pc, 'write', size, hi, a);
  }

  atomic(
    pc: number,
    size: number,
    op: number,
    hi: number,
    a: number,
    vh: number,
    vl: number,
    r0h: number,
    r0l: number,
  ): number {
    const m = this.R[hi];
    if (m !== undefined && this.packetLocked && m.kind === 'packet') this.unlockPacket(m);
    if (m === undefined || a < m.lo || a + size > m.whi) return this.badAccess(pc, 'write', size, hi, a);
    const dv = m.dv;
    const oldL = dv.getInt32(a, true);
    const oldH = size === 8 ? dv.getInt32(a + 4, true) : 0;
    let nl = oldL;
    let nh = oldH;
    const base = op & ~ATOMIC_FETCH;
    if (op === ATOMIC_XCHG) {
      nl = vl;
      nh = vh;
    } else if (op === ATOMIC_CMPXCHG) {
      if (oldL === r0l && (size === 4 || oldH === r0h)) {
        nl = vl;
        nh = vh;
      }
    } else if (base === 0x00) {
      const t = (oldL >>> 0) + (vl >>> 0);
      nl = t | 0;
      nh = (oldH + vh + (t > 0xffffffff ? 1 : 0)) | 0;
    } else if (base === 0x40) {
      nl = oldL | vl;
      nh = oldH | vh;
    } else if (base === 0x50) {
      nl = oldL & vl;
      nh = oldH & vh;
    } else {
      nl = oldL ^ vl;
      nh = oldH ^ vh;
    }
    dv.setInt32(a, nl, true);
    if (size === 8) dv.setInt32(a + 4, nh, true);
    this.rh = oldH;
    return oldL;
  }

  /** Points the packet region at the current XDP buffer window [data_meta, data_end). */
  syncPacket(): void {
    const b = this.xdp?.buffer;
    const p = this.R[REGION_PACKET] as Region;
    if (b) {
      p.setWindow(b.bytes, b.dataMeta, b.dataEnd, true, b.view);
      const x = this.ctxImage;
      const c = (this.xdp as { ctx: XdpRunContext }).ctx;
      x[0] = (ADDR_BASE + b.data) | 0;
      x[1] = REGION_PACKET;
      x[2] = (ADDR_BASE + b.dataEnd) | 0;
      x[3] = REGION_PACKET;
      x[4] = (ADDR_BASE + b.dataMeta) | 0;
      x[5] = REGION_PACKET;
      x[6] = c.ingressIfindex | 0;
      x[8] = c.rxQueueIndex | 0;
      x[10] = c.egressIfindex | 0;
      x[12] = 1;
    }
    this.packetLocked = false;
    this.packetDirty = true; // a helper moved the window, or a tier moved the bytes
    this.windowMoves++;
  }

  /**
   * A run's entry: syncPacket(), then lockPacket() for a test run. When the packet region ends as
   * it was (test-run repetitions, a recycled page) this is not counted as a move (windowMoves), so
   * tiers with tables of their own keep them. When nothing moved since the last entry's sync (the
   * same bytes and offsets, the same device facts, no helper or write moved the window since: every
   * repetition of a test run that does not write its frame) the region and the context image are
   * current as they are: only the image's valid flag is set (the kernel's bpf_test_run loop, too,
   * reuses one xdp_buff between repetitions).
   */
  enterPacket(lock: boolean): void {
    const x = this.xdp;
    if (x !== null && this.windowMoves === this.syncedMoves) {
      const b = x.buffer;
      const c = x.ctx;
      const X = this.ctxImage;
      const p = this.R[REGION_PACKET] as Region;
      if (
        p.u8 === b.bytes &&
        p.lo === b.dataMeta &&
        p.hi === b.dataEnd &&
        X[0] === ((ADDR_BASE + b.data) | 0) &&
        X[6] === (c.ingressIfindex | 0) &&
        X[8] === (c.rxQueueIndex | 0) &&
        X[10] === (c.egressIfindex | 0)
      ) {
        X[12] = 1;
        if (lock) {
          if (!this.packetLocked) this.lockPacket();
        } else {
          if (this.packetLocked) {
            p.whi = p.hi;
            this.packetLocked = false;
          }
          this.packetDirty = true;
        }
        return;
      }
    }
    this.enterPacketSlow(lock);
    this.syncedMoves = this.windowMoves;
  }

  /**
   * enterPacket(true) for a run on a frame of its own (the simulator's entry, simEntry.ts: every
   * frame of a poll has its own page, so the region nearly always moves): the same region, image,
   * lock and windowMoves/syncedMoves as enterPacket's slow path gives — a move counted only when
   * the region's bytes, window or write limit change — without saving, re-reading and restoring
   * the region around syncPacket. A frame whose window did not move takes enterPacket itself.
   */
  enterFrame(): void {
    const x = this.xdp as { buffer: XdpBuffer; ctx: XdpRunContext };
    const b = x.buffer;
    const p = this.R[REGION_PACKET] as Region;
    const u8 = b.bytes;
    const lo = b.dataMeta;
    const hi = b.dataEnd;
    if (p.u8 === u8 && p.lo === lo && p.hi === hi) {
      this.enterPacket(true);
      return;
    }
    p.setWindow(u8, lo, hi, false, b.view);
    const X = this.ctxImage;
    const c = x.ctx;
    // The pointers' high words ([1], [3], [5]) are REGION_PACKET from the image's creation on
    // (ctxImageOf), as the scalars' high words ([7], [9], [11]) are 0: nothing writes others.
    X[0] = (ADDR_BASE + b.data) | 0;
    X[2] = (ADDR_BASE + hi) | 0;
    X[4] = (ADDR_BASE + lo) | 0;
    X[6] = c.ingressIfindex | 0;
    X[8] = c.rxQueueIndex | 0;
    X[10] = c.egressIfindex | 0;
    X[12] = 1;
    this.packetLocked = true;
    this.packetDirty = false;
    this.syncedMoves = ++this.windowMoves;
  }

  /**
   * A test run's next repetition (runLoop.ts): the buffer, context and device are the last
   * repetition's, so only the program can have moved or written the packet since — and both count
   * in windowMoves. Nothing moved: the region and the image are current, still locked.
   */
  enterPacketRepeat(): void {
    // (\`=== false\`, not \`!\`: a field V8 keeps tagged gets a full ToBoolean per repetition.)
    if (this.windowMoves !== this.syncedMoves || this.packetLocked === false) this.enterPacket(true);
    else this.ctxImage[12] = 1;
  }

  /** windowMoves when enterPacket() last synced the packet region and the context image. */
  private syncedMoves = -1;

  private enterPacketSlow(lock: boolean): void {
    const p = this.R[REGION_PACKET] as Region;
    const u8 = p.u8;
    const lo = p.lo;
    const hi = p.hi;
    const whi = p.whi;
    const moves = this.windowMoves;
    this.syncPacket();
    if (lock) this.lockPacket();
    if (p.u8 === u8 && p.lo === lo && p.hi === hi && p.whi === whi) this.windowMoves = moves;
  }

  /** Starts watching for the first write to the packet (see packetDirty). */
  lockPacket(): void {
    (this.R[REGION_PACKET] as Region).whi = -1;
    this.packetLocked = true;
    this.packetDirty = false;
  }

  /** The first write to a locked packet: writable again, and dirty. */
  protected unlockPacket(m: Region): void {
    m.whi = m.hi;
    this.windowMoves++;
    this.packetLocked = false;
    this.packetDirty = true;
  }

  /** Marks the packet written by a helper that writes the frame's bytes directly. */
  packetWritten(): void {
    this.packetDirty = true;
  }
}

/**
 * A new context image: not valid ([12] = 0), with the high words of data, data_end and data_meta
 * already REGION_PACKET — every sync writes those same values, and Machine.enterFrame relies on
 * them being there (the wasm tier's image is a copy of this one: wasmEnv.ts).
 */
function ctxImageOf(): Int32Array {
  const x = new Int32Array(13);
  x[1] = REGION_PACKET;
  x[3] = REGION_PACKET;
  x[5] = REGION_PACKET;
  return x;
}
