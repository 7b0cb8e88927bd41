// The simulate bench's pipeline as a scenario (scenario.md): a0 → r1 (XDP_REDIRECT via the DEVMAP
// tx_port) → r2 → c0, whose peer runs `return XDP_PASS;` or is a GRO device with no program — one
// text for bench/simulate.bench.ts, the quick harness simulatePipeline.ts and simulateGolden.ts.
import path from 'node:path';

export interface PipelineOptions {
  /** The checkout whose examples/redirect.bpf.c the programs come from. */
  root: string;
  frames: number;
  /** c0 runs xdp_pass ('pass') or has GRO and no program ('gro'). */
  peer: 'pass' | 'gro';
  burst?: number;
  cpus?: number;
  /** Traffic after the main a0 burst (simulateGolden's odd bursts). */
  moreTraffic?: readonly object[];
}

export function devmapPipeline(o: PipelineOptions): string {
  const file = path.join(o.root, 'examples/redirect.bpf.c');
  return JSON.stringify({
    version: 1,
    cpus: o.cpus ?? 2,
    programs: [
      { name: 'redir', file, function: 'xdp_redirect_udp' },
      { name: 'pass', file, function: 'xdp_pass' },
    ],
    devices: [
      { name: 'a0', kind: 'veth', peer: 'r1' },
      { name: 'r1', kind: 'veth', peer: 'a0', xdp: { program: 'redir' } },
      { name: 'r2', kind: 'veth', peer: 'c0' },
      {
        name: 'c0',
        kind: 'veth',
        peer: 'r2',
        ...(o.peer === 'pass' ? { xdp: { program: 'pass' } } : { gro: true }),
      },
    ],
    maps: { tx_port: [{ key: 0, value: 'r2' }] },
    traffic: [
      { from: 'a0', count: o.frames, burst: o.burst ?? 64, frame: { udp: { dst: '10.0.0.2', dport: 8 } } },
      ...(o.moreTraffic ?? []),
    ],
  });
}
