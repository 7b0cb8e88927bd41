// The flags and the freeze of libbpf's internal maps (.rodata*, .data*, .bss*, .kconfig), as
// bpf_object__init_internal_map and bpf_object__populate_internal_map make them: one source for the
// global-data maps and the .kconfig map.
import { BTF_KIND } from './btf';
import type { Btf } from './btf';

/** enum bpf_map_flags bits libbpf sets on an internal map. */
export const BPF_F_MMAPABLE = 0x400;
export const BPF_F_RDONLY_PROG = 0x80;

/** BTF_VAR_STATIC: a `static` variable, which a skeleton does not expose. */
const BTF_VAR_STATIC = 0;

/**
 * libbpf's map_is_mmapable (libbpf ≥ 1.2): the section's DATASEC (map_fill_btf_type_info) has a
 * variable that is not static — a global or, in .kconfig, an extern. No BTF, no DATASEC (a
 * `.rodata.str1.1` of string literals), only static variables: not mmapable. (libbpf ≤ 1.1, as
 * bpftool 7.1 links it, set BPF_F_MMAPABLE on every internal map.)
 */
function isMmapable(btf: Btf | undefined, section: string): boolean {
  const sec = btf?.findDatasec(section);
  return (
    sec?.vars?.some((v) => {
      const t = btf?.type(v.type);
      return t?.kind === BTF_KIND.VAR && t.linkage !== BTF_VAR_STATIC;
    }) ?? false
  );
}

/**
 * bpf_object__init_internal_map's map_flags: BPF_F_RDONLY_PROG for .rodata* and .kconfig, then
 * BPF_F_MMAPABLE when map_is_mmapable says so (.kconfig with its externs: 0x480).
 */
export function internalMapFlags(btf: Btf | undefined, section: string): number {
  return (
    (isReadOnlyInternal(section) ? BPF_F_RDONLY_PROG : 0) | (isMmapable(btf, section) ? BPF_F_MMAPABLE : 0)
  );
}

/** LIBBPF_MAP_RODATA or LIBBPF_MAP_KCONFIG: read-only to programs, frozen once populated. */
export function isReadOnlyInternal(section: string): boolean {
  return section === '.kconfig' || /^\.rodata(\.|$)/.test(section);
}
