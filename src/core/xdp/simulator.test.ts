// Unit tests of the redirect simulator's mechanisms, each citing the redirect-semantics.md section
// it checks. Programs are test doubles (test/unit/xdp/programDoubles.ts); maps, devices, queues and
// tracepoints are the real simulator.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatEvent } from '../trace/tracepoints';
import {
  devmap,
  pair,
  pass,
  prog,
  redirect,
  redirectMap,
  simulate,
  system,
  udp,
} from '../../../test/unit/xdp/programDoubles';

// §8 topology: a0⇄a1, b0⇄b1, c0⇄c1, d0⇄d1 with the fresh-netns ifindexes (a1=2, a0=3, b1=4, b0=5 …).
const quad = (extra: Record<string, Record<string, unknown>> = {}) => [
  ...pair('a1', 'a0', extra),
  ...pair('b1', 'b0', extra),
  ...pair('c1', 'c0', extra),
  ...pair('d1', 'd0', extra),
];
const lines = (r: { events: { event: Parameters<typeof formatEvent>[0] }[] }) =>
  r.events.map((e) => formatEvent(e.event));

describe('ifindex redirect (§3.3, §3.4, §4.1)', () => {
  it('§8.1: success reports map_id=INT_MAX, map_index=0, to_ifindex, then devmap_xmit sent=1', () => {
    const r = simulate(
      {
        devices: quad({ a0: { xdp: { program: 'redir' } }, b1: { xdp: { program: 'pass' } } }),
        traffic: [{ from: 'a1', count: 3, frame: udp }],
      },
      { redir: prog('redir', (_b, c) => redirect(c, 5)), pass: pass() },
    );
    const id = r.topology.programs[0]!.id;
    const one = [
      `xdp:xdp_redirect: prog_id=${id} action=REDIRECT ifindex=3 to_ifindex=5 err=0 map_id=2147483647 map_index=0`,
      'xdp:xdp_devmap_xmit: ndo_xdp_xmit from_ifindex=3 to_ifindex=5 action=REDIRECT sent=1 drops=0 err=0',
    ];
    assert.deepEqual(lines(r), [...one, ...one, ...one]);
    assert.equal(r.summary.devices.b1!.xdpRx, 3);
    assert.equal(r.summary.devices.b1!.stack, 3);
  });

  it('§8.2: target whose peer has no XDP → EOPNOTSUPP, no devmap_xmit', () => {
    const r = simulate(
      {
        devices: quad({ a0: { xdp: { program: 'redir' } } }),
        traffic: [{ from: 'a1', count: 2, frame: udp }],
      },
      { redir: prog('redir', (_b, c) => redirect(c, 5)) },
    );
    assert.deepEqual(r.summary.tracepoints, { 'xdp:xdp_redirect_err': 2 });
    assert.deepEqual(r.summary.errno['xdp:xdp_redirect_err'], { EOPNOTSUPP: 2 });
    assert.equal(r.summary.devices.a0!.dropReasons.redirect_error, 2);
  });

  it('§8.4/§8.5/§8.6: ENETDOWN, EMSGSIZE at mtu+18, EINVAL for a missing ifindex', () => {
    const down = simulate(
      {
        devices: quad({ a0: { xdp: { program: 'r' } }, b1: { xdp: { program: 'pass' } }, b0: { up: false } }),
        traffic: [{ from: 'a1', frame: udp }],
      },
      { r: prog('r', (_b, c) => redirect(c, 5)), pass: pass() },
    );
    assert.deepEqual(down.summary.errno['xdp:xdp_redirect_err'], { ENETDOWN: 1 });
    const mtu = simulate(
      {
        devices: quad({ a0: { xdp: { program: 'r' } }, b1: { xdp: { program: 'pass' } }, b0: { mtu: 100 } }),
        traffic: [
          { from: 'a1', frame: { ...udp, length: 118 } },
          { from: 'a1', frame: { ...udp, length: 119 } },
        ],
      },
      { r: prog('r', (_b, c) => redirect(c, 5)), pass: pass() },
    );
    assert.equal(mtu.summary.tracepoints['xdp:xdp_redirect'], 1);
    assert.deepEqual(mtu.summary.errno['xdp:xdp_redirect_err'], { EMSGSIZE: 1 });
    const missing = simulate(
      { devices: quad({ a0: { xdp: { program: 'r' } } }), traffic: [{ from: 'a1', frame: udp }] },
      { r: prog('r', (_b, c) => redirect(c, 99)) },
    );
    assert.match(lines(missing)[0]!, /ifindex=3 to_ifindex=99 err=-22 map_id=2147483647 map_index=0$/);
  });

  it('§8.7: peer has a program but is down → success at step 2, ENXIO at transmit', () => {
    const r = simulate(
      {
        devices: quad({ a0: { xdp: { program: 'r' } }, b1: { xdp: { program: 'pass' }, up: false } }),
        traffic: [{ from: 'a1', count: 2, frame: udp }],
      },
      { r: prog('r', (_b, c) => redirect(c, 5)), pass: pass() },
    );
    assert.equal(r.summary.tracepoints['xdp:xdp_redirect'], 2);
    assert.deepEqual(r.summary.devmapXmit, { sent: 0, drops: 2 });
    assert.deepEqual(r.summary.errno['xdp:xdp_devmap_xmit'], { ENXIO: 2 });
  });

  it('§8.8: GRO on the peer instead of a program makes the veth a target', () => {
    const r = simulate(
      {
        devices: quad({ a0: { xdp: { program: 'r' } }, b1: { gro: true } }),
        traffic: [{ from: 'a1', frame: udp }],
      },
      { r: prog('r', (_b, c) => redirect(c, 5)) },
    );
    assert.equal(r.summary.tracepoints['xdp:xdp_redirect'], 1);
    assert.deepEqual(r.summary.devmapXmit, { sent: 1, drops: 0 });
    assert.equal(r.summary.devices.b1!.stack, 1);
  });
});

