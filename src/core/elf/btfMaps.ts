// The `.maps` section of an object (libbpf's BTF-defined maps): one definition struct per map
// (`__uint`, `__type`, `__array` members, `pinning`), and the `.values = { [i] = &prog }` /
// `{ [i] = &inner_map }` slots libbpf fills after loading (bpf_object__init_prog_arrays).
import type { BpfMap, MapDef } from '../maps/bpfMap';
import { MapOfMaps } from '../maps/mapInMap';
import { ProgArrayMap } from '../maps/progArray';
import { LoadError } from '../vm/vmFault';
import type { XdpProgram } from '../vm/xdpProgram';
import { BTF_KIND } from './btf';
import type { Btf } from './btf';
import type { ElfFile, ElfSection } from './elfFile';

/** Parses one BTF map definition struct (`__uint`, `__type`, `__array` members); `pin` gets `pinning`. */
export function btfMapDef(btf: Btf, structId: number, name: string, pin?: { pinning: number }): MapDef {
  const st = btf.resolve(structId);
  if (!st || st.kind !== BTF_KIND.STRUCT)
    throw new LoadError(`map '${name}': its .maps definition is not a struct`);
  const def: MapDef = { name, type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0 };
  const uintOf = (typeId: number, member: string): number => {
    const p = btf.resolve(typeId);
    const arr = p && p.kind === BTF_KIND.PTR ? btf.resolve(p.sizeOrType) : undefined;
    if (!arr || arr.kind !== BTF_KIND.ARRAY || !arr.array)
      throw new LoadError(`map '${name}': member '${member}' is not an __uint() (int (*)[N])`);
    return arr.array.nelems;
  };
  for (const m of st.members) {
    switch (m.name) {
      case 'type':
        def.type = uintOf(m.type, m.name);
        break;
      case 'max_entries':
        def.maxEntries = uintOf(m.type, m.name);
        break;
      case 'map_flags':
        def.flags = uintOf(m.type, m.name);
        break;
      case 'key_size':
        def.keySize = uintOf(m.type, m.name);
        break;
      case 'value_size':
        def.valueSize = uintOf(m.type, m.name);
        break;
      case 'key':
      case 'value': {
        const p = btf.resolve(m.type);
        const size = p && p.kind === BTF_KIND.PTR ? btf.sizeOf(p.sizeOrType) : undefined;
        if (size === undefined) throw new LoadError(`map '${name}': cannot size the ${m.name} type`);
        if (m.name === 'key') def.keySize = size;
        else def.valueSize = size;
        break;
      }
      case 'values': {
        // __array(values, struct inner): an array of pointers to the inner map's definition.
        const arr = btf.resolve(m.type);
        const ptr = arr?.array ? btf.resolve(arr.array.type) : undefined;
        const inner = ptr && ptr.kind === BTF_KIND.PTR ? btf.resolve(ptr.sizeOrType) : undefined;
        if (inner && inner.kind === BTF_KIND.STRUCT) def.inner = btfMapDef(btf, inner.id, `${name}.inner`);
        // libbpf: PROG_ARRAY and map-in-map values are 4-byte fds/ids when no size is given.
        if (!def.valueSize) def.valueSize = 4;
        break;
      }
      case 'pinning':
        if (pin) pin.pinning = uintOf(m.type, m.name);
        break;
      default:
        break; // numa_node, map_extra: no effect in the VM
    }
  }
  return def;
}

/** `.values = { [i] = &prog }` of a PROG_ARRAY in .maps: libbpf fills the slots after loading. */
export function initProgArrays(
  elf: ElfFile,
  mapsSec: ElfSection,
  btf: Btf,
  mapAt: Map<string, BpfMap>,
  programs: XdpProgram[],
): void {
  const relocs = elf.relocationsFor(mapsSec.index);
  if (!relocs.length) return;
  const starts = [...mapAt.entries()]
    .filter(([k]) => k.startsWith(`${mapsSec.index}:`))
    .map(([k, m]) => ({ off: Number(k.split(':')[1]), map: m }));
  for (const r of relocs) {
    const owner = starts.filter((s) => s.off <= r.offset).sort((a, b) => b.off - a.off)[0];
    const sym = elf.symbols[r.sym];
    if (!owner || !sym) continue;
    const isMapOfMaps = owner.map instanceof MapOfMaps;
    if (!(owner.map instanceof ProgArrayMap) && !isMapOfMaps) continue;
    const ds = btf.findDatasec('.maps');
    const v = ds?.vars?.find((x) => btf.type(x.type)?.name === owner.map.name);
    const st = v ? btf.resolve(btf.type(v.type)?.sizeOrType ?? 0) : undefined;
    const valuesMember = st?.members.find((m) => m.name === 'values');
    if (!valuesMember) continue;
    const slot = (r.offset - owner.off - valuesMember.offset / 8) / 8;
    if (!Number.isInteger(slot)) continue;
    const key = new Uint8Array(new Uint32Array([slot]).buffer);
    // Map-in-map: the slot names another map of .maps; PROG_ARRAY: a program of this object.
    const target = isMapOfMaps
      ? mapAt.get(`${sym.shndx}:${sym.value}`)
      : programs.find((p) => p.name === sym.name);
    if (target) owner.map.userUpdate(key, target, 0);
  }
}
