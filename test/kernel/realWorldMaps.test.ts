// Maps after runs: own fixtures reproducing what the real-world programs write on a run (Suricata's
// and xdp-filter's flow and rule counters, katran's per-VIP stats, rate counter and LRU connection
// table, xdp-tutorial's per-action records) run on the same frames in the kernel (`bpftool prog
// run` pinned to CPU 0) and in the VM; after every frame each map's entries must be equal
// (lib/mapRuns.ts). docs/real-world.md lists the third-party programs compared the same way.
import assert from 'node:assert/strict';
import path from 'node:path';
import test from 'node:test';
import { buildFrame } from '../../src/core/packet/frameBuilder';
import { compileBpf } from './lib/compile';
import { withLab } from './lib/lab';
import { compareMapsAfterRuns } from './lib/mapRuns';
import type { MapRunCase } from './lib/mapRuns';
import { probe } from './lib/probe';

const root = path.resolve(__dirname, '../..');
const fixture = (name: string): string => path.join(root, 'test/fixtures/programs/realworld', name);

const FRAMES: [string, Uint8Array][] = [
  ['ipv4 udp', buildFrame({ udp: { sport: 4000, dport: 53 } })],
  ['ipv4 tcp', buildFrame({ tcp: { sport: 40000, dport: 80 } })],
  ['ipv4 ttl 1', buildFrame({ ipv4: { ttl: 1 }, udp: { sport: 1, dport: 7 } })],
  ['icmp', buildFrame({ icmp: {} })],
  ['ipv6 udp', buildFrame({ ipv6: {}, udp: { sport: 1, dport: 7 } })],
  ['vlan ipv4 tcp', buildFrame({ vlan: 100, tcp: { sport: 5555, dport: 443 } })],
  ['arp', buildFrame({ arp: {} })],
  ['runt 14', buildFrame({ udp: { sport: 1, dport: 9 } }).slice(0, 14)],
  ['ipv4 udp again, 300 bytes', buildFrame({ udp: { sport: 4000, dport: 53 }, length: 300 })],
  ['ipv4 tcp again', buildFrame({ tcp: { sport: 40000, dport: 80 } })],
];
const XDP_DROP = 1;
const XDP_PASS = 2;
const XDP_TX = 3;

const z16 = '00'.repeat(16);
/** Little-endian u64 as hex. */
const u64 = (n: number): string => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(n));
  return b.toString('hex');
};

interface Case extends Omit<MapRunCase, 'obj' | 'frames'> {
  file: string;
  what: string;
  /** The kernel's retval on each frame: the preloaded entries were found where they should be. */
  verdicts: number[];
  /** Entries the kernel must hold after the last frame (key=value as the report prints them; [] = none). */
  holds: Record<string, string[]>;
}

// lb_stats.bpf.c's two cases (a shared LRU, then per-CPU LRUs) see the same VIPs and frames.
const LB_PRELOAD: Case['preload'] = {
  // 10.0.0.2:53/UDP is VIP 0, 10.0.0.2:80/TCP is VIP 1 (the key's last byte is padding).
  vips: [
    ['0a00000200351100', '0000000000000000'],
    ['0a00000200500600', '0000000001000000'],
  ],
};
const LB_VERDICTS = [
  XDP_TX,
  XDP_TX,
  XDP_PASS,
  XDP_PASS,
  XDP_PASS,
  XDP_PASS,
  XDP_PASS,
  XDP_PASS,
  XDP_TX,
  XDP_TX,
];
const LB_STATS = [
  `00000000=${u64(2)}${u64(64 + 300)}|${z16}`,
  `01000000=${u64(2)}${u64(128)}|${z16}`,
  `05000000=${u64(2)}${u64(0)}|${z16}`,
];
/** The two connections, in whichever LRU the program used. */
const LB_CONNS = [
  // ports = source << 16 | dest of the network-order fields; pos = 1 + ((src ^ ports) & 1),
  // then 4 bytes of padding (the masked atime follows).
  `0a0000010a00000200350fa011000000=01000000${'00'.repeat(12)}`,
  `0a0000010a00000200509c4006000000=01000000${'00'.repeat(12)}`,
];

