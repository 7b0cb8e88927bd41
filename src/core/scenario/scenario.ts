// The scenario model after validation and defaults (../shared/specs/scenario.md): what the
// simulator builds its host from. Produced by scenarioParse.ts from a *.xdpscenario.json file.
import type { GlobalValue } from '../elf/globals';
import type { FrameSpec } from '../packet/frameBuilder';
import type { ConntrackSpec } from '../xdp/conntrack';

/** A driver name: a profile of driverProfiles.ts, or any driver a host reports (then generic XDP only,
 *  unless `features` say more). */
export type DriverName = string;

/** Device kinds: veth and nic, plus what an imported host has (scenario.md "Scenarios of a real host"). */
export type DeviceKind = 'veth' | 'nic' | 'loopback' | 'bridge' | 'vlan' | 'bond' | 'dummy' | 'tun' | 'other';

export interface ScenarioProgram {
  name: string;
  /** The object; absent for a program seen on a host with no local object (then `id`/`tag` say which). */
  file?: string;
  /** The kernel's program id and tag on the host it was imported from. */
  id?: number;
  tag?: string;
  /** Function (program) name in the object; undefined = the object's only/first XDP program. */
  function?: string;
  /** Global variables set before the run, by name (.rodata knobs, .data/.bss); see elf/globals.ts. */
  globals?: Record<string, GlobalValue>;
}

/** offload: run by the NIC itself; simulated like native (the same program on the same frames). */
export type XdpMode = 'native' | 'generic' | 'offload';

export interface FeatureOverrides {
  native?: boolean;
  ndoXmit?: boolean;
  ndoXmitSg?: boolean;
  rxSg?: boolean;
  xskZeroCopy?: boolean;
}

export interface ScenarioDevice {
  name: string;
  kind: DeviceKind;
  /** The network namespace it lives in (absent: the scenario's one namespace). Ifindexes are per namespace. */
  netns?: string;
  /** veth: the peer's name; absent on a veth whose peer is outside the scenario (`peerIfindex` then). */
  peer?: string;
  /** veth with `"peer": null`: the peer's ifindex (in a namespace the login cannot see). */
  peerIfindex?: number;
  note?: string;
  /** The device's ifindex in its namespace (what a host's program and map values use). */
  ifindex: number;
  /** A host-wide unique index the simulator keys devices by: `ifindex` unless two namespaces share it. */
  simIfindex: number;
  driver: DriverName;
  up: boolean;
  mtu: number;
  queues: number;
  gro: boolean;
  features: FeatureOverrides;
  /** The attached program; with libxdp's dispatcher, `program` is the first entry as written and
   *  `chain` every entry (ordered when the objects are loaded: priorities may come from their BTF). */
  xdp?: { program: string; mode: XdpMode; chain?: ScenarioXdpComponent[] };
}

/** One program of a libxdp dispatcher chain as written (`xdp: [ … ]`); see xdp/xdpDispatcher.ts. */
export interface ScenarioXdpComponent {
  program: string;
  /** libxdp's run_prio; absent → the object's XDP_RUN_CONFIG, else 50. */
  priority?: number;
  /** Actions (0..4) that continue the chain; absent → the object's XDP_RUN_CONFIG, else XDP_PASS. */
  chainCallActions?: number[];
  /** JSON path of the entry, for errors found when the objects are loaded. */
  path: string;
}

/** Map keys and values as written: resolved against the map's sizes when the host is built. */
export type MapScalar = number | string;
export type ScenarioMapValue =
  | MapScalar
  | { ifindex: MapScalar; program?: string }
  | { qsize: number; program?: string }
  | { program: string }
  | { xsk: string };

export interface ScenarioMapEntry {
  key: MapScalar;
  value: ScenarioMapValue;
  /** JSON path of the entry, for errors found later (unknown map, bad size). */
  path: string;
}

export interface ScenarioXsk {
  name: string;
  device: string;
  queue: number;
  rxRing: number;
  fillRing: number;
  chunkSize: number;
  headroom: number;
  bound: boolean;
  sg: boolean;
  zeroCopy: boolean;
}

export interface ScenarioTraffic {
  /** 'from': sent by a veth end (arrives at its peer); 'rx': received on a NIC queue; 'testRun':
   *  BPF_PROG_TEST_RUN live frames on the device's native program, `burst` frames per batch. */
  kind: 'from' | 'rx' | 'testRun';
  device: string;
  queue: number;
  cpu: number;
  count: number;
  burst: number;
  /** The frame (structured and hex frames are built while parsing). */
  frame?: Uint8Array;
  /** A pcap file (relative to the scenario); its frames are read by the loader. */
  pcap?: string;
  path: string;
}

export interface Scenario {
  version: 1;
  description?: string;
  cpus: number;
  programs: ScenarioProgram[];
  devices: ScenarioDevice[];
  maps: Record<string, ScenarioMapEntry[]>;
  xsks: ScenarioXsk[];
  traffic: ScenarioTraffic[];
  /** The conntrack table before the first frame (the conntrack kfuncs' table). */
  conntrack?: ConntrackSpec[];
}

export type { FrameSpec };
