// The visualizer draws what the simulator computed: the view model built from a real simulation
// (the simulator and real maps; only the XDP program is a test double, as in the simulator's own
// unit tests) has the summary's counters, every drop with its errno, edges that add up, a timeline
// whose frames end where the summary says, and it passes the snapshot schema and lays out.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import ELK from 'elkjs/lib/elk.bundled.js';
import { parseScenario } from '../../src/core/scenario/scenarioParse';
import { simulationToViewModel } from '../../src/protocol/visualizerFromSimulation';
import { nodeId, visModel } from '../../src/protocol/visualizer';
import { headlineCounters } from '../../src/webview/visualizer/counters';
import { buildGraph } from '../../src/webview/visualizer/graphModel';
import { layoutGraph } from '../../src/webview/visualizer/layout';
import { frameJourneys } from '../../src/webview/visualizer/timeline';
import { devmap, pair, pass, prog, redirectMap, simulate, system } from './xdp/programDoubles';

const udp = { udp: { dst: '10.0.0.2', dport: 8 } };

/** The example's shape: a0→r1 runs redir, tx_port[0] = r2 (peer c0 runs pass), [1] = r3 (peer d0 has no XDP). */
function run(maxSteps?: number) {
  const sys = system(2);
  const txPort = devmap(sys, 'tx_port', 8);
  const json = {
    cpus: 2,
    devices: [
      ...pair('a0', 'r1', { r1: { xdp: { program: 'redir' } } }),
      ...pair('r2', 'c0', { c0: { xdp: { program: 'pass' } } }),
      ...pair('r3', 'd0'),
    ],
    maps: {
      tx_port: [
        { key: 0, value: 'r2' },
        { key: 1, value: 'r3' },
      ],
    },
    traffic: [
      { from: 'a0', count: 40, burst: 20, frame: udp },
      { from: 'a0', count: 9, frame: { udp: { dst: '10.0.0.3', dport: 9 } } },
    ],
  };
  // Frames of the first traffic entry go to key 0, the others to key 1 (by destination port).
  const redir = prog('redir', (b, c) => redirectMap(c, txPort, b.bytes[b.data + 37] === 8 ? 0 : 1));
  const result = simulate(
    json,
    { redir, pass: pass() },
    [txPort],
    maxSteps === undefined ? {} : { maxSteps },
  );
  const scenario = parseScenario({
    version: 1,
    ...json,
    programs: [
      { name: 'redir', file: 't.o', function: 'redir' },
      { name: 'pass', file: 't.o', function: 'pass' },
    ],
  });
  const model = simulationToViewModel({
    result,
    scenario,
    rawTraffic: json.traffic,
    title: 'redirect',
    scenarioPath: '/ws/redirect.xdpscenario.json',
    programSources: new Map([['redir', { file: '/ws/redirect.bpf.c', line: 24 }]]),
  });
  return { result, model };
}

void test('the view model’s counters equal the simulation summary', () => {
  const { result, model } = run();
  const s = result.summary;
  assert.equal(visModel.check(model, 'model'), undefined);
  // The numbers the panel's header shows (and the e2e test reads from the DOM).
  const c = new Map(headlineCounters(model).map((x) => [x.key, x.value]));
  assert.equal(c.get('tracepoints.xdp:xdp_redirect'), s.tracepoints['xdp:xdp_redirect'] ?? 0);
  assert.equal(c.get('tracepoints.xdp:xdp_redirect_err'), s.tracepoints['xdp:xdp_redirect_err'] ?? 0);
  assert.equal(c.get('devmapXmit.sent'), s.devmapXmit.sent);
  assert.equal(c.get('devmapXmit.drops'), s.devmapXmit.drops);
  assert.equal(c.get('frames.injected'), 49);
  // The scenario's facts, as the simulator computed them.
  assert.equal(s.tracepoints['xdp:xdp_redirect'], 40);
  assert.deepEqual(s.errno['xdp:xdp_redirect_err'], { EOPNOTSUPP: 9 });
  for (const d of model.devices) {
    const sd = s.devices[d.name];
    assert.ok(sd, d.name);
    assert.deepEqual(
      d.counters,
      { rxFrames: sd.rxFrames, xdpRx: sd.xdpRx, stack: sd.stack, drops: sd.drops, txFrames: sd.txFrames },
      d.name,
    );
  }
  // Drops: one row, the errno table's key, at the rx device, linking to the program's source.
  assert.deepEqual(
    model.drops.map((d) => [d.device, d.errno, d.count, d.source?.line]),
    [['r1', 'EOPNOTSUPP', 9, 24]],
  );
});

