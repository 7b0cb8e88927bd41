// Redirect-map misses in the visualizer (issue 13 item 8): a real simulation of a real object
// (test/fixtures/programs/redirects.bpf.c: port 2 looks up devs[3], an empty slot, falling back to
// XDP_PASS) through the view model into the pure views. The timeline's run event, the graph's device
// (a warning line and class), the Drops tab's card and label and the headline counter all say it in
// core's words (core/xdp/redirectMiss.ts), the ones the Run result panel uses.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { CoreHost } from '../../src/core/host';
import { loadScenario } from '../../src/core/scenario/scenarioLoad';
import { explainRedirectMiss, redirectMissText } from '../../src/core/xdp/redirectMiss';
import { Simulation } from '../../src/core/xdp/simulation';
import { visCounts, visModel, type VisModel } from '../../src/protocol/visualizer';
import { countsOfModel, simulationToViewModel } from '../../src/protocol/visualizerFromSimulation';
import { headlineCounters } from '../../src/webview/visualizer/counters';
import { dropsView } from '../../src/webview/visualizer/dropsView';
import { buildGraph } from '../../src/webview/visualizer/graphModel';
import { tabsView } from '../../src/webview/visualizer/panelTabs';
import { TimelineIndex } from '../../src/webview/visualizer/timeline';
import { describeEvent, timelineView } from '../../src/webview/visualizer/timelineView';
import { findAll, textOf } from '../../src/webview/visualizer/vnode';

const objDir = path.resolve(import.meta.dirname, '../fixtures/programs/obj');
const host: CoreHost = {
  nowNs: () => 0n,
  log: () => undefined,
  readFile: async (p) => new Uint8Array(await fs.promises.readFile(p)),
  resolvePath: (base, rel) => path.resolve(path.dirname(base), rel),
};
const raw = {
  version: 1,
  programs: [{ name: 'redir', file: 'redirects.bpf.o', function: 'xdp_redirects' }],
  devices: [
    { name: 'a0', kind: 'veth', peer: 'r1' },
    { name: 'r1', kind: 'veth', peer: 'a0', xdp: { program: 'redir' } },
    { name: 'r2', kind: 'veth', peer: 'c0' },
    { name: 'c0', kind: 'veth', peer: 'r2', gro: true },
  ],
  maps: { devs: [{ key: 0, value: 'r2' }] },
  traffic: [
    { from: 'a0', count: 3, frame: { udp: { dport: 1 } } },
    { from: 'a0', count: 16, frame: { udp: { dport: 2 } } },
  ],
};
const words = redirectMissText({ mapType: 'DEVMAP', map: 'devs', key: 3, fallback: 2 });

async function model(maxSteps = 10_000): Promise<VisModel> {
  const input = await loadScenario(path.join(objDir, 'x.xdpscenario.json'), JSON.stringify(raw), { host });
  const result = new Simulation(input, { maxSteps }).run();
  return simulationToViewModel({
    result,
    scenario: input.scenario,
    rawTraffic: raw.traffic,
    title: 'miss',
    programSources: new Map([['redir', { file: '/ws/redirects.bpf.c', line: 27, redirectLine: 48 }]]),
  });
}

void test('the view model carries the misses in core’s words and passes the snapshot schema', async () => {
  const m = await model();
  assert.equal(visModel.check(m, 'model'), undefined);
  assert.equal(visCounts.check(countsOfModel(m), 'counts'), undefined);
  assert.equal(words, 'DEVMAP devs key 3 not found → XDP_PASS (flags)');
  assert.deepEqual(
    m.misses?.rows.map((r) => [r.device, r.program, r.text, r.count, r.source?.line]),
    [['r1', 'redir', words, 16, 48]],
  );
  assert.equal(m.misses?.frames, 16);
  assert.equal(countsOfModel(m).misses, m.misses, 'streamed counts carry them too');
  const runs = m.timeline.filter((e) => e.k === 'run' && e.miss);
  assert.equal(runs.length, 16);
  const ev = runs[0]!;
  assert.ok(ev.k === 'run' && ev.miss);
  assert.equal(ev.miss.text, words);
  assert.equal(
    `${ev.miss.text} — ${ev.miss.why}`,
    explainRedirectMiss({ mapType: 'DEVMAP', map: 'devs', key: 3, fallback: 2 }),
  );
  assert.match(
    describeEvent(ev),
    /redir\(\) returned XDP_PASS — DEVMAP devs key 3 not found → XDP_PASS \(flags\)$/,
  );
});

void test('the graph marks the device, the Drops tab shows the card, the timeline the event', async () => {
  const m = await model();
  const r1 = buildGraph(m).nodes.find((n) => n.id === 'dev:r1');
  assert.equal(r1?.warn, true);
  assert.equal(r1?.program?.warn, '⚠ 16 redirect-map misses');
  assert.match(r1?.aria ?? '', /16 frames: DEVMAP devs key 3 not found → XDP_PASS \(flags\)/);
  assert.equal(buildGraph(m).nodes.find((n) => n.id === 'dev:c0')?.warn, undefined);

  const drops = dropsView(m);
  const card = findAll(drops, (n) => n.attrs['data-misses'] !== undefined)[0];
  assert.ok(card, 'a misses card');
  assert.match(textOf(card), /⚠ 16 frames not redirected: redirect-map misses/);
  assert.match(textOf(card), new RegExp(words.replace(/[()]/g, '\\$&')));
  assert.match(textOf(card), /fill key 3 of devs/);
  assert.ok(findAll(card, (n) => n.attrs['data-line'] === 48).length, 'a link to the bpf_redirect_map line');
  assert.match(textOf(drops), /No drops/, 'a fallback to XDP_PASS is no drop');
  assert.match(textOf(tabsView(m, 'drops')), /Drops · ⚠ 16 missed/);

  const t = m.timeline.findIndex((e) => e.k === 'run' && !!e.miss);
  const view = timelineView(m, new TimelineIndex(m.timeline, m.cpus).stateAt(t), t);
  assert.ok(
    findAll(view, (n) => /\bmiss\b/.test(String(n.attrs.class ?? ''))).length,
    'the event in warning colour',
  );
  assert.match(textOf(view), /⚠ 16 redirect-map misses in these events/);
  assert.match(textOf(view), new RegExp(words.replace(/[()]/g, '\\$&')));

  const counters = new Map(headlineCounters(m).map((c) => [c.key, c.value]));
  assert.equal(counters.get('redirectMisses.frames'), 16);
});

void test('without a timeline (counts only) the misses are still counted and shown', async () => {
  const m = await model(0);
  assert.equal(m.timeline.length, 0);
  assert.equal(m.misses?.frames, 16);
  assert.match(textOf(dropsView(m)), /16 frames not redirected/);
});
