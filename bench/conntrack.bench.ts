// The conntrack table's lookup (issue #13's limit: a linear scan took 2.9 µs per tracked lookup run
// against the kernel's 63 ns): CPU ns per find in tables of 10 and 10,000 entries, both directions.
import { ConntrackTable } from '../src/core/xdp/conntrack';
import type { CtTuple } from '../src/core/xdp/nfConn';
import type { BenchRow } from './lib/benchRow';

/** CPU ns per find: `flows` distinct connections looked up (hot ones, as real traffic has few). */
function lookupNs(entries: number, flows: number): number {
  const table = new ConntrackTable(() => 0n);
  const tuples: CtTuple[] = [];
  for (let i = 0; i < entries; i++) {
    const src = `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    table.add({ proto: 'tcp', src, sport: 1000 + (i % 50000), dst: '192.0.2.1', dport: 80 }, `[${i}]`);
    const s = Uint8Array.from(src.split('.').map(Number));
    const d = Uint8Array.of(192, 0, 2, 1);
    // Alternate directions: the reply tuple is found through its own hash entry.
    tuples.push(
      i % 2
        ? { l3num: 2, protonum: 6, src: d, dst: s, sport: 80, dport: 1000 + (i % 50000) }
        : { l3num: 2, protonum: 6, src: s, dst: d, sport: 1000 + (i % 50000), dport: 80 },
    );
  }
  const n = 200_000;
  let found = 0;
  for (let i = 0; i < 20_000; i++) if (table.find(tuples[i % flows] as CtTuple, 0, 3)) found++;
  const c0 = process.cpuUsage();
  for (let i = 0; i < n; i++) if (table.find(tuples[(i * 7919) % flows] as CtTuple, 0, 3)) found++;
  const c = process.cpuUsage(c0);
  const ns = ((c.user + c.system) * 1e3) / n;
  if (found !== n + 20_000) throw new Error(`conntrack bench: ${n + 20_000 - found} lookups missed`);
  return ns;
}

export function runBench(): Promise<BenchRow[]> {
  return Promise.resolve([
    { name: 'conntrack find, 10 entries', value: Number(lookupNs(10, 10).toFixed(1)), unit: 'CPU ns/lookup' },
    {
      name: 'conntrack find, 10,000 entries, 16 hot flows (kernel: 63 ns per tracked lookup run)',
      value: Number(lookupNs(10_000, 16).toFixed(1)),
      unit: 'CPU ns/lookup',
      target: 200,
    },
    {
      name: 'conntrack find, 10,000 entries, every flow (cache misses)',
      value: Number(lookupNs(10_000, 10_000).toFixed(1)),
      unit: 'CPU ns/lookup',
    },
  ]);
}