void test('edges add up: through each map entry to its target, drops in red with their errno', () => {
  const { result, model } = run();
  const sum = (pred: (f: (typeof model.flows)[number]) => boolean): number =>
    model.flows.filter(pred).reduce((n, f) => n + f.frames, 0);
  assert.equal(
    sum((f) => f.from === nodeId.program('r1') && f.to === nodeId.mapEntry('tx_port', 0)),
    40,
  );
  assert.equal(
    sum((f) => f.from === nodeId.program('r1') && f.to === nodeId.mapEntry('tx_port', 1)),
    9,
  );
  assert.equal(
    sum((f) => f.from === nodeId.mapEntry('tx_port', 0) && f.to === nodeId.device('r2')),
    40,
  );
  assert.equal(
    sum((f) => f.to === nodeId.drop('r1', 'EOPNOTSUPP') && f.errno === 'EOPNOTSUPP'),
    9,
  );
  assert.equal(
    sum((f) => f.from === nodeId.device('r2') && f.to === nodeId.device('c0')),
    result.summary.devices.r2?.txFrames,
  );
  assert.equal(
    sum((f) => f.to === nodeId.stack('c0')),
    result.summary.devices.c0?.stack,
  );
  const g = buildGraph(model);
  assert.ok(g.nodes.some((n) => n.id === nodeId.drop('r1', 'EOPNOTSUPP') && n.danger));
});

void test('the timeline shows the three steps: queues fill to 16, flush at the end of the poll, frames end at c0’s stack', () => {
  const { model } = run();
  const fills = model.timeline.filter((e) => e.k === 'enqueue').map((e) => (e.k === 'enqueue' ? e.fill : 0));
  assert.equal(Math.max(...fills), 16, 'a device bulk queue holds 16 (§4.1)');
  const xmits = model.timeline.filter((e) => e.k === 'xmit');
  // 20-frame polls: a full queue of 16 is sent at the 17th enqueue, the last 4 at the flush (§4.1 example).
  assert.deepEqual(
    xmits.map((e) => (e.k === 'xmit' ? `${e.sent}${e.flush ? 'F' : ''}` : '')),
    ['16', '4F', '16', '4F'],
  );
  assert.ok(model.timeline.some((e) => e.k === 'flush' && e.device === 'r1'));
  const j = frameJourneys(model.timeline);
  const delivered = [...j.values()].filter((f) => f.fate === 'delivered');
  const dropped = [...j.values()].filter((f) => f.fate === 'dropped');
  assert.equal(delivered.length, 40);
  assert.ok(delivered.every((f) => f.where === 'c0 stack'));
  assert.equal(dropped.length, 9);
  assert.ok(dropped.every((f) => f.errno === 'EOPNOTSUPP'));
});

void test('a truncated timeline keeps the counts exact (summary flows stand in for map entries)', async () => {
  const { result, model } = run(10);
  assert.equal(model.timelineTruncated, true);
  assert.ok(model.timeline.length <= 10);
  assert.equal(visModel.check(model, 'model'), undefined);
  const intoDrop = model.flows.filter((f) => f.errno === 'EOPNOTSUPP').reduce((n, f) => n + f.frames, 0);
  assert.equal(intoDrop, result.summary.errno['xdp:xdp_redirect_err']?.EOPNOTSUPP);
  assert.equal(
    model.drops.reduce((n, d) => n + d.count, 0),
    9,
  );
  const layout = await layoutGraph(buildGraph(model), new ELK());
  assert.ok(layout.width > 0 && layout.height > 0);
});
