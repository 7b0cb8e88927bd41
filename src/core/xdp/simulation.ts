// Builds the simulated host of a scenario from the loaded objects (devices, attachments with the
// kernel's attach rules, AF_XDP sockets, map contents through the maps' own user-space update
// rules) and runs its traffic. The entry point of `xdp-lab simulate`, the extension and the bench.
import type { BpfMap } from '../maps/bpfMap';
import { BPF_ANY } from '../maps/bpfMap';
import { errnoName } from '../trace/errnos';
import type { MapScalar, Scenario, ScenarioMapValue, ScenarioXdpComponent } from '../scenario/scenario';
import type { XdpProgramHandle } from '../vm/xdpRun';
import { XDP_FEATURE, featureNames } from './driverProfiles';
import { SimDevice, VETH_MAX_PEER_MTU_LINEAR } from './simDevice';
import type { SimulationResult, Topology, TopologyMap, TopologyMapEntry } from './simulationResult';
import { Simulator, type SimulatorOptions } from './simulator';
import { MAP_TYPE_CPUMAP, MAP_TYPE_DEVMAP, MAP_TYPE_DEVMAP_HASH, MAP_TYPE_XSKMAP } from './xdpAction';
import { XskSocket } from './xskRedirect';
import type { SimFrame } from './simFrame';
import type { XdpRunConfig } from '../elf/xdpRunConfig';
import { XdpDispatcher } from './xdpDispatcher';
import { buildDispatcher, topologyComponents } from './dispatcherSetup';

/** One loaded object (ELF file): its programs and maps, as the VM's loader returns them. */
export interface LoadedObject {
  programs: readonly XdpProgramHandle[];
  maps: readonly BpfMap[];
}

export interface SimulationInput {
  scenario: Scenario;
  /** By the scenario's `programs[].file` (one object per file: programs of a file share its maps). */
  objects: ReadonlyMap<string, LoadedObject>;
  /** Frames of the pcap files named by traffic entries, by the `pcap` string as written. */
  pcaps?: ReadonlyMap<string, readonly Uint8Array[]>;
  /** libxdp run configs (XDP_RUN_CONFIG) by file, then function; a string is why the file's could
   *  not be read (an error only if a dispatcher chain uses a program of that file). */
  runConfigs?: ReadonlyMap<string, ReadonlyMap<string, XdpRunConfig> | string>;
}

/** A setup problem that makes the scenario unusable (exit 2): names the JSON path. */
export class SimulationSetupError extends Error {
  constructor(
    readonly path: string,
    readonly why: string,
  ) {
    super(`${path}: ${why}`);
  }
}

/** BPF_MAP_TYPE_PROG_ARRAY. */
const MAP_TYPE_PROG_ARRAY = 3;

const mapTypeNames: Record<number, string> = {
  [MAP_TYPE_DEVMAP]: 'devmap',
  [MAP_TYPE_DEVMAP_HASH]: 'devmap_hash',
  [MAP_TYPE_CPUMAP]: 'cpumap',
  [MAP_TYPE_XSKMAP]: 'xskmap',
};

/** The ifindexes of a scenario: what "exists in the updating netns" means for devmap updates (§1.3). */
export function scenarioIfindexes(scenario: Scenario): Set<number> {
  return new Set([1, ...scenario.devices.map((d) => d.simIfindex)]);
}

/** Resolves the scenario's program entries to loaded handles. */
function resolvePrograms(input: SimulationInput): Map<string, XdpProgramHandle> {
  const out = new Map<string, XdpProgramHandle>();
  input.scenario.programs.forEach((p, i) => {
    // A program without a local object (imported from a host) has no handle: see Simulation's attach.
    if (p.file === undefined) return;
    const obj = input.objects.get(p.file);
    if (!obj) throw new SimulationSetupError(`$.programs[${i}].file`, `object '${p.file}' was not loaded`);
    const handle =
      p.function !== undefined
        ? obj.programs.find((h) => h.name === p.function)
        : (obj.programs.find((h) => h.attach === 'xdp') ?? obj.programs[0]);
    if (!handle)
      throw new SimulationSetupError(
        `$.programs[${i}].function`,
        p.function !== undefined
          ? `no program '${p.function}' in ${p.file} (has: ${obj.programs.map((h) => h.name).join(', ') || 'none'})`
          : `${p.file} has no XDP program`,
      );
    out.set(p.name, handle);
  });
  return out;
}

