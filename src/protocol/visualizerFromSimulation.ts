// The one adapter (here in protocol, not in a host, because the extension and the playground both use it) from the simulator's result (src/core/xdp/simulationResult.ts) to the visualizer's
// view model (src/protocol/visualizer.ts). Counts that the summary holds come from the summary
// (exact however long the run); which map entry a frame went through comes from the timeline when
// it was kept whole, else the summary's per-path flows stand in (no entry attribution). Pure.
import type { Scenario } from '../core/scenario/scenario';
import { errnoName } from '../core/trace/errnos';
import { redirectMissText, redirectMissWhy } from '../core/xdp/redirectMiss';
import type {
  DispatcherCounts,
  DropReason,
  SimulationResult,
  TopologyMapEntry,
} from '../core/xdp/simulationResult';
import {
  nodeId,
  type VisDrop,
  type VisEvent,
  type VisCounts,
  type VisFlow,
  type VisMap,
  type VisModel,
  type VisTraffic,
  type VisChainComponent,
  type VisMisses,
} from './visualizer';
import { dropReasonText, toEvent } from './visualizerEvents';

export interface ViewModelInput {
  result: SimulationResult;
  scenario: Scenario;
  /** The scenario's `traffic` as written (for the editable UDP fields and frame descriptions). */
  rawTraffic?: readonly unknown[];
  title: string;
  scenarioPath?: string;
  /**
   * Program name → its source file (absolute), the line of its first instruction and the line of
   * its bpf_redirect/bpf_redirect_map call (what returned XDP_REDIRECT), when known.
   */
  programSources?: ReadonlyMap<string, { file: string; line?: number; redirectLine?: number }>;
  stepping?: { available: boolean; note: string };
  /** Banner lines, e.g. the scenario's programs our verifier rejects (LoadedScenario.verifierWarnings). */
  warnings?: readonly string[];
}

/** Drops caused by the verdict of the device's own program: the drop edge leaves the program. */
const programDrops = new Set<DropReason>([
  'xdp_drop',
  'xdp_aborted',
  'invalid_action',
  'program_fault',
  'redirect_error',
]);

const redirectMapTypes = new Set(['devmap', 'devmap_hash', 'cpumap', 'xskmap']);

function entryTarget(e: TopologyMapEntry): VisMap['entries'][number]['target'] {
  if (e.device !== undefined) return { kind: 'device', device: e.device };
  if (e.ifindex !== undefined) return { kind: 'value', text: `ifindex ${e.ifindex}` };
  if (e.cpu !== undefined)
    return { kind: 'cpu', cpu: e.cpu, qsize: e.qsize ?? 0, ...(e.program ? { program: e.program } : {}) };
  if (e.xsk !== undefined) return { kind: 'xsk', xsk: e.xsk };
  return { kind: 'value', text: e.value ?? '?' };
}

/** The node a resolved redirect target string of a 'redirect' step names (simulator's spelling). */
function targetNode(target: string, devices: ReadonlySet<string>): string | undefined {
  if (devices.has(target)) return nodeId.device(target);
  const cpu = /^cpu (\d+)$/.exec(target);
  if (cpu) return nodeId.cpu(Number(cpu[1]));
  if (target.startsWith('xsk:')) return nodeId.xsk(target.slice(4));
  return undefined;
}

function trafficOf(input: ViewModelInput): VisTraffic[] {
  const { scenario, result } = input;
  return scenario.traffic.map((t, i) => {
    const raw = input.rawTraffic?.[i] as { frame?: unknown } | undefined;
    const frame = raw?.frame;
    const udp =
      typeof frame === 'object' && frame !== null
        ? ((frame as { udp?: { dst?: unknown; dport?: unknown } }).udp ?? undefined)
        : undefined;
    const info = result.frames.find((f) => f.traffic === i && f.parent === undefined);
    // Short, for the traffic box: "udp → 10.0.0.2:8"; the decoded summary otherwise.
    const short =
      udp && typeof udp.dst === 'string'
        ? `udp → ${udp.dst}:${typeof udp.dport === 'number' ? udp.dport : 9}`
        : undefined;
    const desc = t.pcap
      ? `pcap ${t.pcap}`
      : (short ?? info?.summary ?? (typeof frame === 'string' ? `hex, ${frame.length >> 1} B` : 'frame'));
    const v: VisTraffic = { count: t.count, burst: t.burst, cpu: t.cpu, frame: desc.slice(0, 256) };
    if (t.kind === 'from') v.from = t.device;
    else v.rx = t.device;
    if (udp && typeof udp.dst === 'string') v.dst = udp.dst;
    if (
      udp &&
      typeof udp.dport === 'number' &&
      Number.isInteger(udp.dport) &&
      udp.dport >= 0 &&
      udp.dport <= 65535
    )
      v.dport = udp.dport;
    else if (udp) v.dport = 9;
    if (udp && v.dst === undefined) v.dst = '10.0.0.2';
    return v;
  });
}

