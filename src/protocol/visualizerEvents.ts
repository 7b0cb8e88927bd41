// Simulator timeline steps as the visualizer's events (the Timeline tab and the graph's highlights),
// and how drop reasons and verdicts read in the panel: split from visualizerFromSimulation.ts. Pure.
import { xdpActionNames } from '../core/trace/tracepoints';
import { redirectMissText, redirectMissWhy } from '../core/xdp/redirectMiss';
import type { DropReason, SimStep, TopologyMapEntry } from '../core/xdp/simulationResult';
import { nodeId, type VisEvent } from './visualizer';

/** How each drop reason reads in the panel, and the tracepoint that reports it (if any). */
export const dropReasonText: Record<DropReason, { text: string; tracepoint?: string }> = {
  xdp_drop: { text: 'XDP_DROP' },
  xdp_aborted: { text: 'XDP_ABORTED', tracepoint: 'xdp:xdp_exception' },
  invalid_action: { text: 'invalid action', tracepoint: 'xdp:xdp_exception' },
  program_fault: { text: 'program fault' },
  redirect_error: { text: 'redirect error', tracepoint: 'xdp:xdp_redirect_err' },
  egress_prog_drop: { text: 'devmap egress program drop', tracepoint: 'xdp:xdp_devmap_xmit' },
  ndo_xmit_error: { text: 'ndo_xdp_xmit refused', tracepoint: 'xdp:xdp_devmap_xmit' },
  peer_ring_full: { text: 'veth peer ring full', tracepoint: 'xdp:xdp_devmap_xmit' },
  peer_mtu: { text: 'frame larger than the peer MTU', tracepoint: 'xdp:xdp_devmap_xmit' },
  peer_down: { text: 'veth peer down', tracepoint: 'xdp:xdp_devmap_xmit' },
  device_down: { text: 'device down' },
  tx_mtu: { text: 'frame larger than the MTU' },
  cpumap_ring_full: { text: 'cpumap ring full', tracepoint: 'xdp:xdp_cpumap_enqueue' },
  cpumap_prog_drop: { text: 'cpumap program drop', tracepoint: 'xdp:xdp_cpumap_kthread' },
  xdp_tx_error: { text: 'XDP_TX failed', tracepoint: 'xdp:xdp_bulk_tx' },
  generic_tx_busy: { text: 'generic XDP_TX busy' },
  no_destination: { text: 'no destination' },
  xsk_error: { text: 'AF_XDP socket refused', tracepoint: 'xdp:xdp_redirect_err' },
  unknown_program: { text: 'unknown program (no local object)' },
};
const actionName = (a: number): string =>
  a >= 0 && a < xdpActionNames.length ? `XDP_${xdpActionNames[a]}` : `invalid action ${a}`;
export function toEvent(
  s: SimStep,
  mapNames: ReadonlyMap<number, string>,
  devByIfindex: ReadonlyMap<number, string>,
  entryOf: (map: string, key: number) => TopologyMapEntry | undefined,
): VisEvent | undefined {
  switch (s.k) {
    case 'poll':
      return { k: 'poll', cpu: s.cpu, device: s.device, frames: s.frames };
    case 'run': {
      const ev: Extract<VisEvent, { k: 'run' }> = {
        k: 'run',
        cpu: s.cpu,
        frame: s.frame,
        device: s.device,
        program: s.program,
        action: actionName(s.action),
        ...(s.chain
          ? {
              chain: s.chain
                .map((c) => `${c.program} ${actionName(c.action).replace(/^XDP_/, '')}`)
                .join(' → '),
            }
          : {}),
        ...(s.decidedBy !== undefined ? { decidedBy: s.decidedBy } : {}),
        ...(s.miss ? { miss: { text: redirectMissText(s.miss), why: redirectMissWhy(s.miss) } } : {}),
      };
      const r = s.redirect;
      if (r && s.action === 4) {
        const key = Number(r.tgtIndex);
        const safeKey = Number.isSafeInteger(key) && key >= 0 ? key : 0;
        const map = r.map ?? mapNames.get(r.mapId);
        if (map) {
          const e = entryOf(map, safeKey);
          const target = e?.device
            ? nodeId.device(e.device)
            : e?.cpu !== undefined
              ? nodeId.cpu(e.cpu)
              : e?.xsk
                ? nodeId.xsk(e.xsk)
                : nodeId.mapEntry(map, safeKey);
          ev.redirect = { map, key: safeKey, target };
        } else if (r.mapId === 0x7fffffff) {
          const dev = devByIfindex.get(safeKey);
          ev.redirect = { key: safeKey, target: dev ? nodeId.device(dev) : `ifindex ${safeKey}` };
        }
      }
      return ev;
    }
    case 'enqueue':
      return {
        k: 'enqueue',
        cpu: s.cpu,
        frame: s.frame,
        queue: s.queue,
        fill: s.fill,
        capacity: Math.max(1, s.capacity),
      };
    case 'xmit':
      return {
        k: 'xmit',
        cpu: s.cpu,
        queue: s.queue,
        sent: s.sent,
        drops: s.drops,
        ...(s.err ? { err: s.err } : {}),
        flush: s.flush,
        frames: s.frames,
        ...(s.ring ? { ring: { ...s.ring, size: Math.max(1, s.ring.size) } } : {}),
        ...(s.skb ? { skb: true } : {}),
      };
    case 'flush':
      return { k: 'flush', cpu: s.cpu, device: s.device };
    case 'drop':
      return {
        k: 'drop',
        cpu: s.cpu,
        frame: s.frame,
        device: s.device,
        reason: dropReasonText[s.reason]?.text ?? s.reason,
        ...(s.errno ? { errno: s.errno } : {}),
      };
    case 'deliver':
      return { k: 'deliver', cpu: s.cpu, frame: s.frame, device: s.device, fate: s.fate };
    case 'kthread':
      return {
        k: 'kthread',
        cpu: s.cpu,
        queue: s.queue,
        processed: s.processed,
        drops: s.drops,
        ring: { ...s.ring, size: Math.max(1, s.ring.size) },
        ...(s.verdicts ? { verdicts: { ...s.verdicts } } : {}),
      };
    case 'redirect':
      return undefined; // the enqueue (success) or the drop (error) that follows says it
  }
}
