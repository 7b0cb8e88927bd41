// BPF_MAP_TYPE_DEVMAP (kernel/bpf/devmap.c): an array of egress devices for bpf_redirect_map, each
// slot {ifindex, optional devmap egress program}. User-space rules and errnos:
// redirect-semantics.md §1.3 "DEVMAP"; program-side lookup and redirect: §2.2.
import type { Region } from '../vm/memory';
import type { XdpProgramHandle } from '../vm/xdpRun';
import { BPF_EXIST, BPF_NOEXIST, u32At } from './bpfMap';
import { RedirectSlotMap } from './redirectSlotMap';
import type { MapDef, MapHost, MemView } from './bpfMap';
import { E2BIG, EEXIST, EINVAL, ENOENT } from './errno';
import { ownerCompatible } from './redirectMapEnv';
import type { MapOwner, RedirectMapEnvironment } from './redirectMapEnv';

/** One DEVMAP / DEVMAP_HASH slot as the redirect simulator reads it through RedirectInfo.tgtValue. */
export interface DevmapEntry {
  /** The egress device. */
  ifindex: number;
  /** The egress program (SEC("xdp/devmap")) run on each frame before transmit, if any. */
  prog?: XdpProgramHandle;
  /** The key the entry is stored under (slot index or hash key). */
  key: number;
}

/** What user space writes (struct bpf_devmap_val with the program as a handle instead of an fd). */
export interface DevmapValue {
  ifindex: number;
  prog?: XdpProgramHandle;
  /** A raw program fd as the syscall takes it: > 0 without a handle is a bad fd (EINVAL). */
  progFd?: number;
}

/** Reads a user-space value: a DevmapValue, or the raw bytes {u32 ifindex; s32 prog fd}. */
export function devmapValueOf(value: unknown): DevmapValue | undefined {
  if (value instanceof Uint8Array) {
    if (value.length < 4) return undefined;
    const fd = value.length >= 8 ? new DataView(value.buffer, value.byteOffset).getInt32(4, true) : 0;
    return { ifindex: u32At(value), progFd: fd };
  }
  if (value && typeof value === 'object' && typeof (value as DevmapValue).ifindex === 'number')
    return value as DevmapValue;
  return undefined;
}

/** Checks the entry a user-space update would create (§1.3 DEVMAP rules 5–6): 0 or -EINVAL. */
export function checkDevmapValue(
  v: DevmapValue,
  env: RedirectMapEnvironment,
  owner: MapOwner | undefined,
  valueSize: number,
): number {
  if (!env.ifindexExists(v.ifindex)) return -EINVAL;
  if (v.prog) {
    if (valueSize < 8 || v.prog.attach !== 'devmap' || !ownerCompatible(owner, v.prog)) return -EINVAL;
  } else if ((v.progFd ?? 0) > 0) return -EINVAL; // an fd we cannot resolve is a bad fd
  return 0;
}

/** The bytes a lookup returns: {ifindex, prog id} cut to value_size. */
export function devmapValueBytes(e: DevmapEntry, valueSize: number): Uint8Array {
  const b = new Uint8Array(valueSize);
  const dv = new DataView(b.buffer);
  dv.setUint32(0, e.ifindex >>> 0, true);
  if (valueSize >= 8) dv.setUint32(4, e.prog?.id ?? 0, true);
  return b;
}

export class DevMap extends RedirectSlotMap<DevmapEntry> {
  /** The read-only value region of each present slot (a program's lookup yields it). */
  private readonly regions = new Map<number, Region>();
  /** §5: set by the first program referencing the map at load time. */
  owner: MapOwner | undefined;

  constructor(
    def: MapDef,
    host: MapHost,
    private readonly env: RedirectMapEnvironment,
  ) {
    super(def, host);
  }

  lookup(key: Uint8Array): Region | undefined {
    return this.lookupU32(u32At(key));
  }

  override lookupAt(key: MemView, off: number): Region | undefined {
    return this.lookupU32(key.dv.getUint32(off, true));
  }

  override lookupU32(key: number): Region | undefined {
    return this.regions.size === 0 ? undefined : this.regions.get(key >>> 0);
  }

  private set(i: number, e: DevmapEntry | undefined): void {
    const old = this.regions.get(i);
    if (old) this.host.freeRegion(old);
    this.setSlot(i, e);
    if (e)
      this.regions.set(
        i,
        this.host.allocRegion(
          'rodata',
          devmapValueBytes(e, this.def.valueSize),
          false,
          `devmap '${this.name}' value [${i}]`,
          e,
        ),
      );
    else this.regions.delete(i);
  }

  userLookup(key: Uint8Array): Uint8Array | number {
    const i = u32At(key);
    const e = i < this.def.maxEntries ? this.slotAt(i) : undefined;
    return e ? devmapValueBytes(e, this.def.valueSize) : -ENOENT;
  }

  /** §1.3 DEVMAP rules 1–7, in the kernel's order. */
  userUpdate(key: Uint8Array, value: unknown, flags: number): number {
    const v = devmapValueOf(value);
    if (!v) return -EINVAL;
    if (flags > BPF_EXIST || flags < 0) return -EINVAL;
    const i = u32At(key);
    if (i >= this.def.maxEntries) return -E2BIG;
    if (flags === BPF_NOEXIST) return -EEXIST; // every slot "exists"
    if (v.ifindex === 0) {
      if (v.prog || (v.progFd ?? 0) > 0) return -EINVAL;
      this.set(i, undefined);
      return 0;
    }
    const bad = checkDevmapValue(v, this.env, this.owner, this.def.valueSize);
    if (bad) return bad;
    this.set(i, { ifindex: v.ifindex, key: i, ...(v.prog ? { prog: v.prog } : {}) });
    return 0;
  }

  userDelete(key: Uint8Array): number {
    const i = u32At(key);
    if (i >= this.def.maxEntries) return -EINVAL;
    this.set(i, undefined); // an empty slot deletes fine (no ENOENT)
    return 0;
  }

  /** §1.3: unregistering a netdev removes every entry that references it. */
  removeIfindex(ifindex: number): void {
    for (const i of [...this.presentSlots()]) if (this.slotAt(i)?.ifindex === ifindex) this.set(i, undefined);
  }

  protected dumpValue(e: DevmapEntry): Uint8Array {
    return devmapValueBytes(e, this.def.valueSize);
  }
}
