// What a simulation produces, as plain JSON-safe data: the topology it ran on, the stream of
// tracepoint events (each tied to the context, CPU and frames it concerns), a per-frame timeline and
// the summary of `xdp-lab simulate --json`. The visualizer draws from these types only.
import type { DeviceCounts, XdpSummary } from '../trace/summary';
import type { XdpEvent } from '../trace/tracepoints';
import type { DeviceKind, XdpMode } from '../scenario/scenario';
import type { RedirectMiss, RedirectMissSummary } from './redirectMiss';

// ---- topology -------------------------------------------------------------------------------

export interface TopologyDevice {
  name: string;
  ifindex: number;
  kind: DeviceKind;
  driver: string;
  /** Network namespace (imported hosts) and the ifindex there when it differs from `ifindex`. */
  netns?: string;
  nsIfindex?: number;
  peer?: string;
  /** veth whose peer is outside the scenario: what it transmits leaves the scenario. */
  peerOutside?: boolean;
  up: boolean;
  mtu: number;
  queues: number;
  gro: boolean;
  /** xdp_features bits and their names as the redirect code saw them at the start (§1.4). */
  xdpFeatures: number;
  featureNames: string[];
  /** veth: the device has a NAPI (up and a native program or GRO), so its peer's transmits land. */
  napi: boolean;
  xdp?: {
    program: string;
    progId: number;
    mode: XdpMode;
    /** Set when the kernel would refuse the attach (e.g. ERANGE); the device then runs no program. */
    attachError?: { errno: string; message: string };
    /** libxdp's dispatcher runs several programs here (`program` is the first in run order,
     *  `progId` the dispatcher's: the id the tracepoints report). */
    dispatcher?: { components: TopologyXdpComponent[] };
  };
}

/** One program of a dispatcher chain, in run order. */
export interface TopologyXdpComponent {
  program: string;
  function: string;
  progId: number;
  priority: number;
  chainCallActions: string[];
}

export interface TopologyProgram {
  name: string;
  id: number;
  function: string;
  /** Absent for a program without a local object (imported from a host): `tag` says which. */
  file?: string;
  tag?: string;
  frags: boolean;
  attach: 'xdp' | 'devmap' | 'cpumap';
}

export interface TopologyMapEntry {
  key: number;
  /** DEVMAP/DEVMAP_HASH: target. */
  ifindex?: number;
  device?: string;
  /** Egress (devmap) or cpumap program name. */
  program?: string;
  /** CPUMAP. */
  cpu?: number;
  qsize?: number;
  /** XSKMAP: socket name. */
  xsk?: string;
  /** Other maps: value bytes as hex. */
  value?: string;
}

export interface TopologyMap {
  name: string;
  id: number;
  type: string;
  typeNumber: number;
  maxEntries: number;
  entries: TopologyMapEntry[];
}

export interface TopologyXsk {
  name: string;
  device: string;
  queue: number;
  bound: boolean;
  rxRing: number;
  fillRing: number;
  chunkSize: number;
  sg: boolean;
  zeroCopy: boolean;
}

export interface Topology {
  cpus: number;
  devices: TopologyDevice[];
  programs: TopologyProgram[];
  maps: TopologyMap[];
  xsks: TopologyXsk[];
}

// ---- events -----------------------------------------------------------------------------------

/** One tracepoint event with where it happened. `seq` orders all events of a run. */
export interface SimEvent {
  seq: number;
  /** Context (softirq run, kthread batch) that emitted it; see FrameStep 'context'. */
  context: number;
  cpu: number;
  event: XdpEvent;
  /** Frames the event is about (one for redirect/exception, the batch for xmit/enqueue). */
  frames: number[];
}

// ---- timeline -------------------------------------------------------------------------------

/** Why a frame was dropped: the keys of `devices[].dropReasons` in the summary. */
export type DropReason =
  | 'xdp_drop'
  | 'xdp_aborted'
  | 'invalid_action'
  | 'program_fault'
  | 'redirect_error'
  | 'egress_prog_drop'
  | 'ndo_xmit_error'
  | 'peer_ring_full'
  | 'peer_mtu'
  | 'peer_down'
  | 'device_down'
  | 'tx_mtu'
  | 'cpumap_ring_full'
  | 'cpumap_prog_drop'
  | 'xdp_tx_error'
  | 'generic_tx_busy'
  | 'no_destination'
  | 'xsk_error'
  | 'unknown_program';

/** The redirect info as step 2 read it (§1.2); tgtIndex is printed in decimal (it is a u64). */
export interface RedirectSnapshot {
  tgtIndex: string;
  mapId: number;
  mapType: number;
  flags: number;
  /** Map name when map_id names a map of the scenario. */
  map?: string;
}

/**
 * One step of the kernel's three (redirect-semantics.md §2–§4) in run order. `context` numbers the
 * bpf net context (softirq run, kthread batch) the step ran in: the redirect info lives that long.
 * Queue names: `dev:<device>@cpu<N>` (device bulk queue), `cpumap:<map>[<key>]@cpu<N>`,
 * `ring:<map>[<key>]` (cpumap ptr_ring), `xsk:<socket>`, `bulk_tx:<device>` (veth XDP_TX).
 */
