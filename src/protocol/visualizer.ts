// The visualizer's contract: the view model the host sends (topology, frame counts per path, drops,
// the per-CPU timeline of the three redirect steps, the `simulate --json` summary) and every message
// between the panel and the extension host. Types are inferred from the schemas so the validator and
// the type can never disagree; both sides validate what they receive (house-style "Boundaries").
import type { XdpSummary } from '../core/trace/summary';
import { notificationType, requestType, v, type Infer, type Schema } from './webviewEndpoint';
import { packedTimeline } from './visualizerTimelinePack';

const name = v.string({ maxLength: 256 });
const count = v.int(0);
const path = v.string({ maxLength: 4096 });
const sourceLocation = v.object({ file: path, line: v.int(1) });

/** Stable node ids shared by the model's flows and the webview's graph (one place spells them). */
export const nodeId = {
  traffic: (index: number): string => `traffic:${index}`,
  device: (device: string): string => `dev:${device}`,
  /** The XDP program attached to `device` (one node per attachment: counts are per device). */
  program: (device: string): string => `prog:${device}`,
  mapEntry: (map: string, key: number): string => `map:${map}:${key}`,
  cpu: (cpu: number): string => `cpu:${cpu}`,
  xsk: (xsk: string): string => `xsk:${xsk}`,
  stack: (device: string): string => `stack:${device}`,
  drop: (device: string, reason: string): string => `drop:${device}:${reason}`,
};

const deviceCounters = v.object({
  /** Frames that arrived at the device (wire or NIC queue). */
  rxFrames: count,
  /** Frames its XDP program ran on. */
  xdpRx: count,
  /** Frames handed to the network stack (XDP_PASS, or no program). */
  stack: count,
  /** Frames dropped at or because of this device. */
  drops: count,
  /** Frames the device transmitted (ndo_xdp_xmit accepted, XDP_TX sent). */
  txFrames: count,
});

/** One program of a dispatcher chain: its run config, its returns, how often its return was the verdict. */
const chainComponent = v.object({
  program: name,
  priority: v.int(0),
  chainCallActions: v.array(v.string({ maxLength: 32 }), { maxLength: 8 }),
  runs: count,
  decided: count,
  actions: v.record(count),
});
export type VisChainComponent = Infer<typeof chainComponent>;

const visDevice = v.object({
  name,
  ifindex: v.int(1),
  kind: v.literal('veth', 'nic', 'loopback', 'bridge', 'vlan', 'bond', 'dummy', 'tun', 'other'),
  driver: v.string({ maxLength: 64 }),
  up: v.boolean(),
  mtu: v.int(0),
  peer: v.optional(name),
  queues: v.optional(v.int(1)),
  xdp: v.optional(
    v.object({
      program: name,
      mode: v.literal('native', 'generic', 'offload'),
      /** libxdp's dispatcher runs these in order (issue 13 item 6); `program` is the first. */
      chain: v.optional(v.array(chainComponent, { maxLength: 10 })),
    }),
  ),
  counters: deviceCounters,
});
export type VisDevice = Infer<typeof visDevice>;

const visProgram = v.object({
  name,
  file: v.optional(path),
  function: v.optional(name),
  /** 1-based line of the function in `file`, when known (BTF func info or a text search). */
  line: v.optional(v.int(1)),
});
export type VisProgram = Infer<typeof visProgram>;

const entryTarget = v.tagged<
  | { kind: 'device'; device: string }
  | { kind: 'cpu'; cpu: number; qsize: number; program?: string }
  | { kind: 'xsk'; xsk: string }
  | { kind: 'value'; text: string }
>('kind', {
  device: v.object({ kind: v.literal('device'), device: name }),
  cpu: v.object({ kind: v.literal('cpu'), cpu: v.int(0), qsize: v.int(0), program: v.optional(name) }),
  xsk: v.object({ kind: v.literal('xsk'), xsk: name }),
  value: v.object({ kind: v.literal('value'), text: v.string({ maxLength: 1024 }) }),
});

const visMapEntry = v.object({
  key: v.int(0),
  target: entryTarget,
  /** DEVMAP egress program (bpf_devmap_val.bpf_prog). */
  egressProgram: v.optional(name),
});
export type VisMapEntry = Infer<typeof visMapEntry>;

