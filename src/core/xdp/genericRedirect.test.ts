// Generic (skb) mode step 2 (§3.7): no NDO_XMIT check, egress programs per packet, broadcast aborts
// on the first failing destination, cpumap ENOSPC; plus the run-level guarantees (loops, determinism).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  cpumap,
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

const quad = (extra: Record<string, Record<string, unknown>> = {}) => [
  ...pair('a1', 'a0', extra),
  ...pair('b1', 'b0', extra),
  ...pair('c1', 'c0', extra),
  ...pair('d1', 'd0', extra),
];
const lines = eventLines;
const G = (p: string) => ({ xdp: { program: p, mode: 'generic' } });

describe('generic mode (§3.7)', () => {
  it('§8.3: redirect to a veth whose peer has no XDP succeeds and delivers; no devmap_xmit', () => {
    const r = simulate(
      { devices: quad({ a0: G('r') }), traffic: [{ from: 'a1', count: 3, frame: udp }] },
      { r: prog('r', (_b, c) => redirect(c, 5)) },
    );
    assert.deepEqual(r.summary.tracepoints, { 'xdp:xdp_redirect': 3 });
    assert.equal(r.summary.devices.b1!.stack, 3);
  });

  it('§8.23: devmap egress DROP → success event, nothing delivered; ABORTED → exception on the target too', () => {
    const run = (verdict: number) => {
      const sys = system();
      const dm = devmap(sys);
      return simulate(
        {
          devices: quad({ a0: G('r'), b1: G('pass') }),
          maps: { tx_port: [{ key: 1, value: { ifindex: 'b0', program: 'eg' } }] },
          traffic: [{ from: 'a1', frame: udp }],
        },
        {
          r: prog('r', (_b, c) => redirectMap(c, dm, 1)),
          pass: pass(),
          eg: prog('eg', () => verdict, { attach: 'devmap' }),
        },
        [dm],
      );
    };
    const drop = run(1);
    assert.deepEqual(drop.summary.tracepoints, { 'xdp:xdp_redirect': 1 });
    assert.equal(drop.summary.devices.b1!.stack, 0);
    const abort = run(0);
    assert.equal(abort.summary.tracepoints['xdp:xdp_redirect'], 1);
    assert.match(
      lines(abort).find((l) => l.includes('exception'))!,
      /action=ABORTED ifindex=5$/,
    );
  });

  it('§8.24: broadcast aborts at the first failing destination; copies already sent stay sent', () => {
    const run = (down: string) => {
      const sys = system();
      const dm = devmap(sys);
      return simulate(
        {
          devices: quad({ a0: G('r'), b1: G('pass'), c1: G('pass'), d1: G('pass'), [down]: { up: false } }),
          maps: {
            tx_port: [
              { key: 1, value: 'b0' },
              { key: 2, value: 'c0' },
              { key: 3, value: 'd0' },
            ],
          },
          traffic: [{ from: 'a1', frame: udp }],
        },
        { r: prog('r', (_b, c) => redirectMap(c, dm, 0, 8)), pass: pass() },
        [dm],
      );
    };
    const c0down = run('c0');
    assert.match(lines(c0down)[0]!, /xdp_redirect_err: .*to_ifindex=0 err=-100/);
    assert.deepEqual(
      ['b1', 'c1', 'd1'].map((d) => c0down.summary.devices[d]!.stack),
      [1, 0, 0],
    );
    const d0down = run('d0');
    assert.deepEqual(d0down.summary.errno['xdp:xdp_redirect_err'], { ENETDOWN: 1 });
    assert.deepEqual(
      ['b1', 'c1', 'd1'].map((d) => d0down.summary.devices[d]!.stack),
      [1, 1, 0],
    );
    assert.equal(
      d0down.summary.tracepoints['xdp:xdp_devmap_xmit'],
      undefined,
      'generic mode never fires devmap_xmit',
    );
  });

  it('§8.28: generic cpumap: one enqueue event per skb; a full ring is ENOSPC with drops=1', () => {
    const sys = system();
    const cm = cpumap(sys);
    const r = simulate(
      {
        devices: [{ name: 'eth0', kind: 'nic', xdp: { program: 'r', mode: 'generic' } }],
        maps: { cpu_map: [{ key: 0, value: { qsize: 1 } }] },
        traffic: [{ rx: 'eth0', count: 5, burst: 5, frame: udp }],
      },
      { r: prog('r', (_b, c) => redirectMap(c, cm, 0)) },
      [cm],
    );
    assert.equal(r.summary.tracepoints['xdp:xdp_redirect'], 1);
    assert.deepEqual(r.summary.errno['xdp:xdp_redirect_err'], { ENOSPC: 4 });
    assert.deepEqual(r.summary.cpumap.enqueue, { processed: 1, drops: 4 });
    assert.equal(r.summary.cpumap.kthread.processed, 1);
    // The timeline: each skb put straight into the ring (no bulk queue), the ring at 1/1 after the
    // first, the other four ring-full drops; then the kthread takes the one.
    const pushes = r.timeline.filter((s) => s.k === 'xmit');
    assert.deepEqual(
      pushes.map(
        (s) => s.k === 'xmit' && [s.skb, s.sent, s.drops, s.ring?.fill, s.ring?.size, s.frames.length],
      ),
      [
        [true, 1, 0, 1, 1, 1],
        [true, 0, 1, 1, 1, 1],
        [true, 0, 1, 1, 1, 1],
        [true, 0, 1, 1, 1, 1],
        [true, 0, 1, 1, 1, 1],
      ],
    );
    assert.ok(
      r.timeline.every((s) => s.k !== 'enqueue'),
      'no bulk queue in generic mode',
    );
    const k = r.timeline.find((s) => s.k === 'kthread');
    assert.ok(k && k.k === 'kthread' && k.processed === 1);
  });
});

describe('runs', () => {
  it('an XDP_TX ping-pong between two veth ends stops with a warning instead of hanging', () => {
    const r = simulate(
      {
        devices: pair('x', 'y', { x: { xdp: { program: 'tx' } }, y: { xdp: { program: 'tx' } } }),
        traffic: [{ from: 'x', frame: udp }],
      },
      { tx: prog('tx', () => 3) },
      [],
      { maxRunsPerFrame: 50 },
    );
    assert.match(r.summary.warnings.join('\n'), /keep circulating/);
  });

  it('is deterministic: the same scenario gives the same events and summary', () => {
    const once = () => {
      const sys = system();
      const dm = devmap(sys);
      return simulate(
        {
          devices: quad({ a0: { xdp: { program: 'r' } }, b1: { xdp: { program: 'pass' } } }),
          maps: { tx_port: [{ key: 0, value: 'b0' }] },
          traffic: [{ from: 'a1', count: 40, burst: 7, frame: udp }],
        },
        { r: prog('r', (_b, c, n) => redirectMap(c, dm, n % 3)), pass: pass() },
        [dm],
      );
    };
    const a = once();
    const b = once();
    assert.deepEqual(
      lines(a).map((l) => l.replace(/prog_id=\d+/, '')),
      lines(b).map((l) => l.replace(/prog_id=\d+/, '')),
    );
    assert.deepEqual(a.summary.devices, b.summary.devices);
  });
});
