// CPUMAP redirects (§3.3 "CPUMAP", §4.2, §3.5; kernel/bpf/cpumap.c): per-(entry, CPU) bulk queues
// of 8 frames pushed into the entry's ptr_ring of qsize slots (losses show only in
// xdp_cpumap_enqueue.drops), and the entry's kthread consuming the ring in batches of 8, each batch
// its own bpf net context running the optional cpumap program.
// Deterministic batching: a woken kthread runs after the softirq run that woke it has ended, and
// drains its ring in batches of 8 (the kernel's split across iterations depends on scheduling; the
// totals do not, §4.2).
import type { CpumapEntry } from '../maps/cpumap';
import type { XdpProgramHandle } from '../vm/xdpRun';
import type { NetContext } from './netContext';
import type { SimDevice } from './simDevice';
import type { SimFrame } from './simFrame';
import type { CpumapRingLevel } from './simulationResult';
import type { Simulator } from './simulator';
import { XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_REDIRECT } from './xdpAction';

export const CPU_MAP_BULK_SIZE = 8;
export const CPUMAP_BATCH = 8;

/** The simulator's state of one CPUMAP entry: ring, kthread, per-CPU bulk queues. */
export class CpumapTarget {
  readonly ring: SimFrame[] = [];
  readonly bulk = new Map<number, CpuBulkQueue>();
  woken = false;

  constructor(
    readonly entry: CpumapEntry,
    readonly mapId: number,
    readonly label: string,
    readonly progName: string | undefined,
  ) {}

  get cpu(): number {
    return this.entry.cpu;
  }

  get prog(): XdpProgramHandle | undefined {
    return this.entry.prog;
  }

  bulkFor(cpu: number): CpuBulkQueue {
    let bq = this.bulk.get(cpu);
    if (!bq) {
      bq = new CpuBulkQueue(this, cpu);
      this.bulk.set(cpu, bq);
    }
    return bq;
  }
}

export class CpuBulkQueue {
  frames: SimFrame[] = [];
  onFlushList = false;
  constructor(
    readonly target: CpumapTarget,
    readonly cpu: number,
  ) {}
  get name(): string {
    return `cpumap:${this.target.label}@cpu${this.cpu}`;
  }
}

