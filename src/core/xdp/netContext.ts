// The bpf net context (§1.2, 6.11+): installed by the outermost softirq run, kthread batch or
// generic-XDP call; it owns the redirect info and the three flush lists of xdp_do_flush (§4).
// State written by one frame's program leaks to later frames in the same context — by design.
import { RedirectInfo } from './redirectInfo';
import type { CpuBulkQueue } from './cpumapTarget';
import type { DevBulkQueue } from './devBulkQueue';
import type { XskSocket } from './xskRedirect';

export class NetContext {
  readonly ri = new RedirectInfo();
  /** Flush lists. The kernel adds with list_add (at the head), so they flush newest-first. */
  readonly devFlush: DevBulkQueue[] = [];
  readonly cpuFlush: CpuBulkQueue[] = [];
  readonly xskFlush: XskSocket[] = [];

  constructor(
    readonly id: number,
    readonly cpu: number,
    readonly kind: 'softirq' | 'kthread',
  ) {}
}