const visMap = v.object({
  name,
  /** 'devmap' | 'devmap_hash' | 'cpumap' | 'xskmap' | any other map type name. */
  type: v.string({ maxLength: 64 }),
  maxEntries: v.optional(v.int(0)),
  entries: v.array(visMapEntry),
});
export type VisMap = Infer<typeof visMap>;

const visXsk = v.object({ name, device: name, queue: v.int(0), rxRing: v.int(0), received: count });
export type VisXsk = Infer<typeof visXsk>;

export const flowKinds = ['wire', 'verdict', 'redirect', 'xmit', 'kthread', 'drop'] as const;
export type FlowKind = (typeof flowKinds)[number];

const visFlow = v.object({
  /** Node ids (see nodeId). */
  from: name,
  to: name,
  kind: v.literal(...flowKinds),
  label: v.string({ maxLength: 256 }),
  frames: count,
  /** Symbolic errno of a drop edge (EOPNOTSUPP, …). */
  errno: v.optional(v.string({ maxLength: 32 })),
});
export type VisFlow = Infer<typeof visFlow>;

const visDrop = v.object({
  /** Device at which the frame was dropped (the rx device for redirect errors). */
  device: name,
  program: v.optional(name),
  /** Short reason: 'redirect error', 'ndo_xdp_xmit', 'XDP_DROP', 'XDP_ABORTED', 'cpumap ring full', … */
  reason: v.string({ maxLength: 128 }),
  tracepoint: v.optional(v.string({ maxLength: 64 })),
  errno: v.optional(v.string({ maxLength: 32 })),
  count,
  /** Where the program returned the action that led here (BTF line info), when known. */
  source: v.optional(sourceLocation),
});
export type VisDrop = Infer<typeof visDrop>;

/** A redirect-map miss as core words it: the headline ("DEVMAP tx_port key 2 not found → XDP_PASS (flags)") and why. */
const missText = v.object({ text: v.string({ maxLength: 512 }), why: v.string({ maxLength: 1024 }) });
export type VisMissText = { text: string; why: string };

/** Frames whose verdict was bpf_redirect_map's fallback (counted over the whole run), by place. */
const visMisses = v.object({
  frames: count,
  rows: v.array(
    v.object({
      device: name,
      program: name,
      text: v.string({ maxLength: 512 }),
      why: v.string({ maxLength: 1024 }),
      count,
      /** The program's bpf_redirect_map call, when known. */
      source: v.optional(sourceLocation),
    }),
    { maxLength: 64 },
  ),
});
export type VisMisses = Infer<typeof visMisses>;

// One timeline event per step of the kernel's three (redirect-semantics.md §2–§4); `t` is the index.
const cpu = v.int(0, 4096);
const frame = v.int(0);
/** A cpumap entry's ptr_ring after a push or a kthread batch: fill out of qsize, the kthread's CPU. */
const ringLevel = v.object({ name, fill: count, size: v.int(1), cpu });
export type VisRingLevel = { name: string; fill: number; size: number; cpu: number };