export type SimStep =
  /** A NAPI poll (or backlog / generic receive) starts on `cpu` for `device` with `frames` frames. */
  | { k: 'poll'; cpu: number; context: number; device: string; frames: number; mode: 'native' | 'skb' }
  /** A program ran on a frame: hook native/generic/devmap (egress)/cpumap, verdict, redirect info after it. */
  | {
      k: 'run';
      cpu: number;
      context: number;
      frame: number;
      device: string;
      program: string;
      progId: number;
      hook: 'native' | 'generic' | 'devmap' | 'cpumap';
      action: number;
      redirect?: RedirectSnapshot;
      fault?: string;
      /** The verdict is bpf_redirect_map's fallback: its lookup found no entry (redirectMiss.ts). */
      miss?: RedirectMiss;
      /** libxdp's dispatcher: what each component returned, in run order, and the one whose
       *  return is `action` (absent when every component continued: the dispatcher's XDP_PASS). */
      chain?: { program: string; action: number }[];
      decidedBy?: string;
    }
  /** Step 2 consumed the redirect info: `target` is what it resolved, `event` the tracepoint's seq. */
  | {
      k: 'redirect';
      cpu: number;
      context: number;
      frame: number;
      device: string;
      err: number;
      errno?: string;
      target: string;
      event: number;
    }
  | {
      k: 'enqueue';
      cpu: number;
      context: number;
      frame: number;
      queue: string;
      fill: number;
      capacity: number;
    }
  /** A bulk queue was transmitted: full (flush=false) or at xdp_do_flush (flush=true). */
  | {
      k: 'xmit';
      cpu: number;
      context: number;
      queue: string;
      sent: number;
      drops: number;
      err?: string;
      flush: boolean;
      frames: number[];
      event: number;
      /** cpumap only: the entry's ptr_ring after the push (§4.2) and the CPU its kthread runs on. */
      ring?: CpumapRingLevel;
      /** Generic (skb) mode: one skb put straight into the ring, no bulk queue behind it (§8.28). */
      skb?: boolean;
    }
  /** Step 3: end of a NAPI poll (or kthread batch) calling xdp_do_flush. */
  | { k: 'flush'; cpu: number; context: number; device: string }
  | {
      k: 'drop';
      cpu: number;
      context: number;
      frame: number;
      device: string;
      reason: DropReason;
      errno?: string;
    }
  | {
      k: 'deliver';
      cpu: number;
      context: number;
      frame: number;
      device: string;
      fate: 'stack' | 'xsk' | 'tx' | 'wire';
    }
  /** A cpumap kthread iteration consumed `processed` frames from its ring. */
  | {
      k: 'kthread';
      cpu: number;
      context: number;
      queue: string;
      processed: number;
      drops: number;
      event: number;
      /** The ring's fill after the batch was taken, out of qsize. */
      ring: CpumapRingLevel;
      /** The cpumap program's verdicts for the batch (xdp_cpumap_kthread's counts), when it has one. */
      verdicts?: { pass: number; drop: number; redirect: number };
    };

/** A cpumap entry's ptr_ring: `ring:<map>[<key>]`, its fill out of qsize, its kthread's CPU. */
export interface CpumapRingLevel {
  name: string;
  fill: number;
  size: number;
  cpu: number;
}

export interface FrameInfo {
  id: number;
  /** Index into the scenario's traffic array. */
  traffic: number;
  /** Broadcast copies name the frame they were copied from. */
  parent?: number;
  length: number;
  summary: string;
}

// ---- summary (the `simulate --json` document, ../shared/specs/cli.md) ------------------------

export interface SimDeviceCounters extends DeviceCounts {
  /** Frames the device transmitted (veth: towards its peer; NIC: on the wire). */
  txFrames: number;
  dropReasons: Partial<Record<DropReason, number>>;
}

export interface XskCounters {
  /** Frames and descriptors placed on the rx ring. */
  rxFrames: number;
  rxDescriptors: number;
  /** ENOSPC/ENOMEM drops (the socket's rx_dropped), ENOBUFS (rx_queue_full). */
  rxDropped: number;
  rxQueueFull: number;
  fillRemaining: number;
}

export interface SimSummary extends XdpSummary {
  devices: Record<string, SimDeviceCounters>;
  bulkTx: { sent: number; drops: number };
  xsks: Record<string, XskCounters>;
  frames: { injected: number; total: number };
  /** Setup problems the kernel would report (refused attaches, map updates) and simulation caps hit. */
  warnings: string[];
  /** Devices running libxdp's dispatcher: per component, its returns and how often it decided. */
  dispatchers?: Record<string, DispatcherCounts>;
  /** Frames whose verdict was bpf_redirect_map's fallback after a lookup miss (present once one was). */
  redirectMisses?: RedirectMissSummary;
}

export interface DispatcherCounts {
  progId: number;
  components: {
    program: string;
    priority: number;
    chainCallActions: string[];
    /** Frames it ran on, and its returns by action name. */
    runs: number;
    actions: Record<string, number>;
    /** Frames whose verdict was its return (the chain stopped there). */
    decided: number;
    faults?: number;
  }[];
  /** Frames on which every component continued: the dispatcher's XDP_PASS. */
  passedThrough: number;
}

export interface SimulationResult {
  topology: Topology;
  summary: SimSummary;
  /** Kept up to `maxEvents` (all are counted in the summary); `eventsDropped` says how many were not kept. */
  events: SimEvent[];
  eventsDropped: number;
  /** Kept up to `maxSteps`. */
  timeline: SimStep[];
  /** > 0 when the timeline was cut at maxSteps (recording stops there, so not a count of all steps). */
  timelineDropped: number;
  /** Frames mentioned by the kept timeline. */
  frames: FrameInfo[];
}
