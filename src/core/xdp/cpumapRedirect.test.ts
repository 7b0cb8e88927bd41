// CPUMAP (§4.2 bulk queue of 8 and ptr_ring of qsize, §3.5 the kthread and its program).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatEvent } from '../trace/tracepoints';
import {
  cpumap,
  pair,
  pass,
  prog,
  redirect,
  redirectMap,
  simulate,
  system,
  udp,
} from '../../../test/unit/xdp/programDoubles';

const enqueues = (r: ReturnType<typeof simulate>): string[] =>
  r.events
    .filter((e) => e.event.name === 'xdp:xdp_cpumap_enqueue')
    .map((e) => formatEvent(e.event).replace(/.*processed=(\d+) drops=(\d+).*/, '$1/$2'));

function cpumapRun(qsize: number, cpumapProg?: ReturnType<typeof prog>) {
  const sys = system();
  const cm = cpumap(sys, 'cpu_map', 2, 8);
  return simulate(
    {
      cpus: 2,
      devices: [
        { name: 'eth0', kind: 'nic', xdp: { program: 'r' } },
        ...pair('b1', 'b0', { b1: { xdp: { program: 'pass' } } }),
      ],
      maps: { cpu_map: [{ key: 0, value: { qsize, ...(cpumapProg ? { program: 'cp' } : {}) } }] },
      traffic: [{ rx: 'eth0', count: 20, burst: 20, frame: udp }],
    },
    {
      r: prog('r', (_b, c) => redirectMap(c, cm, 0)),
      pass: pass(),
      ...(cpumapProg ? { cp: cpumapProg } : {}),
    },
    [cm],
  );
}

describe('cpumap (§4.2)', () => {
  it('§8.25: 20 frames in one poll → enqueue 8/0, 8/0, 4/0 and the kthread processes 20', () => {
    const r = cpumapRun(64);
    assert.deepEqual(enqueues(r), ['8/0', '8/0', '4/0']);
    assert.equal(r.summary.tracepoints['xdp:xdp_redirect'], 20);
    assert.deepEqual(r.summary.cpumap.kthread, { processed: 20, drops: 0 });
    assert.equal(r.summary.devices.eth0!.stack, 20, 'passed frames reach the stack of their rx device');
  });

  it('§8.26: a ring of 4 keeps 4; losses show only in xdp_cpumap_enqueue.drops (redirects still err=0)', () => {
    const r = cpumapRun(4);
    assert.deepEqual(enqueues(r), ['8/4', '8/8', '4/4']);
    assert.equal(r.summary.tracepoints['xdp:xdp_redirect'], 20);
    assert.equal(r.summary.tracepoints['xdp:xdp_redirect_err'], undefined);
    assert.equal(r.summary.cpumap.kthread.processed, 4);
  });

  it('§8.27: cpumap program REDIRECT → step 2 from the kthread with the original rx device', () => {
    const cp = prog('cp', (_b, c) => redirect(c, 4), { attach: 'cpumap' }); // b0
    const r = cpumapRun(64, cp);
    const redirects = r.events.filter(
      (e) =>
        e.event.name === 'xdp:xdp_redirect' &&
        e.event.prog_id === r.topology.programs.find((p) => p.name === 'cp')!.id,
    );
    assert.equal(redirects.length, 20);
    assert.match(formatEvent(redirects[0]!.event), /ifindex=2 to_ifindex=4 err=0 map_id=2147483647/);
    const kt = r.events
      .filter((e) => e.event.name === 'xdp:xdp_cpumap_kthread')
      .map((e) => e.event as { xdp_redirect: number });
    assert.equal(
      kt.reduce((n, e) => n + e.xdp_redirect, 0),
      20,
    );
    assert.deepEqual(r.summary.devmapXmit, { sent: 20, drops: 0 });
    assert.equal(r.summary.devices.b1!.stack, 20);
  });

  it('§3.5: ABORTED or TX in a cpumap program on frames → xdp_drop, no xdp_exception', () => {
    for (const verdict of [0, 3]) {
      const r = cpumapRun(
        64,
        prog('cp', () => verdict, { attach: 'cpumap' }),
      );
      assert.equal(r.summary.tracepoints['xdp:xdp_exception'], undefined);
      const kt = r.events
        .filter((e) => e.event.name === 'xdp:xdp_cpumap_kthread')
        .map((e) => e.event as { xdp_drop: number });
      assert.equal(
        kt.reduce((n, e) => n + e.xdp_drop, 0),
        20,
      );
    }
  });
});
