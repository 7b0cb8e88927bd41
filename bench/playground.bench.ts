// Benchmarks of the playground (issue #8 "Performance"), in Debian's Chromium on the production
// build (scripts/buildPlayground.mjs): time from navigation to the editor being ready and to the
// first diagnostics (a link whose program redirects through a HASH map), completion latency p50/p95
// through the language client and the server worker, a simulation of the example, the bytes the page
// actually loads, and the bundle size (total and per chunk).
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  target?: number;
}

interface Hooks {
  ready?: boolean;
  startError?: string;
  editors: {
    programMarkers(): { message: string }[];
    lsp(method: string, params: unknown): Promise<unknown>;
  };
}
type Win = typeof globalThis & { xdpLabPlayground: Hooks };

const root = path.resolve(import.meta.dirname, '..');
const CHROMIUM = '/usr/bin/chromium';
const round = (n: number, d = 1): number => Math.round(n * 10 ** d) / 10 ** d;
const pct = (xs: number[], p: number): number =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;

export async function runBench(): Promise<BenchRow[]> {
  // .mjs scripts, imported by URL (they have no type declarations).
  const build = (await import(pathToFileURL(path.join(root, 'scripts/buildPlayground.mjs')).href)) as {
    buildPlayground(): Promise<{ ms: number; sizes: { file: string; bytes: number }[] }>;
  };
  const serve = (await import(pathToFileURL(path.join(root, 'scripts/playground.mjs')).href)) as {
    servePlayground(dir: string, port: number): Promise<{ server: { close(): void }; url: string }>;
  };
  const rows: BenchRow[] = [];
  const { ms, sizes } = await build.buildPlayground();
  const code = sizes.filter((s) => !s.file.endsWith('.map'));
  rows.push({ name: 'build time', value: ms, unit: 'ms' });
  rows.push({
    name: 'bundle total (folder)',
    value: round(code.reduce((a, s) => a + s.bytes, 0) / 1048576, 2),
    unit: 'MiB',
  });
  for (const s of code.slice(0, 12))
    rows.push({ name: `bundle: ${s.file}`, value: round(s.bytes / 1024, 0), unit: 'KiB' });
  if (!fs.existsSync(CHROMIUM)) return rows;

  // A link whose program redirects through a HASH map: its diagnostic is the first one to wait for.
  const source = fs
    .readFileSync(path.join(root, 'examples/redirect.bpf.c'), 'utf8')
    .replace('BPF_MAP_TYPE_DEVMAP)', 'BPF_MAP_TYPE_HASH)');
  const scenario = fs.readFileSync(path.join(root, 'examples/redirect.xdpscenario.json'), 'utf8');
  const state = JSON.stringify({
    format: 'xdp-lab-playground',
    version: 1,
    example: 'redirect',
    program: { name: 'redirect.bpf.c', text: source },
    scenario: { name: 'redirect.xdpscenario.json', text: scenario },
    objects: [],
  });
  const packed = await new Response(
    new Blob([state]).stream().pipeThrough(new CompressionStream('deflate-raw')),
  ).arrayBuffer();
  const fragment = `#s=${Buffer.from(packed).toString('base64url')}`;

  const { server, url } = await serve.servePlayground(path.join(root, 'dist/playground'), 0);
  // .cache/ is git-ignored and absent on a fresh checkout: create it first (mkdtemp does not).
  fs.mkdirSync(path.join(root, '.cache'), { recursive: true });
  const userDataDir = fs.mkdtempSync(path.join(root, '.cache', 'playground-bench-'));
  const browser = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
    viewport: { width: 1500, height: 950 },
  });
  try {
    const page = browser.pages()[0] ?? (await browser.newPage());
    let loaded = 0;
    browser.on('requestfinished', (r) => {
      void r.sizes().then(
        (s) => (loaded += s.responseBodySize),
        () => undefined,
      );
    });
    const t0 = Date.now();
    await page.goto(url + fragment);
    await page.waitForFunction(() => (globalThis as Win).xdpLabPlayground?.ready === true, null, {
      timeout: 120_000,
    });
    rows.push({ name: 'load → editor and language client ready', value: Date.now() - t0, unit: 'ms' });
    await page.waitForFunction(
      () => (globalThis as Win).xdpLabPlayground.editors.programMarkers().some((m) => /HASH/.test(m.message)),
      null,
      { timeout: 60_000, polling: 20 },
    );
    rows.push({ name: 'load → first diagnostics', value: Date.now() - t0, unit: 'ms', target: 5000 });
    await page.waitForTimeout(500); // let late requests (themes, grammars) finish before counting bytes
    rows.push({ name: 'bytes loaded by the page at start', value: round(loaded / 1048576, 2), unit: 'MiB' });

    const lines = source.split('\n');
    const line = lines.findIndex((l) => l.includes('bpf_redirect_map('));
    const positions = [
      { line, character: lines[line]!.indexOf('bpf_redirect_map') + 6 },
      { line, character: lines[line]!.indexOf('&tx_port') + 3 },
      { line: line - 1, character: 4 },
    ];
    const times = await page.evaluate(async (ps) => {
      const h = (globalThis as Win).xdpLabPlayground;
      const out: number[] = [];
      for (let i = 0; i < 200; i++) {
        const t = performance.now();
        const r = await h.editors.lsp('textDocument/completion', {
          textDocument: { uri: 'file:///workspace/redirect.bpf.c' },
          position: ps[i % ps.length],
        });
        out.push(performance.now() - t);
        // A latency of an empty answer would measure nothing: every request must offer completions.
        const items = Array.isArray(r) ? r : (r as { items?: unknown[] } | null)?.items;
        if (!items?.length) throw new Error(`completion ${i} returned no items`);
      }
      return out;
    }, positions);
    const steady = times.slice(20);
    rows.push({
      name: 'completion latency p50 (page → worker → page)',
      value: round(pct(steady, 50), 2),
      unit: 'ms',
    });
    rows.push({
      name: 'completion latency p95 (page → worker → page)',
      value: round(pct(steady, 95), 2),
      unit: 'ms',
      target: 15,
    });

    const s0 = Date.now();
    await page.click('#simulate');
    await page
      .frameLocator('#visualizer')
      .locator('[data-counter="tracepoints.xdp:xdp_redirect"]')
      .waitFor({ timeout: 60_000 });
    rows.push({ name: 'Simulate → counters shown (example)', value: Date.now() - s0, unit: 'ms' });
  } finally {
    await browser.close();
    server.close();
    fs.rmSync(userDataDir, { recursive: true, force: true });
  }
  return rows;
}
