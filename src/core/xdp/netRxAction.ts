// The softirq side of the simulated host (net/core/dev.c): each CPU's poll list (softnet_data), what
// puts work on it — napi_schedule of a veth rx queue, a NIC burst, enqueue_to_backlog — and
// net_rx_action, which polls it in softirq runs of netdev_budget frames, each one bpf net context
// (§1.2); then the cpumap kthreads those runs woke (§4.2), until the host is quiet.
import { runKthread } from './cpumapKthread';
import type { CpumapTarget } from './cpumapTarget';
import { FrameQueue } from './frameQueue';
import { type Backlog, type NicPoll, type PollItem, poll, pollPending } from './napiPoll';
import type { SimDevice, VethRxQueue } from './simDevice';
import type { SimFrame } from './simFrame';
import type { SimHost } from './simHost';

/** netdev_budget: frames one softirq run may handle before it yields (a new run, a new context). */
export const NETDEV_BUDGET = 300;

export class NetRxAction {
  /** softnet_data.poll_list per CPU: a growing ring, so a poll taken off and put back allocates nothing. */
  private readonly pollLists: FrameQueue<PollItem>[];
  private readonly backlogs: Backlog[];
  private readonly woken: CpumapTarget[] = [];
  /**
   * The CPU a live test-run call occupies (-1: none). bpf_test_run_xdp_live runs all its batches in
   * one syscall on that CPU (net/bpf/test_run.c); each batch's local_bh_enable runs the CPU's
   * softirqs, but a cpumap kthread woken there only gets the CPU when bpf_test_timer_continue sees
   * need_resched, which a wake-up does not set while the caller is within its slice (EEVDF). So it
   * runs once the call returns: 6.18.44, 3 batches of 8 into a qsize-4 ring on the call's CPU,
   * enqueue 8/4, 8/8, 8/8 and 4 processed in 9 of 14 runs; in the others, at load ≈ 4 on 2 CPUs,
   * the scheduler let the kthread in between batches (8 or 12 processed). Kthreads of other CPUs run
   * meanwhile.
   */
  heldCpu = -1;

  constructor(
    private readonly host: SimHost,
    cpus: number,
  ) {
    this.pollLists = Array.from({ length: cpus }, () => new FrameQueue<PollItem>(8, true));
    this.backlogs = Array.from({ length: cpus }, (_, cpu) => ({
      kind: 'backlog' as const,
      cpu,
      frames: [],
      devs: [],
      head: 0,
      scheduled: false,
    }));
  }

  /** napi_schedule of a veth rx queue with frames on `cpu`. */
  scheduleVeth(rq: VethRxQueue, cpu: number): void {
    if (rq.scheduled || rq.ring.length === 0) return;
    rq.scheduled = true;
    (this.pollLists[cpu] as FrameQueue<PollItem>).push(rq);
  }

  /** A NIC rx queue's burst: its NAPI on `cpu`'s poll list. */
  scheduleNic(item: NicPoll, cpu: number): void {
    (this.pollLists[cpu] as FrameQueue<PollItem>).push(item);
  }

  /** netif_rx → enqueue_to_backlog: `frame` reaches `dev`'s stack through `cpu`'s backlog. */
  enqueueBacklog(cpu: number, dev: SimDevice, frame: SimFrame): void {
    const b = this.backlogs[cpu] as Backlog;
    b.frames.push(frame);
    b.devs.push(dev);
    if (b.scheduled) return;
    b.scheduled = true;
    (this.pollLists[cpu] as FrameQueue<PollItem>).push(b);
  }

  /** wake_up_process of a cpumap entry's kthread: it runs once the softirqs are done. */
  wakeKthread(t: CpumapTarget): void {
    if (!t.woken) {
      t.woken = true;
      this.woken.push(t);
    }
  }

  /** net_rx_action until this CPU's poll list is empty; each run is one context (§1.2). */
  runSoftirqs(cpu: number): void {
    const host = this.host;
    const list = this.pollLists[cpu] as FrameQueue<PollItem>;
    while (list.length) {
      const ctx = host.openContext(cpu, 'softirq');
      let budget = NETDEV_BUDGET;
      while (list.length && budget > 0) {
        const item = list.shift();
        budget -= poll(host, ctx, item);
        if (pollPending(item)) list.push(item);
        else if (item.kind !== 'nic') item.scheduled = false;
      }
      host.closeContext(ctx);
    }
  }

  /** Runs everything pending: softirqs on every CPU, then woken kthreads, until quiet. */
  drain(): void {
    for (;;) {
      let busy = false;
      for (let cpu = 0; cpu < this.pollLists.length; cpu++)
        if ((this.pollLists[cpu] as FrameQueue<PollItem>).length) {
          busy = true;
          this.runSoftirqs(cpu);
        }
      const k = this.heldCpu < 0 ? 0 : this.woken.findIndex((t) => t.cpu !== this.heldCpu);
      if (k >= 0 && k < this.woken.length) {
        busy = true;
        runKthread(this.host, this.woken.splice(k, 1)[0] as CpumapTarget);
      }
      if (!busy) return;
    }
  }
}
