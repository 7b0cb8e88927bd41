// The kthread of a CPUMAP entry (cpu_map_kthread_run, §4.2, §3.5): consumes the entry's ptr_ring in
// batches of 8, each batch its own bpf net context running the optional cpumap program (whose
// redirects go through step 2 again, then xdp_do_flush), one xdp_cpumap_kthread per batch, then
// the passed frames reach the stack of their rx device.
// Deterministic batching: a woken kthread runs after the softirq run that woke it has ended, and
// drains its ring in batches of 8 (the kernel's split across iterations depends on scheduling; the
// totals do not, §4.2).
import { ringLevel } from './cpumapRedirect';
import type { CpumapTarget } from './cpumapTarget';
import { xdpDoRedirect } from './doRedirect';
import { xdpDoGenericRedirect } from './genericRedirect';
import type { SimHost } from './simHost';
import type { SimFrame } from './simFrame';
import { xdpDoFlush } from './xdpFlush';
import { XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_REDIRECT } from './xdpAction';

/** CPUMAP_BATCH: frames one kthread iteration consumes. */
export const CPUMAP_BATCH = 8;

/**
 * cpu_map_kthread_run: drain the ring in batches of 8; per batch: run the program (own context,
 * flush if a redirect succeeded), one xdp_cpumap_kthread event, then the passed frames reach the
 * stack of their rx device. `sched` is 1 for the first iteration after a wake-up.
 */
export function runKthread(host: SimHost, target: CpumapTarget): void {
  let sched = 1;
  target.woken = false;
  const batch: SimFrame[] = [];
  while (target.ring.length) {
    const n = target.ring.takeInto(batch, CPUMAP_BATCH);
    batch.length = n;
    const ctx = host.openContext(target.cpu, 'kthread');
    let pass = 0;
    let drop = 0;
    let redirect = 0;
    const kept: SimFrame[] = [];
    const prog = target.prog;
    // The event names the batch's frames: their ids now, before a broadcast clone may reuse a
    // freed frame's object.
    const ids = host.recording || host.trace.wanted ? batch.map((f) => f.id) : [];
    for (const f of batch) {
      const rxDev = host.deviceByIfindex(f.rxIfindex);
      if (!prog) {
        kept.push(f);
        continue;
      }
      const act = host.runProgram(
        ctx,
        prog,
        target.progName ?? prog.name,
        'cpumap',
        rxDev,
        f,
        f.rxIfindex,
        0,
        0,
      );
      if (act === XDP_PASS) {
        pass++;
        kept.push(f);
      } else if (act === XDP_REDIRECT) {
        const err = f.skb
          ? xdpDoGenericRedirect(host, ctx, rxDev, f, prog)
          : xdpDoRedirect(host, ctx, rxDev, f, prog, 0);
        if (err) {
          drop++;
          host.drop(ctx, rxDev, f, 'cpumap_prog_drop', err);
        } else redirect++;
      } else {
        // §3.5: no xdp_exception for frames; skbs from the generic path do report ABORTED/invalid.
        if (f.skb && act !== XDP_DROP)
          host.trace.emit(
            ctx,
            { name: 'xdp:xdp_exception', prog_id: prog.id, act, ifindex: f.rxIfindex },
            f.id,
          );
        drop++;
        host.drop(
          ctx,
          rxDev,
          f,
          act === XDP_DROP || act === XDP_ABORTED ? 'cpumap_prog_drop' : 'invalid_action',
        );
      }
    }
    if (redirect) xdpDoFlush(host, ctx, `kthread cpumap ${target.label}`);
    const seq = host.trace.emit(
      ctx,
      {
        name: 'xdp:xdp_cpumap_kthread',
        map_id: target.mapId,
        act: XDP_REDIRECT,
        cpu: target.cpu,
        drops: 0,
        processed: n,
        sched,
        xdp_pass: pass,
        xdp_drop: drop,
        xdp_redirect: redirect,
      },
      ids,
    );
    if (host.recording)
      host.step({
        k: 'kthread',
        cpu: target.cpu,
        context: ctx.id,
        queue: `ring:${target.label}`,
        processed: n,
        drops: 0,
        event: seq,
        ring: ringLevel(target),
        ...(prog ? { verdicts: { pass, drop, redirect } } : {}),
      });
    for (const f of kept) host.toStack(ctx, host.deviceByIfindex(f.rxIfindex), f);
    host.closeContext(ctx);
    sched = 0;
    // local_bh_enable(): softirqs raised by the batch (e.g. a veth NAPI scheduled by the flush) run now.
    host.runSoftirqs(target.cpu);
  }
}
