// A synthetic but self-consistent view model of any size, for the benchmark, the standalone browser
// test and layout tests (never shown to users: real models come from the simulator through the
// host). It plays the three redirect steps with the kernel's queue sizes (16 per device, 8 per
// cpumap entry, flush at the end of each poll) so counters, flows and timeline agree.
import { addAction, addEvent, emptySummary } from '../../core/trace/summary';
import {
  nodeId,
  type VisDevice,
  type VisDrop,
  type VisEvent,
  type VisFlow,
  type VisMap,
  type VisModel,
} from '../../protocol/visualizer';

export interface SampleOptions {
  /** Devices (veth ends); rounded up to an even number ≥ 4. */
  devices: number;
  cpus: number;
  /** Frames per traffic source. */
  frames: number;
  burst: number;
  /** Keep at most this many timeline events (the counts still cover every frame). */
  maxEvents?: number;
}

const DEV_BULK = 16; // DEV_MAP_BULK_SIZE (§4.1)
const CPU_BULK = 8; // CPU_MAP_BULK_SIZE (§4.2)

export function sampleModel(opts: SampleOptions): VisModel {
  const pairs = Math.max(2, Math.ceil(opts.devices / 2));
  const ingress = Math.max(1, Math.min(opts.cpus, Math.ceil(pairs / 4)));
  const targets = pairs - ingress;
  const devices: VisDevice[] = [];
  const zero = (): VisDevice['counters'] => ({ rxFrames: 0, xdpRx: 0, stack: 0, drops: 0, txFrames: 0 });
  const dev = (name: string, peer: string, xdp?: string, up = true): VisDevice => {
    const d: VisDevice = {
      name,
      ifindex: devices.length + 2,
      kind: 'veth',
      driver: 'veth',
      up,
      mtu: 1500,
      peer,
      counters: zero(),
    };
    if (xdp) d.xdp = { program: xdp, mode: 'native' };
    devices.push(d);
    return d;
  };
  for (let i = 0; i < ingress; i++) {
    dev(`src${i}`, `rx${i}`);
    dev(`rx${i}`, `src${i}`, 'redir');
  }
  // Target k: its peer runs XDP_PASS when k % 3 !== 1; k % 3 === 1 has no XDP program on the peer,
  // which makes the veth target refuse ndo_xdp_xmit (EOPNOTSUPP at step 2, §3.3); k === 2 is down.
  for (let k = 0; k < targets; k++) {
    dev(`out${k}`, `peer${k}`, undefined, k !== 2);
    dev(`peer${k}`, `out${k}`, k % 3 === 1 ? undefined : 'pass');
  }
  const byName = new Map(devices.map((d) => [d.name, d]));
  const D = (n: string): VisDevice => byName.get(n) as VisDevice;

  const txPort: VisMap = { name: 'tx_port', type: 'devmap', maxEntries: 64, entries: [] };
  for (let k = 0; k < targets; k++)
    txPort.entries.push({ key: k, target: { kind: 'device', device: `out${k}` } });
  const cpuMap: VisMap = { name: 'cpu_map', type: 'cpumap', maxEntries: opts.cpus, entries: [] };
  for (let c = 0; c < opts.cpus; c++)
    cpuMap.entries.push({ key: c, target: { kind: 'cpu', cpu: c, qsize: 2048 } });

  const timeline: VisEvent[] = [];
  const maxEvents = opts.maxEvents ?? 200_000;
  let truncated = false;
  const emit = (ev: VisEvent): void => {
    if (timeline.length < maxEvents) timeline.push(ev);
    else truncated = true;
  };
  const summary = emptySummary();
  const flowCounts = new Map<string, VisFlow>();
  const flow = (
    from: string,
    to: string,
    kind: VisFlow['kind'],
    label: string,
    n = 1,
    errno?: string,
  ): void => {
    const key = `${from}|${to}|${kind}|${label}|${errno ?? ''}`;
    const f = flowCounts.get(key);
    if (f) f.frames += n;
    else flowCounts.set(key, { from, to, kind, label, frames: n, ...(errno ? { errno } : {}) });
  };
  const drops = new Map<string, VisDrop>();
  const drop = (device: string, reason: string, errno: string | undefined, tracepoint: string): void => {
    const key = `${device}|${errno ?? reason}`;
    const d = drops.get(key);
    if (d) d.count++;
    else
      drops.set(key, {
        device,
        program: D(device).xdp?.program,
        reason,
        tracepoint,
        ...(errno ? { errno } : {}),
        count: 1,
        source: { file: 'redirect.bpf.c', line: 31 },
      });
  };
  const ifx = (n: string): number => D(n).ifindex;

  // Target devices' zero-frame wires still show the topology.
  for (let k = 0; k < targets; k++)
    flow(nodeId.device(`out${k}`), nodeId.device(`peer${k}`), 'wire', 'veth', 0);

  let frameId = 0;
  for (let i = 0; i < ingress; i++) {
    const cpu = i % opts.cpus;
    const src = `src${i}`;
    const rx = `rx${i}`;
    flow(nodeId.traffic(i), nodeId.device(src), 'wire', 'inject', opts.frames);
    flow(nodeId.device(src), nodeId.device(rx), 'wire', 'veth', opts.frames);
    D(src).counters.txFrames += opts.frames;
    for (let start = 0; start < opts.frames; start += opts.burst) {
      const n = Math.min(opts.burst, opts.frames - start);
      emit({ k: 'poll', cpu, device: rx, frames: n });
      const devQ = new Map<string, number[]>();
      const cpuQ = new Map<number, number[]>();
      const xmitDev = (target: string, frames: number[], flush: boolean): void => {
        emit({ k: 'xmit', cpu, queue: `dev:${target}`, sent: frames.length, drops: 0, flush, frames });
        addEvent(summary, {
          name: 'xdp:xdp_devmap_xmit',
          from_ifindex: ifx(rx),
          act: 4,
          to_ifindex: ifx(target),
          drops: 0,
          sent: frames.length,
          err: 0,
        });
        D(target).counters.txFrames += frames.length;
        for (const f of frames) emit({ k: 'deliver', cpu, frame: f, device: target, fate: 'wire' });
      };
      const pushCpu = (c: number, frames: number[]): void => {
        emit({ k: 'xmit', cpu, queue: `cpumap:${c}`, sent: frames.length, drops: 0, flush: true, frames });
        addEvent(summary, {
          name: 'xdp:xdp_cpumap_enqueue',
          map_id: 2,
          act: 4,
          cpu,
          drops: 0,
          processed: frames.length,
          to_cpu: c,
        });
      };
      for (let j = 0; j < n; j++) {
        const f = frameId++;
        D(rx).counters.rxFrames++;
        D(rx).counters.xdpRx++;
        flow(nodeId.device(rx), nodeId.program(rx), 'verdict', 'xdp');
        addAction(summary, rx, 4);
        if (f % 7 === 3 && opts.cpus > 1) {
          const c = (f >> 3) % opts.cpus;
          emit({
            k: 'run',
            cpu,
            frame: f,
            device: rx,
            program: 'redir',
            action: 'XDP_REDIRECT',
            redirect: { map: 'cpu_map', key: c, target: nodeId.cpu(c) },
            source: { file: 'redirect.bpf.c', line: 31 },
          });
          addEvent(summary, {
            name: 'xdp:xdp_redirect',
            prog_id: 1,
            act: 4,
            ifindex: ifx(rx),
            err: 0,
            to_ifindex: c,
            map_id: 2,
            map_index: c,
          });
          flow(nodeId.program(rx), nodeId.mapEntry('cpu_map', c), 'redirect', 'REDIRECT');
          flow(nodeId.mapEntry('cpu_map', c), nodeId.cpu(c), 'kthread', 'enqueue');
          flow(nodeId.cpu(c), nodeId.stack(rx), 'verdict', 'skb');
          let q = cpuQ.get(c);
          if (!q) cpuQ.set(c, (q = []));
          if (q.length === CPU_BULK) {
            pushCpu(c, q);
            q.length = 0;
          }
          q.push(f);
          emit({ k: 'enqueue', cpu, frame: f, queue: `cpumap:${c}`, fill: q.length, capacity: CPU_BULK });
          D(rx).counters.stack++;
          continue;
        }
        const k = f % targets;
        const target = `out${k}`;
        const peer = `peer${k}`;
        emit({
          k: 'run',
          cpu,
          frame: f,
          device: rx,
          program: 'redir',
          action: 'XDP_REDIRECT',
          redirect: { map: 'tx_port', key: k, target: nodeId.device(target) },
          source: { file: 'redirect.bpf.c', line: 31 },
        });
        flow(nodeId.program(rx), nodeId.mapEntry('tx_port', k), 'redirect', 'REDIRECT');
        const errno = !D(target).up ? 'ENETDOWN' : !D(peer).xdp ? 'EOPNOTSUPP' : undefined;
        const redirectEv = {
          prog_id: 1,
          act: 4,
          ifindex: ifx(rx),
          to_ifindex: ifx(target),
          map_id: 1,
          map_index: k,
        };
        if (errno) {
          addEvent(summary, {
            name: 'xdp:xdp_redirect_err',
            ...redirectEv,
            err: errno === 'ENETDOWN' ? -100 : -95,
          });
          emit({ k: 'drop', cpu, frame: f, device: rx, reason: 'redirect error', errno });
          flow(nodeId.mapEntry('tx_port', k), nodeId.drop(rx, errno), 'drop', 'drop', 1, errno);
          drop(rx, 'redirect error', errno, 'xdp:xdp_redirect_err');
          D(rx).counters.drops++;
          continue;
        }
        addEvent(summary, { name: 'xdp:xdp_redirect', ...redirectEv, err: 0 });
        flow(nodeId.mapEntry('tx_port', k), nodeId.device(target), 'xmit', 'xmit');
        let q = devQ.get(target);
        if (!q) devQ.set(target, (q = []));
        if (q.length === DEV_BULK) {
          xmitDev(target, [...q], false);
          q.length = 0;
        }
        q.push(f);
        emit({ k: 'enqueue', cpu, frame: f, queue: `dev:${target}`, fill: q.length, capacity: DEV_BULK });
      }
      // Step 3: xdp_do_flush — device queues, then cpumap queues (§4.1 "Order").
      for (const [target, q] of devQ) if (q.length) xmitDev(target, [...q], true);
      for (const [c, q] of cpuQ) if (q.length) pushCpu(c, [...q]);
      emit({ k: 'flush', cpu, device: rx });
      for (const [c, q] of cpuQ) {
        if (!q.length) continue;
        emit({ k: 'kthread', cpu: c, queue: `cpumap:${c}`, processed: q.length, drops: 0 });
        addEvent(summary, {
          name: 'xdp:xdp_cpumap_kthread',
          map_id: 2,
          act: 4,
          cpu: c,
          drops: 0,
          processed: q.length,
          sched: 0,
          xdp_pass: 0,
          xdp_drop: 0,
          xdp_redirect: 0,
        });
        for (const f of q) emit({ k: 'deliver', cpu: c, frame: f, device: rx, fate: 'cpumap' });
      }
      // The peers' NAPI polls receive what was transmitted, run XDP_PASS, and hand it to the stack.
      for (const [target, q] of devQ) {
        if (!q.length) continue;
        const peer = D(target).peer as string;
        emit({ k: 'poll', cpu, device: peer, frames: q.length });
        for (const f of q) {
          emit({ k: 'run', cpu, frame: f, device: peer, program: 'pass', action: 'XDP_PASS' });
          emit({ k: 'deliver', cpu, frame: f, device: peer, fate: 'stack' });
        }
        emit({ k: 'flush', cpu, device: peer });
        const p = D(peer).counters;
        p.rxFrames += q.length;
        p.xdpRx += q.length;
        p.stack += q.length;
        addAction(summary, peer, 2, q.length);
        flow(nodeId.device(target), nodeId.device(peer), 'wire', 'veth', q.length);
        flow(nodeId.device(peer), nodeId.program(peer), 'verdict', 'xdp', q.length);
        flow(nodeId.program(peer), nodeId.stack(peer), 'verdict', 'PASS', q.length);
      }
    }
  }
  for (const d of devices)
    summary.devices[d.name] = {
      rxFrames: d.counters.rxFrames,
      xdpRx: d.counters.xdpRx,
      stack: d.counters.stack,
      drops: d.counters.drops,
    };

  return {
    version: 1,
    title: `sample: ${devices.length} devices, ${opts.cpus} CPUs`,
    origin: 'sample',
    cpus: opts.cpus,
    devices,
    programs: [
      { name: 'redir', file: 'redirect.bpf.c', function: 'xdp_redirect_udp', line: 24 },
      { name: 'pass', file: 'redirect.bpf.c', function: 'xdp_pass', line: 40 },
    ],
    maps: opts.cpus > 1 ? [txPort, cpuMap] : [txPort],
    xsks: [],
    traffic: Array.from({ length: ingress }, (_, i) => ({
      from: `src${i}`,
      count: opts.frames,
      burst: opts.burst,
      cpu: i % opts.cpus,
      frame: `udp → 10.0.0.${i + 2}:8`,
      dst: `10.0.0.${i + 2}`,
      dport: 8,
    })),
    flows: [...flowCounts.values()],
    drops: [...drops.values()],
    timeline,
    timelineTruncated: truncated,
    summary,
    stepping: { available: false, note: 'Instruction stepping arrives with the VM’s trace mode.' },
  };
}
