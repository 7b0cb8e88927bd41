// xdp_do_flush (net/core/filter.c, §4.1 "flush"): at the end of a NAPI poll or kthread batch that
// redirected, every device bulk queue of the context (__dev_flush), then every cpumap queue
// (__cpu_map_flush, waking the kthreads), then the XSK sockets (__xsk_map_flush).
import { cpuMapFlush } from './cpumapRedirect';
import { devFlush } from './devmapRedirect';
import type { NetContext } from './netContext';
import type { SimHost } from './simHost';

/** xdp_do_flush: device queues, then cpumap queues, then XSK sockets (§4.1). */
export function xdpDoFlush(host: SimHost, ctx: NetContext, device: string): void {
  if (host.recording) host.step({ k: 'flush', cpu: ctx.cpu, context: ctx.id, device });
  devFlush(host, ctx);
  cpuMapFlush(host, ctx);
  if (ctx.xskFlush.length !== 0) ctx.xskFlush.length = 0; // (setting length is a runtime call)
}
