// "Compare with simulation" on the graph: a capture's counts laid onto a simulated model's flows, so the
// visualizer shows predicted / observed side by side. Tracepoints see redirect paths by ifindex; the
// scenario's ifindexes and the host's differ, so paths are matched by device NAME with the comparison
// table's own rule (flowsByDeviceName). What tracepoints cannot see (wire, verdicts, XDP_DROP) stays
// predicted-only. Pure.
import { flowsByDeviceName, type NamedFlow } from '../core/trace/compareSummary';
import type { XdpSummary } from '../core/trace/summary';
import { nodeId, type VisFlow, type VisModel, type VisObserved } from './visualizer';

/** What the comparison needs of a capture: its summary and its ifindex → device-name table. */
export interface ObservedCapture {
  readonly summary: XdpSummary;
  readonly devices: Record<string, string>;
}

/** How a comparison names its capture (the graph's title): host · kernel · start time. */
export function observedTitle(c: { host: string; kernel: string; startedAt: string }): string {
  return `${c.host} · ${c.kernel} · ${c.startedAt.slice(0, 19).replace('T', ' ')}`;
}

/** The device a node id stands for, when it is a device or the program attached to one. */
function deviceOf(id: string): string | undefined {
  const m = /^(?:dev|prog):(.+)$/.exec(id);
  return m?.[1];
}

// Drop reasons the devmap transmit reports (xdp:xdp_devmap_xmit drops), as the simulation names them.
const xmitDropReasons = new Set([
  'ndo_xdp_xmit refused',
  'veth peer ring full',
  'frame larger than the peer MTU',
  'veth peer down',
  'devmap egress program drop',
]);

export function withObserved(model: VisModel, capture: ObservedCapture, title: string): VisModel {
  const paths = flowsByDeviceName(capture.summary, capture.devices);
  const list = [...paths.values()];
  const sum = (pick: (f: NamedFlow) => number, keep: (f: NamedFlow) => boolean): number =>
    list.filter(keep).reduce((n, f) => n + pick(f), 0);
  const entryDevice = new Map<string, string>();
  for (const m of model.maps)
    for (const e of m.entries)
      if (e.target.kind === 'device') entryDevice.set(nodeId.mapEntry(m.name, e.key), e.target.device);
  // Which devices redirect through each map entry (the entry's observed count sums their paths).
  const entrySources = new Map<string, Set<string>>();
  for (const f of model.flows) {
    const src = deviceOf(f.from);
    if (f.kind === 'redirect' && src && entryDevice.has(f.to)) {
      const s = entrySources.get(f.to) ?? new Set<string>();
      s.add(src);
      entrySources.set(f.to, s);
    }
  }

  const flows: VisFlow[] = [];
  const covered = new Set<string>(); // "from → to" paths some predicted flow stands for
  for (const f of model.flows) {
    const src = deviceOf(f.from);
    let frames: number | undefined;
    if (f.kind === 'redirect' && src) {
      const dst = deviceOf(f.to) ?? entryDevice.get(f.to);
      if (dst) {
        covered.add(`${src} → ${dst}`);
        frames = paths.get(`${src} → ${dst}`)?.redirects ?? 0;
      }
    } else if (f.kind === 'xmit' && entryDevice.has(f.from)) {
      const dst = deviceOf(f.to);
      const sources = entrySources.get(f.from) ?? new Set<string>();
      if (dst)
        frames = sum(
          (p) => p.redirects,
          (p) => p.to === dst && sources.has(p.from),
        );
    } else if (f.kind === 'drop' && f.to.startsWith('drop:')) {
      const at = f.to.slice('drop:'.length);
      if (f.errno) {
        const device = at.slice(0, at.length - f.errno.length - 1);
        const errno = f.errno;
        // From a map entry: only the paths through that entry; from the program: all its paths.
        const via = entryDevice.get(f.from);
        const sources = entrySources.get(f.from);
        const keep = (p: NamedFlow): boolean =>
          p.from === device && (via === undefined || (p.to === via && !!sources?.has(p.from)));
        frames = sum((p) => p.errors[errno] ?? 0, keep);
        for (const p of list) if (keep(p) && p.errors[errno]) covered.add(`${p.from} → ${p.to} ${errno}`);
      } else {
        const reason = [...xmitDropReasons].find((r) => at.endsWith(`:${r}`));
        if (reason) {
          const device = at.slice(0, at.length - reason.length - 1);
          frames = sum(
            (p) => p.drops,
            (p) => p.to === device,
          );
          for (const p of list) if (p.to === device && p.drops) covered.add(`${p.from} → ${p.to} drops`);
        }
      }
    }
    if (frames !== undefined) flows.push({ ...f, frames });
  }

  // Paths the capture saw and the model does not predict: drawn as 0 / n.
  const known = new Set(model.devices.map((d) => d.name));
  const source = (device: string): string =>
    model.devices.find((d) => d.name === device)?.xdp ? nodeId.program(device) : nodeId.device(device);
  for (const p of list) {
    if (p.redirects && !covered.has(`${p.from} → ${p.to}`))
      flows.push({
        from: source(p.from),
        to: nodeId.device(p.to),
        kind: 'redirect',
        label: 'REDIRECT',
        frames: p.redirects,
      });
    for (const [errno, n] of Object.entries(p.errors))
      if (n && !covered.has(`${p.from} → ${p.to} ${errno}`))
        flows.push({
          from: source(p.from),
          to: nodeId.drop(p.from, errno),
          kind: 'drop',
          label: 'drop',
          frames: n,
          errno,
        });
    if (p.drops && !covered.has(`${p.from} → ${p.to} drops`))
      flows.push({
        from: nodeId.device(p.to),
        to: nodeId.drop(p.to, 'ndo_xdp_xmit refused'),
        kind: 'drop',
        label: 'drop',
        frames: p.drops,
      });
  }

  // Device counters a capture can see, for the devices it knows by name.
  const seen = new Set(Object.values(capture.devices));
  const devices: VisObserved['devices'] = {};
  for (const name of new Set([...known, ...list.flatMap((p) => [p.from, p.to])]))
    if (seen.has(name))
      devices[name] = {
        txFrames: sum(
          (p) => p.sent,
          (p) => p.to === name,
        ),
        drops:
          sum(
            (p) => Object.values(p.errors).reduce((a, b) => a + b, 0),
            (p) => p.from === name,
          ) +
          sum(
            (p) => p.drops,
            (p) => p.to === name,
          ),
      };

  return { ...model, observed: { title, flows, devices, summary: capture.summary } };
}
