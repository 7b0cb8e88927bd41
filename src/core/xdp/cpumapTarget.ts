// The simulator's state of one CPUMAP entry (kernel struct bpf_cpu_map_entry, §4.2): its ptr_ring
// of qsize slots, whether its kthread is woken, and the per-CPU bulk queues of 8 frames
// (struct xdp_bulk_queue) that feed the ring. The code is in cpumapRedirect.ts / cpumapKthread.ts.
import type { CpumapEntry } from '../maps/cpumap';
import type { XdpProgramHandle } from '../vm/xdpRun';
import { FrameQueue } from './frameQueue';
import type { SimFrame } from './simFrame';

/** CPU_MAP_BULK_SIZE: frames a cpumap bulk queue holds before it is pushed into the ring. */
export const CPU_MAP_BULK_SIZE = 8;

export class CpumapTarget {
  /** The entry's ptr_ring; cpu_map_enqueue bounds it by `entry.qsize`. */
  readonly ring: FrameQueue;
  readonly bulk = new Map<number, CpuBulkQueue>();
  woken = false;

  constructor(
    readonly entry: CpumapEntry,
    readonly mapId: number,
    readonly label: string,
    readonly progName: string | undefined,
  ) {
    this.ring = new FrameQueue(Math.min(Math.max(entry.qsize, 1), 1024), true);
  }

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
  readonly name: string;
  constructor(
    readonly target: CpumapTarget,
    readonly cpu: number,
  ) {
    this.name = `cpumap:${target.label}@cpu${cpu}`;
  }
}
