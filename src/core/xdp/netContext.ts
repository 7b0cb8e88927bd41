// The bpf net context (§1.2, 6.11+): installed by the outermost softirq run, kthread batch or
// generic-XDP call; it owns the redirect info and the three flush lists of xdp_do_flush (§4).
// State written by one frame's program leaks to later frames in the same context — by design.
import { objectArray } from './objectArray';
import { RedirectInfo } from './redirectInfo';
import type { CpuBulkQueue } from './cpumapTarget';
import type { DevBulkQueue } from './devBulkQueue';
import type { XskSocket } from './xskRedirect';

export class NetContext {
  readonly ri = new RedirectInfo();
  /**
   * Flush lists. The kernel adds with list_add (at the head), so they flush newest-first: cpuFlush
   * keeps the newest at [0]; devFlush, the per-poll one, at the end (push/pop: Array unshift and
   * shift were a tenth of the per-frame path's time).
   */
  readonly devFlush = objectArray<DevBulkQueue>();
  readonly cpuFlush = objectArray<CpuBulkQueue>();
  readonly xskFlush = objectArray<XskSocket>();

  constructor(
    public id: number,
    public cpu: number,
    public kind: 'softirq' | 'kthread',
  ) {}

  /**
   * The object made a new context (the host pools them: one per softirq run adds up over a long
   * run): a fresh redirect info and empty flush lists, as a new object would have.
   */
  reuse(id: number, cpu: number, kind: 'softirq' | 'kthread'): this {
    this.id = id;
    this.cpu = cpu;
    this.kind = kind;
    const ri = this.ri;
    ri.tgtIndex = 0n;
    ri.tgtValue = undefined;
    ri.map = undefined;
    ri.flags = 0;
    ri.mapId = 0;
    ri.mapType = 0;
    ri.reset();
    // Emptied only when not empty: setting an array's length is a runtime call even when it is 0.
    if (this.devFlush.length !== 0) this.devFlush.length = 0;
    if (this.cpuFlush.length !== 0) this.cpuFlush.length = 0;
    if (this.xskFlush.length !== 0) this.xskFlush.length = 0;
    return this;
  }
}
