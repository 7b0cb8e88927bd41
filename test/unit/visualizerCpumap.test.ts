// The cpumap side of the timeline (redirect-semantics.md §4.2), drawn from the REAL simulator: each
// entry's per-CPU bulk queue filling to 8, its pushes into the entry's ptr_ring (fill out of qsize,
// ring-full drops), and the kthread's batches of at most 8 with the cpumap program's verdicts.
// Only the XDP programs are test doubles (as in the simulator's own unit tests).
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { parseScenario } from '../../src/core/scenario/scenarioParse';
import type { SimulationResult } from '../../src/core/xdp/simulationResult';
import { visModel, type VisEvent, type VisModel } from '../../src/protocol/visualizer';
import { simulationToViewModel } from '../../src/protocol/visualizerFromSimulation';
import { TimelineIndex, type CpuState } from '../../src/webview/visualizer/timeline';
import { describeEvent, timelineView } from '../../src/webview/visualizer/timelineView';
import { findAll, textOf, toXml } from '../../src/webview/visualizer/vnode';
import {
  buildVisualizerSite,
  haveChromium,
  launchChromium,
  openVisualizerPage,
  sendSnapshot,
  waitForGraph,
  type VisualizerPageSite,
} from './visualizerPage';
import { cpumap, pair, pass, prog, redirect, redirectMap, simulate, system } from './xdp/programDoubles';

const root = path.resolve(import.meta.dirname, '../..');

function viewModel(result: SimulationResult, json: Record<string, unknown>, title: string): VisModel {
  const programs = result.topology.programs.map((p) => ({ name: p.name, file: 't.o', function: p.name }));
  const model = simulationToViewModel({
    result,
    scenario: parseScenario({ ...json, version: 1, programs }),
    rawTraffic: json.traffic as unknown[],
    title,
  });
  assert.equal(visModel.check(model, 'model'), undefined);
  return model;
}

/** §8.26 as the kernel lab runs it: qsize 4, 20 frames in one BPF_PROG_TEST_RUN batch on CPU 0. */
function ringScenario(): { result: SimulationResult; model: VisModel } {
  const file = path.join(root, 'test/kernel/scenarios/testrun-cpumap-ring.xdpscenario.json');
  const json = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>;
  const sys = system(2);
  const cm = cpumap(sys);
  const result = simulate(json, { redir_cpu0: prog('redir_cpu0', (_b, c) => redirectMap(c, cm, 0)) }, [cm]);
  return { result, model: viewModel(result, json, 'cpumap ring') };
}

/** 20 frames in one NAPI poll on CPU 0 into entry 1 (CPU 1, qsize 64) whose program passes, drops, redirects. */
function programScenario(): { result: SimulationResult; model: VisModel } {
  const sys = system(2);
  const cm = cpumap(sys, 'cpu_map', 2, 8);
  const json = {
    cpus: 2,
    devices: [
      { name: 'eth0', kind: 'nic', xdp: { program: 'r' } },
      ...pair('b1', 'b0', { b1: { xdp: { program: 'pass' } } }),
    ],
    maps: { cpu_map: [{ key: 1, value: { qsize: 64, program: 'cp' } }] },
    traffic: [{ rx: 'eth0', count: 20, burst: 20, frame: { udp: { dst: '10.0.0.2', dport: 9 } } }],
  };
  let n = 0;
  // The cpumap program: of every 4 frames, one dropped, one redirected to b0 (ifindex 4), two passed.
  const cp = prog('cp', (_b, c) => [() => 1, () => redirect(c, 4), () => 2, () => 2][n++ % 4]!(), {
    attach: 'cpumap',
  });
  const result = simulate(json, { r: prog('r', (_b, c) => redirectMap(c, cm, 1)), pass: pass(), cp }, [cm]);
  return { result, model: viewModel(result, json, 'cpumap program') };
}

const ringOf = (states: readonly CpuState[], cpu: number) => states[cpu]?.rings[0];
const lastIndex = (m: VisModel, pred: (e: VisEvent) => boolean): number =>
  m.timeline.reduce((found, e, i) => (pred(e) ? i : found), -1);