describe('verdicts (§3.1)', () => {
  it('§8.9: bpf_redirect with flags → ABORTED → one xdp_exception on the program device', () => {
    const r = simulate(
      { devices: quad({ a0: { xdp: { program: 'r' } } }), traffic: [{ from: 'a1', frame: udp }] },
      { r: prog('r', (_b, c) => redirect(c, 5, 1)) },
    );
    assert.deepEqual(
      lines(r).map((l) => l.replace(/prog_id=\d+/, 'prog_id=P')),
      ['xdp:xdp_exception: prog_id=P action=ABORTED ifindex=3'],
    );
    assert.equal(r.summary.actions.a0!.XDP_ABORTED, 1);
  });

  it('an invalid verdict (7) is an exception with the raw value and a drop', () => {
    const r = simulate(
      { devices: quad({ a0: { xdp: { program: 'r' } } }), traffic: [{ from: 'a1', frame: udp }] },
      { r: prog('r', () => 7) },
    );
    assert.match(lines(r)[0]!, /action=0x7 ifindex=3$/);
    assert.equal(r.summary.devices.a0!.dropReasons.invalid_action, 1);
  });

  it('§8.10: REDIRECT with no helper in a fresh context → EBADRQC map_id=0', () => {
    const r = simulate(
      { devices: quad({ a0: { xdp: { program: 'r' } } }), traffic: [{ from: 'a1', frame: udp }] },
      { r: prog('r', () => 4) },
    );
    assert.match(lines(r)[0]!, /to_ifindex=0 err=-56 map_id=0 map_index=0$/);
  });

  it('§3.1: XDP_TX on veth is bulked and reported by xdp_bulk_tx (peer without NAPI → ENXIO)', () => {
    const r = simulate(
      { devices: quad({ a0: { xdp: { program: 'r' } } }), traffic: [{ from: 'a1', count: 2, frame: udp }] },
      { r: prog('r', () => 3) },
    );
    assert.deepEqual(lines(r), [
      'xdp:xdp_bulk_tx: ifindex=3 action=TX sent=0 drops=1 err=-6',
      'xdp:xdp_bulk_tx: ifindex=3 action=TX sent=0 drops=1 err=-6',
    ]);
  });
});