/** The verdicts a dispatcher's program decides that end as drops, by drop reason. */
const chainDropAction: Partial<Record<DropReason, string>> = {
  xdp_drop: 'XDP_DROP',
  xdp_aborted: 'XDP_ABORTED',
  invalid_action: 'invalid',
  program_fault: 'fault',
};

/** Which programs of a dispatcher chain returned the verdict behind `reason`, and how often: a
 *  return in its own chain-call actions continued the chain, so it decided nothing. */
function chainDeciders(d: DispatcherCounts, reason: DropReason): [string, number][] {
  const act = chainDropAction[reason] as string;
  return d.components
    .map((k): [string, number] => [
      k.program,
      act === 'fault' ? (k.faults ?? 0) : k.chainCallActions.includes(act) ? 0 : (k.actions[act] ?? 0),
    ])
    .filter(([, n]) => n > 0);
}

function chainOf(
  device: string,
  dispatchers: Record<string, DispatcherCounts> | undefined,
): { chain?: VisChainComponent[] } {
  const d = dispatchers?.[device];
  if (!d) return {};
  return {
    chain: d.components.map((k) => ({
      program: k.program,
      priority: k.priority,
      chainCallActions: k.chainCallActions,
      runs: k.runs,
      decided: k.decided,
      actions: { ...k.actions },
    })),
  };
}

export function simulationToViewModel(input: ViewModelInput): VisModel {
  const steps = simulationToViewModelSteps(input);
  for (;;) {
    const r = steps.next();
    if (r.done) return r.value;
  }
}

/** Timeline steps looked at between two yields of simulationToViewModelSteps. */
const STEP_EVENTS = 4096;

/**
 * simulationToViewModel in steps: the generator yields after every few thousand timeline steps, so
 * the extension host spreads a 100 000-step run's model over slices of its event loop (at once:
 * 105-250 ms on this machine); the value it returns is simulationToViewModel's.
 */
