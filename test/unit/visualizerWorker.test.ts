// The visualizer's run in a worker thread (issue 16 goal 5): the worker bundle as it ships
// (esbuild, like dist/simWorker.js), a REAL run of the example in it (clang, VM, simulator), its
// progress, Stop mid-run, the finished run's questions answered across the thread boundary, and
// what a broken worker or a bad scenario gives: a clear message, never a panel left waiting.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as esbuild from 'esbuild';
import { readPcap } from '../../src/core/packet/pcap';
import { runScenarioForView } from '../../src/extension/visualizer/runner';
import {
  hasSpareWorker,
  runScenario,
  type ScenarioRunOptions,
} from '../../src/extension/visualizer/workerRun';
import { visModel, visualizerProtocol as P } from '../../src/protocol/visualizer';
import { snapshotModel } from '../../src/protocol/visualizerTimelinePack';

const root = path.resolve(import.meta.dirname, '../..');
const haveClang = spawnSync('clang', ['--version']).status === 0;
const scenarioPath = path.join(root, 'examples/redirect.xdpscenario.json');
const noClang = !haveClang && 'clang is not installed';

let dir = '';
let workerFile = '';

before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-simworker-'));
  workerFile = path.join(dir, 'simWorker.js');
  // The entry as esbuild.mjs bundles it for the .vsix.
  await esbuild.build({
    entryPoints: [path.join(root, 'src/extension/visualizer/simWorker.ts')],
    outfile: workerFile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'es2022',
    logLevel: 'error',
    define: { XDP_LAB_VERSION: '"test"' },
  });
});
after(() => fs.rmSync(dir, { recursive: true, force: true }));

const options = (over: Partial<ScenarioRunOptions> = {}): ScenarioRunOptions => ({
  scenarioPath,
  maxEvents: 100_000,
  clangPath: 'clang',
  includePaths: [],
  clangArgs: [],
  workerFile,
  ...over,
});

test(
  'the example runs in the worker: the same model as in-process, its questions answered',
  { skip: noClang },
  async () => {
    const logs: string[] = [];
    const run = await runScenario(options({ log: (level, m) => logs.push(`${level}: ${m}`) }));
    try {
      assert.equal(run.where, 'worker', logs.join('\n'));
      assert.equal(run.model.timeline.length, 0, 'the timeline crosses packed, not as objects');
      assert.ok(run.timeline, 'packed timeline');
      // What the panel sends is what the view validates; unpacked, it is the in-process run's model.
      const params = { model: run.model, status: { state: 'ready' as const }, timeline: run.timeline };
      assert.equal(P.didSnapshot.params.check(JSON.parse(JSON.stringify(params)), 'params'), undefined);
      const model = snapshotModel(params);
      if (typeof model === 'string') assert.fail(model);
      assert.equal(visModel.check(model, 'model'), undefined);
      const here = await runScenarioForView(options());
      assert.deepEqual(model, here.model);
      assert.deepEqual([...run.transmitted], [...here.transmitted]);
      assert.deepEqual(run.inputs, here.inputs);

      // The frame stepper, "Debug this frame", the exports: answered by the worker, as in-process.
      const runs = model.timeline.flatMap((e) => (e.k === 'run' ? [e.frame] : []));
      assert.ok(runs.length > 80);
      const trace = await run.trace(runs[0]!);
      assert.ok(trace.ok && trace.steps.length > 0, trace.message);
      assert.deepEqual(trace, here.trace(runs[0]!));
      for (const id of [runs[0]!, runs[41]!, runs.at(-1)!])
        assert.equal(await run.trafficFrameNumber(id), here.trafficFrameNumber(id));
      assert.equal(await run.trafficFrameNumber(1e9), undefined);
      assert.equal(await run.eventsText(), here.eventsText());
      const pcaps = await run.pcaps();
      assert.deepEqual([...pcaps.keys()].sort(), [...here.pcaps.keys()].sort());
      for (const [device, bytes] of pcaps) assert.deepEqual(bytes, here.pcaps.get(device));
      assert.ok(readPcap(pcaps.get('r2')!, 'r2.pcap', { maxFrames: 10_000 }).length > 0);
      // Exported twice: the worker keeps its own copy.
      assert.deepEqual(await run.pcaps(), pcaps);
    } finally {
      run.dispose();
    }
    await assert.rejects(run.trace(1), /let go/);
  },
);

