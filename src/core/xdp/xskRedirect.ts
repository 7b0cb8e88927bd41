// AF_XDP sockets and XSKMAP redirects (§3.6 native, §3.7 generic; net/xdp/xsk.c). The simulated
// application never reads its rx ring, so the ring fills up (ENOBUFS) and the fill ring empties
// (ENOMEM) exactly as a stalled reader would make them.
import type { ScenarioXsk } from '../scenario/scenario';
import { XDP_PACKET_HEADROOM, frameLength, type SimFrame } from './simFrame';
import type { SimDevice } from './simDevice';
import type { XskCounters } from './simulationResult';
import { EINVAL, ENOBUFS, ENOMEM, ENOSPC, ENXIO } from './xdpAction';

export class XskSocket {
  /** Descriptors on the rx ring (never consumed). */
  rxUsed = 0;
  fill: number;
  readonly counters: XskCounters;

  constructor(
    readonly spec: ScenarioXsk,
    readonly dev: SimDevice | undefined,
  ) {
    this.fill = spec.fillRing;
    this.counters = {
      rxFrames: 0,
      rxDescriptors: 0,
      rxDropped: 0,
      rxQueueFull: 0,
      fillRemaining: spec.fillRing,
    };
  }

  get name(): string {
    return this.spec.name;
  }

  /** xsk_pool_get_rx_frame_size: chunk − XDP_PACKET_HEADROOM − umem headroom (2048 → 1792). */
  get rxFrameSize(): number {
    return this.spec.chunkSize - XDP_PACKET_HEADROOM - this.spec.headroom;
  }

  /**
   * xsk_rcv_check + __xsk_rcv: returns 0 or a negative errno, in the kernel's order (§3.6):
   * unbound ENXIO; other device/queue EINVAL; too big without XDP_USE_SG ENOSPC; fill ring short
   * ENOMEM; rx ring short ENOBUFS. Zero-copy sockets skip the copy checks.
   */
  receive(frame: SimFrame, dev: SimDevice, queue: number): number {
    if (!this.spec.bound) return -ENXIO;
    if (this.dev !== dev || this.spec.queue !== queue) return -EINVAL;
    const len = frameLength(frame);
    const frameSize = this.rxFrameSize;
    let numDesc = 1;
    if (!this.spec.zeroCopy) {
      if (len > frameSize && !this.spec.sg) {
        this.counters.rxDropped++;
        return -ENOSPC;
      }
      numDesc = Math.floor((len - 1) / frameSize) + 1;
      if (this.fill < numDesc) {
        this.counters.rxDropped++;
        return -ENOMEM;
      }
    }
    if (this.spec.rxRing - this.rxUsed < numDesc) {
      this.counters.rxQueueFull++;
      return -ENOBUFS;
    }
    this.fill = Math.max(0, this.fill - numDesc);
    this.rxUsed += numDesc;
    this.counters.rxFrames++;
    this.counters.rxDescriptors += numDesc;
    this.counters.fillRemaining = this.fill;
    return 0;
  }
}