const CASES: Case[] = [
  {
    file: 'flow_table.bpf.c',
    what: "Suricata's per-CPU flow table (bitfield key, VLAN id), a shared one with atomics, xdp-filter's rule hit counters",
    prog: 'xdp_flow_table',
    preload: {
      // 10.0.0.1:4000 → 10.0.0.2:53 UDP; 10.0.0.1:5555 → 10.0.0.2:443 TCP on VLAN 100 (ip_proto 1,
      // vlan0 = 0x0064 read in network order & 0x0fff = 0x400, shifted past the 1-bit field: 0x0801).
      flows_percpu: [
        ['0a0000010a0000020fa0003500000000', z16],
        ['0a0000010a00000215b301bb01080000', z16],
      ],
      // 10.0.0.1:40000 → 10.0.0.2:80 TCP.
      flows_shared: [['0a0000010a0000029c40005001000000', z16]],
      // UDP port 53 (the key is the port in network order), RULE_UDP | RULE_DST.
      rule_ports: [['00350000', u64(0x0a)]],
    },
    verdicts: [
      XDP_DROP,
      XDP_PASS,
      XDP_PASS,
      XDP_PASS,
      XDP_PASS,
      XDP_DROP,
      XDP_PASS,
      XDP_PASS,
      XDP_DROP,
      XDP_PASS,
    ],
    holds: {
      flows_percpu: [
        `0a0000010a0000020fa0003500000000=${u64(2)}${u64(64 + 300)}|${z16}`,
        `0a0000010a00000215b301bb01080000=${u64(1)}${u64(64)}|${z16}`,
      ],
      flows_shared: [`0a0000010a0000029c40005001000000=${u64(2)}${u64(128)}`],
      rule_ports: [`00350000=${u64(0x0a + 2 * 64)}|${u64(0x0a)}`],
    },
  },
  {
    file: 'lb_stats.bpf.c',
    what: "katran's per-VIP stats, new-connection rate counter and LRU connection table, xdp-tutorial's datarec",
    prog: 'xdp_lb_stats',
    preload: LB_PRELOAD,
    // The rate counter depends on the clock (its count restarts each second); atime is a timestamp.
    mask: { 'lb_stats:04000000': [[0, 16]], conn_table: [[8, 16]] },
    verdicts: LB_VERDICTS,
    holds: {
      lb_stats: LB_STATS,
      conn_table: LB_CONNS,
    },
  },
  {
    file: 'lb_stats.bpf.c',
    what: "katran's per-CPU LRUs: the running CPU's own LRU taken from an ARRAY_OF_MAPS slot user space filled",
    prog: 'xdp_lb_stats',
    preload: LB_PRELOAD,
    // One LRU per CPU in lru_mapping's slots 0 and 1 (the template's type and sizes, as the kernel
    // requires): the connections land in CPU 0's, conn_table stays empty.
    inner: {
      lru_mapping: ['00000000', '01000000'].map((key) => ({
        key,
        def: { type: 9, keySize: 16, valueSize: 16, maxEntries: 64, flags: 0 },
      })),
    },
    mask: {
      'lb_stats:04000000': [[0, 16]],
      'lru_mapping[00000000]': [[8, 16]],
      'lru_mapping[01000000]': [[8, 16]],
    },
    verdicts: LB_VERDICTS,
    holds: {
      lb_stats: LB_STATS,
      'lru_mapping[00000000]': LB_CONNS,
      conn_table: [],
      'lru_mapping[01000000]': [],
    },
  },
];

for (const c of CASES) {
  for (const tier of ['js', 'wasm'] as const) {
    void test(
      `maps after runs, VM (${tier}) equals kernel: ${c.what} (${c.file})`,
      { skip: probe() },
      async () => {
        await withLab('xlrwm-', (lab) => {
          const obj = compileBpf(fixture(c.file), path.join(lab.tmp, c.file.replace(/\.bpf\.c$/, '.o')));
          const report = compareMapsAfterRuns(lab, c.file.replace(/\W/g, ''), {
            ...c,
            obj,
            frames: FRAMES,
            tier,
          });
          assert.deepEqual(report.diffs, []);
          assert.deepEqual(report.skipped, {}, 'every map of the program was compared');
          assert.deepEqual(report.verdicts, c.verdicts);
          for (const [map, entries] of Object.entries(c.holds)) {
            if (entries.length === 0) assert.deepEqual(report.final[map], [], `${map} is empty`);
            for (const e of entries)
              assert.ok(
                report.final[map]?.includes(e),
                `${map} holds ${e}: ${JSON.stringify(report.final[map])}`,
              );
          }
        });
      },
    );
  }
}
