// BPF_PROG_TEST_RUN with BPF_F_TEST_XDP_LIVE_FRAMES (§1.1, §3.1 "Live test-run"; kernel
// net/bpf/test_run.c xdp_test_run_batch): one bpf net context per batch with bottom halves off;
// XDP_TX becomes an ifindex redirect to the ingress device; ABORTED and invalid verdicts drop
// silently (no xdp_exception); xdp_do_flush after a batch that attempted a redirect; PASS frames
// reach the ingress device's stack after the flush.
import { xdpDoRedirect } from './doRedirect';
import type { NetContext } from './netContext';
import { IFINDEX_MAP_ID } from './redirectInfo';
import type { SimDevice } from './simDevice';
import { FAULT, type SimHost } from './simHost';
import { relayout, type SimFrame } from './simFrame';
import type { DropReason } from './simulationResult';
import { xdpDoFlush } from './xdpFlush';
import { XDP_ABORTED, XDP_DROP, XDP_PASS, XDP_REDIRECT, XDP_TX } from './xdpAction';

/** xdp_test_run_batch of `frames` on `dev`'s native program in `ctx` (the caller opens and closes it). */
export function testRunBatch(
  host: SimHost,
  ctx: NetContext,
  dev: SimDevice,
  frames: readonly SimFrame[],
): void {
  const prog = dev.nativeProg;
  if (!prog) return;
  if (host.recording)
    host.step({
      k: 'poll',
      cpu: ctx.cpu,
      context: ctx.id,
      device: dev.name,
      frames: frames.length,
      mode: 'native',
    });
  let redirect = false;
  const passed: SimFrame[] = [];
  const name = dev.progName ?? prog.name;
  for (const f of frames) {
    f.rxIfindex = dev.ifindex;
    f.rxQueue = 0;
    relayout(f, prog.frags, host.pool);
    let act = host.runProgram(ctx, prog, name, 'native', dev, f, dev.ifindex, 0, 0);
    if (act === XDP_TX) {
      const ri = ctx.ri.touch();
      ri.tgtIndex = BigInt(dev.ifindex);
      ri.mapId = IFINDEX_MAP_ID;
      ri.mapType = 0;
      act = XDP_REDIRECT;
    }
    if (act === XDP_REDIRECT) {
      redirect = true;
      const err = xdpDoRedirect(host, ctx, dev, f, prog, 0);
      if (err) host.drop(ctx, dev, f, 'redirect_error', err);
    } else if (act === XDP_PASS) passed.push(f);
    else host.drop(ctx, dev, f, silentDropReason(act));
  }
  if (redirect) xdpDoFlush(host, ctx, dev.name);
  for (const f of passed) host.toStack(ctx, dev, f);
}

function silentDropReason(act: number): DropReason {
  if (act === XDP_DROP) return 'xdp_drop';
  if (act === FAULT) return 'program_fault';
  return act === XDP_ABORTED ? 'xdp_aborted' : 'invalid_action';
}
