// Map definitions of the `maps` ELF section (issue 13 item 5): libbpf's pre-BTF `struct bpf_map_def`
// (20 bytes: type, key_size, value_size, max_entries, map_flags) and iproute2's `struct bpf_elf_map`
// (36 bytes: … id, pinning, inner_id, inner_idx; include/bpf_elf.h), told apart by the per-symbol
// size as libbpf's bpf_object__init_user_maps and iproute2's bpf_fetch_maps do.
import type { BpfMap, MapDef } from '../maps/bpfMap';
import { MapType } from '../maps/bpfMap';
import type { XdpProgram } from '../vm/xdpProgram';
import { LoadError } from '../vm/vmFault';
import { TC_GLOBALS } from './pinnedMaps';

/** iproute2's pinning values (bpf_elf.h). */
export const PIN_NONE = 0;
export const PIN_OBJECT_NS = 1;
export const PIN_GLOBAL_NS = 2;
/**
 * Cilium's `CILIUM_PIN_REPLACE` (bpf/include/bpf/loader.h, 1 << 4): its loader (pkg/bpf/pinning.go)
 * never reuses a pinned map of this name — each load creates the map afresh and replaces the pin
 * after attaching (its tail-call map, `cilium_calls_*`). Not an iproute2 custom pinning.
 */
export const CILIUM_PIN_REPLACE = 1 << 4;

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

/**
 * iproute2's tail-call sections (bpf_legacy.c bpf_fill_prog_arrays; Cilium's `__section_tail(ID, KEY)`
 * and pkg/bpf/collection.go): a program in section "ID/KEY" goes into the PROG_ARRAY of `maps` whose
 * `id` is ID, at key KEY. Numbers as sscanf's %i reads them (decimal, 0x… hex, 0… octal).
 */
export function tailCallSlot(section: string): { id: number; key: number } | undefined {
  const m = /^(0x[0-9a-f]+|\d+)\/(0x[0-9a-f]+|\d+)$/i.exec(section);
  if (!m?.[1] || !m[2]) return undefined;
  const num = (t: string): number =>
    /^0x/i.test(t) ? parseInt(t.slice(2), 16) : /^0\d/.test(t) ? parseInt(t, 8) : parseInt(t, 10);
  const id = num(m[1]);
  const key = num(m[2]);
  return Number.isSafeInteger(id) && Number.isSafeInteger(key) && key <= 0xffffffff ? { id, key } : undefined;
}

/**
 * bpf_fill_prog_arrays: every program of a section "ID/KEY" is inserted at KEY into the PROG_ARRAY
 * whose bpf_elf_map `id` is ID (sections naming no such map are left alone, as iproute2 leaves them);
 * a failed insertion fails the load, as it fails iproute2's and Cilium's.
 */
export function fillTailCallSections(
  byDef: ReadonlyMap<LegacyMapDef, BpfMap>,
  programs: readonly XdpProgram[],
): void {
  for (const p of programs) {
    const slot = tailCallSlot(p.section);
    if (!slot) continue;
    const entry = [...byDef].find(([d]) => d.elf?.id === slot.id && d.def.type === MapType.PROG_ARRAY);
    if (!entry) continue;
    const [d, map] = entry;
    const rc = map.userUpdate(new Uint8Array(new Uint32Array([slot.key]).buffer), p, 0);
    if (rc < 0)
      throw new LoadError(
        `program ${p.name} (section ${p.section}): inserting it into '${d.def.name}' at ${slot.key} failed (errno ${-rc})`,
      );
  }
}

/** How the loader makes a map: plain, or pinned at a bpffs path (reusing a compatible pin). */
export interface LegacyMapMaker {
  create(def: MapDef): BpfMap;
  createPinned(def: MapDef, path: string | undefined): BpfMap;
  pin(path: string, map: BpfMap): void;
}

/**
 * The maps of section `maps` as iproute2 makes them (bpf_legacy.c bpf_maps_attach_all): PIN_GLOBAL_NS
 * in tc/globals, PIN_OBJECT_NS in the object's own directory `objectDir`, Cilium's CILIUM_PIN_REPLACE
 * always new with its pin replaced; then the map-in-map insertions by id.
 */
export function createLegacyMaps(
  defs: LegacyMapDef[],
  objectDir: string,
  make: LegacyMapMaker,
): Map<LegacyMapDef, BpfMap> {
  const byDef = new Map<LegacyMapDef, BpfMap>();
  for (const d of defs) {
    const pinning = d.elf?.pinning ?? PIN_NONE;
    if (pinning === CILIUM_PIN_REPLACE) {
      const m = make.create(d.def);
      make.pin(`${TC_GLOBALS}/${d.def.name}`, m);
      byDef.set(d, m);
      continue;
    }
    if (pinning > PIN_GLOBAL_NS)
      throw new LoadError(
        `map '${d.def.name}': pinning ${pinning} is an iproute2 custom pinning (/etc/iproute2/bpf_pinning), not supported`,
      );
    const path =
      pinning === PIN_GLOBAL_NS
        ? `${TC_GLOBALS}/${d.def.name}`
        : pinning === PIN_OBJECT_NS
          ? `${objectDir}/${d.def.name}`
          : undefined;
    byDef.set(d, make.createPinned(d.def, path));
  }
  for (const { outer, inner, slot } of elfInnerInsertions(defs)) {
    const rc = byDef
      .get(outer)
      ?.userUpdate(new Uint8Array(new Uint32Array([slot]).buffer), byDef.get(inner), 0);
    if (rc !== undefined && rc < 0)
      throw new LoadError(
        `map '${outer.def.name}': inserting '${inner.def.name}' at ${slot} failed (errno ${-rc}), as iproute2's loader would`,
      );
  }
  return byDef;
}