export function* simulationToViewModelSteps(input: ViewModelInput): Generator<undefined, VisModel> {
  const { result, scenario } = input;
  const { topology, summary } = result;
  const devNames = new Set(topology.devices.map((d) => d.name));
  const devByIfindex = new Map(topology.devices.map((d) => [d.ifindex, d.name]));
  const mapNames = new Map(topology.maps.map((m) => [m.id, m.name]));
  const entryIndex = new Map<string, TopologyMapEntry>();
  for (const m of topology.maps) for (const e of m.entries) entryIndex.set(`${m.name}[${e.key}]`, e);
  const entryOf = (map: string, key: number): TopologyMapEntry | undefined =>
    entryIndex.get(`${map}[${key}]`);
  const complete = result.timelineDropped === 0 && result.timeline.length > 0;

  const flows = new Map<string, VisFlow>();
  const flow = (
    from: string,
    to: string,
    kind: VisFlow['kind'],
    label: string,
    n: number,
    errno?: string,
  ): void => {
    if (n < 0) return;
    const key = `${from}|${to}|${kind}|${label}|${errno ?? ''}`;
    const f = flows.get(key);
    if (f) f.frames += n;
    else flows.set(key, { from, to, kind, label, frames: n, ...(errno ? { errno } : {}) });
  };

  // Traffic → the device that sends (from) or receives (rx) it; frames per entry from the kept
  // frame list when complete, else the scenario's count.
  scenario.traffic.forEach((t, i) => {
    const injected = complete
      ? result.frames.filter((f) => f.traffic === i && f.parent === undefined).length
      : t.count;
    flow(nodeId.traffic(i), nodeId.device(t.device), 'wire', t.kind === 'from' ? 'send' : 'rx', injected);
  });

  // Wires: what each veth end transmitted arrives at its peer (summary txFrames: exact).
  const drawnPairs = new Set<string>();
  for (const d of topology.devices) {
    const c = summary.devices[d.name];
    if (!d.peer || !c) continue;
    const pair = [d.name, d.peer].sort().join('|');
    if (c.txFrames > 0 || !drawnPairs.has(pair))
      flow(nodeId.device(d.name), nodeId.device(d.peer), 'wire', 'veth', c.txFrames);
    drawnPairs.add(pair);
  }

  // Verdicts of each attached program (summary.actions, exact) and the stack.
  for (const d of topology.devices) {
    const c = summary.devices[d.name];
    const acts = summary.actions[d.name] ?? {};
    const runs = Object.values(acts).reduce((a, b) => a + b, 0);
    const hasProg = !!d.xdp && !d.xdp.attachError;
    if (hasProg && runs) flow(nodeId.device(d.name), nodeId.program(d.name), 'verdict', 'xdp', runs);
    if (c?.stack)
      flow(
        hasProg ? nodeId.program(d.name) : nodeId.device(d.name),
        nodeId.stack(d.name),
        'verdict',
        'PASS',
        c.stack,
      );
    const tx = acts.XDP_TX ?? 0;
    if (tx && d.peer) flow(nodeId.program(d.name), nodeId.device(d.peer), 'verdict', 'TX', tx);
  }

  // Redirects: through the map entry the helper named (timeline), else per target (summary flows).
  if (complete) {
    const lastEntry = new Map<number, string | undefined>();
    const lastDevice = new Map<number, string>();
    const parentOf = new Map(
      result.frames.filter((f) => f.parent !== undefined).map((f) => [f.id, f.parent as number]),
    );
    for (let i = 0; i < result.timeline.length; i++) {
      if (i % STEP_EVENTS === 0 && i) yield;
      const s = result.timeline[i] as (typeof result.timeline)[number];
      if (s.k === 'run' && (s.hook === 'native' || s.hook === 'generic')) {
        lastDevice.set(s.frame, s.device);
        const r = s.redirect;
        const map = r ? (r.map ?? mapNames.get(r.mapId)) : undefined;
        const key = r ? Number(r.tgtIndex) : NaN;
        lastEntry.set(
          s.frame,
          map && Number.isSafeInteger(key) && entryOf(map, key) ? nodeId.mapEntry(map, key) : undefined,
        );
      } else if (s.k === 'redirect') {
        const via = lastEntry.get(s.frame);
        const from = nodeId.program(s.device);
        if (via) flow(from, via, 'redirect', 'REDIRECT', 1);
        if (s.err) {
          flow(
            via ?? from,
            nodeId.drop(s.device, s.errno ?? errnoName(s.err)),
            'drop',
            'drop',
            1,
            s.errno ?? errnoName(s.err),
          );
        } else {
          const to = targetNode(s.target, devNames);
          if (to)
            flow(
              via ?? from,
              to,
              via ? (to.startsWith('cpu:') ? 'kthread' : 'xmit') : 'redirect',
              via ? 'enqueue' : 'REDIRECT',
              1,
            );
        }
      } else if (s.k === 'enqueue' && parentOf.has(s.frame)) {
        // A broadcast copy: its parent's entry (the map) fans out to each member device.
        const m = /^dev:([^@]+)@/.exec(s.queue);
        const parent = parentOf.get(s.frame) as number;
        const via =
          lastEntry.get(parent) ??
          (lastDevice.has(parent) ? nodeId.program(lastDevice.get(parent) as string) : undefined);
        if (m?.[1] && via) flow(via, nodeId.device(m[1]), 'xmit', 'broadcast', 1);
      }
    }
  } else {
    for (const f of Object.values(summary.flows)) {
      const from = devByIfindex.get(f.ifindex);
      if (!from) continue;
      const to = devByIfindex.get(f.to_ifindex);
      if (f.redirects && to)
        flow(nodeId.program(from), nodeId.device(to), 'redirect', 'REDIRECT', f.redirects);
      for (const [errno, n] of Object.entries(f.errors))
        flow(nodeId.program(from), nodeId.drop(from, errno), 'drop', 'drop', n, errno);
    }
  }

  // Drops: every reason the summary counted, split by errno where the run says which.
  const drops: VisDrop[] = [];
  const errnoSplit = new Map<string, Map<string, number>>(); // `${device}|${reason}` → errno → n
  if (complete)
    for (const s of result.timeline)
      if (s.k === 'drop' && s.errno) {
        const key = `${s.device}|${s.reason}`;
        const m = errnoSplit.get(key) ?? new Map<string, number>();
        m.set(s.errno, (m.get(s.errno) ?? 0) + 1);
        errnoSplit.set(key, m);
      }
  for (const d of topology.devices) {
    const c = summary.devices[d.name];
    if (!c) continue;
    const disp = summary.dispatchers?.[d.name];
    let progName = d.xdp?.program;
    for (const [reason, n] of Object.entries(c.dropReasons) as [DropReason, number][]) {
      if (!n) continue;
      if (disp && chainDropAction[reason]) {
        // libxdp's dispatcher: each program whose return was this verdict gets its share.
        const text = dropReasonText[reason] ?? { text: reason };
        for (const [program, k] of chainDeciders(disp, reason)) {
          const src = input.programSources?.get(program);
          drops.push({
            device: d.name,
            program,
            reason: text.text,
            ...(text.tracepoint ? { tracepoint: text.tracepoint } : {}),
            count: k,
            ...(src?.line ? { source: { file: src.file, line: src.line } } : {}),
          });
        }
        flow(nodeId.program(d.name), nodeId.drop(d.name, text.text), 'drop', 'drop', n);
        continue;
      }
      // A redirect error: the program whose XDP_REDIRECT was the verdict, when only one returns it.
      if (disp && reason === 'redirect_error') {
        const redirecting = disp.components.filter(
          (k) => (k.actions.XDP_REDIRECT ?? 0) > 0 && !k.chainCallActions.includes('XDP_REDIRECT'),
        );
        if (redirecting.length === 1) progName = redirecting[0]?.program;
      }
      const src = progName ? input.programSources?.get(progName) : undefined;
      // A redirect error links to the helper call that set up the redirect; other verdicts to the program.
      const line = reason === 'redirect_error' ? (src?.redirectLine ?? src?.line) : src?.line;
      const source = src && line ? { file: src.file, line } : undefined;
      const text = dropReasonText[reason] ?? { text: reason };
      let split = errnoSplit.get(`${d.name}|${reason}`);
      if (!split && reason === 'redirect_error') {
        split = new Map();
        for (const f of Object.values(summary.flows))
          if (f.ifindex === d.ifindex)
            for (const [e, k] of Object.entries(f.errors)) split.set(e, (split.get(e) ?? 0) + k);
      }
      let rest = n;
      for (const [errno, k] of split ?? []) {
        rest -= k;
        drops.push({
          device: d.name,
          ...(programDrops.has(reason) && progName ? { program: progName } : {}),
          reason: text.text,
          ...(text.tracepoint ? { tracepoint: text.tracepoint } : {}),
          errno,
          count: k,
          ...(source && programDrops.has(reason) ? { source } : {}),
        });
      }
      if (rest > 0) {
        drops.push({
          device: d.name,
          ...(programDrops.has(reason) && progName ? { program: progName } : {}),
          reason: text.text,
          ...(text.tracepoint ? { tracepoint: text.tracepoint } : {}),
          count: rest,
          ...(source && programDrops.has(reason) ? { source } : {}),
        });
        if (reason !== 'redirect_error' || !complete)
          flow(
            programDrops.has(reason) && progName ? nodeId.program(d.name) : nodeId.device(d.name),
            nodeId.drop(d.name, text.text),
            'drop',
            'drop',
            rest,
          );
      }
      if (!programDrops.has(reason) && split)
        for (const [errno, k] of split)
          flow(nodeId.device(d.name), nodeId.drop(d.name, errno), 'drop', 'drop', k, errno);
    }
  }

  const timeline: VisEvent[] = [];
  for (let i = 0; i < result.timeline.length; i++) {
    if (i % STEP_EVENTS === 0) yield;
    const s = result.timeline[i] as (typeof result.timeline)[number];
    const ev = toEvent(s, mapNames, devByIfindex, entryOf);
    if (ev) timeline.push(ev);
  }

  return {
    version: 1,
    title: input.title,
    origin: 'simulation',
    ...(input.scenarioPath ? { scenario: input.scenarioPath } : {}),
    cpus: topology.cpus,
    devices: topology.devices.map((d) => {
      const c = summary.devices[d.name];
      return {
        name: d.name,
        ifindex: d.ifindex,
        kind: d.kind,
        driver: d.driver,
        up: d.up,
        mtu: d.mtu,
        ...(d.peer ? { peer: d.peer } : {}),
        queues: Math.max(1, d.queues),
        ...(d.xdp && !d.xdp.attachError
          ? { xdp: { program: d.xdp.program, mode: d.xdp.mode, ...chainOf(d.name, summary.dispatchers) } }
          : {}),
        counters: {
          rxFrames: c?.rxFrames ?? 0,
          xdpRx: c?.xdpRx ?? 0,
          stack: c?.stack ?? 0,
          drops: c?.drops ?? 0,
          txFrames: c?.txFrames ?? 0,
        },
      };
    }),
    programs: topology.programs
      .filter((p) => p.attach === 'xdp' || topology.devices.some((d) => d.xdp?.program === p.name))
      .map((p) => {
        const src = input.programSources?.get(p.name);
        return {
          name: p.name,
          function: p.function,
          ...((src?.file ?? p.file) !== undefined ? { file: src?.file ?? p.file } : {}),
          ...(src?.line ? { line: src.line } : {}),
        };
      }),
    maps: topology.maps
      .filter((m) => redirectMapTypes.has(m.type))
      .map((m) => ({
        name: m.name,
        type: m.type,
        maxEntries: m.maxEntries,
        entries: m.entries.map((e) => ({
          key: e.key,
          target: entryTarget(e),
          ...(e.program && e.cpu === undefined ? { egressProgram: e.program } : {}),
        })),
      })),
    xsks: topology.xsks.map((x) => ({
      name: x.name,
      device: x.device,
      queue: x.queue,
      rxRing: x.rxRing,
      received: summary.xsks[x.name]?.rxFrames ?? 0,
    })),
    traffic: trafficOf(input),
    flows: [...flows.values()],
    drops,
    timeline,
    timelineTruncated: result.timelineDropped > 0,
    summary,
    stepping: input.stepping ?? {
      available: false,
      note: 'Instruction-level stepping arrives with the VM’s trace mode; the journey above follows the frame through the three steps.',
    },
    ...(input.warnings?.length ? { warnings: input.warnings.slice(0, 64) } : {}),
    ...missesOf(summary, input.programSources),
  };
}

/** The summary's redirect-map misses in core's words, each place linked to its bpf_redirect_map call. */
function missesOf(
  summary: SimulationResult['summary'],
  sources: ViewModelInput['programSources'],
): { misses?: VisMisses } {
  const m = summary.redirectMisses;
  if (!m?.frames) return {};
  return {
    misses: {
      frames: m.frames,
      rows: m.rows.map((r) => {
        const src = sources?.get(r.program);
        const line = src?.redirectLine ?? src?.line;
        return {
          device: r.device,
          program: r.program,
          text: redirectMissText(r),
          why: redirectMissWhy(r),
          count: r.frames,
          ...(src && line ? { source: { file: src.file, line } } : {}),
        };
      }),
    },
  };
}

/** The counts of a model (what didUpdate carries for a model already on screen). */
export function countsOfModel(model: VisModel): VisCounts {
  return {
    devices: Object.fromEntries(model.devices.map((d) => [d.name, d.counters])),
    flows: model.flows,
    drops: model.drops,
    summary: model.summary,
    xsks: Object.fromEntries(model.xsks.map((x) => [x.name, x.received])),
    ...(model.misses ? { misses: model.misses } : {}),
  };
}
