// Maps pinned by name in bpffs, per simulated kernel (issue 13 item 5): libbpf's LIBBPF_PIN_BY_NAME
// (/sys/fs/bpf/NAME) and iproute2's PIN_GLOBAL_NS (/sys/fs/bpf/tc/globals/NAME) make objects loaded
// into one system share a map; a later object reuses the pinned map when its definition is
// compatible (libbpf's map_is_reuse_compat) and fails to load otherwise.
import type { BpfMap, MapDef } from '../maps/bpfMap';
import type { BpfSystem } from '../vm/bpfSystem';
import { LoadError } from '../vm/vmFault';

/** libbpf's default pin_root_path. */
export const LIBBPF_PIN_ROOT = '/sys/fs/bpf';
/** iproute2's global namespace for PIN_GLOBAL_NS maps (tc and xdp objects alike). */
export const TC_GLOBALS = '/sys/fs/bpf/tc/globals';

const registries = new WeakMap<BpfSystem, Map<string, BpfMap>>();

/** The pins of one simulated kernel, by bpffs path. */
export function pinnedMaps(system: BpfSystem): Map<string, BpfMap> {
  let r = registries.get(system);
  if (!r) {
    r = new Map();
    registries.set(system, r);
  }
  return r;
}

/** map_is_reuse_compat: the fields that must be equal, or why not. */
function reuseMismatch(pinned: MapDef, def: MapDef): string | undefined {
  const fields: ['type' | 'keySize' | 'valueSize' | 'maxEntries' | 'flags', string][] = [
    ['type', 'type'],
    ['keySize', 'key_size'],
    ['valueSize', 'value_size'],
    ['maxEntries', 'max_entries'],
    ['flags', 'map_flags'],
  ];
  for (const [k, label] of fields)
    if (pinned[k] !== def[k]) return `${label} ${def[k]} != pinned ${pinned[k]}`;
  return undefined;
}

/** The pinned map at `path` when compatible with `def` (LoadError when not), undefined when none. */
export function reusePinned(system: BpfSystem, path: string, def: MapDef): BpfMap | undefined {
  const pinned = pinnedMaps(system).get(path);
  if (!pinned) return undefined;
  const why = reuseMismatch(pinned.def, def);
  if (why)
    throw new LoadError(
      `map '${def.name}': couldn't reuse pinned map at '${path}': parameter mismatch (${why})`,
    );
  return pinned;
}

export function pinMap(system: BpfSystem, path: string, map: BpfMap): void {
  pinnedMaps(system).set(path, map);
}
