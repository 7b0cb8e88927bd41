// Map definitions of the `maps` ELF section (issue 13 item 5): libbpf's pre-BTF `struct bpf_map_def`
// (20 bytes: type, key_size, value_size, max_entries, map_flags) and iproute2's `struct bpf_elf_map`
// (36 bytes: … id, pinning, inner_id, inner_idx; include/bpf_elf.h), told apart by the per-symbol
// size as libbpf's bpf_object__init_user_maps and iproute2's bpf_fetch_maps do.
import type { MapDef } from '../maps/bpfMap';
import { LoadError } from '../vm/vmFault';

/** iproute2's pinning values (bpf_elf.h). */
export const PIN_NONE = 0;
export const PIN_OBJECT_NS = 1;
export const PIN_GLOBAL_NS = 2;

export interface LegacyMapDef {
  def: MapDef;
  /** Offset of the definition in the section (its symbol's value). */
  offset: number;
  /** bpf_elf_map only: */
  elf?: { id: number; pinning: number; innerId: number; innerIdx: number };
}

/** Parses every symbol of the `maps` section into a definition. */
export function parseLegacyMaps(
  data: Uint8Array,
  syms: readonly { name: string; value: number }[],
): LegacyMapDef[] {
  if (!syms.length) return [];
  // libbpf: the section holds nr_maps definitions of one size.
  if (data.length % syms.length)
    throw new LoadError(
      `section maps: ${data.length} bytes do not divide into ${syms.length} map definitions of one size`,
    );
  const stride = data.length / syms.length;
  if (stride < 20)
    throw new LoadError(
      `section maps: ${stride}-byte definitions are too small for struct bpf_map_def (20 bytes)`,
    );
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  return syms.map((s) => {
    if (s.value + stride > data.length || s.value % 4)
      throw new LoadError(`map '${s.name}': its definition is outside section maps`);
    const u = (i: number): number => dv.getUint32(s.value + 4 * i, true);
    const def: MapDef = {
      name: s.name,
      type: u(0),
      keySize: u(1),
      valueSize: u(2),
      maxEntries: u(3),
      flags: u(4),
    };
    if (stride < 36) return { def, offset: s.value };
    return { def, offset: s.value, elf: { id: u(5), pinning: u(6), innerId: u(7), innerIdx: u(8) } };
  });
}

/**
 * iproute2's map-in-map by id (bpf_legacy.c): an outer map's inner template is the map whose `id`
 * equals its `inner_id`; after creation, a map with an `id` (and no `inner_id`) is inserted into every
 * outer map naming that id, at key `inner_idx` (unless it is ~0).
 */
export function elfInnerTemplates(maps: LegacyMapDef[]): void {
  for (const m of maps) {
    if (!m.elf?.innerId) continue;
    const inner = maps.find((x) => x.elf?.id === m.elf?.innerId && !x.elf?.innerId);
    if (!inner)
      throw new LoadError(
        `map '${m.def.name}': no map of section maps has id ${m.elf.innerId} (its inner_id)`,
      );
    m.def.inner = inner.def;
  }
}

/** The (outer, inner, slot) insertions iproute2 makes after creating the maps. */
export function elfInnerInsertions(
  maps: LegacyMapDef[],
): { outer: LegacyMapDef; inner: LegacyMapDef; slot: number }[] {
  const out: { outer: LegacyMapDef; inner: LegacyMapDef; slot: number }[] = [];
  for (const inner of maps) {
    const e = inner.elf;
    if (!e?.id || e.innerId || e.innerIdx === 0xffffffff) continue;
    for (const outer of maps) if (outer.elf?.innerId === e.id) out.push({ outer, inner, slot: e.innerIdx });
  }
  return out;
}
