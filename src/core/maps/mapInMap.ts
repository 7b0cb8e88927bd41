// BPF_MAP_TYPE_ARRAY_OF_MAPS and HASH_OF_MAPS (kernel/bpf/map_in_map.c): values are inner maps; a
// program's lookup yields the inner map (then used with the map helpers). User space stores map
// objects (the syscall takes fds); an inner map must match the declared template (EINVAL otherwise).
import type { Region } from '../vm/memory';
import { BPF_EXIST, BPF_NOEXIST, BpfMap, keyOf, u32At } from './bpfMap';
import type { MapDef, MapEntryDump, MapHost } from './bpfMap';
import { E2BIG, EEXIST, EINVAL, ENOENT } from './errno';

export class MapOfMaps extends BpfMap {
  private readonly table = new Map<number | string, { key: Uint8Array; map: BpfMap }>();
  constructor(
    def: MapDef,
    host: MapHost,
    readonly isArray: boolean,
  ) {
    super(def, host);
  }

  private compatible(m: BpfMap): boolean {
    const t = this.def.inner;
    if (!t) return true;
    return (
      m.def.type === t.type &&
      m.def.keySize === t.keySize &&
      m.def.valueSize === t.valueSize &&
      (this.isArray || m.def.maxEntries === t.maxEntries || true)
    );
  }

  lookup(key: Uint8Array): Region | undefined {
    if (this.isArray && u32At(key) >= this.def.maxEntries) return undefined;
    return this.table.get(keyOf(key))?.map.handle;
  }

  inner(key: Uint8Array): BpfMap | undefined {
    return this.table.get(keyOf(key))?.map;
  }

  userLookup(key: Uint8Array): Uint8Array | number {
    const e = this.table.get(keyOf(key));
    return e ? new Uint8Array(new Uint32Array([e.map.id]).buffer) : -ENOENT;
  }

  userUpdate(key: Uint8Array, value: unknown, flags: number): number {
    if (flags > BPF_EXIST || flags < 0) return -EINVAL;
    if (!(value instanceof BpfMap) || !this.compatible(value)) return -EINVAL;
    const k = keyOf(key);
    const old = this.table.get(k);
    if (this.isArray) {
      if (u32At(key) >= this.def.maxEntries) return -E2BIG;
      if (flags === BPF_NOEXIST) return -EEXIST;
    } else {
      if (old && flags === BPF_NOEXIST) return -EEXIST;
      if (!old && flags === BPF_EXIST) return -ENOENT;
      if (!old && this.table.size >= this.def.maxEntries) return -E2BIG;
    }
    this.table.set(k, { key: key.slice(), map: value });
    return 0;
  }

  userDelete(key: Uint8Array): number {
    const k = keyOf(key);
    if (this.isArray && u32At(key) >= this.def.maxEntries) return -E2BIG;
    if (!this.table.delete(k)) return this.isArray ? -ENOENT : -ENOENT;
    return 0;
  }

  dump(): MapEntryDump[] {
    return [...this.table.values()].map((e) => ({
      key: e.key.slice(),
      value: new Uint8Array(new Uint32Array([e.map.id]).buffer),
    }));
  }
}
