// The VM's memory model: every pointer is a 64-bit value whose high word names a region (context,
// packet, one stack frame, a map value, read-only data) and whose low word is ADDR_BASE + offset.
// Keeping offsets in the middle of the 32-bit range means pointer arithmetic by small amounts never
// borrows into the region word, so `ptr - 4 + 4` is the same pointer again (issue #3 "regions").

/** Offset 0 of every region, as seen in a register's low word. */
export const ADDR_BASE = 0x40000000;

export type RegionKind =
  'null' | 'ctx' | 'packet' | 'stack' | 'mapValue' | 'rodata' | 'memory' | 'map' | 'func' | 'kernelObject';

/**
 * DataViews of the byte arrays regions have pointed at. The simulator recycles packet pages
 * (BufferPool), so a run re-points the packet region at a page it has seen before; making a new
 * DataView for every program run was a sixth of a simulation's time. Weak: a page that is dropped
 * takes its view with it.
 */
const views = new WeakMap<Uint8Array, DataView>();
function viewOf(u8: Uint8Array): DataView {
  let dv = views.get(u8);
  if (dv === undefined) {
    dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    views.set(u8, dv);
  }
  return dv;
}

/**
 * For a map handle whose lookups may be answered from a table (an array whose value regions live as
 * long as the map: the kernel's array_map_gen_lookup): the region id of each index's value per CPU
 * (index + cpu * stride), 0 until a lookup made it.
 */
export interface LookupTable {
  readonly max: number;
  readonly stride: number;
  readonly ids: Int32Array;
}

export class Region {
  /** Map handles: see LookupTable (set by BpfSystem.createMap). */
  lookupTable: LookupTable | undefined = undefined;
  /** Bytes visible through this region; an access at offset o touches u8[o .. o+size). */
  u8: Uint8Array;
  dv: DataView;
  /** Readable offsets are [lo, hi); writable ones [lo, whi) (whi = -1 when read-only). */
  lo: number;
  hi: number;
  whi: number;
  constructor(
    readonly kind: RegionKind,
    readonly id: number,
    u8: Uint8Array,
    writable: boolean,
    /** What the region is, for fault messages ("map 'counters' value", "stack frame 0"). */
    readonly label: string,
    /** For kind 'map': the map object a helper receives. */
    readonly ref?: unknown,
  ) {
    this.u8 = u8;
    this.dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
    this.lo = 0;
    this.hi = kind === 'ctx' || kind === 'map' || kind === 'func' || kind === 'null' ? 0 : u8.byteLength;
    this.whi = writable ? this.hi : -1;
  }

  /**
   * Re-points the region at new bytes (adjust_head/tail move the packet window, §test_run).
   * `view`: a DataView over exactly `u8`, when the caller keeps one (else one is looked up).
   */
  setWindow(u8: Uint8Array, lo: number, hi: number, writable: boolean, view?: DataView): void {
    if (u8 !== this.u8) {
      this.u8 = u8;
      this.dv = view ?? viewOf(u8);
    }
    this.lo = lo;
    this.hi = hi;
    this.whi = writable ? hi : -1;
  }
}

/** A 64-bit register value as the VM keeps it: two int32 halves. */
export interface RegPair {
  hi: number;
  lo: number;
}

export const pairToBigInt = (hi: number, lo: number): bigint => (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
export const bigIntToPair = (v: bigint): RegPair => ({
  hi: Number(BigInt.asIntN(32, v >> 32n)),
  lo: Number(BigInt.asIntN(32, v)),
});

/** Kernel limits: 8 call frames (MAX_CALL_FRAMES), 512-byte stack per frame (MAX_BPF_STACK). */
export const MAX_CALL_FRAMES = 8;
export const STACK_SIZE = 512;

/** Fixed region ids (Machine.R). */
export const REGION_NULL = 0;
export const REGION_STACK0 = 1; // ids 1..9: one per call depth (callbacks may add one)
export const REGION_CTX = 10;
export const REGION_PACKET = 11;
export const REGION_MEMORY = 12;
/** Callback addresses (ld_imm64 pseudo func): this region with the target pc as the low word. */
export const REGION_FUNC = 13;
export const FIRST_DYNAMIC_REGION = 14;