test(
  'a long run streams its counts from the worker while the host thread stays free',
  { skip: noClang },
  async () => {
    const FRAMES = 300_000;
    const reports: { injected: number; ticks: number }[] = [];
    let ticks = 0;
    let ticking = true;
    const tick = (): void => {
      ticks++;
      if (ticking) setImmediate(tick);
    };
    setImmediate(tick);
    const run = await runScenario(
      options({
        edits: [{ index: 0, count: FRAMES }],
        maxEvents: 1000,
        onProgress: (m, p) => {
          assert.equal(
            P.didSnapshot.params.check({ model: m, status: { state: 'running' } }, 'params'),
            undefined,
          );
          assert.equal(p.framesTotal, FRAMES + 16);
          reports.push({ injected: p.framesInjected, ticks });
        },
      }),
    );
    ticking = false;
    run.dispose();
    assert.equal(run.where, 'worker');
    assert.ok(reports.length >= 2, `${reports.length} reports`);
    for (let i = 1; i < reports.length; i++) assert.ok(reports[i]!.injected > reports[i - 1]!.injected);
    assert.ok(reports.at(-1)!.ticks > reports[0]!.ticks, 'the host loop turned between reports');
    assert.equal(run.model.devices.find((d) => d.name === 'r2')?.counters.txFrames, FRAMES);
  },
);

test(
  'Stop mid-run: the run rejects at once with the abort reason; the counts so far came first',
  { skip: noClang },
  async () => {
    const ctl = new AbortController();
    let reports = 0;
    const t0 = Date.now();
    await assert.rejects(
      runScenario(
        options({
          edits: [{ index: 0, count: 5_000_000 }],
          maxEvents: 1000,
          signal: ctl.signal,
          onProgress: () => {
            reports++;
            ctl.abort();
          },
        }),
      ),
      (e: Error) => e.name === 'AbortError',
    );
    assert.equal(reports, 1, 'no progress after Stop');
    // 5 M frames take tens of seconds: stopping did not wait for the run's end.
    assert.ok(Date.now() - t0 < 20_000);
  },
);

test('a bad scenario: the worker says which file and why', async () => {
  const bad = path.join(dir, 'bad.xdpscenario.json');
  fs.writeFileSync(bad, '{ "devices": [ ');
  await assert.rejects(runScenario(options({ scenarioPath: bad })), /bad\.xdpscenario\.json: not JSON/);
  const missing = path.join(dir, 'missing.xdpscenario.json');
  await assert.rejects(runScenario(options({ scenarioPath: missing })), /ENOENT.*missing\.xdpscenario\.json/);
});

/** A worker script of our own making that misbehaves after saying ready. */
function fixtureWorker(name: string, onStart: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(
    file,
    `const { parentPort } = require('node:worker_threads');
parentPort.on('message', (m) => { if (m.kind === 'start') { ${onStart} } });
parentPort.postMessage({ kind: 'ready' });
`,
  );
  return file;
}

test('a worker that throws: the run rejects with its error, it does not hang', async () => {
  const file = fixtureWorker('throws.js', `throw new Error('boom in the worker');`);
  await assert.rejects(
    runScenario(options({ workerFile: file })),
    /the simulation worker failed: boom in the worker/,
  );
});

test('a worker that exits mid-run: reported with its exit code', async () => {
  const file = fixtureWorker(
    'exits.js',
    `parentPort.postMessage({ kind: 'progress', model: {}, framesInjected: 1, framesTotal: 2 }); setTimeout(() => process.exit(3), 10);`,
  );
  let progress = 0;
  await assert.rejects(
    runScenario(options({ workerFile: file, onProgress: () => progress++ })),
    /the simulation worker exited \(code 3\) before the run ended/,
  );
  assert.equal(progress, 1);
});

test(
  'a worker that cannot start: the run is made in-process, the reason logged',
  { skip: noClang },
  async () => {
    const logs: string[] = [];
    const run = await runScenario(
      options({
        workerFile: path.join(dir, 'no-such-worker.js'),
        log: (level, m) => logs.push(`${level}: ${m}`),
      }),
    );
    assert.equal(run.where, 'extension host');
    assert.ok(
      logs.some((l) =>
        /^warn: the simulation runs in the extension host: its worker .*no-such-worker\.js.* did not start: .*Cannot find module/.test(
          l,
        ),
      ),
      logs.join('\n'),
    );
    assert.ok(run.model.timeline.length > 0);
    assert.ok((await run.pcaps()).size > 0);
  },
);

test(
  'a run ends with a worker loaded for the next one, which the next run takes',
  { skip: noClang },
  async () => {
    const first = await runScenario(options());
    first.dispose();
    // The spare starts loading when the run ends (not beside it: 2 cores).
    assert.ok(hasSpareWorker(workerFile), 'a worker is loading for the next run');
    const second = runScenario(options());
    assert.ok(!hasSpareWorker(workerFile), 'the next run took it');
    const run = await second;
    try {
      assert.equal(run.where, 'worker');
      assert.equal(run.model.devices.length, first.model.devices.length);
      assert.match(
        await run.eventsText(),
        /xdp_redirect/,
        'the reused worker answers questions about its run',
      );
    } finally {
      run.dispose();
    }
    assert.ok(hasSpareWorker(workerFile), 'and one is loaded again after it');
  },
);