const visEvent = v.tagged<VisEvent>('k', {
  /** A NAPI poll starts on `cpu` for `device`'s rx with `frames` frames (one bpf net context). */
  poll: v.object({ k: v.literal('poll'), cpu, device: name, frames: count }),
  /** Step 1: the program ran; `redirect` is the redirect info the helper wrote (§1.2). */
  run: v.object({
    k: v.literal('run'),
    cpu,
    frame,
    device: name,
    program: name,
    action: v.string({ maxLength: 32 }),
    redirect: v.optional(v.object({ map: v.optional(name), key: v.int(0), target: name })),
    source: v.optional(sourceLocation),
    /** A dispatcher run: each program's return in order ("count PASS → drop9 DROP") and the one
     *  whose return was the verdict (absent when every program continued: XDP_PASS). */
    chain: v.optional(v.string({ maxLength: 1024 })),
    decidedBy: v.optional(name),
    /** The verdict is bpf_redirect_map's fallback after a lookup miss, in core's words (redirectMiss.ts). */
    miss: v.optional(missText),
  }),
  /** Step 2: xdp_do_redirect put the frame in a bulk queue (16 per device, 8 per cpumap entry). */
  enqueue: v.object({ k: v.literal('enqueue'), cpu, frame, queue: name, fill: count, capacity: v.int(1) }),
  /** A bulk queue was transmitted: because it was full, or (flush=true) at xdp_do_flush (§4). */
  xmit: v.object({
    k: v.literal('xmit'),
    cpu,
    queue: name,
    sent: count,
    drops: count,
    err: v.optional(v.string({ maxLength: 32 })),
    flush: v.boolean(),
    frames: v.optional(v.array(frame)),
    ring: v.optional(ringLevel),
    /** Generic mode: an skb put straight into a cpumap ring (no bulk queue). */
    skb: v.optional(v.boolean()),
  }),
  /** Step 3: the end of the NAPI poll (xdp_do_flush). */
  flush: v.object({ k: v.literal('flush'), cpu, device: name }),
  drop: v.object({
    k: v.literal('drop'),
    cpu,
    frame,
    device: name,
    reason: v.string({ maxLength: 128 }),
    errno: v.optional(v.string({ maxLength: 32 })),
  }),
  /** The frame's journey ended well: stack, an AF_XDP socket, XDP_TX out, or the wire to a peer. */
  deliver: v.object({
    k: v.literal('deliver'),
    cpu,
    frame,
    device: name,
    fate: v.literal('stack', 'xsk', 'tx', 'wire', 'cpumap'),
  }),
  /** A cpumap kthread iteration consumed `processed` frames from the ring of `queue`. */
  kthread: v.object({
    k: v.literal('kthread'),
    cpu,
    queue: name,
    processed: count,
    drops: count,
    ring: v.optional(ringLevel),
    verdicts: v.optional(v.object({ pass: count, drop: count, redirect: count })),
  }),
});

export type VisEvent =
  | { k: 'poll'; cpu: number; device: string; frames: number }
  | {
      k: 'run';
      cpu: number;
      frame: number;
      device: string;
      program: string;
      action: string;
      redirect?: { map?: string; key: number; target: string };
      source?: { file: string; line: number };
      chain?: string;
      decidedBy?: string;
      miss?: VisMissText;
    }
  | { k: 'enqueue'; cpu: number; frame: number; queue: string; fill: number; capacity: number }
  | {
      k: 'xmit';
      cpu: number;
      queue: string;
      sent: number;
      drops: number;
      err?: string;
      flush: boolean;
      frames?: number[];
      ring?: VisRingLevel;
      skb?: boolean;
    }
  | { k: 'flush'; cpu: number; device: string }
  | { k: 'drop'; cpu: number; frame: number; device: string; reason: string; errno?: string }
  | {
      k: 'deliver';
      cpu: number;
      frame: number;
      device: string;
      fate: 'stack' | 'xsk' | 'tx' | 'wire' | 'cpumap';
    }
  | {
      k: 'kthread';
      cpu: number;
      queue: string;
      processed: number;
      drops: number;
      ring?: VisRingLevel;
      verdicts?: { pass: number; drop: number; redirect: number };
    };

const visTraffic = v.object({
  from: v.optional(name),
  rx: v.optional(name),
  count,
  burst: v.int(1),
  cpu: v.optional(cpu),
  /** One-line description of the frame ("udp → 10.0.0.2:8", "hex, 64 B", "pcap x.pcap"). */
  frame: v.string({ maxLength: 256 }),
  /** Structured UDP fields the panel can edit (absent for hex and pcap traffic). */
  dst: v.optional(v.string({ maxLength: 64 })),
  dport: v.optional(v.int(0, 65535)),
});
export type VisTraffic = Infer<typeof visTraffic>;

const summarySchema = v.openObject({
  tracepoints: v.record(count),
  errno: v.record(v.record(count)),
  devmapXmit: v.openObject({ sent: count, drops: count }),
  cpumap: v.openObject({
    enqueue: v.openObject({ processed: count, drops: count }),
    kthread: v.openObject({ processed: count, drops: count }),
  }),
  actions: v.record(v.record(count)),
  devices: v.record(v.openObject({ rxFrames: count, xdpRx: count, stack: count, drops: count })),
  flows: v.optional(v.record(v.unknown())),
}) as Schema<XdpSummary>;

