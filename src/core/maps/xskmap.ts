// BPF_MAP_TYPE_XSKMAP (net/xdp/xskmap.c): AF_XDP sockets by slot. Sockets are named objects here
// (the simulator models them); user-space rules and errnos: redirect-semantics.md §1.3 "XSKMAP".
import type { Region } from '../vm/memory';
import { BPF_EXIST, BPF_NOEXIST, u32At } from './bpfMap';
import { RedirectSlotMap } from './redirectSlotMap';
import type { MapDef, MapHost } from './bpfMap';
import { E2BIG, EBADF, EEXIST, EINVAL, ENOENT, EOPNOTSUPP } from './errno';

/** One XSKMAP slot as the simulator reads it through RedirectInfo.tgtValue. */
export interface XskmapEntry {
  /** The AF_XDP socket's name in the scenario. */
  xsk: string;
  key: number;
}

export class XskMap extends RedirectSlotMap<XskmapEntry> {
  private readonly regions = new Map<number, Region>();

  constructor(def: MapDef, host: MapHost) {
    super(def, host);
  }

  /** A program's lookup yields the socket (non-NULL when present); it exposes no bytes here. */
  lookup(key: Uint8Array): Region | undefined {
    return this.regions.get(u32At(key));
  }

  /** §1.3: lookup from user space always fails. */
  userLookup(): number {
    return -EOPNOTSUPP;
  }

  /** §1.3 XSKMAP rules 1–3. `value` is {xsk: name}; raw bytes (an fd) cannot name a socket: EBADF. */
  userUpdate(key: Uint8Array, value: unknown, flags: number): number {
    if (flags > BPF_EXIST || flags < 0) return -EINVAL;
    const i = u32At(key);
    if (i >= this.def.maxEntries) return -E2BIG;
    const xsk =
      value && typeof value === 'object' && typeof (value as { xsk?: unknown }).xsk === 'string'
        ? (value as { xsk: string }).xsk
        : undefined;
    if (xsk === undefined) return -EBADF;
    const old = this.slotAt(i);
    if (old?.xsk === xsk) return 0;
    if (old && flags === BPF_NOEXIST) return -EEXIST;
    if (!old && flags === BPF_EXIST) return -ENOENT;
    if (!this.regions.has(i))
      this.regions.set(
        i,
        this.host.allocRegion('rodata', new Uint8Array(0), false, `xskmap '${this.name}' socket [${i}]`),
      );
    this.setSlot(i, { xsk, key: i });
    return 0;
  }

  userDelete(key: Uint8Array): number {
    const i = u32At(key);
    if (i >= this.def.maxEntries) return -EINVAL;
    this.setSlot(i, undefined);
    const r = this.regions.get(i);
    if (r) this.host.freeRegion(r);
    this.regions.delete(i);
    return 0;
  }

  /** §1.3: closing a socket removes it from all xskmaps. */
  removeSocket(xsk: string): void {
    for (const i of [...this.presentSlots()])
      if (this.slotAt(i)?.xsk === xsk) this.userDelete(new Uint8Array(new Uint32Array([i]).buffer));
  }

  /** A socket fd is not readable back (user-space lookup fails, §1.3): the dump shows 4 zero bytes. */
  protected dumpValue(_entry: XskmapEntry): Uint8Array {
    return new Uint8Array(4);
  }
}
