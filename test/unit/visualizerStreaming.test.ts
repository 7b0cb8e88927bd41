// A long run in the visualizer streams (issue 6 "while a 1 M-frame simulation streams in"): the
// panel's runner runs the REAL example (clang + the VM + the simulator) in slices, hands the
// extension host's event loop back between them, and reports counts so far as view models that pass
// the protocol's schemas; a cancelled run stops at the next slice.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { runScenarioForView } from '../../src/extension/visualizer/runner';
import { visualizerProtocol as P, type VisModel } from '../../src/protocol/visualizer';
import { countsOfModel } from '../../src/protocol/visualizerFromSimulation';

const root = path.resolve(import.meta.dirname, '../..');
const haveClang = spawnSync('clang', ['--version']).status === 0;
const scenarioPath = path.join(root, 'examples/redirect.xdpscenario.json');
const FRAMES = 300_000;

function run(onProgress: Parameters<typeof runScenarioForView>[0]['onProgress'], signal?: AbortSignal) {
  return runScenarioForView({
    scenarioPath,
    // Traffic entry 0 of the example (UDP to 10.0.0.2:8 → DEVMAP key 0 → r2, sent) made long.
    edits: [{ index: 0, count: FRAMES }],
    maxEvents: 1000,
    clangPath: 'clang',
    includePaths: [],
    clangArgs: [],
    ...(onProgress ? { onProgress } : {}),
    ...(signal ? { signal } : {}),
  });
}

test(
  'a 300 000-frame run reports growing counts between slices and ends with the full model',
  { skip: !haveClang && 'clang is not installed' },
  async () => {
    const reports: { model: VisModel; injected: number; total: number; ticksSoFar: number }[] = [];
    // Something else the host has to do meanwhile: it must get turns during the run, not after it.
    let ticks = 0;
    let ticking = true;
    const tick = (): void => {
      ticks++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const out = await run((model, p) =>
      reports.push({ model, injected: p.framesInjected, total: p.framesTotal, ticksSoFar: ticks }),
    );
    ticking = false;

    assert.ok(reports.length >= 2, `${reports.length} progress reports`);
    assert.ok(reports.at(-1)!.ticksSoFar > reports[0]!.ticksSoFar, 'the event loop ran between slices');
    let lastSent = -1;
    let lastInjected = 0;
    for (const r of reports) {
      assert.equal(r.total, FRAMES + 16, 'entry 0 made long plus entry 1 (16 frames)');
      assert.ok(r.injected > lastInjected);
      lastInjected = r.injected;
      // What the panel sends: the first report as a snapshot, the rest as counts.
      assert.equal(
        P.didSnapshot.params.check({ model: r.model, status: { state: 'running' } }, 'params'),
        undefined,
      );
      assert.equal(P.didUpdate.params.check({ counts: countsOfModel(r.model) }, 'params'), undefined);
      const r2 = r.model.devices.find((d) => d.name === 'r2');
      const r1 = r.model.devices.find((d) => d.name === 'r1');
      assert.ok(r1 && r2);
      assert.equal(r1.counters.xdpRx, r.injected, 'r1 ran its program once per injected frame');
      assert.ok(r2.counters.txFrames >= lastSent && r2.counters.txFrames <= r.injected);
      lastSent = r2.counters.txFrames;
      assert.equal(r.model.timeline.length, 0, 'the timeline comes with the finished run');
    }
    const final = out.model;
    assert.equal(final.devices.find((d) => d.name === 'r1')?.counters.xdpRx, FRAMES + 16);
    assert.equal(final.devices.find((d) => d.name === 'r2')?.counters.txFrames, FRAMES);
    assert.ok(final.timeline.length > 0);
  },
);

test(
  'cancelling a long run stops it at the next slice with an AbortError',
  { skip: !haveClang && 'clang is not installed' },
  async () => {
    const ctl = new AbortController();
    let reports = 0;
    await assert.rejects(
      run(() => {
        reports++;
        ctl.abort();
      }, ctl.signal),
      (e: Error) => e.name === 'AbortError',
    );
    assert.equal(reports, 1);
  },
);
