// Live-frames BPF_PROG_TEST_RUN traffic (§1.1, §3.1 "Live test-run", §4.1/§4.2 examples, §8.15–
// §8.18, §8.25–§8.26, §8.33): one context per batch, flush after the batch.
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
];
const lines = eventLines;
const sent = (r: ReturnType<typeof simulate>) =>
  lines(r)
    .filter((l) => l.includes('devmap_xmit'))
    .map((l) => Number(/sent=(\d+)/.exec(l)![1]));

function trun(count: number, batch: number, body: Parameters<typeof prog>[1]) {
  return simulate(
    {
      devices: quad({ a0: { xdp: { program: 'r' } }, b1: { xdp: { program: 'pass' } } }),
      traffic: [{ testRun: 'a0', count, batch, frame: udp }],
    },
    { r: prog('r', body), pass: pass() },
  );
}

describe('live test-run traffic', () => {
  it('§8.15: 20 frames in a batch of 64 → devmap_xmit 16, 4; batches of 8 → 8, 8, 4', () => {
    assert.deepEqual(sent(trun(20, 64, (_b, c) => redirect(c, 5))), [16, 4]);
    assert.deepEqual(sent(trun(20, 8, (_b, c) => redirect(c, 5))), [8, 8, 4]);
  });

  it('§8.16: two entries to the same device, 200 frames in one batch → 256 delivered, 144 refused with err=0', () => {
    const sys = system();
    const dm = devmap(sys);
    const r = simulate(
      {
        devices: quad({ a0: { xdp: { program: 'r' } }, b1: { xdp: { program: 'pass' } } }),
        maps: {
          tx_port: [
            { key: 1, value: 'b0' },
            { key: 2, value: 'b0' },
          ],
        },
        traffic: [{ testRun: 'a0', count: 200, batch: 200, frame: udp }],
      },
      { r: prog('r', (_b, c) => redirectMap(c, dm, 1, 8)), pass: pass() },
      [dm],
    );
    assert.equal(r.summary.tracepoints['xdp:xdp_redirect'], 200);
    const s = sent(r);
    assert.equal(s.filter((n) => n === 16).length, 16);
    assert.equal(s.filter((n) => n === 0).length, 9);
    assert.equal(r.summary.devices.b1!.xdpRx, 256);
  });

  it('§8.18: within one batch a stale ifindex target is reused, then EBADRQC with map_index=5', () => {
    const r = trun(3, 64, (_b, c, n) => (n === 0 ? (redirect(c, 5), 1) : 4));
    const l = lines(r).filter((x) => x.includes('redirect'));
    assert.match(l[0]!, /xdp_redirect: .*to_ifindex=5 err=0 map_id=2147483647/);
    assert.match(l[1]!, /xdp_redirect_err: .*err=-56 map_id=0 map_index=5$/);
  });

  it('§8.33: XDP_TX becomes a redirect to the ingress device; ABORTED fires no exception', () => {
    const tx = trun(2, 64, () => 3);
    assert.match(
      lines(tx)[0]!,
      /xdp_redirect_err: .*ifindex=3 to_ifindex=3 err=-95 map_id=2147483647 map_index=0$/,
    );
    const aborted = trun(2, 64, () => 0);
    assert.deepEqual(aborted.events, []);
  });

  it('§8.26: cpumap with a ring of 4 on the batch CPU keeps 4 of 20', () => {
    const sys = system();
    const cm = cpumap(sys);
    const r = simulate(
      {
        devices: quad({ a0: { xdp: { program: 'r' } } }),
        maps: { cpu_map: [{ key: 0, value: { qsize: 4 } }] },
        traffic: [{ testRun: 'a0', count: 20, frame: udp }],
      },
      { r: prog('r', (_b, c) => redirectMap(c, cm, 0)) },
      [cm],
    );
    assert.deepEqual(r.summary.cpumap.enqueue, { processed: 20, drops: 16 });
    assert.equal(r.summary.cpumap.kthread.processed, 4);
  });

  it("a kthread on the call's CPU waits for the whole call; one on another CPU drains between batches", () => {
    // Linux 6.18.44 (kernel tier, rw-cpu-round-robin's program under 3 batches of 8 in one call):
    // to the call's CPU the enqueues are 8/4, 8/8, 8/8 and its kthread processes 4.
    const run = (cpu: number) => {
      const sys = system();
      const cm = cpumap(sys);
      return simulate(
        {
          cpus: 2,
          devices: quad({ a0: { xdp: { program: 'r' } } }),
          maps: { cpu_map: [{ key: cpu, value: { qsize: 4 } }] },
          traffic: [{ testRun: 'a0', count: 24, batch: 8, cpu: 0, frame: udp }],
        },
        { r: prog('r', (_b, c) => redirectMap(c, cm, cpu)) },
        [cm],
      );
    };
    const enqueues = (r: ReturnType<typeof simulate>) =>
      lines(r)
        .filter((l) => l.includes('cpumap_enqueue'))
        .map((l) => `${/processed=(\d+)/.exec(l)![1]}/${/drops=(\d+)/.exec(l)![1]}`);
    const same = run(0);
    assert.deepEqual(enqueues(same), ['8/4', '8/8', '8/8']);
    assert.equal(same.summary.cpumap.kthread.processed, 4);
    const other = run(1);
    assert.deepEqual(enqueues(other), ['8/4', '8/4', '8/4']);
    assert.equal(other.summary.cpumap.kthread.processed, 12);
  });

  it('testRun needs a native program on the device', () => {
    assert.throws(
      () => simulate({ devices: quad(), traffic: [{ testRun: 'a0', frame: udp }] }, {}),
      /\$\.traffic\[0\]\.testRun: 'a0' needs a native XDP program/,
    );
  });
});
