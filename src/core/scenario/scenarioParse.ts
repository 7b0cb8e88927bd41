// Parses and validates a scenario file: JSON syntax, the JSON Schema (scenarioSchema.ts, unknown
// fields are errors), then the cross-references the schema cannot express (peers, names, ifindexes,
// CPUs, queues). Every error names the JSON path. Frames given inline are built here.
import type { GlobalValue } from '../elf/globals';
import { FrameError, buildFrame, parseHex, type FrameSpec } from '../packet/frameBuilder';
import { checkAgainstSchema, childPath } from './jsonSchemaCheck';
import type {
  DeviceKind,
  DriverName,
  Scenario,
  ScenarioDevice,
  ScenarioMapEntry,
  ScenarioMapValue,
  ScenarioTraffic,
  ScenarioXdpComponent,
  ScenarioXsk,
  XdpMode,
} from './scenario';
import { scenarioLimits } from './scenarioLimits';
import { scenarioJsonSchema } from './scenarioSchema';
import { ConntrackError, ConntrackTable } from '../xdp/conntrack';
import type { ConntrackSpec } from '../xdp/conntrack';
import { parseJsonText } from '../jsonText';

export class ScenarioError extends Error {
  constructor(
    readonly path: string,
    readonly why: string,
  ) {
    super(`${path}: ${why}`);
  }
}

