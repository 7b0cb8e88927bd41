// The visualizer's real browser bundle in Debian's Chromium (headless, playwright-core), inside the
// same page and Content-Security-Policy the extension serves, with a fake VS Code API that records
// what the page posts. Checks the page says "ready", renders a snapshot's counters, drops and graph,
// routes a drop's source link through a typed request, works from the keyboard, and breaks no CSP
// rule. Saves a screenshot in test-results/. Skips when Chromium is not installed.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { sampleModel } from '../../src/webview/visualizer/sampleModel';
import {
  buildVisualizerSite,
  haveChromium,
  launchChromium,
  openVisualizerPage,
  sendSnapshot,
  waitForGraph,
  sendUpdate,
  type VisualizerPageSite,
} from './visualizerPage';

const root = path.resolve(import.meta.dirname, '../..');
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

const openPage = () => openVisualizerPage(browser as Browser, site as VisualizerPageSite);

void test(
  'the bundle says ready, renders a 16-device snapshot legibly, and breaks no CSP rule',
  { skip: !haveChromium && 'no /usr/bin/chromium' },
  async () => {
    const { page, problems } = await openPage();
    const model = sampleModel({ devices: 16, cpus: 4, frames: 1000, burst: 64 });
    await sendSnapshot(page, model, 'sample');
    await waitForGraph(page);
    // Up to 80 nodes ELK places the graph (layout.ts), in its worker after layeredLayout.ts's first
    // drawing; bigger graphs say 'layered'.
    assert.equal(await page.getAttribute('svg.graph', 'data-layout'), 'elk');
    const counter = async (key: string): Promise<number> =>
      Number(await page.getAttribute(`[data-counter="${key}"]`, 'data-value'));
    assert.equal(
      await counter('tracepoints.xdp:xdp_redirect'),
      model.summary.tracepoints['xdp:xdp_redirect'],
    );
    assert.equal(
      await counter('tracepoints.xdp:xdp_redirect_err'),
      model.summary.tracepoints['xdp:xdp_redirect_err'],
    );
    assert.equal(await counter('devmapXmit.sent'), model.summary.devmapXmit.sent);
    // Every device is a node, and the graph is drawn at a zoom where 12px text stays ≥ 8.6px.
    const deviceNodes = await page.$$eval('svg.graph .node-device', (els) => els.length);
    assert.equal(deviceNodes, model.devices.length);
    const zoom = Number(await page.getAttribute('svg.graph', 'data-zoom'));
    assert.ok(zoom >= 0.72, `zoom ${zoom}`);
    // The drops panel lists each reason with the errno table's fix.
    const dropText = await page.textContent('.drop-list');
    assert.match(dropText ?? '', /EOPNOTSUPP/);
    assert.match(dropText ?? '', /attach an XDP program \(even one returning XDP_PASS\)/);
    fs.mkdirSync(path.join(root, 'test-results'), { recursive: true });
    await page.screenshot({ path: path.join(root, 'test-results/visualizer-standalone-16.png') });
    assert.deepEqual(problems, []);
    await page.close();
  },
);

void test(
  'a drop link becomes a typed openSource request; the keyboard selects nodes and scrubs the timeline',
  { skip: !haveChromium && 'no /usr/bin/chromium' },
  async () => {
    const { page, problems } = await openPage();
    const model = sampleModel({ devices: 6, cpus: 2, frames: 40, burst: 20 });
    await sendSnapshot(page, model);
    await waitForGraph(page);
    await page.click('.drop button[data-action="open-source"]');
    await page.waitForFunction(() =>
      (window as unknown as { __sent: { method?: string }[] }).__sent.some(
        (m) => m.method === 'visualizer/openSource',
      ),
    );
    const req = await page.evaluate(() =>
      (window as unknown as { __sent: { method?: string; params?: unknown }[] }).__sent.find(
        (m) => m.method === 'visualizer/openSource',
      ),
    );
    assert.deepEqual(req?.params, { file: 'redirect.bpf.c', line: 31 });

    // Tab into the graph's first node and press Enter: the details panel describes it.
    await page.focus('svg.graph .node');
    await page.keyboard.press('Enter');
    assert.match((await page.textContent('#details')) ?? '', /traffic|Device/);

    // Timeline: End jumps to the last event, the scrubber follows, the CPU cards show a flushed poll.
    await page.click('#tab-timeline');
    await page.focus('#panel');
    await page.keyboard.press('End');
    const pos = await page.getAttribute('.scrub-pos', 'data-t');
    assert.equal(Number(pos), model.timeline.length - 1);
    assert.match((await page.textContent('.cpus')) ?? '', /done \(xdp_do_flush\)/);
    // Home then → steps to the first event, a NAPI poll.
    await page.keyboard.press('Home');
    await page.keyboard.press('ArrowRight');
    assert.match((await page.textContent('.event-now')) ?? '', /NAPI poll on rx0/);
    assert.deepEqual(problems, []);
    await page.close();
  },
);