void test('cpumap qsize 4, 20 frames in one batch: enqueue 8/4, 8/8, 4/4 → ring 4/4 with 16 ring-full drops, the kthread processes 4', () => {
  const { result, model } = ringScenario();
  // The simulator's own account of the three pushes (xdp_cpumap_enqueue processed/drops).
  assert.deepEqual(result.summary.cpumap.enqueue, { processed: 20, drops: 16 });
  const pushes = model.timeline.filter(
    (e): e is Extract<VisEvent, { k: 'xmit' }> => e.k === 'xmit' && e.ring !== undefined,
  );
  assert.deepEqual(
    pushes.map((e) => `${e.sent + e.drops}/${e.drops} ring ${e.ring?.fill}/${e.ring?.size}`),
    ['8/4 ring 4/4', '8/8 ring 4/4', '4/4 ring 4/4'],
  );
  assert.deepEqual(
    pushes.map((e) => e.flush),
    [false, false, true],
    'the first two pushes are a full bulk queue, the last one is the flush at the end of the run',
  );
  // The bulk queue fills to 8 before each push.
  const fills = model.timeline.flatMap((e) =>
    e.k === 'enqueue' && e.queue.startsWith('cpumap:') ? [e.fill] : [],
  );
  assert.deepEqual(fills, [1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4, 5, 6, 7, 8, 1, 2, 3, 4]);

  const idx = new TimelineIndex(model.timeline, model.cpus);
  const tFlush = lastIndex(model, (e) => e.k === 'xmit' && e.ring !== undefined);
  const atFlush = ringOf(idx.stateAt(tFlush), 0);
  assert.equal(atFlush?.id, 'ring:cpu_map[0]');
  assert.deepEqual(
    { fill: atFlush?.fill, size: atFlush?.size, drops: atFlush?.ringFullDrops, pushed: atFlush?.pushed },
    { fill: 4, size: 4, drops: 16, pushed: 4 },
  );
  assert.equal(atFlush?.batches, 0, 'the kthread runs after the softirq that woke it');
  // Scrub to the end: the kthread drained the ring.
  const end = ringOf(idx.stateAt(model.timeline.length - 1), 0);
  assert.equal(end?.fill, 0);
  assert.equal(end?.processed, 4);
  assert.equal(end?.processed, result.summary.cpumap.kthread.processed);
  assert.equal(end?.ringFullDrops, result.summary.cpumap.enqueue.drops);
  const batches = model.timeline.filter((e) => e.k === 'kthread');
  assert.ok(batches.every((b) => b.k === 'kthread' && b.processed <= 8 && b.cpu === 0));
  assert.equal(
    batches.reduce((s, b) => s + (b.k === 'kthread' ? b.processed : 0), 0),
    4,
  );
  // No cpumap program: the batches carry no verdicts.
  assert.equal(end?.verdicts, undefined);
});

void test('generic mode: each skb goes straight into the ring (no bulk queue card); a full ring drops it with ENOSPC', () => {
  // §8.28: qsize 1, 5 skbs in one poll → 1 in the ring, 4 ring-full drops, the kthread takes the one.
  const sys = system(2);
  const cm = cpumap(sys);
  const json = {
    cpus: 2,
    devices: [{ name: 'eth0', kind: 'nic', xdp: { program: 'r', mode: 'generic' } }],
    maps: { cpu_map: [{ key: 0, value: { qsize: 1 } }] },
    traffic: [{ rx: 'eth0', count: 5, burst: 5, frame: { udp: { dst: '10.0.0.2', dport: 9 } } }],
  };
  const result = simulate(json, { r: prog('r', (_b, c) => redirectMap(c, cm, 0)) }, [cm]);
  const model = viewModel(result, json, 'generic cpumap');
  const pushes = model.timeline.filter(
    (e): e is Extract<VisEvent, { k: 'xmit' }> => e.k === 'xmit' && e.ring !== undefined,
  );
  assert.equal(pushes.length, 5);
  assert.ok(pushes.every((e) => e.skb === true));
  assert.match(
    describeEvent(pushes[0]),
    /generic mode: frame \d+ put straight into ring:cpu_map\[0\]; ring 1\/1/,
  );
  assert.match(describeEvent(pushes[1]), /ring full, dropped \(ENOSPC\)/);
  const idx = new TimelineIndex(model.timeline, model.cpus);
  const tLast = lastIndex(model, (e) => e.k === 'xmit');
  const states = idx.stateAt(tLast);
  const ring = ringOf(states, 0);
  assert.deepEqual(
    { fill: ring?.fill, size: ring?.size, pushed: ring?.pushed, drops: ring?.ringFullDrops },
    { fill: 1, size: 1, pushed: 1, drops: 4 },
  );
  assert.deepEqual(states[0]?.queues, [], 'no bulk queue in generic mode');
  const end = ringOf(idx.stateAt(model.timeline.length - 1), 0);
  assert.equal(end?.processed, result.summary.cpumap.kthread.processed);
  assert.equal(end?.ringFullDrops, result.summary.cpumap.enqueue.drops);
});

