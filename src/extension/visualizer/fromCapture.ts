// A saved remote capture (`*.xdpcapture.json`, src/core/trace/captureFile.ts) as a visualizer model:
// tracepoints see redirect paths (ifindex → to_ifindex), their errors by errno and what each bulk
// transmit sent and dropped — not the topology, the programs' attachments or single frames — so the
// graph is devices and the flows between them, with the drops in red. Pure.
import type { CaptureFile } from '../../core/trace/captureFile';
import { nodeId, type VisDevice, type VisDrop, type VisFlow, type VisModel } from '../../protocol/visualizer';

export function captureToViewModel(capture: CaptureFile, title: string): VisModel {
  const names = new Map<number, string>();
  const devices = new Map<string, VisDevice>();
  const device = (ifindex: number): VisDevice => {
    const name = capture.devices[String(ifindex)] ?? `if${ifindex}`;
    names.set(ifindex, name);
    let d = devices.get(name);
    if (!d) {
      d = {
        name,
        ifindex: Math.max(1, ifindex),
        kind: 'nic',
        driver: 'host',
        up: true,
        mtu: 0,
        counters: { rxFrames: 0, xdpRx: 0, stack: 0, drops: 0, txFrames: 0 },
      };
      devices.set(name, d);
    }
    return d;
  };
  const flows: VisFlow[] = [];
  const drops: VisDrop[] = [];
  for (const f of Object.values(capture.summary.flows ?? {})) {
    const from = device(f.ifindex);
    const to = device(f.to_ifindex);
    if (f.redirects)
      flows.push({
        from: nodeId.device(from.name),
        to: nodeId.device(to.name),
        kind: 'redirect',
        label: 'REDIRECT',
        frames: f.redirects,
      });
    for (const [errno, n] of Object.entries(f.errors)) {
      if (!n) continue;
      from.counters.drops += n;
      flows.push({
        from: nodeId.device(from.name),
        to: nodeId.drop(from.name, errno),
        kind: 'drop',
        label: 'drop',
        frames: n,
        errno,
      });
      drops.push({
        device: from.name,
        reason: 'redirect error',
        tracepoint: 'xdp:xdp_redirect_err',
        errno,
        count: n,
      });
    }
    to.counters.txFrames += f.sent;
    if (f.drops) {
      to.counters.drops += f.drops;
      flows.push({
        from: nodeId.device(to.name),
        to: nodeId.drop(to.name, 'ndo_xdp_xmit refused'),
        kind: 'drop',
        label: 'drop',
        frames: f.drops,
      });
      drops.push({
        device: to.name,
        reason: 'ndo_xdp_xmit refused',
        tracepoint: 'xdp:xdp_devmap_xmit',
        count: f.drops,
      });
    }
  }
  return {
    version: 1,
    title,
    origin: 'capture',
    cpus: 1,
    devices: [...devices.values()],
    programs: [],
    maps: [],
    xsks: [],
    traffic: [],
    flows,
    drops,
    timeline: [],
    timelineTruncated: false,
    summary: capture.summary,
    stepping: {
      available: false,
      note: 'A capture counts tracepoints on a real host; it has no frames to step through — simulate a scenario for that.',
    },
  };
}