void test(
  'streamed counts (didUpdate) change the numbers in place: same boxes, same positions, new counters',
  { skip: !haveChromium && 'no /usr/bin/chromium' },
  async () => {
    const { page, problems } = await openPage();
    const model = sampleModel({ devices: 8, cpus: 2, frames: 64, burst: 16 });
    await sendSnapshot(page, model);
    await waitForGraph(page);
    const where = () =>
      page.$$eval('svg.graph .node', (els) =>
        els.map((e) => `${e.getAttribute('data-node')}@${e.getAttribute('transform')}`),
      );
    const before = await where();
    // Patched in place (dom.ts patch): the same SVG element and boxes stay, only texts change.
    await page.evaluate(() => {
      (window as unknown as { __svg: Element | null }).__svg = document.querySelector('svg.graph');
    });
    const grown = structuredClone(model);
    grown.summary.tracepoints['xdp:xdp_redirect'] = (model.summary.tracepoints['xdp:xdp_redirect'] ?? 0) * 3;
    for (const f of grown.flows) f.frames *= 3;
    await sendUpdate(page, grown, 'streaming');
    await page.waitForFunction(
      (want) =>
        document
          .querySelector('[data-counter="tracepoints.xdp:xdp_redirect"]')
          ?.getAttribute('data-value') === String(want),
      grown.summary.tracepoints['xdp:xdp_redirect'],
    );
    assert.deepEqual(await where(), before);
    assert.equal(
      await page.evaluate(
        () => (window as unknown as { __svg: Element | null }).__svg === document.querySelector('svg.graph'),
      ),
      true,
      'the graph was patched, not rebuilt',
    );
    // Stepping the timeline marks the event's nodes on the layer above the graph.
    await page.click('#tab-timeline');
    await page.click('button[data-action="step"]');
    const marked = await page.$$eval('.graph-marks .graph-mark', (els) =>
      els.map((e) => (e as HTMLElement).dataset.mark),
    );
    assert.ok(
      marked.some((id) => id?.startsWith('dev:')),
      `marks: ${marked.join(', ')}`,
    );
    assert.deepEqual(problems, []);
    await page.close();
  },
);

void test(
  'a 64-device graph takes streamed counts over a few frames: every edge label ends at its new count',
  { skip: !haveChromium && 'no /usr/bin/chromium' },
  async () => {
    const { page, problems } = await openPage();
    const model = sampleModel({ devices: 64, cpus: 16, frames: 2000, burst: 64 });
    await sendSnapshot(page, model);
    await waitForGraph(page);
    const labels = () => page.$$eval('svg.graph text.edge-label', (els) => els.map((e) => e.textContent));
    const before = await labels();
    assert.ok(before.length > 300, `${before.length} edge labels`);
    // Counts of the page's tasks that changed edge labels (MutationObserver batches, one per task).
    await page.evaluate(() => {
      const w = window as unknown as { __batches: number[] };
      w.__batches = [];
      new MutationObserver((list) => {
        const n = list.filter((m) => m.type === 'characterData').length;
        if (n) w.__batches.push(n);
      }).observe(document.querySelector('svg.graph .edges') as Element, {
        subtree: true,
        characterData: true,
      });
    });
    const grown = structuredClone(model);
    for (const f of grown.flows) f.frames *= 7;
    await sendUpdate(page, grown, 'streaming');
    await page.evaluate(() =>
      (window as unknown as { xdpLabVisualizer: { settled(): Promise<void> } }).xdpLabVisualizer.settled(),
    );
    const after = await labels();
    assert.equal(after.length, before.length);
    assert.ok(
      after.every((t, i) => t !== before[i]),
      'every label shows its new count',
    );
    // The same labels a fresh page draws for the grown model at once.
    const fresh = await openPage();
    await sendSnapshot(fresh.page, grown);
    await waitForGraph(fresh.page);
    assert.deepEqual(
      await fresh.page.$$eval('svg.graph text.edge-label', (els) => els.map((e) => e.textContent)),
      after,
    );
    await fresh.page.close();
    const batches = await page.evaluate(() => (window as unknown as { __batches: number[] }).__batches);
    assert.ok(batches.length >= 3, `spread over tasks: ${batches.join(', ')}`);
    assert.ok(Math.max(...batches) <= 150, `at most 150 labels a frame: ${batches.join(', ')}`);
    assert.deepEqual(problems, []);
    await page.close();
  },
);