void test('a cpumap program on CPU 1: kthread batches of ≤ 8 with pass/drop/redirect that add up to xdp_cpumap_kthread', () => {
  const { result, model } = programScenario();
  const batches = model.timeline.filter((e): e is Extract<VisEvent, { k: 'kthread' }> => e.k === 'kthread');
  assert.deepEqual(
    batches.map((b) => b.processed),
    [8, 8, 4],
  );
  assert.ok(batches.every((b) => b.cpu === 1 && b.verdicts !== undefined));
  const kt = result.events
    .filter((e) => e.event.name === 'xdp:xdp_cpumap_kthread')
    .map((e) => e.event as { xdp_pass: number; xdp_drop: number; xdp_redirect: number });
  assert.deepEqual(
    batches.map((b) => b.verdicts),
    kt.map((e) => ({ pass: e.xdp_pass, drop: e.xdp_drop, redirect: e.xdp_redirect })),
  );
  const idx = new TimelineIndex(model.timeline, model.cpus);
  const states = idx.stateAt(model.timeline.length - 1);
  // The ring lives on the kthread's CPU (1), not on the CPU whose poll pushed into it (0).
  assert.equal(states[0]?.rings.length, 0);
  const ring = ringOf(states, 1);
  assert.equal(ring?.batches, 3);
  assert.equal(ring?.processed, 20);
  assert.equal(ring?.ringFullDrops, 0);
  assert.deepEqual(ring?.verdicts, { pass: 10, drop: 5, redirect: 5 });
  assert.deepEqual(ring?.verdicts, {
    pass: kt.reduce((s, e) => s + e.xdp_pass, 0),
    drop: kt.reduce((s, e) => s + e.xdp_drop, 0),
    redirect: kt.reduce((s, e) => s + e.xdp_redirect, 0),
  });
  // Each batch's ring fill: 20 in the ring, 12 left, 4 left, empty.
  assert.deepEqual(
    batches.map((b) => b.ring?.fill),
    [12, 4, 0],
  );
  assert.match(
    describeEvent(batches[0]),
    /kthread took 8 from ring:cpu_map\[1\] — program: pass \d, drop \d, redirect \d; ring 12\/64/,
  );
});

