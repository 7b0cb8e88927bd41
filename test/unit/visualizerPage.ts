// The visualizer's real page outside VS Code, for the Chromium test and the benchmark: builds the
// webview bundle with esbuild into a folder, writes the page the extension serves (same CSP, same
// markup) with a fake VS Code API that records posted messages, and opens it in Debian's Chromium.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { chromium, type Browser, type Page } from 'playwright-core';
import { visualizerHtml } from '../../src/extension/visualizer/html';
import type { VisModel } from '../../src/protocol/visualizer';
import { countsOfModel } from '../../src/protocol/visualizerFromSimulation';
import { snapshotParams } from '../../src/protocol/visualizerTimelinePack';

export const CHROMIUM = '/usr/bin/chromium';
export const haveChromium = fs.existsSync(CHROMIUM);
const root = path.resolve(import.meta.dirname, '../..');

// Records every message the page posts and answers openSource the way the host would.
const fakeApi = `
window.__sent = [];
window.__state = undefined;
window.acquireVsCodeApi = () => ({
  postMessage(m) {
    window.__sent.push(m);
    if (m.type === 'request' && m.method === 'visualizer/openSource')
      window.postMessage({ type: 'response', id: m.id, result: { opened: true } }, '*');
  },
  getState: () => window.__state,
  setState: (s) => { window.__state = s; },
});`;

export interface VisualizerPageSite {
  dir: string;
  bundleBytes: number;
  dispose(): void;
}

export async function buildVisualizerSite(opts: { minify?: boolean } = {}): Promise<VisualizerPageSite> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-visualizer-'));
  const r = await esbuild.build({
    entryPoints: [path.join(root, 'src/webview/visualizer/main.ts')],
    bundle: true,
    outdir: dir,
    entryNames: 'visualizer',
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    minify: opts.minify ?? false,
    loader: { '.min.js': 'text' }, // as esbuild.mjs: ELK's worker script (elkInWorker.ts)
    metafile: true,
    logLevel: 'error',
  });
  const js = Object.entries(r.metafile.outputs).find(([f]) => f.endsWith('.js'));
  const nonce = 'c3RhbmRhbG9uZS10ZXN0LW5vbmNl';
  fs.writeFileSync(
    path.join(dir, 'index.html'),
    visualizerHtml({
      cspSource: 'file:',
      nonce,
      scriptUri: 'visualizer.js',
      styleUri: 'visualizer.css',
      preludeScripts: [fakeApi],
    }),
  );
  return {
    dir,
    bundleBytes: js?.[1].bytes ?? 0,
    dispose: () => fs.rmSync(dir, { recursive: true, force: true }),
  };
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** Opens the page and waits for its "ready"; `problems` collects console errors and CSP reports. */
export async function openVisualizerPage(
  browser: Browser,
  site: VisualizerPageSite,
  viewport = { width: 1400, height: 900 },
): Promise<{ page: Page; problems: string[] }> {
  const page = await browser.newPage({ viewport });
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || /Content Security Policy/i.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  await page.goto('file://' + path.join(site.dir, 'index.html'));
  await page.waitForFunction(() =>
    (window as unknown as { __sent: { method?: string }[] }).__sent.some(
      (m) => m.method === 'visualizer/ready',
    ),
  );
  return { page, problems };
}

/** Characters per page.evaluate when a message is large (see postLarge). */
const CHUNK = 1 << 18;

/**
 * Posts a message's JSON text to the page as VS Code's webview host does: the bytes arrive off the
 * page's thread (here in chunks of 256 K characters, so DevTools' own parse of one multi-MB
 * Runtime.callFunctionOn is not a page frame VS Code would have), then one task parses and posts it.
 */
export async function postLarge(page: Page, json: string): Promise<void> {
  if (json.length <= CHUNK) {
    await page.evaluate((text) => window.postMessage(JSON.parse(text), '*'), json);
    return;
  }
  await stageMessage(page, json);
  await page.evaluate(() => {
    const w = window as unknown as { __staged: string };
    window.postMessage(JSON.parse(w.__staged), '*');
  });
}

/** Puts a message's JSON text in the page as `window.__staged`, in chunks (see postLarge). */
export async function stageMessage(page: Page, json: string): Promise<void> {
  await page.evaluate(() => ((window as unknown as { __chunks: string[] }).__chunks = []));
  for (let i = 0; i < json.length; i += CHUNK)
    await page.evaluate(
      (part) => (window as unknown as { __chunks: string[] }).__chunks.push(part),
      json.slice(i, i + CHUNK),
    );
  await page.evaluate(() => {
    const w = window as unknown as { __chunks: string[]; __staged: string };
    w.__staged = w.__chunks.join('');
    w.__chunks = [];
  });
}

/** A didSnapshot as the hosts send it, as JSON text. */
export const snapshotJson = (model: VisModel, message = ''): string =>
  JSON.stringify({
    type: 'notification',
    method: 'visualizer/didSnapshot',
    params: snapshotParams(model, { state: 'ready', message }),
  });

/**
 * Sends a snapshot the way the hosts do (a didSnapshot notification, its timeline packed). The model
 * crosses as JSON text: Playwright's structured argument serialization takes tens of seconds for
 * 100k events.
 */
export async function sendSnapshot(page: Page, model: VisModel, message = ''): Promise<void> {
  await postLarge(page, snapshotJson(model, message));
}

/** Sends new counts for the model on screen (a didUpdate notification), as a streaming host would. */
export async function sendUpdate(page: Page, model: VisModel, message = ''): Promise<void> {
  const counts = countsOfModel(model);
  const json = JSON.stringify({
    type: 'notification',
    method: 'visualizer/didUpdate',
    params: { counts, status: { state: 'running', message } },
  });
  await page.evaluate((text) => window.postMessage(JSON.parse(text), '*'), json);
}

/**
 * Waits for the graph on screen and for ELK's layout, which replaces layeredLayout.ts's first one
 * when ELK's worker answers (graphPane.ts): box positions are final after this.
 */
export async function waitForGraph(page: Page): Promise<void> {
  await page.waitForSelector('svg.graph .node');
  await page.evaluate(() =>
    (window as unknown as { xdpLabVisualizer: { settled(): Promise<void> } }).xdpLabVisualizer.settled(),
  );
}
