// A scenario's `maps` written into the loaded objects' maps the way user space writes them
// (bpf_map_update_elem, BPF_ANY): keys and values from numbers, 0x… hex or device names, devmap
// ifindexes resolved in the namespace of the program using the map, entries naming programs or
// sockets — through each map's own update rules (§1.3), a refused update a warning.
import type { BpfMap } from '../maps/bpfMap';
import { BPF_ANY, userWriteRefusal } from '../maps/bpfMap';
import type { MapScalar, ScenarioMapValue } from '../scenario/scenario';
import { errnoName } from '../trace/errnos';
import type { XdpProgramHandle } from '../vm/xdpRun';
import type { SimDevice } from './simDevice';
import { SimulationSetupError, type SimulationInput } from './simulationInput';
import { MAP_TYPE_CPUMAP, MAP_TYPE_DEVMAP, MAP_TYPE_DEVMAP_HASH, MAP_TYPE_XSKMAP } from './xdpAction';

/** BPF_MAP_TYPE_PROG_ARRAY. */
const MAP_TYPE_PROG_ARRAY = 3;

/** The redirect map types by number, as the topology names them. */
export const mapTypeNames: Record<number, string> = {
  [MAP_TYPE_DEVMAP]: 'devmap',
  [MAP_TYPE_DEVMAP_HASH]: 'devmap_hash',
  [MAP_TYPE_CPUMAP]: 'cpumap',
  [MAP_TYPE_XSKMAP]: 'xskmap',
};

function scalarToInt(
  v: MapScalar,
  devices: ReadonlyMap<string, SimDevice>,
  path: string,
): number | Uint8Array {
  if (typeof v === 'number') return v;
  const dev = devices.get(v);
  if (dev) return dev.ifindex;
  if (/^0x[0-9a-fA-F]+$/.test(v)) {
    const hex = v.slice(2);
    if (hex.length % 2) throw new SimulationSetupError(path, `hex '${v}' has an odd number of digits`);
    return Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16));
  }
  if (/^\d+$/.test(v)) return Number(v);
  throw new SimulationSetupError(path, `'${v}' is neither a number, a 0x… hex string nor a device name`);
}

function toBytes(v: number | Uint8Array, size: number, path: string): Uint8Array {
  if (v instanceof Uint8Array) {
    if (v.length !== size)
      throw new SimulationSetupError(path, `hex value has ${v.length} bytes, the map needs ${size}`);
    return v;
  }
  if (!Number.isSafeInteger(v) || v < 0)
    throw new SimulationSetupError(path, `${v} is not a non-negative integer`);
  const out = new Uint8Array(size);
  let n = BigInt(v);
  for (let i = 0; i < size; i++) {
    out[i] = Number(n & 0xffn);
    n >>= 8n;
  }
  if (n !== 0n) throw new SimulationSetupError(path, `${v} does not fit in ${size} bytes`);
  return out;
}

/** Every map of the loaded objects by name (the first object's wins) and every map's name by id. */
export function collectMaps(input: SimulationInput): {
  byName: Map<string, BpfMap>;
  mapNames: Map<number, string>;
} {
  const byName = new Map<string, BpfMap>();
  const mapNames = new Map<number, string>();
  for (const obj of input.objects.values())
    for (const m of obj.maps) {
      if (!byName.has(m.name)) byName.set(m.name, m);
      mapNames.set(m.id, m.name);
    }
  return { byName, mapNames };
}

/** Writes the scenario's map entries; refused updates are pushed to `warnings`. */
export class MapFiller {
  constructor(
    private readonly input: SimulationInput,
    private readonly devices: ReadonlyMap<string, SimDevice>,
    private readonly programs: ReadonlyMap<string, XdpProgramHandle>,
  ) {}

  fill(byName: Map<string, BpfMap>, warnings: string[]): void {
    const sc = this.input.scenario;
    for (const [mapKey, entries] of Object.entries(sc.maps)) {
      const map = this.findMap(mapKey, byName);
      // Integer ifindex values resolve in the namespace of the device whose program uses the map.
      this.mapNetns = this.netnsUsing(map);
      for (const e of entries) {
        const key = toBytes(
          scalarToInt(e.key, this.devices, `${e.path}.key`),
          map.def.keySize,
          `${e.path}.key`,
        );
        const value = this.mapValue(map, e.value, `${e.path}.value`);
        const rc = userWriteRefusal(map) || map.userUpdate(key, value, BPF_ANY);
        if (rc < 0)
          warnings.push(
            `${e.path}: the kernel refuses this map update: ${errnoName(rc)} — the entry stays absent`,
          );
      }
    }
  }