describe('redirect info lifetime (§1.2, §2.3)', () => {
  it('§8.18: a stale ifindex target is used by a later helper-less REDIRECT in the same context, then EBADRQC', () => {
    const p = prog('r', (_b, c, n) => (n === 0 ? (redirect(c, 5), 1) : 4));
    const r = simulate(
      {
        devices: quad({ a0: { xdp: { program: 'r' } }, b1: { xdp: { program: 'pass' } } }),
        traffic: [{ from: 'a1', count: 3, burst: 3, frame: udp }],
      },
      { r: p, pass: pass() },
    );
    const l = lines(r).filter((x) => x.includes('redirect'));
    assert.match(l[0]!, /xdp_redirect: .*to_ifindex=5 err=0 map_id=2147483647/);
    assert.match(l[1]!, /xdp_redirect_err: .*to_ifindex=0 err=-56 map_id=0 map_index=5$/);
  });

  it('separate polls (burst 1) are separate contexts: no leak', () => {
    const p = prog('r', (_b, c, n) => (n === 0 ? (redirect(c, 5), 1) : 4));
    const r = simulate(
      {
        devices: quad({ a0: { xdp: { program: 'r' } }, b1: { xdp: { program: 'pass' } } }),
        traffic: [{ from: 'a1', count: 2, frame: udp }],
      },
      { r: p, pass: pass() },
    );
    assert.deepEqual(r.summary.errno['xdp:xdp_redirect_err'], { EBADRQC: 1 });
  });

  it('§8.19: a devmap miss keeps the old key, reinterpreted as an ifindex', () => {
    const sys = system();
    const dm = devmap(sys);
    const p = prog('r', (_b, c, n) => (n === 0 ? (redirectMap(c, dm, 3), 1) : (redirectMap(c, dm, 6), 4)));
    const r = simulate(
      {
        devices: quad({ a0: { xdp: { program: 'r' } }, b1: { xdp: { program: 'pass' } } }),
        maps: { tx_port: [{ key: 3, value: 'b0' }] },
        traffic: [{ from: 'a1', count: 3, burst: 3, frame: udp }],
      },
      { r: p, pass: pass() },
      [dm],
    );
    const errs = lines(r).filter((x) => x.includes('redirect_err'));
    assert.equal(errs.length, 2);
    for (const e of errs) assert.match(e, /to_ifindex=3 err=-95 map_id=2147483647 map_index=0$/);
  });
});