/**
 * What a capture saw of the model on screen ("Compare with simulation"): the same node ids, so the
 * view shows predicted / observed on one graph. Only what tracepoints can see is here (redirects,
 * their errno drops, devmap transmits); a flow or counter absent here is drawn predicted-only.
 */
const visObserved = v.object({
  /** The capture: host · kernel · file. */
  title: v.string({ maxLength: 512 }),
  /** The .xdpcapture.json file, when the capture is one (a comparison panel is restored from it). */
  file: v.optional(path),
  /** The model's observable flows with the capture's counts, plus paths the capture saw and the model lacks. */
  flows: v.array(visFlow),
  /** Per device name the capture knows: frames transmitted (devmap sent) and dropped (errno + xmit drops). */
  devices: v.record(v.object({ txFrames: count, drops: count })),
  summary: summarySchema,
});
export type VisObserved = Infer<typeof visObserved>;

export const visModel = v.object({
  version: v.literal(1),
  /** What is shown: the scenario file name or the capture's host. */
  title: v.string({ maxLength: 512 }),
  /** Where it came from: a simulation of a scenario file, or a capture (remote issue). */
  origin: v.literal('simulation', 'capture', 'sample'),
  scenario: v.optional(path),
  cpus: v.int(1, 4096),
  devices: v.array(visDevice),
  programs: v.array(visProgram),
  maps: v.array(visMap),
  xsks: v.array(visXsk),
  traffic: v.array(visTraffic),
  flows: v.array(visFlow),
  drops: v.array(visDrop),
  /** The first events of the run (bounded by xdpLab.simulation.maxEvents); the counts cover all. */
  timeline: v.array(visEvent),
  timelineTruncated: v.boolean(),
  summary: summarySchema,
  /** Whether instruction stepping is available (the VM's trace mode), and what to say otherwise. */
  stepping: v.object({ available: v.boolean(), note: v.string({ maxLength: 512 }) }),
  /** Observed counts of a capture compared with this (simulated) model. */
  observed: v.optional(visObserved),
  /** Shown as a banner: e.g. a program the kernel's verifier would reject, which runs anyway (issue 11). */
  warnings: v.optional(v.array(v.string({ maxLength: 2048 }), { maxLength: 64 })),
  /** Redirect-map misses whose fallback became the verdict (issue 13 item 8); absent when none. */
  misses: v.optional(visMisses),
});
export type VisModel = Infer<typeof visModel>;

/**
 * The counts of a model whose topology and timeline stay the same (a long run or a live capture
 * streaming in): the view replaces these fields and keeps its layout and timeline.
 */
export const visCounts = v.object({
  devices: v.record(deviceCounters),
  flows: v.array(visFlow),
  drops: v.array(visDrop),
  summary: summarySchema,
  xsks: v.optional(v.record(count)),
  misses: v.optional(visMisses),
});
export type VisCounts = Infer<typeof visCounts>;

const status = v.object({
  state: v.literal('empty', 'running', 'ready', 'error'),
  message: v.optional(v.string({ maxLength: 4096 })),
});
export type VisStatus = Infer<typeof status>;

const trafficEdit = v.object({
  index: v.int(0, 10_000),
  count: v.optional(v.int(1, 10_000_000)),
  burst: v.optional(v.int(1, 256)),
  dst: v.optional(v.string({ maxLength: 64 })),
  dport: v.optional(v.int(0, 65535)),
});
export type TrafficEdit = Infer<typeof trafficEdit>;

export const exportKinds = ['svg', 'png', 'events', 'pcap'] as const;
export type ExportKind = (typeof exportKinds)[number];

/** What the webview persists with vscode.setState and the serializer gets back after a reload. */
export const visPersistedState = v.object({
  scenario: v.optional(path),
  /** A comparison's capture file (with `scenario`: the panel re-runs and compares again). */
  capture: v.optional(path),
  /** The panel compared a capture (with or without a file). */
  compared: v.optional(v.boolean()),
  tab: v.optional(v.literal('drops', 'timeline', 'frame', 'traffic')),
  t: v.optional(v.int(0)),
  frame: v.optional(v.int(0)),
});
export type VisPersistedState = Infer<typeof visPersistedState>;

