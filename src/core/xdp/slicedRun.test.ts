// Simulation.runInSlices: the run a long simulation makes in an editor or a page — same result as
// run(), the thread handed back between slices, counts so far reported at each pause, cancellable.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  devmap,
  eventLines,
  pair,
  pass,
  prog,
  redirectMap,
  simulation,
  system,
} from '../../../test/unit/xdp/programDoubles';
import type { SimulationProgress } from './simulation';

/**
 * 20 000 frames from a1 to a0, whose program redirects even frames to b0 (whose peer runs a
 * program: sent) and odd frames to c0 (whose peer has neither a program nor GRO: EOPNOTSUPP, §4.2).
 */
function build(frames = 20_000): ReturnType<typeof simulation> {
  const sys = system();
  const dm = devmap(sys);
  return simulation(
    {
      devices: [
        ...pair('a1', 'a0', { a0: { xdp: { program: 'r' } } }),
        ...pair('b1', 'b0', { b1: { xdp: { program: 'pass' } } }),
        ...pair('c1', 'c0'),
      ],
      maps: {
        tx_port: [
          { key: 0, value: 'b0' },
          { key: 1, value: 'c0' },
        ],
      },
      traffic: [{ from: 'a1', count: frames, burst: 64, frame: { udp: {} } }],
    },
    { r: prog('r', (_b, c, n) => redirectMap(c, dm, n & 1)), pass: pass() },
    [dm],
    { maxSteps: 0, maxEvents: 1_000_000 },
  );
}

/** Each build makes new program doubles (new ids): number the ids by first appearance. */
function sameIds(lines: string[]): string[] {
  const ids = new Map<string, number>();
  return lines.map((l) =>
    l.replace(/prog_id=(\d+)/, (_m, id: string) => {
      if (!ids.has(id)) ids.set(id, ids.size);
      return `prog_id=#${ids.get(id)}`;
    }),
  );
}

/** A clock that moves 1 ms each time it is read (read every 16 bursts): a 1 ms slice is 16 bursts. */
function fakeClock(): () => number {
  let t = 0;
  return () => ++t;
}

describe('Simulation.runInSlices', () => {
  it('gives the same summary and events as run(), pausing between slices with the counts so far', async () => {
    const whole = build().run();
    const progress: SimulationProgress[] = [];
    let pauses = 0;
    const sliced = await build().runInSlices({
      sliceMs: 1,
      now: fakeClock(),
      pause: () => {
        pauses++;
        return Promise.resolve();
      },
      onProgress: (p) => progress.push(p),
    });
    assert.deepEqual(sliced.summary, whole.summary);
    assert.deepEqual(sameIds(eventLines(sliced)), sameIds(eventLines(whole)));

    assert.ok(progress.length >= 10, `${progress.length} progress reports for 20 000 frames`);
    assert.equal(pauses, progress.length, 'one pause after each report');
    let last = 0;
    for (const p of progress) {
      assert.equal(p.framesTotal, 20_000);
      assert.ok(p.framesInjected > last && p.framesInjected < 20_000, `${p.framesInjected} after ${last}`);
      last = p.framesInjected;
      const s = p.partial.summary;
      // Each injected frame ran a0's program once (verdicts folded into the copy) and half failed.
      assert.equal(s.actions.a0?.XDP_REDIRECT, p.framesInjected);
      assert.equal(s.tracepoints['xdp:xdp_redirect_err'], p.framesInjected / 2);
      assert.equal(s.errno['xdp:xdp_redirect_err']?.EOPNOTSUPP, p.framesInjected / 2);
      assert.ok(
        (s.devices.b0?.txFrames ?? 0) <= p.framesInjected / 2,
        'b0 sent no more than was redirected to it',
      );
      assert.deepEqual(p.partial.events, [], 'events belong to the finished run');
    }
    // The reports are copies: the run went on after each one.
    assert.ok((progress[0]?.partial.summary.actions.a0?.XDP_REDIRECT ?? 0) < 20_000);
    assert.equal(whole.summary.actions.a0?.XDP_REDIRECT, 20_000);
  });

  it('a run shorter than a slice reports nothing and never pauses', async () => {
    let pauses = 0;
    let reports = 0;
    const r = await build(64).runInSlices({
      now: () => 0,
      pause: () => {
        pauses++;
        return Promise.resolve();
      },
      onProgress: () => reports++,
    });
    assert.equal(r.summary.actions.a0?.XDP_REDIRECT, 64);
    assert.equal(pauses + reports, 0);
  });

  it('stops at the next pause once the signal is aborted, with an AbortError', async () => {
    const signal = { aborted: false };
    let reports = 0;
    await assert.rejects(
      build().runInSlices({
        sliceMs: 1,
        now: fakeClock(),
        pause: () => Promise.resolve(),
        signal,
        onProgress: () => {
          reports++;
          signal.aborted = true;
        },
      }),
      (e: Error) => e.name === 'AbortError' && /cancelled/.test(e.message),
    );
    assert.equal(reports, 1, 'no report after the cancel');
  });

  it('counts the frames of every traffic entry', () => {
    assert.equal(build(1234).framesTotal(), 1234);
  });
});
