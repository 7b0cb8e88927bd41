// DEVMAP / DEVMAP_HASH: broadcast (§3.3), egress programs at flush (§4.1), multi-buffer (§5).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  devmap,
  eventLines,
  pair,
  pass,
  prog,
  redirect,
  redirectMap,
  simulate,
  system,
  udp,
} from '../../../test/unit/xdp/programDoubles';
import { broadcastOrder } from './devmapRedirect';

const quad = (extra: Record<string, Record<string, unknown>> = {}) => [
  ...pair('a1', 'a0', extra),
  ...pair('b1', 'b0', extra),
  ...pair('c1', 'c0', extra),
  ...pair('d1', 'd0', extra),
];
const lines = eventLines;
const PASS3 = {
  a1: { xdp: { program: 'pass' } },
  b1: { xdp: { program: 'pass' } },
  c1: { xdp: { program: 'pass' } },
};

function bcast(
  flags: number,
  key: number,
  entries: Array<{ key: number; value: unknown }>,
  extra: Record<string, Record<string, unknown>> = {},
) {
  const sys = system();
  const dm = devmap(sys);
  return simulate(
    {
      devices: quad({ ...PASS3, a0: { xdp: { program: 'r' } }, ...extra }),
      maps: { tx_port: entries },
      traffic: [{ from: 'a1', frame: udp }],
    },
    { r: prog('r', (_b, c) => redirectMap(c, dm, key, flags)), pass: pass() },
    [dm],
  );
}
const all4 = [
  { key: 0, value: 'a0' },
  { key: 1, value: 'b0' },
  { key: 2, value: 'c0' },
  { key: 3, value: 'd0' },
];
const xmitTargets = (r: ReturnType<typeof simulate>) =>
  lines(r)
    .filter((l) => l.includes('devmap_xmit'))
    .map((l) => Number(/to_ifindex=(\d+)/.exec(l)![1]))
    .sort();

describe('broadcast (§3.3)', () => {
  it('§8.13: every valid entry gets a copy, d0 (peer without XDP) is skipped silently', () => {
    const r = bcast(8, 0, all4);
    assert.match(lines(r)[0]!, /xdp_redirect: .*to_ifindex=3 err=0 map_id=\d+ map_index=0$/);
    assert.deepEqual(xmitTargets(r), [3, 5, 7]);
    for (const d of ['a1', 'b1', 'c1']) assert.equal(r.summary.devices[d]!.stack, 1, d);
  });

  it('§8.13: EXCLUDE_INGRESS skips the receiving device; a missing key reports to_ifindex=0', () => {
    assert.deepEqual(xmitTargets(bcast(24, 0, all4)), [5, 7]);
    const missing = bcast(8, 7, all4);
    assert.match(lines(missing)[0]!, /to_ifindex=0 err=0 map_id=\d+ map_index=7$/);
    assert.deepEqual(xmitTargets(missing), [3, 5, 7]);
  });

  it('§8.13/§8.14: a down member is skipped; an invalid keyed entry still names to_ifindex; an empty map succeeds', () => {
    assert.deepEqual(xmitTargets(bcast(8, 0, all4, { b0: { up: false } })), [3, 7]);
    const invalidKey = bcast(8, 0, [
      { key: 0, value: 'd0' },
      { key: 1, value: 'b0' },
    ]);
    assert.match(lines(invalidKey)[0]!, /to_ifindex=9 err=0/);
    assert.deepEqual(xmitTargets(invalidKey), [5]);
    const empty = bcast(8, 0, []);
    assert.deepEqual(
      lines(empty).map((l) => l.split(':')[1]),
      ['xdp_redirect'],
    );
  });

  it('DEVMAP_HASH walks buckets (key & (n_buckets-1)), newest first in a bucket', () => {
    const entries = [
      { key: 9, ifindex: 1 },
      { key: 1, ifindex: 2 },
      { key: 2, ifindex: 3 },
    ];
    const order = broadcastOrder({ id: 1, type: 25, def: { maxEntries: 8 }, entries: () => entries });
    assert.deepEqual(
      order.map((e) => e.key),
      [1, 9, 2],
    );
  });
});