/** Parses scenario JSON text. Throws ScenarioError (path + why) for anything invalid. */
export function parseScenarioText(text: string): Scenario {
  let raw: unknown;
  try {
    raw = parseJsonText(text);
  } catch (e) {
    throw new ScenarioError('$', `not valid JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  return parseScenario(raw);
}

interface RawDevice {
  name: string;
  kind: DeviceKind;
  netns?: string;
  peer?: string | null;
  peerIfindex?: number;
  note?: string;
  ifindex?: number;
  driver?: DriverName;
  up?: boolean;
  mtu?: number;
  queues?: number;
  gro?: boolean;
  features?: ScenarioDevice['features'];
  xdp?: RawXdp | RawXdpEntry[];
}

interface RawXdp {
  program: string;
  mode?: XdpMode;
}

interface RawXdpEntry extends RawXdp {
  priority?: number;
  chainCallActions?: string[];
}

const xdpActionNumbers: Record<string, number> = {
  XDP_ABORTED: 0,
  XDP_DROP: 1,
  XDP_PASS: 2,
  XDP_TX: 3,
  XDP_REDIRECT: 4,
};

/**
 * `xdp` as one program or a libxdp dispatcher chain. A chain shares one mode: the kernel keeps one
 * attached program per mode and refuses a generic one next to a native one (dev_xdp_attach: "Native
 * and generic XDP can't be active at the same time", EEXIST), and libxdp's dispatcher is that one.
 */
function parseXdp(
  x: RawXdp | RawXdpEntry[],
  path: string,
  needProgram: (name: string, path: string) => void,
): NonNullable<ScenarioDevice['xdp']> {
  if (!Array.isArray(x)) {
    needProgram(x.program, `${path}.program`);
    return { program: x.program, mode: x.mode ?? 'native' };
  }
  const modes = new Set(x.map((e) => e.mode ?? 'native'));
  if (modes.size > 1)
    throw new ScenarioError(
      path,
      "native and generic XDP can't be active at the same time on one device (EEXIST): give every entry the same mode",
    );
  const chain: ScenarioXdpComponent[] = x.map((e, i) => {
    const at = `${path}[${i}]`;
    needProgram(e.program, `${at}.program`);
    const acts = e.chainCallActions?.map((a) => xdpActionNumbers[a] as number);
    return {
      program: e.program,
      ...(e.priority !== undefined ? { priority: e.priority } : {}),
      ...(acts ? { chainCallActions: [...new Set(acts)].sort((a, b) => a - b) } : {}),
      path: at,
    };
  });
  const first = chain[0] as ScenarioXdpComponent;
  return { program: first.program, mode: [...modes][0] ?? 'native', chain };
}

/** The driver a device of each kind has when the scenario names none (profiles in driverProfiles.ts). */
const defaultDriver: Record<DeviceKind, DriverName> = {
  veth: 'veth',
  nic: 'mlx5',
  loopback: 'loopback',
  bridge: 'bridge',
  vlan: '8021q',
  bond: 'bonding',
  dummy: 'dummy',
  tun: 'tun',
  other: 'generic-only',
};

interface RawTraffic {
  from?: string;
  rx?: string;
  testRun?: string;
  batch?: number;
  queue?: number;
  cpu?: number;
  count?: number;
  burst?: number;
  frame?: FrameSpec | string;
  pcap?: string;
}

interface RawScenario {
  version: 1;
  description?: string;
  cpus?: number;
  programs?: Array<{
    name: string;
    file?: string;
    function?: string;
    id?: number;
    tag?: string;
    globals?: Record<string, GlobalValue>;
  }>;
  devices?: RawDevice[];
  maps?: Record<string, Array<{ key: number | string; value: ScenarioMapValue }>>;
  xsks?: Array<Partial<ScenarioXsk> & { name: string; device: string }>;
  traffic?: RawTraffic[];
  conntrack?: ConntrackSpec[];
}

export function parseScenario(raw: unknown): Scenario {
  const problem = checkAgainstSchema(raw, scenarioJsonSchema);
  if (problem) throw new ScenarioError(problem.path, problem.message);
  const r = raw as RawScenario;
  const cpus = r.cpus ?? 1;

  const programs = r.programs ?? [];
  const programNames = new Set<string>();
  programs.forEach((p, i) => {
    if (programNames.has(p.name))
      throw new ScenarioError(`$.programs[${i}].name`, `duplicate program name '${p.name}'`);
    programNames.add(p.name);
    if (p.file === undefined && (p.function !== undefined || p.globals !== undefined))
      throw new ScenarioError(
        `$.programs[${i}]`,
        "'function' and 'globals' need 'file' (a program without a local object is listed by name, id and tag)",
      );
  });
  const needProgram = (nameRef: string, path: string): void => {
    if (!programNames.has(nameRef))
      throw new ScenarioError(
        path,
        `no program named '${nameRef}' in $.programs (known: ${[...programNames].join(', ') || 'none'})`,
      );
  };

  const rawDevices = r.devices ?? [];
  const byName = new Map<string, RawDevice>();
  rawDevices.forEach((d, i) => {
    if (byName.has(d.name))
      throw new ScenarioError(`$.devices[${i}].name`, `duplicate device name '${d.name}'`);
    byName.set(d.name, d);
  });
  // Ifindexes are per network namespace (as in the kernel): explicit ones first, the others in device
  // order from 2 (1 is the loopback's, which a loopback device takes by default), skipping taken ones.
  const nsOf = (d: RawDevice): string => d.netns ?? '';
  const taken = new Map<string, Set<number>>();
  const takenIn = (ns: string): Set<number> => {
    let t = taken.get(ns);
    if (!t) taken.set(ns, (t = new Set()));
    return t;
  };
  rawDevices.forEach((d, i) => {
    const t = takenIn(nsOf(d));
    if (d.ifindex === undefined) return;
    const where = d.netns !== undefined ? ` in netns ${d.netns}` : '';
    if (t.has(d.ifindex))
      throw new ScenarioError(`$.devices[${i}].ifindex`, `ifindex ${d.ifindex} is used twice${where}`);
    if (d.ifindex === 1 && d.kind !== 'loopback')
      throw new ScenarioError(`$.devices[${i}].ifindex`, 'ifindex 1 is the loopback device');
    t.add(d.ifindex);
  });
  // Ifindex 1 is taken in every namespace: by an explicit loopback, else by the first loopback listed.
  const loopbackOne = new Set(rawDevices.filter((d) => d.ifindex === 1).map(nsOf));
  for (const t of taken.values()) t.add(1);
  const nextIn = new Map<string, number>();
  const ifindexes = rawDevices.map((d) => {
    if (d.ifindex !== undefined) return d.ifindex;
    const t = takenIn(nsOf(d));
    if (d.kind === 'loopback' && !loopbackOne.has(nsOf(d))) {
      loopbackOne.add(nsOf(d));
      return 1;
    }
    let next = nextIn.get(nsOf(d)) ?? 2;
    while (t.has(next)) next++;
    t.add(next);
    nextIn.set(nsOf(d), next + 1);
    return next;
  });
  // The simulator keys devices by one host-wide index: the namespace's own ifindex unless an earlier
  // namespace already has it, then the next free one above all of them (documented in docs/remote.md).
  const simTaken = new Set<number>();
  let simNext = Math.max(1, ...ifindexes) + 1;
  const simIfindexes = ifindexes.map((ix) => {
    if (!simTaken.has(ix)) {
      simTaken.add(ix);
      return ix;
    }
    while (simTaken.has(simNext)) simNext++;
    simTaken.add(simNext);
    return simNext;
  });
  const devices: ScenarioDevice[] = rawDevices.map((d, i) => {
    const path = `$.devices[${i}]`;
    const ifindex = ifindexes[i] as number;
    if (d.kind === 'veth') {
      if (d.peer === undefined)
        throw new ScenarioError(
          path,
          "a veth needs 'peer' (the name of the other end, or null when it is outside the scenario)",
        );
      if (d.peer !== null) {
        const peer = byName.get(d.peer);
        if (!peer) throw new ScenarioError(`${path}.peer`, `no device named '${d.peer}'`);
        if (d.peer === d.name) throw new ScenarioError(`${path}.peer`, 'a veth cannot be its own peer');
        if (peer.kind !== 'veth') throw new ScenarioError(`${path}.peer`, `'${d.peer}' is not a veth`);
        if (peer.peer !== undefined && peer.peer !== d.name)
          throw new ScenarioError(
            `${path}.peer`,
            `'${d.peer}' names '${String(peer.peer)}' as its peer, not '${d.name}'`,
          );
        if (d.peerIfindex !== undefined)
          throw new ScenarioError(
            `${path}.peerIfindex`,
            '\'peerIfindex\' is for a peer outside the scenario ("peer": null)',
          );
      }
      if (d.driver !== undefined && d.driver !== 'veth')
        throw new ScenarioError(`${path}.driver`, "a veth's driver is 'veth'");
    } else {
      if (d.peer !== undefined) throw new ScenarioError(`${path}.peer`, "only a veth has a 'peer'");
      if (d.peerIfindex !== undefined)
        throw new ScenarioError(`${path}.peerIfindex`, "only a veth has a 'peerIfindex'");
      if (d.gro !== undefined) throw new ScenarioError(`${path}.gro`, "'gro' is modelled for veth only");
      if (d.driver === 'veth') throw new ScenarioError(`${path}.driver`, "driver 'veth' needs kind 'veth'");
    }
    const xdp = d.xdp ? parseXdp(d.xdp, `${path}.xdp`, needProgram) : undefined;
    return {
      name: d.name,
      kind: d.kind,
      ...(d.netns !== undefined ? { netns: d.netns } : {}),
      ...(typeof d.peer === 'string' ? { peer: d.peer } : {}),
      ...(d.peerIfindex !== undefined ? { peerIfindex: d.peerIfindex } : {}),
      ...(d.note !== undefined ? { note: d.note } : {}),
      ifindex,
      simIfindex: simIfindexes[i] as number,
      driver: d.driver ?? defaultDriver[d.kind],
      up: d.up ?? true,
      mtu: d.mtu ?? (d.kind === 'loopback' ? 65536 : 1500),
      queues: d.queues ?? 1,
      gro: d.gro ?? false,
      features: d.features ?? {},
      ...(xdp ? { xdp } : {}),
    };
  });
  // A veth end whose peer names no peer is completed by symmetry (the peer line is optional on one side).
  for (const d of devices)
    if (d.kind === 'veth' && d.peer === undefined && rawDevices[devices.indexOf(d)]?.peer !== null)
      d.peer = rawDevices.find((x) => x.peer === d.name)?.name;

  const xsks: ScenarioXsk[] = (r.xsks ?? []).map((x, i) => {
    const path = `$.xsks[${i}]`;
    const dev = devices.find((d) => d.name === x.device);
    if (!dev) throw new ScenarioError(`${path}.device`, `no device named '${x.device}'`);
    const queue = x.queue ?? 0;
    if (queue >= dev.queues)
      throw new ScenarioError(`${path}.queue`, `${x.device} has ${dev.queues} queue(s)`);
    const rxRing = x.rxRing ?? 2048;
    return {
      name: x.name,
      device: x.device,
      queue,
      rxRing,
      fillRing: x.fillRing ?? rxRing,
      chunkSize: x.chunkSize ?? 2048,
      headroom: x.headroom ?? 0,
      bound: x.bound ?? true,
      sg: x.sg ?? false,
      zeroCopy: x.zeroCopy ?? false,
    };
  });
  const xskNames = new Set<string>();
  xsks.forEach((x, i) => {
    if (xskNames.has(x.name))
      throw new ScenarioError(`$.xsks[${i}].name`, `duplicate socket name '${x.name}'`);
    xskNames.add(x.name);
  });

  const maps: Record<string, ScenarioMapEntry[]> = {};
  for (const [mapName, entries] of Object.entries(r.maps ?? {})) {
    const mapPath = childPath('$.maps', mapName);
    maps[mapName] = entries.map((e, i) => {
      const path = `${mapPath}[${i}]`;
      const v = e.value;
      if (typeof v === 'object') {
        if ('program' in v && v.program !== undefined) needProgram(v.program, `${path}.value.program`);
        if ('xsk' in v && !xskNames.has(v.xsk))
          throw new ScenarioError(`${path}.value.xsk`, `no socket named '${v.xsk}' in $.xsks`);
      }
      return { key: e.key, value: v, path };
    });
  }

  // Conntrack entries: checked now (addresses, status names, duplicates) in a scratch table.
  if (r.conntrack) {
    const check = new ConntrackTable(() => 0n);
    r.conntrack.forEach((c, i) => {
      try {
        check.add(c, `$.conntrack[${i}]`);
      } catch (e) {
        // ConntrackError messages start with the field's path.
        const m = e instanceof ConntrackError ? /^(\$\S*): ([\s\S]*)$/.exec(e.message) : null;
        if (m) throw new ScenarioError(m[1] as string, m[2] as string);
        throw e;
      }
    });
  }

  let total = 0;
  const traffic: ScenarioTraffic[] = (r.traffic ?? []).map((t, i) => {
    const path = `$.traffic[${i}]`;
    const given = [t.from, t.rx, t.testRun].filter((x) => x !== undefined).length;
    if (given !== 1)
      throw new ScenarioError(
        path,
        "give exactly one of 'from' (a veth end), 'rx' (a NIC) or 'testRun' (a device with a native program)",
      );
    const kind = t.from !== undefined ? 'from' : t.rx !== undefined ? 'rx' : 'testRun';
    const devName = (t.from ?? t.rx ?? t.testRun) as string;
    const dev = devices.find((d) => d.name === devName);
    if (!dev) throw new ScenarioError(`${path}.${kind}`, `no device named '${devName}'`);
    if (kind === 'from' && dev.kind !== 'veth')
      throw new ScenarioError(`${path}.from`, `'${devName}' is not a veth (use 'rx' for a NIC)`);
    if (kind === 'rx' && dev.kind === 'veth')
      throw new ScenarioError(`${path}.rx`, `'${devName}' is a veth (use 'from' on its peer)`);
    if (kind === 'testRun' && dev.xdp?.mode !== 'native' && dev.xdp?.mode !== 'offload')
      throw new ScenarioError(
        `${path}.testRun`,
        `'${devName}' needs a native XDP program: live test-run uses it and its rx queue`,
      );
    if (t.batch !== undefined && kind !== 'testRun')
      throw new ScenarioError(`${path}.batch`, "'batch' is for testRun traffic ('burst' for the others)");
    if (t.burst !== undefined && kind === 'testRun')
      throw new ScenarioError(`${path}.burst`, "testRun traffic takes 'batch'");
    const queue = t.queue ?? 0;
    if (kind === 'rx' && queue >= dev.queues)
      throw new ScenarioError(`${path}.queue`, `${devName} has ${dev.queues} queue(s)`);
    const cpu = t.cpu ?? 0;
    if (cpu >= cpus)
      throw new ScenarioError(`${path}.cpu`, `the scenario has ${cpus} CPU(s) (0..${cpus - 1})`);
    if ((t.frame === undefined) === (t.pcap === undefined))
      throw new ScenarioError(path, "give exactly one of 'frame' or 'pcap'");
    const count = t.count ?? 1;
    total += count;
    if (total > scenarioLimits.maxTotalFrames)
      throw new ScenarioError(
        `${path}.count`,
        `the scenario would inject more than ${scenarioLimits.maxTotalFrames} frames`,
      );
    let frame: Uint8Array | undefined;
    if (t.frame !== undefined) {
      try {
        frame =
          typeof t.frame === 'string'
            ? parseHex(t.frame, `${path}.frame`)
            : buildFrame(t.frame, `${path}.frame`);
      } catch (e) {
        if (e instanceof FrameError)
          throw new ScenarioError(`${path}.frame`, e.message.replace(/^[^:]*: /, ''));
        throw e;
      }
      if (frame.length < 14)
        throw new ScenarioError(
          `${path}.frame`,
          `${frame.length} bytes is shorter than an Ethernet header (14)`,
        );
    }
    return {
      kind,
      device: devName,
      queue,
      cpu,
      count,
      burst: kind === 'testRun' ? (t.batch ?? 64) : (t.burst ?? (kind === 'from' ? 1 : 64)),
      ...(frame ? { frame } : {}),
      ...(t.pcap !== undefined ? { pcap: t.pcap } : {}),
      path,
    };
  });

  return {
    version: 1,
    ...(r.description !== undefined ? { description: r.description } : {}),
    cpus,
    programs: programs.map((p) => ({
      name: p.name,
      ...(p.file !== undefined ? { file: p.file } : {}),
      ...(p.id !== undefined ? { id: p.id } : {}),
      ...(p.tag !== undefined ? { tag: p.tag } : {}),
      ...(p.function !== undefined ? { function: p.function } : {}),
      ...(p.globals !== undefined ? { globals: p.globals } : {}),
    })),
    devices,
    maps,
    xsks,
    traffic,
    ...(r.conntrack?.length ? { conntrack: r.conntrack } : {}),
  };
}
