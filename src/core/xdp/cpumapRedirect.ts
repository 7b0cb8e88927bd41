// CPUMAP redirects (§3.3 "CPUMAP", §4.2, §3.7; kernel/bpf/cpumap.c): cpu_map_enqueue's per-(entry,
// CPU) bulk queues of 8 frames, bq_flush_to_queue pushing them into the entry's ptr_ring of qsize
// slots (losses show only in xdp_cpumap_enqueue.drops), __cpu_map_flush waking the kthreads, and
// cpu_map_generic_redirect for skbs. The kthread that consumes the ring is cpumapKthread.ts; the
// entry's state is cpumapTarget.ts.
import type { NetContext } from './netContext';
import type { SimDevice } from './simDevice';
import type { SimHost } from './simHost';
import type { SimFrame } from './simFrame';
import type { CpumapRingLevel } from './simulationResult';
import { CPU_MAP_BULK_SIZE, type CpuBulkQueue, type CpumapTarget } from './cpumapTarget';
import { XDP_REDIRECT } from './xdpAction';

/** cpu_map_enqueue + bq_enqueue: record the rx device, push a full queue first, join the flush list. */
export function cpuMapEnqueue(
  host: SimHost,
  ctx: NetContext,
  target: CpumapTarget,
  frame: SimFrame,
  devRx: SimDevice,
): void {
  frame.rxIfindex = devRx.ifindex;
  const bq = target.bulkFor(ctx.cpu);
  if (bq.frames.length === CPU_MAP_BULK_SIZE) bqFlushToQueue(host, ctx, bq, false);
  bq.frames.push(frame);
  if (!bq.onFlushList) {
    bq.onFlushList = true;
    ctx.cpuFlush.unshift(bq);
  }
  if (host.recording)
    host.step({
      k: 'enqueue',
      cpu: ctx.cpu,
      context: ctx.id,
      frame: frame.id,
      queue: bq.name,
      fill: bq.frames.length,
      capacity: CPU_MAP_BULK_SIZE,
    });
}

/**
 * bq_flush_to_queue: produce into the ring (full → freed), leave the flush list, one enqueue event.
 * `atFlush`: called by __cpu_map_flush (step 3) rather than by a full queue in bq_enqueue.
 */
function bqFlushToQueue(host: SimHost, ctx: NetContext, bq: CpuBulkQueue, atFlush: boolean): void {
  const frames = bq.frames;
  if (frames.length === 0) return;
  bq.frames = [];
  const t = bq.target;
  let drops = 0;
  for (const f of frames) {
    if (t.ring.length < t.entry.qsize) t.ring.push(f);
    else {
      drops++;
      host.drop(ctx, host.deviceByIfindex(f.rxIfindex), f, 'cpumap_ring_full');
    }
  }
  if (bq.onFlushList) {
    bq.onFlushList = false;
    const i = ctx.cpuFlush.indexOf(bq);
    if (i >= 0) ctx.cpuFlush.splice(i, 1);
  }
  const seq = host.trace.emit(
    ctx,
    {
      name: 'xdp:xdp_cpumap_enqueue',
      map_id: t.mapId,
      act: XDP_REDIRECT,
      cpu: ctx.cpu,
      drops,
      processed: frames.length,
      to_cpu: t.cpu,
    },
    frames,
  );
  if (host.recording)
    host.step({
      k: 'xmit',
      cpu: ctx.cpu,
      context: ctx.id,
      queue: bq.name,
      sent: frames.length - drops,
      drops,
      flush: atFlush,
      frames: frames.map((f) => f.id),
      event: seq,
      ring: ringLevel(t),
    });
}

/** The timeline's view of an entry's ptr_ring after a push or a kthread batch. */
export function ringLevel(t: CpumapTarget): CpumapRingLevel {
  return { name: `ring:${t.label}`, fill: t.ring.length, size: t.entry.qsize, cpu: t.cpu };
}

/** __cpu_map_flush: push every listed queue and wake its kthread. */
export function cpuMapFlush(host: SimHost, ctx: NetContext): void {
  while (ctx.cpuFlush.length) {
    const bq = ctx.cpuFlush[0] as CpuBulkQueue;
    bqFlushToQueue(host, ctx, bq, true);
    host.wakeKthread(bq.target);
  }
}

/** cpu_map_generic_redirect (§3.7): one skb straight into the ring; ENOSPC when full. */
export function cpuMapGenericEnqueue(
  host: SimHost,
  ctx: NetContext,
  target: CpumapTarget,
  frame: SimFrame,
): number {
  frame.redirected = true;
  frame.skb = true;
  const full = target.ring.length >= target.entry.qsize;
  if (!full) {
    target.ring.push(frame);
    host.wakeKthread(target);
  }
  const seq = host.trace.emit(
    ctx,
    {
      name: 'xdp:xdp_cpumap_enqueue',
      map_id: target.mapId,
      act: XDP_REDIRECT,
      cpu: ctx.cpu,
      drops: full ? 1 : 0,
      processed: full ? 0 : 1,
      to_cpu: target.cpu,
    },
    frame.id,
  );
  // The skb goes straight into the ring (no bulk queue): one push of one frame, on the timeline
  // as the native path's pushes are, marked `skb` (the view draws the ring, not a queue).
  if (host.recording)
    host.step({
      k: 'xmit',
      cpu: ctx.cpu,
      context: ctx.id,
      queue: `cpumap:${target.label}@cpu${ctx.cpu}`,
      sent: full ? 0 : 1,
      drops: full ? 1 : 0,
      flush: false,
      frames: [frame.id],
      event: seq,
      ring: ringLevel(target),
      skb: true,
    });
  return full ? -28 : 0;
}