describe('egress programs (§4.1, §8.21)', () => {
  // 5 frames in one poll (one burst from a1), through a devmap entry with an egress program.
  function egressVeth(verdict: number) {
    const sys = system();
    const dm = devmap(sys);
    const eg = prog('eg', () => verdict, { attach: 'devmap' });
    const r = simulate(
      {
        devices: quad({ a0: { xdp: { program: 'r' } }, b1: { xdp: { program: 'pass' } } }),
        maps: { tx_port: [{ key: 1, value: { ifindex: 'b0', program: 'eg' } }] },
        traffic: [{ from: 'a1', count: 5, burst: 5, frame: udp }],
      },
      { r: prog('r', (_b, c) => redirectMap(c, dm, 1)), pass: pass(), eg },
      [dm],
    );
    return { r, egId: eg.id };
  }

  it('DROP → devmap_xmit sent=0 drops=5 and no exception', () => {
    const { r } = egressVeth(1);
    assert.deepEqual(r.summary.devmapXmit, { sent: 0, drops: 5 });
    assert.equal(r.summary.tracepoints['xdp:xdp_exception'], undefined);
  });

  it('ABORTED → an exception per frame with the egress program id on the target; TX/REDIRECT likewise with their value', () => {
    const { r } = egressVeth(0);
    const exc = lines(r).filter((l) => l.includes('exception'));
    assert.equal(exc.length, 5);
    assert.equal(
      exc[0],
      `xdp:xdp_exception: prog_id=${r.topology.programs.find((p) => p.name === 'eg')!.id} action=ABORTED ifindex=5`,
    );
    assert.match(
      lines(egressVeth(3).r).find((l) => l.includes('exception'))!,
      /action=TX ifindex=5/,
    );
    assert.match(
      lines(egressVeth(4).r).find((l) => l.includes('exception'))!,
      /action=REDIRECT ifindex=5/,
    );
  });

  it('PASS → all 5 sent; the egress program sees egress_ifindex=5 and ingress_ifindex=3', () => {
    const seen: Array<[number, number]> = [];
    const sys = system();
    const dm = devmap(sys);
    const eg = prog('eg', (_b, c) => (seen.push([c.ingressIfindex, c.egressIfindex]), 2), {
      attach: 'devmap',
    });
    const r = simulate(
      {
        devices: quad({ a0: { xdp: { program: 'r' } }, b1: { xdp: { program: 'pass' } } }),
        maps: { tx_port: [{ key: 1, value: { ifindex: 'b0', program: 'eg' } }] },
        traffic: [{ from: 'a1', count: 5, burst: 5, frame: udp }],
      },
      { r: prog('r', (_b, c) => redirectMap(c, dm, 1)), pass: pass(), eg },
      [dm],
    );
    assert.deepEqual(r.summary.devmapXmit, { sent: 5, drops: 0 });
    assert.deepEqual(seen[0], [3, 5]);
  });
});

describe('multi-buffer frames (§5, §8.31)', () => {
  const big = { udp: { dst: '10.0.0.2' }, length: 5000 };
  it('a non-frags native program on a veth whose peer MTU > 3506 is refused (ERANGE) and runs nothing', () => {
    const r = simulate(
      {
        devices: quad({ a0: { xdp: { program: 'r' } }, a1: { mtu: 9000 } }),
        traffic: [{ from: 'a1', frame: udp }],
      },
      { r: prog('r', () => 1) },
    );
    assert.match(r.summary.warnings[0]!, /ERANGE/);
    assert.equal(r.summary.devices.a0!.xdpRx, 0);
    assert.equal(r.topology.devices.find((d) => d.name === 'a0')!.xdp!.attachError!.errno, 'ERANGE');
  });

  it('a frags program sees 3520 linear bytes of a 5000-byte frame; redirect succeeds, EMSGSIZE with a 1500 target', () => {
    let linear = 0;
    const r = (b0Mtu: number) =>
      simulate(
        {
          devices: quad({
            a0: { xdp: { program: 'r' }, mtu: 9000 },
            a1: { mtu: 9000 },
            b0: { mtu: b0Mtu },
            b1: { mtu: 9000, xdp: { program: 'fp' } },
          }),
          traffic: [{ from: 'a1', frame: big }],
        },
        {
          r: prog('r', (b, c) => ((linear = b.dataEnd - b.data), redirect(c, 5)), { frags: true }),
          fp: prog('fp', () => 2, { frags: true }),
        },
      );
    const ok = r(9000);
    assert.equal(linear, 3520);
    assert.deepEqual(ok.summary.devmapXmit, { sent: 1, drops: 0 });
    assert.deepEqual(r(1500).summary.errno['xdp:xdp_redirect_err'], { EMSGSIZE: 1 });
  });
});
