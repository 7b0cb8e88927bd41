// The capture panel's real browser bundle in Debian's Chromium (headless, playwright-core), in the same
// page and CSP the extension serves, with a fake VS Code API answering "capture/ready" with a capture
// summarised from the real 6.18 perf script fixture. Checks counts, the errno explanation from the
// errno table, flows with device names (a hostile name shows as text), live updates, the export
// request, and that no CSP rule breaks. Screenshot in test-results/. Skips without Chromium.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import * as esbuild from 'esbuild';
import { chromium, type Browser } from 'playwright-core';
import type { CaptureFile } from '../../core/trace/captureFile';
import { fleetMerged } from '../../core/trace/fleetSummary';
import { summarize } from '../../core/trace/summary';
import { parsePerfScript } from '../../core/trace/perfScriptParse';
import { captureHtml } from '../../extension/capture/captureHtml';
import type { CaptureViewState } from '../../protocol/capture';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = fs.existsSync(CHROMIUM);
const root = path.resolve(import.meta.dirname, '../../..');
let browser: Browser | undefined;
let dir = '';

const HOSTILE = '<img src=x onerror=alert(1)>';

function state(): CaptureViewState {
  const text = fs.readFileSync(path.join(root, 'test/fixtures/capture/perf-script-6.18.txt'), 'utf8');
  const summary = summarize(
    parsePerfScript(text).events.map((e) => e.event),
    '6.18.44',
  );
  const capture: CaptureFile = {
    format: 'xdp-lab-capture',
    version: 1,
    host: 'root@10.250.0.2:2222',
    tool: 'perf',
    kernel: '6.18.44',
    startedAt: '2026-11-25T13:00:00.000Z',
    durationSeconds: 3,
    status: 'complete',
    summary,
    devices: { '5001': 'xlrta0', '5003': HOSTILE },
    programs: { '116': { redirects: 3, errors: { EOPNOTSUPP: 3 }, exceptions: {} } },
    programNames: { '116': 'redirect_devmap' },
  };
  return { capture, running: false, eventCount: 9 };
}

// Records what the page posts; answers capture/ready with the state and capture/export with a path.
const fakeApi = (s: CaptureViewState): string => `
window.__sent = [];
window.acquireVsCodeApi = () => ({
  postMessage(m) {
    window.__sent.push(m);
    if (m.type === 'request' && m.method === 'capture/ready') window.postMessage({ type: 'response', id: m.id, result: ${JSON.stringify(s).replace(/</g, '\\u003c')} }, '*');
    if (m.type === 'request' && m.method === 'capture/export') window.postMessage({ type: 'response', id: m.id, result: '/tmp/x.' + m.params.format }, '*');
  },
  getState: () => undefined,
  setState: (s) => { window.__state = s; },
});`;

before(async () => {
  if (!haveChromium) return;
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-capture-view-'));
  await esbuild.build({
    entryPoints: [path.join(root, 'src/webview/capture/main.ts')],
    bundle: true,
    outfile: path.join(dir, 'capture.js'),
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    logLevel: 'error',
  });
  fs.writeFileSync(
    path.join(dir, 'index.html'),
    captureHtml({
      nonce: 'Y2FwdHVyZS10ZXN0LW5vbmNl',
      scriptUri: 'capture.js',
      preludeScripts: [fakeApi(state())],
    }),
  );
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
  });
});

after(async () => {
  await browser?.close();
  if (dir) fs.rmSync(dir, { recursive: true, force: true });
});