describe('device bulk queue (§4.1)', () => {
  it('flushes at 16 and at the end of the poll; the 17th frame transmits before its own redirect event', () => {
    const r = simulate(
      {
        devices: quad({ a0: { xdp: { program: 'r' } }, b1: { xdp: { program: 'pass' } } }),
        traffic: [{ from: 'a1', count: 20, burst: 20, frame: udp }],
      },
      { r: prog('r', (_b, c) => redirect(c, 5)), pass: pass() },
    );
    const l = lines(r);
    const xmits = l.filter((x) => x.includes('devmap_xmit'));
    assert.deepEqual(
      xmits.map((x) => /sent=(\d+)/.exec(x)![1]),
      ['16', '4'],
    );
    assert.ok(l.indexOf(xmits[0]!) === 16, 'the full-queue transmit precedes the 17th xdp_redirect');
    assert.equal(r.summary.devices.b1!.xdpRx, 20);
  });

  it('§8.22: the first frame of a cycle fixes the egress program for the whole queue', () => {
    const sys = system();
    const dm = devmap(sys);
    const drop = prog('egress', () => 1, { attach: 'devmap' });
    const run = (firstKey: number) => {
      const p = prog('r', (_b, c, n) => redirectMap(c, dm, n % 2 === 0 ? firstKey : 5 - firstKey));
      return simulate(
        {
          devices: quad({ a0: { xdp: { program: 'r' } }, b1: { xdp: { program: 'pass' } } }),
          maps: {
            tx_port: [
              { key: 2, value: { ifindex: 'b0', program: 'egress' } },
              { key: 3, value: 'b0' },
            ],
          },
          traffic: [{ from: 'a1', count: 6, burst: 6, frame: udp }],
        },
        { r: p, pass: pass(), egress: drop },
        [dm],
      );
    };
    assert.deepEqual(run(3).summary.devmapXmit, { sent: 6, drops: 0 });
    assert.deepEqual(run(2).summary.devmapXmit, { sent: 0, drops: 6 });
  });

  it('§8.16: the peer ring holds 256 frames; later transmits in the same poll are refused with err=0', () => {
    const sys = system();
    const dm = devmap(sys);
    // One NAPI poll of 200 frames on a NIC (a veth poll would stop at 64 and let the peer drain).
    const r = simulate(
      {
        devices: [
          ...quad({ b1: { xdp: { program: 'pass' } } }),
          { name: 'eth0', kind: 'nic', xdp: { program: 'r' } },
        ],
        maps: {
          tx_port: [
            { key: 1, value: 'b0' },
            { key: 2, value: 'b0' },
          ],
        },
        traffic: [{ rx: 'eth0', count: 200, burst: 200, frame: udp }],
      },
      { r: prog('r', (_b, c) => redirectMap(c, dm, 1, 8)), pass: pass() },
      [dm],
    );
    assert.equal(r.summary.tracepoints['xdp:xdp_redirect'], 200);
    assert.deepEqual(r.summary.devmapXmit, { sent: 256, drops: 144 });
    assert.equal(r.summary.errno['xdp:xdp_devmap_xmit'], undefined);
  });
});

describe("a sender's burst through veth_xmit (§1.4)", () => {
  // a1 sends; a0 is its peer with a native program (frames reach a0's ring and NAPI).
  const sent = (extra: Record<string, Record<string, unknown>>, length: number) => {
    const p = prog('p', () => 2);
    const r = simulate(
      {
        devices: quad({ a0: { xdp: { program: 'p' } }, ...extra }),
        traffic: [{ from: 'a1', count: 5, burst: 5, frame: { ...udp, length } }],
      },
      { p },
    );
    return { r, runs: p.runs };
  };

  it('frames that fit both MTUs reach the peer, in one poll of the whole burst', () => {
    const { r, runs } = sent({}, 100);
    assert.equal(runs, 5);
    assert.equal(r.summary.devices.a1!.txFrames, 5);
    assert.equal(r.summary.devices.a0!.stack, 5);
    assert.deepEqual(
      r.timeline.filter((s) => s.k === 'poll').map((s) => s.k === 'poll' && s.frames),
      [5],
    );
  });

  it("longer than the sender's MTU: tx_mtu on the sender; longer than the peer's: peer_mtu", () => {
    const tx = sent({ a1: { mtu: 100 } }, 200);
    assert.equal(tx.runs, 0);
    assert.equal(tx.r.summary.devices.a1!.dropReasons.tx_mtu, 5);
    const peer = sent({ a0: { mtu: 100, xdp: { program: 'p' } } }, 200);
    assert.equal(peer.runs, 0);
    assert.equal(peer.r.summary.devices.a1!.dropReasons.peer_mtu, 5);
    assert.equal(peer.r.summary.devices.a1!.txFrames, 0);
  });

  it('a peer that is down drops at the sender (peer_down); a sender that is down, device_down', () => {
    assert.equal(
      sent({ a0: { up: false, xdp: { program: 'p' } } }, 100).r.summary.devices.a1!.dropReasons.peer_down,
      5,
    );
    assert.equal(sent({ a1: { up: false } }, 100).r.summary.devices.a1!.dropReasons.device_down, 5);
  });
});