void test(
  'theme colours come from VS Code’s variables: a light theme repaints the graph and panels',
  { skip: !haveChromium && 'no /usr/bin/chromium' },
  async () => {
    const { page, problems } = await openPage();
    // What VS Code sets on a light theme (a few of Light+'s values); CSSOM, not markup, so CSP allows it.
    await page.evaluate(() => {
      const vars: Record<string, string> = {
        '--vscode-editor-background': '#ffffff',
        '--vscode-editor-foreground': '#1f1f1f',
        '--vscode-descriptionForeground': '#616161',
        '--vscode-panel-border': '#d4d4d4',
        '--vscode-editorWidget-background': '#f3f3f3',
        '--vscode-charts-blue': '#1a85ff',
        '--vscode-charts-red': '#e51400',
        '--vscode-errorForeground': '#e51400',
      };
      for (const [k, v] of Object.entries(vars)) document.documentElement.style.setProperty(k, v);
      document.body.classList.add('vscode-light');
    });
    await sendSnapshot(page, sampleModel({ devices: 8, cpus: 2, frames: 64, burst: 16 }));
    await waitForGraph(page);
    const fill = await page.$eval('svg.graph .node-device .node-box', (e) => getComputedStyle(e).fill);
    const drop = await page.$eval('svg.graph .edge.danger .edge-line', (e) => getComputedStyle(e).stroke);
    const bg = await page.$eval('body', (e) => getComputedStyle(e).backgroundColor);
    assert.equal(fill, 'rgb(243, 243, 243)');
    assert.equal(drop, 'rgb(229, 20, 0)');
    assert.equal(bg, 'rgb(255, 255, 255)');
    await page.screenshot({ path: path.join(root, 'test-results/visualizer-standalone-light.png') });
    assert.deepEqual(problems, []);
    await page.close();
  },
);

void test(
  'a 100 000-event snapshot unpacks across tasks; notifications that came meanwhile apply after it, in order',
  { skip: !haveChromium && 'no /usr/bin/chromium' },
  async () => {
    const { page, problems } = await openPage();
    // A first model, then a big one whose timeline unpacks in slices (app.ts, inSlices.ts), then
    // grown counts and a status: the page must end with the big timeline, the grown counts and the
    // last status, whatever moment the later two arrived at.
    await sendSnapshot(page, sampleModel({ devices: 4, cpus: 2, frames: 64, burst: 16 }), 'first');
    await waitForGraph(page);
    const big = sampleModel({ devices: 16, cpus: 4, frames: 12_500, burst: 64, maxEvents: 100_000 });
    assert.ok(big.timeline.length > 50_000, `${big.timeline.length} events`);
    const grown = structuredClone(big);
    grown.summary.tracepoints['xdp:xdp_redirect'] = (big.summary.tracepoints['xdp:xdp_redirect'] ?? 0) * 2;
    await sendSnapshot(page, big, 'big');
    await sendUpdate(page, grown, 'grown');
    await page.evaluate(() =>
      window.postMessage(
        {
          type: 'notification',
          method: 'visualizer/didStatus',
          params: { state: 'ready', message: 'the last word' },
        },
        '*',
      ),
    );
    await page.waitForFunction(() =>
      document.querySelector('.status')?.textContent?.includes('the last word'),
    );
    assert.equal(
      Number(await page.getAttribute('[data-counter="tracepoints.xdp:xdp_redirect"]', 'data-value')),
      grown.summary.tracepoints['xdp:xdp_redirect'],
    );
    await page.click('#tab-timeline');
    assert.match((await page.textContent('.scrub-pos')) ?? '', new RegExp(` / ${big.timeline.length}\\+?$`));
    // The page measured the unpack, slice by slice and whole (timing.ts; the benchmark reads these).
    const unpacked = await page.evaluate(() =>
      performance
        .getEntriesByName('xdp-lab:unpack-all')
        .map((m) => ((m as PerformanceMeasure).detail as { events: number }).events),
    );
    assert.equal(unpacked[unpacked.length - 1], big.timeline.length);
    assert.deepEqual(problems, []);
    await page.close();
  },
);