void test('rendering: the kthread CPU’s card shows the ring meter at 4/4, the ring-full drops in red, and the batches', () => {
  const { model } = ringScenario();
  const idx = new TimelineIndex(model.timeline, model.cpus);
  const tFlush = lastIndex(model, (e) => e.k === 'xmit' && e.ring !== undefined);
  const tree = timelineView(model, idx.stateAt(tFlush), tFlush);
  const rings = findAll(tree, (n) => n.tag === 'li' && n.attrs['data-ring'] === 'ring:cpu_map[0]');
  assert.equal(rings.length, 1);
  const li = rings[0]!;
  assert.match(String(li.attrs.class), /\bdanger\b/);
  assert.equal(li.attrs.tabindex, 0, 'keyboard-focusable');
  assert.match(
    String(li.attrs['aria-label']),
    /ring:cpu_map\[0\] holds 4 of 4; 16 ring-full drops; kthread 0 batches/,
  );
  const meter = findAll(li, (n) => n.tag === 'meter')[0];
  assert.deepEqual([meter?.attrs.value, meter?.attrs.max], [4, 4]);
  assert.match(textOf(li), /✕16 ring full/);
  assert.equal(findAll(li, (n) => n.attrs.class === 'ring-drops').length, 1);
  assert.match(
    textOf(tree),
    /pushed 4 into ring:cpu_map\[0\] at flush: 0 in, 4 dropped \(ring full\); ring 4\/4/,
  );
  // The same CPU (0) also shows its bulk queue (drained at the flush) in step 2.
  assert.match(toXml(tree), /cpumap:cpu_map\[0\]@cpu0/);

  // After the kthread: ring empty, one batch of 4; a model without cpumap draws no rings.
  const last = model.timeline.length - 1;
  const endTree = timelineView(model, idx.stateAt(last), last);
  const endRing = findAll(endTree, (n) => n.tag === 'li' && n.attrs['data-ring'] !== undefined)[0];
  assert.match(textOf(endRing!), /kthread: 1 batch \(≤ 8 each\), 4 processed; last 4/);
  assert.match(textOf(endRing!), /0\/4/);

  const { model: withProg } = programScenario();
  const idx2 = new TimelineIndex(withProg.timeline, withProg.cpus);
  const t2 = withProg.timeline.length - 1;
  const card1 = findAll(
    timelineView(withProg, idx2.stateAt(t2), t2),
    (n) => n.attrs['aria-label'] === 'CPU 1',
  )[0];
  assert.ok(card1);
  assert.doesNotMatch(String(card1.attrs.class), /idle/, 'a CPU that only runs the kthread is not idle');
  assert.match(textOf(card1), /program total pass 10 · drop 5 · redirect 5/);
  const ringLi = findAll(card1, (n) => n.attrs['data-ring'] !== undefined)[0];
  assert.doesNotMatch(String(ringLi?.attrs.class), /danger/, 'no ring-full drops, no red');
});

let browser: Browser | undefined;
let site: VisualizerPageSite | undefined;

before(async () => {
  if (!haveChromium) return;
  site = await buildVisualizerSite();
  browser = await launchChromium();
});

after(async () => {
  await browser?.close();
  site?.dispose();
});

void test(
  'Chromium: scrubbing the cpumap scenario to the flush shows ring 4/4 and 16 ring-full drops in the theme’s red; the ring row takes focus',
  { skip: !haveChromium && 'no /usr/bin/chromium' },
  async () => {
    const { page, problems } = await openVisualizerPage(browser as Browser, site as VisualizerPageSite);
    const { model } = ringScenario();
    await sendSnapshot(page, model, 'cpumap');
    await waitForGraph(page);
    await page.click('#tab-timeline');
    const tFlush = lastIndex(model, (e) => e.k === 'xmit' && e.ring !== undefined);
    // Scrub with the panel's keys: Home, then → to the flush's push.
    await page.focus('#panel');
    await page.keyboard.press('Home');
    for (let i = -1; i < tFlush; i++) await page.keyboard.press('ArrowRight');
    assert.equal(Number(await page.getAttribute('.scrub-pos', 'data-t')), tFlush);
    assert.match((await page.textContent('.event-now')) ?? '', /ring 4\/4/);
    const ring = '[data-ring="ring:cpu_map[0]"]';
    assert.match((await page.textContent(ring)) ?? '', /4\/4.*✕16 ring full/s);
    const red = await page.$eval(`${ring} .ring-drops`, (e) => getComputedStyle(e).color);
    const themeRed = await page.evaluate(() => {
      const probe = document.createElement('span');
      probe.style.color = 'var(--xl-drop)';
      document.body.append(probe);
      const c = getComputedStyle(probe).color;
      probe.remove();
      return c;
    });
    assert.equal(red, themeRed);
    await page.focus(ring);
    assert.equal(
      await page.evaluate(() => document.activeElement?.getAttribute('data-ring')),
      'ring:cpu_map[0]',
    );
    fs.mkdirSync(path.join(root, 'test-results'), { recursive: true });
    await page.screenshot({ path: path.join(root, 'test-results/visualizer-cpumap.png') });
    // End: the kthread drained the ring in one batch of 4.
    await page.keyboard.press('End');
    assert.match((await page.textContent(ring)) ?? '', /0\/4.*1 batch \(≤ 8 each\), 4 processed/s);
    assert.deepEqual(problems, []);
    await page.close();
  },
);
