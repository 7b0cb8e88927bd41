// BPF_MAP_TYPE_DEVMAP_HASH (kernel/bpf/devmap.c, hash flavour): egress devices keyed by any u32
// (usually the ifindex). User-space rules and errnos: redirect-semantics.md §1.3 "DEVMAP_HASH"
// (notably BPF_EXIST on a missing key inserts); owner set by the first egress program inserted (§5).
import type { Region } from '../vm/memory';
import { BPF_EXIST, BPF_NOEXIST, BpfMap, u32At } from './bpfMap';
import type { MapDef, MapEntryDump, MapHost } from './bpfMap';
import { checkDevmapValue, devmapValueBytes, devmapValueOf } from './devmap';
import type { DevmapEntry } from './devmap';
import { E2BIG, EEXIST, EINVAL, ENOENT } from './errno';
import type { MapOwner, RedirectMapEnvironment } from './redirectMapEnv';

export class DevMapHash extends BpfMap {
  private readonly table = new Map<number, { entry: DevmapEntry; region: Region }>();
  owner: MapOwner | undefined;

  constructor(
    def: MapDef,
    host: MapHost,
    private readonly env: RedirectMapEnvironment,
  ) {
    super(def, host);
  }

  redirectTarget(key: number): DevmapEntry | undefined {
    return this.table.get(key >>> 0)?.entry;
  }

  entries(): DevmapEntry[] {
    return [...this.table.values()].map((s) => s.entry);
  }

  lookup(key: Uint8Array): Region | undefined {
    return this.table.get(u32At(key))?.region;
  }

  userLookup(key: Uint8Array): Uint8Array | number {
    const s = this.table.get(u32At(key));
    return s ? devmapValueBytes(s.entry, this.def.valueSize) : -ENOENT;
  }

  /** §1.3 DEVMAP_HASH rules 1–4, in the kernel's order. */
  userUpdate(key: Uint8Array, value: unknown, flags: number): number {
    const v = devmapValueOf(value);
    if (!v) return -EINVAL;
    if (flags > BPF_EXIST || flags < 0 || v.ifindex === 0) return -EINVAL;
    const k = u32At(key);
    const old = this.table.get(k);
    if (old && flags === BPF_NOEXIST) return -EEXIST;
    const bad = checkDevmapValue(v, this.env, this.owner, this.def.valueSize);
    if (bad) return bad;
    if (!old && this.table.size >= this.def.maxEntries) return -E2BIG;
    if (v.prog && !this.owner) this.owner = { frags: v.prog.frags };
    const entry: DevmapEntry = { ifindex: v.ifindex, key: k, ...(v.prog ? { prog: v.prog } : {}) };
    if (old) this.host.freeRegion(old.region);
    const region = this.host.allocRegion(
      'rodata',
      devmapValueBytes(entry, this.def.valueSize),
      false,
      `devmap_hash '${this.name}' value`,
      entry,
    );
    this.table.set(k, { entry, region });
    return 0;
  }

  userDelete(key: Uint8Array): number {
    const k = u32At(key);
    const old = this.table.get(k);
    if (!old) return -ENOENT;
    this.host.freeRegion(old.region);
    this.table.delete(k);
    return 0;
  }

  removeIfindex(ifindex: number): void {
    for (const [k, s] of this.table)
      if (s.entry.ifindex === ifindex) this.userDelete(new Uint8Array(new Uint32Array([k]).buffer));
  }

  dump(): MapEntryDump[] {
    return [...this.table.entries()].map(([k, s]) => {
      const key = new Uint8Array(4);
      new DataView(key.buffer).setUint32(0, k, true);
      return { key, value: devmapValueBytes(s.entry, this.def.valueSize) };
    });
  }
}
