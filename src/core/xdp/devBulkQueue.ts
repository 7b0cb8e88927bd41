// The per-(device, CPU) bulk queue of devmap, devmap_hash and ifindex redirects (kernel struct
// xdp_dev_bulk_queue, §4.1): up to 16 frames in fixed slots, the rx device and egress program the
// first frame of a flush cycle fixed, and whether it is on the context's flush list. The code that
// fills and transmits it (bq_enqueue, bq_xmit_all, __dev_flush) is in devmapRedirect.ts.
import type { XdpProgramHandle } from '../vm/xdpRun';
import type { SimDevice } from './simDevice';
import type { SimFrame } from './simFrame';
import { objectArray } from './objectArray';

/** DEV_MAP_BULK_SIZE: frames a device bulk queue holds before it transmits. */
export const DEV_MAP_BULK_SIZE = 16;

export class DevBulkQueue {
  /** q[0..count): the queued frames (slots are reused; nothing is allocated per frame). */
  readonly q: SimFrame[] = objectArray<SimFrame>();
  count = 0;
  /** The longest frame queued since the last transmit (frameLength): ndo_xdp_xmit's MTU check of
   *  the whole batch is one comparison when no egress program ran on them (bqXmitAll). */
  maxLen = 0;
  devRx: SimDevice | undefined;
  prog: XdpProgramHandle | undefined;
  progName: string | undefined;
  onFlushList = false;
  /** The timeline's name of the queue, built once. */
  readonly name: string;

  constructor(
    readonly dev: SimDevice,
    readonly cpu: number,
  ) {
    this.name = `dev:${dev.name}@cpu${cpu}`;
  }
}
