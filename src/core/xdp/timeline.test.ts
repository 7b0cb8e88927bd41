// The timeline the visualizer draws (simulationResult.ts SimStep): the three steps of a redirect in
// run order, within one context, naming the queues and frames.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  devmap,
  pair,
  pass,
  prog,
  redirectMap,
  simulate,
  system,
} from '../../../test/unit/xdp/programDoubles';

describe('timeline (docs/simulator.md "The result model")', () => {
  it('poll → run → enqueue → redirect …, flush → xmit → deliver, then the peer’s poll', () => {
    const sys = system();
    const dm = devmap(sys);
    const r = simulate(
      {
        devices: [
          ...pair('a1', 'a0', { a0: { xdp: { program: 'r' } } }),
          ...pair('b1', 'b0', { b1: { xdp: { program: 'pass' } } }),
        ],
        maps: { tx_port: [{ key: 0, value: 'b0' }] },
        traffic: [{ from: 'a1', count: 2, burst: 2, frame: { udp: {} } }],
      },
      { r: prog('r', (_b, c) => redirectMap(c, dm, 0)), pass: pass() },
      [dm],
    );
    const kinds = r.timeline.map(
      (s) => s.k + ('device' in s ? `:${s.device}` : '') + ('queue' in s ? `:${s.queue}` : ''),
    );
    assert.deepEqual(kinds, [
      'deliver:a1',
      'deliver:a1',
      'poll:a0',
      'run:a0',
      'enqueue:dev:b0@cpu0',
      'redirect:a0',
      'run:a0',
      'enqueue:dev:b0@cpu0',
      'redirect:a0',
      'flush:a0',
      'deliver:b0',
      'deliver:b0',
      'xmit:dev:b0@cpu0',
      'poll:b1',
      'run:b1',
      'deliver:b1',
      'run:b1',
      'deliver:b1',
    ]);
    const contexts = new Set(
      r.timeline.filter((s) => s.k !== 'deliver' || s.device !== 'a1').map((s) => s.context),
    );
    assert.equal(contexts.size, 1, 'one softirq run: the peer’s poll shares the context');
    const run = r.timeline.find((s) => s.k === 'run');
    assert.ok(run && run.k === 'run' && run.redirect?.map === 'tx_port' && run.redirect.mapType === 14);
    assert.equal(r.frames.length, 2);
    assert.match(r.frames[0]!.summary, /UDP/);
  });
});