const traceStep = v.object({
  pc: v.int(0),
  /** Source line of the instruction (BTF line info), when known. */
  line: v.optional(v.int(1)),
  /** The instruction as 16 hex digits (8 bytes, lddw's second half shown at the next pc). */
  insn: v.string({ maxLength: 16 }),
  /** r0–r10 before the instruction, as hex. */
  regs: v.array(v.string({ maxLength: 18 }), { maxLength: 11 }),
  /** A helper call at this pc: its name, and r0 after it returned. */
  call: v.optional(v.object({ helper: v.string({ maxLength: 64 }), returned: v.string({ maxLength: 18 }) })),
});
export type TraceStepView = Infer<typeof traceStep>;

const traceReply = v.object({
  ok: v.boolean(),
  message: v.optional(v.string({ maxLength: 1024 })),
  frame: v.optional(v.int(0)),
  device: v.optional(name),
  program: v.optional(name),
  file: v.optional(path),
  action: v.optional(v.string({ maxLength: 32 })),
  steps: v.array(traceStep, { maxLength: 100_000 }),
  /** The frame before and after the program (hex). */
  packetIn: v.optional(v.string({ maxLength: 1 << 17 })),
  packetOut: v.optional(v.string({ maxLength: 1 << 17 })),
  truncated: v.optional(v.boolean()),
});
export type TraceReply = Infer<typeof traceReply>;

/** The messages. Direction and moment in each comment. */
export const visualizerProtocol = {
  /** view → host, once the script runs: the host answers with didSnapshot (or didStatus 'empty'). */
  ready: notificationType('visualizer/ready', v.object({})),
  /**
   * host → view: the whole model (after ready, after every re-run). Hosts send its timeline packed
   * (`timeline`, with `model.timeline` empty: visualizerTimelinePack.ts), not as 100 000 objects.
   */
  didSnapshot: notificationType(
    'visualizer/didSnapshot',
    v.object({ model: visModel, status, timeline: v.optional(packedTimeline) }),
  ),
  /** host → view: new counts for the model on screen (same topology), e.g. while a long run streams. */
  didUpdate: notificationType(
    'visualizer/didUpdate',
    v.object({ counts: visCounts, status: v.optional(status) }),
  ),
  /** host → view: progress or failure of a run (no model change). */
  didStatus: notificationType('visualizer/didStatus', status),
  /** view → host: open a program source at a line (host checks the file is inside the workspace). */
  openSource: requestType(
    'visualizer/openSource',
    // preserveFocus: the instruction stepper highlights the line and keeps the keyboard in the panel.
    v.object({
      file: path,
      line: v.int(1),
      column: v.optional(v.int(1)),
      preserveFocus: v.optional(v.boolean()),
    }),
    v.object({ opened: v.boolean(), message: v.optional(v.string({ maxLength: 1024 })) }),
  ),
  /** view → host: run the scenario again, with traffic edits applied in memory (the file is untouched). */
  rerun: requestType(
    'visualizer/rerun',
    v.object({ traffic: v.optional(v.array(trafficEdit, { maxLength: 1000 })) }),
    v.object({ ok: v.boolean(), message: v.optional(v.string({ maxLength: 4096 })) }),
  ),
  /** view → host: stop the run in progress; the counts so far stay on screen (status ready, "stopped"). */
  cancel: notificationType('visualizer/cancel', v.object({})),
  /** view → host: run a frame's first program in the VM's trace mode, one entry per instruction. */
  traceFrame: requestType('visualizer/traceFrame', v.object({ frame: v.int(0) }), traceReply),
  /** view → host: debug this frame's program run in VS Code's debugger (debug type xdp-lab, issue 14). */
  debugFrame: notificationType('visualizer/debugFrame', v.object({ frame: v.int(0) })),
  /** view → host: save an export; svg/png/events content comes from the view, pcap is built by the host. */
  export: requestType(
    'visualizer/export',
    v.object({ kind: v.literal(...exportKinds), content: v.optional(v.string({ maxLength: 64 << 20 })) }),
    v.object({ saved: v.optional(path), message: v.optional(v.string({ maxLength: 1024 })) }),
  ),
};