function scalarToInt(v: MapScalar, devices: Map<string, SimDevice>, path: string): number | Uint8Array {
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

/** A chain component's XDP_RUN_CONFIG from its object (libxdp reads it on every load). */
function objectRunConfig(
  input: SimulationInput,
  e: ScenarioXdpComponent,
  prog: XdpProgramHandle,
): XdpRunConfig | undefined {
  const file = input.scenario.programs.find((p) => p.name === e.program)?.file ?? '';
  const configs = input.runConfigs?.get(file);
  if (typeof configs === 'string')
    throw new SimulationSetupError(`${e.path}.program`, `libxdp cannot load ${file}: ${configs}`);
  return configs?.get(prog.name);
}

export class Simulation {
  readonly sim: Simulator;
  readonly topology: Topology;
  private readonly programs: Map<string, XdpProgramHandle>;
  private readonly devices: Map<string, SimDevice>;

  constructor(
    private readonly input: SimulationInput,
    options: SimulatorOptions = {},
  ) {
    const sc = input.scenario;
    this.programs = resolvePrograms(input);
    const names = new Map<XdpProgramHandle, string>();
    for (const [n, h] of this.programs) if (!names.has(h)) names.set(h, n);
    const warnings: string[] = [];

    // Devices and veth peers.
    this.devices = new Map();
    for (const d of sc.devices) {
      const dev = new SimDevice(
        d.name,
        d.simIfindex,
        d.kind,
        d.driver,
        d.up,
        d.mtu,
        d.queues,
        d.gro,
        d.features,
      );
      dev.peerOutside = d.kind === 'veth' && d.peer === undefined;
      this.devices.set(d.name, dev);
    }
    for (const d of sc.devices)
      if (d.peer) (this.devices.get(d.name) as SimDevice).peer = this.devices.get(d.peer);

    // Attachments, with the kernel's refusals (§1.4, §5).
    const attachErrors = new Map<string, { errno: string; message: string }>();
    const dispatchers = new Map<string, XdpDispatcher>();
    let nextProgId =
      1 + Math.max(0, ...[...input.objects.values()].flatMap((o) => o.programs.map((p) => p.id)));
    sc.devices.forEach((d, i) => {
      if (!d.xdp) return;
      const dev = this.devices.get(d.name) as SimDevice;
      let prog = this.programs.get(d.xdp.program);
      if (d.xdp.chain) {
        // libxdp loads the components, then the dispatcher (a later id) that the device runs.
        const disp = buildDispatcher(
          d.xdp.chain,
          this.programs,
          (e, p) => objectRunConfig(input, e, p),
          nextProgId++,
        );
        if (typeof disp === 'string') {
          warnings.push(`$.devices[${i}].xdp: ${disp}; ${d.name} runs without a program`);
          attachErrors.set(d.name, { errno: 'EINVAL', message: disp });
          return;
        }
        dispatchers.set(d.name, disp);
        prog = disp;
      } else if (!prog) {
        // No local object: the device is drawn with the program, frames reaching it are reported.
        const sp = sc.programs.find((p) => p.name === d.xdp?.program);
        dev.unknownProg = { name: d.xdp.program, ...(sp?.tag !== undefined ? { tag: sp.tag } : {}) };
        dev.progName = d.xdp.program;
        dev.mode = d.xdp.mode;
        warnings.push(
          `$.devices[${i}].xdp: '${d.xdp.program}' on ${d.name} is an unknown program (tag ${sp?.tag ?? '?'}${sp?.id !== undefined ? `, id ${sp.id}` : ''}): no local object, so frames reaching it are counted as 'unknown_program', not run`,
        );
        return;
      }
      let refusal: { errno: string; message: string } | undefined;
      if (prog.attach !== 'xdp')
        refusal = {
          errno: 'EINVAL',
          message: `'${d.xdp.program}' is a ${prog.attach} program, not an XDP attach program`,
        };
      else if (d.xdp.mode === 'native' && !(dev.xdpFeatures & XDP_FEATURE.BASIC))
        refusal = {
          errno: 'EOPNOTSUPP',
          message: `driver ${dev.driver} has no native XDP (use mode "generic")`,
        };
      else if (
        d.xdp.mode === 'native' &&
        dev.kind === 'veth' &&
        !prog.frags &&
        dev.peer &&
        dev.peer.mtu > VETH_MAX_PEER_MTU_LINEAR
      )
        refusal = {
          errno: 'ERANGE',
          message: `Peer MTU is too large to set XDP (peer ${dev.peer.name} mtu ${dev.peer.mtu} > ${VETH_MAX_PEER_MTU_LINEAR}; use a frags-aware program)`,
        };
      if (refusal) {
        attachErrors.set(d.name, refusal);
        warnings.push(
          `$.devices[${i}].xdp: the kernel refuses this attach: ${refusal.errno} (${refusal.message}); ${d.name} runs without a program`,
        );
        return;
      }
      dev.prog = prog;
      dev.progName = prog instanceof XdpDispatcher ? prog.name : d.xdp.program;
      dev.mode = d.xdp.mode;
    });

    const xsks = sc.xsks.map((x) => new XskSocket(x, this.devices.get(x.device)));

    // Maps: every map of every object, by name; entries through the map's own update rules (§1.3).
    const byName = new Map<string, BpfMap>();
    const mapNames = new Map<number, string>();
    for (const obj of input.objects.values())
      for (const m of obj.maps) {
        if (!byName.has(m.name)) byName.set(m.name, m);
        mapNames.set(m.id, m.name);
      }
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
        const rc = map.userUpdate(key, value, BPF_ANY);
        if (rc < 0)
          warnings.push(
            `${e.path}: the kernel refuses this map update: ${errnoName(rc)} — the entry stays absent`,
          );
      }
    }

    this.topology = {
      cpus: sc.cpus,
      devices: sc.devices.map((d) => {
        const dev = this.devices.get(d.name) as SimDevice;
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
                  progId: disp?.id ?? this.programs.get(d.xdp.program)?.id ?? 0,
                  mode: d.xdp.mode,
                  ...(err ? { attachError: err } : {}),
                  ...(disp ? { dispatcher: { components: topologyComponents(disp) } } : {}),
                },
              }
            : {}),
        };
      }),
      programs: sc.programs.map((p) => {
        const h = this.programs.get(p.name);
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
        .map((m) => this.topologyMap(m, names)),
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
    for (const d of this.devices.values()) d.frozen = true;
    this.sim = new Simulator(
      this.topology,
      [...this.devices.values()],
      xsks,
      { nameOf: (h) => names.get(h) ?? h.name },
      mapNames,
      options,
    );
    this.sim.summary.warnings.push(...warnings);
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

  private topologyMap(m: BpfMap, names: Map<XdpProgramHandle, string>): TopologyMap {
    const devByIfindex = new Map([...this.devices.values()].map((d) => [d.ifindex, d.name]));
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

  /** Runs all traffic; returns the result. Call once (run or runInSlices). */
  run(): SimulationResult {
    for (const injected of this.drive()) void injected;
    return this.result();
  }

  /**
   * Runs all traffic in slices of about `sliceMs` of work, handing the thread back between slices
   * (`pause`) and reporting what has been counted so far: a 1 M-frame run in an editor's extension
   * host or a page must neither freeze it nor stay blank until the end. Same frames, same order,
   * same result as run(). Call once.
   */
  async runInSlices(opts: SliceOptions): Promise<SimulationResult> {
    const sliceMs = opts.sliceMs ?? 50;
    const total = this.framesTotal();
    let sliceStart = opts.now();
    let bursts = 0;
    for (const injected of this.drive()) {
      // The clock is read every 16 bursts (≈ 1000 frames), not per burst.
      if ((++bursts & 15) !== 0 || opts.now() - sliceStart < sliceMs) continue;
      if (opts.signal?.aborted) throw new SimulationAborted();
      opts.onProgress?.({ framesInjected: injected, framesTotal: total, partial: this.partialResult() });
      await opts.pause();
      if (opts.signal?.aborted) throw new SimulationAborted();
      sliceStart = opts.now();
    }
    return this.result();
  }

  /** Frames the traffic injects (pcap entries count each of their frames `count` times). */
  framesTotal(): number {
    let n = 0;
    for (const t of this.input.scenario.traffic)
      n += t.count * (t.frame ? 1 : (this.input.pcaps?.get(t.pcap ?? '')?.length ?? 0));
    return n;
  }

  /** Injects the traffic burst by burst, yielding the number of frames injected so far. */
  private *drive(): Generator<number, void> {
    const sc = this.input.scenario;
    const sim = this.sim;
    let injected = 0;
    // One array for every burst: a burst is drained before the next is made (no per-burst garbage).
    const frames: SimFrame[] = [];
    outer: for (let ti = 0; ti < sc.traffic.length; ti++) {
      const t = sc.traffic[ti] as (typeof sc.traffic)[number];
      const list: readonly Uint8Array[] = t.frame ? [t.frame] : (this.input.pcaps?.get(t.pcap ?? '') ?? []);
      if (!list.length) continue;
      const dev = this.devices.get(t.device) as SimDevice;
      const total = t.count * list.length;
      for (let i = 0; i < total; i += t.burst) {
        const n = Math.min(t.burst, total - i);
        // Slots written in place: emptying the array (length = 0) would free its backing store and
        // make every burst grow a new one.
        if (frames.length > n) frames.length = n;
        for (let k = 0; k < n; k++) frames[k] = sim.newFrame(list[(i + k) % list.length] as Uint8Array, ti);
        if (!sim.guardedBurst(t.kind, dev, t.queue, t.cpu, frames)) break outer;
        injected += n;
        yield injected;
      }
    }
    sim.finish();
  }

  private result(): SimulationResult {
    const sim = this.sim;
    return {
      topology: this.topology,
      summary: sim.summary,
      events: sim.trace.events,
      eventsDropped: sim.trace.eventsDropped,
      timeline: sim.timeline,
      timelineDropped: sim.timelineDropped,
      frames: sim.frameInfos,
    };
  }

  /**
   * The counts so far as a result of their own (a copy of the summary with the pending verdicts
   * folded in; no events, timeline or frames — those belong to the finished run).
   */
  private partialResult(): SimulationResult {
    return {
      topology: this.topology,
      summary: this.sim.summarySoFar(),
      events: [],
      eventsDropped: 0,
      timeline: [],
      timelineDropped: 0,
      frames: [],
    };
  }
}

/** What runInSlices needs from its host (core has no timers or clock of its own). */
export interface SliceOptions {
  /** Milliseconds of work between two pauses. Default 50. */
  sliceMs?: number;
  /** A clock in milliseconds (performance.now in Node and browsers). */
  now: () => number;
  /** Gives the thread back (setImmediate in Node, a MessageChannel or setTimeout in a page). */
  pause: () => Promise<void>;
  /** Checked between slices: an aborted run rejects with SimulationAborted. */
  signal?: { readonly aborted: boolean };
  onProgress?: (progress: SimulationProgress) => void;
}

export interface SimulationProgress {
  framesInjected: number;
  framesTotal: number;
  /** Counts so far (summary, topology); events, timeline and frames stay empty. */
  partial: SimulationResult;
}

/** A sliced run stopped because its signal was aborted. */
export class SimulationAborted extends Error {
  constructor() {
    super('the simulation was cancelled');
    this.name = 'AbortError';
  }
}

export function runSimulation(input: SimulationInput, options: SimulatorOptions = {}): SimulationResult {
  return new Simulation(input, options).run();
}