void test(
  'the capture panel renders counts, explained errnos and flows, updates live and exports',
  { skip: !haveChromium && 'no /usr/bin/chromium' },
  async () => {
    const page = await (browser as Browser).newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    page.on('dialog', (d) => {
      problems.push(`dialog: ${d.message()}`);
      void d.dismiss();
    });
    await page.goto('file://' + path.join(dir, 'index.html'));
    await page.waitForSelector('h1');
    const body = (await page.textContent('body')) ?? '';
    assert.match(body, /XDP capture — root@10\.250\.0\.2:2222/);
    assert.match(body, /xdp:xdp_redirect_err3/);
    assert.match(body, /EOPNOTSUPP \(95\)3/);
    assert.match(
      body,
      /Fix: attach an XDP program \(even one returning XDP_PASS\) in native mode to the veth target’s peer/,
    );
    assert.match(body, /devmap xmit: sent 3, drops 0/);
    assert.match(body, /redirect_devmap \(id 116\)3EOPNOTSUPP × 3/);
    // The hostile device name is text in the flows table, never markup.
    assert.ok(body.includes(HOSTILE));
    assert.equal(await page.$$eval('img', (els) => els.length), 0);
    fs.mkdirSync(path.join(root, 'test-results'), { recursive: true });
    await page.screenshot({ path: path.join(root, 'test-results/capture-panel.png'), fullPage: true });

    // Export: a typed request, and the answer shown.
    await page.click('text=Export CSV');
    await page.waitForFunction(() => document.body.textContent?.includes('written: /tmp/x.csv'));
    const sent = await page.evaluate(
      () => (window as unknown as { __sent: Array<{ method?: string; params?: unknown }> }).__sent,
    );
    assert.deepEqual(sent.find((m) => m.method === 'capture/export')?.params, { format: 'csv' });

    // A live update from the host re-renders, with rates and the Stop button.
    const live: { -readonly [K in keyof CaptureViewState]: CaptureViewState[K] } = {
      ...state(),
      running: true,
    };
    live.capture.summary.tracepoints['xdp:xdp_redirect_err'] = 4242;
    const liveWithRates = {
      ...live,
      rates: {
        seconds: 1,
        rows: [{ name: 'xdp:xdp_redirect_err', perSecond: 1000, perCpu: { '0': 600, '1': 400 } }],
        exceptions: {},
      },
    };
    await page.evaluate(
      (p) => window.postMessage({ type: 'notification', method: 'capture/didUpdate', params: p }, '*'),
      liveWithRates,
    );
    await page.waitForFunction(() => document.body.textContent?.includes('4242'));
    assert.match((await page.textContent('body')) ?? '', /cpu0: 600, cpu1: 400/);
    await page.click('text=Stop');
    await page.waitForFunction(() =>
      (window as unknown as { __sent: Array<{ method?: string }> }).__sent.some(
        (m) => m.method === 'capture/stop',
      ),
    );
    // "Compare with simulation": predicted vs observed rows, differences marked.
    const compared = {
      ...state(),
      comparison: {
        scenario: 'examples/devmap.xdpscenario.json',
        rows: [
          { section: 'tracepoint', key: 'xdp:xdp_redirect_err', predicted: 3, observed: 3 },
          { section: 'flow', key: 'r1 → r2 sent', predicted: 5, observed: 3 },
        ],
      },
    };
    await page.evaluate(
      (p) => window.postMessage({ type: 'notification', method: 'capture/didUpdate', params: p }, '*'),
      compared,
    );
    await page
      .waitForFunction(
        () => document.body.textContent?.includes('Predicted (simulation) vs observed (capture)'),
        undefined,
        {
          timeout: 10_000,
        },
      )
      .catch(() => assert.fail(`comparison not rendered: ${problems.join('; ')}`));
    const cmp = (await page.textContent('body')) ?? '';
    assert.match(cmp, /flowr1 → r2 sent53Δ -2/);
    assert.match(cmp, /tracepointxdp:xdp_redirect_err33=/);
    // A malformed update is refused by the endpoint's schema, not rendered.
    await page.evaluate(() =>
      window.postMessage(
        {
          type: 'notification',
          method: 'capture/didUpdate',
          params: { capture: { format: 'nope' }, running: false, eventCount: 0 },
        },
        '*',
      ),
    );
    await page.waitForFunction(() => document.body.textContent?.includes('Predicted (simulation)'));
    assert.deepEqual(
      problems.filter((p) => !/capture\/didUpdate: params\.capture: format/.test(p)),
      [],
    );
    await page.close();
  },
);

void test(
  'a fleet capture shows the merged counts and one column per host, a failed host with its error',
  { skip: !haveChromium && 'no /usr/bin/chromium' },
  async () => {
    const page = await (browser as Browser).newPage({ viewport: { width: 1200, height: 900 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(m.text());
    });
    page.on('pageerror', (e) => problems.push(String(e)));
    await page.goto('file://' + path.join(dir, 'index.html'));
    await page.waitForSelector('h1');
    const one = state().capture.summary;
    const merged = fleetMerged([one, one]);
    const fleet: CaptureViewState = {
      capture: { ...state().capture, host: '3 hosts: a, b, down', summary: merged, devices: {} },
      running: true,
      eventCount: 0,
      fleet: [
        { host: 'a', state: 'capturing', kernel: '6.18.44', summary: one },
        { host: 'b', state: 'done', status: 'stopped', kernel: '6.18.44', summary: one },
        { host: 'down', state: 'failed', error: 'cannot reach down: Connection refused <b>' },
      ],
    };
    await page.evaluate(
      (p) => window.postMessage({ type: 'notification', method: 'capture/didUpdate', params: p }, '*'),
      fleet,
    );
    await page.waitForSelector('table.fleet');
    const rows = await page.$$eval('table.fleet tr', (trs) =>
      trs.map((tr) => Array.from(tr.children).map((td) => (td.textContent ?? '').trim())),
    );
    assert.deepEqual(rows[0], ['', 'all', 'a', 'b', 'down']);
    assert.deepEqual(rows[1], [
      'state',
      '',
      'capturing…',
      'stopped',
      'failed: cannot reach down: Connection refused <b>',
    ]);
    assert.deepEqual(
      rows.find((r) => r[0] === 'xdp:xdp_redirect_err'),
      ['xdp:xdp_redirect_err', '6', '3', '3', '—'],
    );
    assert.match((await page.textContent('body')) ?? '', /Hosts \(3, 1 failed\)/);
    assert.deepEqual(problems, []);
    await page.screenshot({ path: path.join(root, 'test-results/capture-fleet-panel.png'), fullPage: true });
    await page.close();
  },
);
