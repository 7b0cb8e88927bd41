// The topology part of a simulation's result (simulationResult.ts `Topology`): devices with their
// features and attachments, programs, the redirect maps' entries (and the scenario's other maps,
// dumped), AF_XDP sockets — what the visualizer draws and `simulate --json` prints.
import type { BpfMap } from '../maps/bpfMap';
import type { XdpProgramHandle } from '../vm/xdpRun';
import type { Attachments } from './deviceSetup';
import { topologyComponents } from './dispatcherSetup';
import { featureNames } from './driverProfiles';
import { mapTypeNames } from './mapSetup';
import type { SimDevice } from './simDevice';
import type { SimulationInput } from './simulationInput';
import type { Topology, TopologyMap, TopologyMapEntry } from './simulationResult';

/** The scenario's topology once devices are attached and maps filled. */
export function buildTopology(
  input: SimulationInput,
  devices: ReadonlyMap<string, SimDevice>,
  programs: ReadonlyMap<string, XdpProgramHandle>,
  { attachErrors, dispatchers }: Attachments,
  byName: ReadonlyMap<string, BpfMap>,
  names: ReadonlyMap<XdpProgramHandle, string>,
): Topology {
  const sc = input.scenario;
  return {
    cpus: sc.cpus,
    devices: sc.devices.map((d) => {
      const dev = devices.get(d.name) as SimDevice;
      const err = attachErrors.get(d.name);
      const disp = dispatchers.get(d.name);
      return {
        name: d.name,
        ifindex: d.simIfindex,
        kind: d.kind,
        driver: d.driver,
        ...(d.netns !== undefined ? { netns: d.netns } : {}),
        ...(d.simIfindex !== d.ifindex ? { nsIfindex: d.ifindex } : {}),
        ...(d.peer ? { peer: d.peer } : {}),
        ...(dev.peerOutside ? { peerOutside: true } : {}),
        up: d.up,
        mtu: d.mtu,
        queues: d.queues,
        gro: d.gro,
        xdpFeatures: dev.xdpFeatures,
        featureNames: featureNames(dev.xdpFeatures),
        napi: dev.kind === 'veth' ? dev.napiPresent : true,
        ...(d.xdp
          ? {
              xdp: {
                program: disp?.components[0]?.name ?? d.xdp.program,
                progId: disp?.id ?? programs.get(d.xdp.program)?.id ?? 0,
                mode: d.xdp.mode,
                ...(err ? { attachError: err } : {}),
                ...(disp ? { dispatcher: { components: topologyComponents(disp) } } : {}),
              },
            }
          : {}),
      };
    }),
    programs: sc.programs.map((p) => {
      const h = programs.get(p.name);
      if (!h)
        return {
          name: p.name,
          id: p.id ?? 0,
          function: p.name,
          ...(p.tag !== undefined ? { tag: p.tag } : {}),
          frags: false,
          attach: 'xdp' as const,
        };
      return { name: p.name, id: h.id, function: h.name, file: p.file, frags: h.frags, attach: h.attach };
    }),
    maps: [...byName.values()]
      .filter((m) => mapTypeNames[m.type] !== undefined || sc.maps[m.name])
      .map((m) => topologyMap(m, names, devices)),
    xsks: sc.xsks.map((x) => ({
      name: x.name,
      device: x.device,
      queue: x.queue,
      bound: x.bound,
      rxRing: x.rxRing,
      fillRing: x.fillRing,
      chunkSize: x.chunkSize,
      sg: x.sg,
      zeroCopy: x.zeroCopy,
    })),
  };
}

function topologyMap(
  m: BpfMap,
  names: ReadonlyMap<XdpProgramHandle, string>,
  devices: ReadonlyMap<string, SimDevice>,
): TopologyMap {
  const devByIfindex = new Map([...devices.values()].map((d) => [d.ifindex, d.name]));
  let entries: TopologyMapEntry[] = [];
  const anyMap = m as unknown as { entries?: () => Array<Record<string, unknown>> };
  if (mapTypeNames[m.type] !== undefined && anyMap.entries) {
    entries = anyMap.entries().map((e) => {
      const out: TopologyMapEntry = { key: Number(e.key ?? e.cpu ?? 0) };
      if (typeof e.ifindex === 'number') {
        out.ifindex = e.ifindex;
        const dn = devByIfindex.get(e.ifindex);
        if (dn) out.device = dn;
      }
      if (typeof e.cpu === 'number') out.cpu = e.cpu;
      if (typeof e.qsize === 'number') out.qsize = e.qsize;
      if (typeof e.xsk === 'string') out.xsk = e.xsk;
      const p = e.prog as XdpProgramHandle | undefined;
      if (p) out.program = names.get(p) ?? p.name;
      return out;
    });
  } else {
    entries = m
      .dump()
      .slice(0, 1024)
      .map((d) => {
        let key = 0;
        for (let i = Math.min(4, d.key.length) - 1; i >= 0; i--) key = key * 256 + (d.key[i] as number);
        return { key, value: [...d.value].map((b) => b.toString(16).padStart(2, '0')).join('') };
      });
  }
  return {
    name: m.name,
    id: m.id,
    type: mapTypeNames[m.type] ?? `type ${m.type}`,
    typeNumber: m.type,
    maxEntries: m.def.maxEntries,
    entries,
  };
}