  /** A `maps` key: `MAP` (the first object's map of that name) or `PROGRAM/MAP` (that program's object). */
  private findMap(key: string, byName: Map<string, BpfMap>): BpfMap {
    const path = `$.maps[${JSON.stringify(key)}]`;
    const slash = key.indexOf('/');
    if (slash < 0) {
      const map = byName.get(key);
      if (!map)
        throw new SimulationSetupError(
          path,
          `no map '${key}' in the loaded objects (have: ${[...byName.keys()].join(', ') || 'none'})`,
        );
      return map;
    }
    const progName = key.slice(0, slash);
    const mapName = key.slice(slash + 1);
    const sp = this.input.scenario.programs.find((p) => p.name === progName);
    if (!sp)
      throw new SimulationSetupError(
        path,
        `no program '${progName}' in $.programs (a key is MAP or PROGRAM/MAP)`,
      );
    if (sp.file === undefined)
      throw new SimulationSetupError(
        path,
        `program '${progName}' has no local object, so its maps are not known`,
      );
    const obj = this.input.objects.get(sp.file);
    const map = obj?.maps.find((m) => m.name === mapName);
    if (!map)
      throw new SimulationSetupError(
        path,
        `no map '${mapName}' in ${sp.file} (has: ${obj?.maps.map((m) => m.name).join(', ') || 'none'})`,
      );
    return map;
  }

  /** The namespace of the first device whose attached program's object has `map` ('' = the default). */
  private netnsUsing(map: BpfMap): string {
    const sc = this.input.scenario;
    for (const d of sc.devices) {
      const sp = d.xdp && sc.programs.find((p) => p.name === d.xdp?.program);
      if (sp?.file !== undefined && this.input.objects.get(sp.file)?.maps.includes(map)) return d.netns ?? '';
    }
    return '';
  }

  /** The namespace map values are being resolved in (set per map while the maps are filled). */
  private mapNetns = '';

  /** A devmap's integer ifindex in `mapNetns` → the simulator's device index (unchanged if unknown). */
  private simIfindexOf(ifindex: number): number {
    const d = this.input.scenario.devices.find(
      (x) => (x.netns ?? '') === this.mapNetns && x.ifindex === ifindex,
    );
    return d ? d.simIfindex : ifindex;
  }

  private mapValue(map: BpfMap, v: ScenarioMapValue, path: string): unknown {
    const prog = (name: string | undefined): XdpProgramHandle | undefined =>
      name === undefined ? undefined : this.programs.get(name);
    switch (map.type) {
      case MAP_TYPE_DEVMAP:
      case MAP_TYPE_DEVMAP_HASH: {
        if (typeof v === 'object') {
          if (!('ifindex' in v))
            throw new SimulationSetupError(
              path,
              `a ${mapTypeNames[map.type]} value is a device or {"ifindex": …, "program": …}`,
            );
          const ifindex = this.devmapIfindex(v.ifindex, `${path}.ifindex`);
          if (typeof ifindex !== 'number')
            throw new SimulationSetupError(`${path}.ifindex`, 'give a device name or an integer');
          const p = prog(v.program);
          return { ifindex, ...(p ? { prog: p } : {}) };
        }
        const ifindex = this.devmapIfindex(v, path);
        return typeof ifindex === 'number' ? { ifindex } : ifindex;
      }
      case MAP_TYPE_CPUMAP: {
        if (typeof v === 'object') {
          if (!('qsize' in v))
            throw new SimulationSetupError(path, 'a cpumap value is {"qsize": N, "program": …}');
          const p = prog(v.program);
          return { qsize: v.qsize, ...(p ? { prog: p } : {}) };
        }
        const q = scalarToInt(v, this.devices, path);
        return typeof q === 'number' ? { qsize: q } : q;
      }
      case MAP_TYPE_PROG_ARRAY: {
        // bpf_map_update_elem(prog_array, key, prog_fd): any program of the scenario (issue 13 item 5).
        const p =
          typeof v === 'object' && 'program' in v && !('ifindex' in v) && !('qsize' in v)
            ? prog(v.program)
            : undefined;
        if (!p) throw new SimulationSetupError(path, 'a prog array value is {"program": "<program name>"}');
        return p;
      }
      case MAP_TYPE_XSKMAP:
        if (typeof v === 'object' && 'xsk' in v) return { xsk: v.xsk };
        throw new SimulationSetupError(path, 'an xskmap value is {"xsk": "<socket name>"}');
      default:
        if (typeof v === 'object')
          throw new SimulationSetupError(path, `map '${map.name}' takes integer or hex values`);
        return toBytes(scalarToInt(v, this.devices, path), map.def.valueSize, path);
    }
  }

  /** A devmap target: a device name, or an integer ifindex of the namespace using the map. */
  private devmapIfindex(v: MapScalar, path: string): number | Uint8Array {
    const r = scalarToInt(v, this.devices, path);
    return typeof r === 'number' && !this.devices.has(String(v)) ? this.simIfindexOf(r) : r;
  }
}