/** cpu_map_enqueue + bq_enqueue: record the rx device, push a full queue first, join the flush list. */
export function cpuMapEnqueue(
  sim: Simulator,
  ctx: NetContext,
  target: CpumapTarget,
  frame: SimFrame,
  devRx: SimDevice,
): void {
  frame.rxIfindex = devRx.ifindex;
  const bq = target.bulkFor(ctx.cpu);
  if (bq.frames.length === CPU_MAP_BULK_SIZE) bqFlushToQueue(sim, ctx, bq, false);
  bq.frames.push(frame);
  if (!bq.onFlushList) {
    bq.onFlushList = true;
    ctx.cpuFlush.unshift(bq);
  }
  if (sim.recording)
    sim.step({
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
function bqFlushToQueue(sim: Simulator, ctx: NetContext, bq: CpuBulkQueue, atFlush: boolean): void {
  const frames = bq.frames;
  if (frames.length === 0) return;
  bq.frames = [];
  const t = bq.target;
  let drops = 0;
  for (const f of frames) {
    if (t.ring.length < t.entry.qsize) t.ring.push(f);
    else {
      drops++;
      sim.drop(ctx, sim.deviceByIfindex(f.rxIfindex), f, 'cpumap_ring_full');
    }
  }
  if (bq.onFlushList) {
    bq.onFlushList = false;
    const i = ctx.cpuFlush.indexOf(bq);
    if (i >= 0) ctx.cpuFlush.splice(i, 1);
  }
  const seq = sim.emit(
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
  if (sim.recording)
    sim.step({
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

function ringLevel(t: CpumapTarget): CpumapRingLevel {
  return { name: `ring:${t.label}`, fill: t.ring.length, size: t.entry.qsize, cpu: t.cpu };
}

/** __cpu_map_flush: push every listed queue and wake its kthread. */
export function cpuMapFlush(sim: Simulator, ctx: NetContext): void {
  while (ctx.cpuFlush.length) {
    const bq = ctx.cpuFlush[0] as CpuBulkQueue;
    bqFlushToQueue(sim, ctx, bq, true);
    sim.wakeKthread(bq.target);
  }
}

/** cpu_map_generic_redirect (§3.7): one skb straight into the ring; ENOSPC when full. */
export function cpuMapGenericEnqueue(
  sim: Simulator,
  ctx: NetContext,
  target: CpumapTarget,
  frame: SimFrame,
): number {
  frame.redirected = true;
  frame.skb = true;
  const full = target.ring.length >= target.entry.qsize;
  if (!full) {
    target.ring.push(frame);
    sim.wakeKthread(target);
  }
  const seq = sim.emit(
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
  if (sim.recording)
    sim.step({
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

/**
 * cpu_map_kthread_run: drain the ring in batches of 8; per batch: run the program (own context,
 * flush if a redirect succeeded), one xdp_cpumap_kthread event, then the passed frames reach the
 * stack of their rx device. `sched` is 1 for the first iteration after a wake-up.
 */
export function runKthread(sim: Simulator, target: CpumapTarget): void {
  let sched = 1;
  target.woken = false;
  while (target.ring.length) {
    const batch = target.ring.splice(0, CPUMAP_BATCH);
    const ctx = sim.openContext(target.cpu, 'kthread');
    let pass = 0;
    let drop = 0;
    let redirect = 0;
    const kept: SimFrame[] = [];
    for (const f of batch) {
      const prog = target.prog;
      const rxDev = sim.deviceByIfindex(f.rxIfindex);
      if (!prog) {
        kept.push(f);
        continue;
      }
      const act = sim.runProgram(ctx, prog, target.progName ?? prog.name, 'cpumap', rxDev, f, {
        ingressIfindex: f.rxIfindex,
        rxQueueIndex: 0,
        egressIfindex: 0,
      });
      if (act === XDP_PASS) {
        pass++;
        kept.push(f);
      } else if (act === XDP_REDIRECT) {
        const err = f.skb ? sim.genericRedirect(ctx, rxDev, f, prog) : sim.doRedirect(ctx, rxDev, f, prog, 0);
        if (err) {
          drop++;
          sim.drop(ctx, rxDev, f, 'cpumap_prog_drop', err);
        } else redirect++;
      } else {
        // §3.5: no xdp_exception for frames; skbs from the generic path do report ABORTED/invalid.
        if (f.skb && act !== XDP_DROP)
          sim.emit(ctx, { name: 'xdp:xdp_exception', prog_id: prog.id, act, ifindex: f.rxIfindex }, f.id);
        drop++;
        sim.drop(
          ctx,
          rxDev,
          f,
          act === XDP_DROP || act === XDP_ABORTED ? 'cpumap_prog_drop' : 'invalid_action',
        );
      }
    }
    if (redirect) sim.doFlush(ctx, `kthread cpumap ${target.label}`);
    const seq = sim.emit(
      ctx,
      {
        name: 'xdp:xdp_cpumap_kthread',
        map_id: target.mapId,
        act: XDP_REDIRECT,
        cpu: target.cpu,
        drops: 0,
        processed: batch.length,
        sched,
        xdp_pass: pass,
        xdp_drop: drop,
        xdp_redirect: redirect,
      },
      batch,
    );
    if (sim.recording)
      sim.step({
        k: 'kthread',
        cpu: target.cpu,
        context: ctx.id,
        queue: `ring:${target.label}`,
        processed: batch.length,
        drops: 0,
        event: seq,
        ring: ringLevel(target),
        ...(target.prog ? { verdicts: { pass, drop, redirect } } : {}),
      });
    for (const f of kept) sim.toStack(ctx, sim.deviceByIfindex(f.rxIfindex), f);
    sim.closeContext(ctx);
    sched = 0;
    // local_bh_enable(): softirqs raised by the batch (e.g. a veth NAPI scheduled by the flush) run now.
    sim.runSoftirqs(target.cpu);
  }
}
