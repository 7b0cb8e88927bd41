/* global window, document, getComputedStyle, DataTransfer, File, DragEvent */ // used inside page.evaluate callbacks, which run in the page
// The playground in real Chromium (issue #8): builds dist/playground, serves it on 127.0.0.1, and
// drives the page with playwright-core and Debian's chromium. Every request must stay on the page's
// origin (offline: nothing from a CDN). The language checks go through the real UI (suggest widget,
// parameter hints, hover, squiggles) and, request by request, compare the browser worker's answers
// with the Node language server (dist/server.js over stdio) on the same text: one analyzer, two hosts.
// The simulation's counters are read from the visualizer's DOM and compared with
// `node dist/cli.js simulate examples/redirect.xdpscenario.json --json`.
// Usage: node test/e2e/playground.e2e.mjs [--no-build]    Last line: `playground: N passed, N failed`.
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import * as rpc from 'vscode-jsonrpc/node.js';
import { buildPlayground } from '../../scripts/buildPlayground.mjs';
import { servePlayground } from '../../scripts/playground.mjs';

const root = path.resolve(import.meta.dirname, '../..');
const CHROMIUM = '/usr/bin/chromium';
const results = [];
const shots = path.join(root, 'test-results');
fs.mkdirSync(shots, { recursive: true });

if (!fs.existsSync(CHROMIUM)) {
  console.log(`playground: ${CHROMIUM} is missing (scripts/install-system-deps.sh installs it)`);
  console.log('playground: 0 passed, 0 failed, 1 skipped');
  process.exit(process.env.CI ? 1 : 0);
}

let page;
let currentStep = 'page start';
async function step(name, fn) {
  const t0 = Date.now();
  currentStep = name;
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`  ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`  FAIL ${name}: ${e instanceof Error ? e.stack : String(e)}`);
    if (page)
      await page
        .screenshot({ path: path.join(shots, `playground-failed-${results.length}.png`) })
        .catch(() => undefined);
  }
}
function assert(cond, message) {
  if (!cond) throw new Error(message);
}
function assertEqual(actual, expected, what) {
  const a = JSON.stringify(actual);
  const b = JSON.stringify(expected);
  if (a !== b) throw new Error(`${what}:\n  page: ${a.slice(0, 1500)}\n  node: ${b.slice(0, 1500)}`);
}

// ---- build, serve, Node language server ------------------------------------------------------------
if (!process.argv.includes('--no-build') || !fs.existsSync(path.join(root, 'dist/playground/index.html'))) {
  if (!fs.existsSync(path.join(root, 'dist/cli.js')))
    spawnSync(process.execPath, ['esbuild.mjs'], { cwd: root, stdio: 'inherit' });
  const { ms } = await buildPlayground();
  console.log(`  built dist/playground in ${ms} ms`);
}
const { server, url } = await servePlayground(path.join(root, 'dist/playground'), 0);
const origin = new URL(url).origin;
// .cache/ is git-ignored: on a fresh clone whose editor tier did not run it does not exist yet (mkdtemp does not create it).
fs.mkdirSync(path.join(root, '.cache'), { recursive: true });
const userDataDir = fs.mkdtempSync(path.join(root, '.cache', 'playground-chromium-'));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-playground-'));
const exampleSource = fs.readFileSync(path.join(root, 'examples/redirect.bpf.c'), 'utf8');
const exampleObject = path.join(root, 'dist/playground/examples/redirect.bpf.o');
const exampleScenario = path.join(root, 'examples/redirect.xdpscenario.json');
const redirectLine = exampleSource.split('\n').findIndex((l) => l.includes('bpf_redirect_map(')); // 0-based
const offsite = [];

const nodeServer = spawn(process.execPath, [path.join(root, 'dist/server.js'), '--stdio'], {
  stdio: ['pipe', 'pipe', 'inherit'],
});
const conn = rpc.createMessageConnection(
  new rpc.StreamMessageReader(nodeServer.stdout),
  new rpc.StreamMessageWriter(nodeServer.stdin),
);
const nodeDiagnostics = new Map();
const diagnosticWaiters = [];
conn.onNotification('textDocument/publishDiagnostics', (p) => {
  nodeDiagnostics.set(p.uri, p.diagnostics);
  for (const w of diagnosticWaiters.splice(0)) w();
});
conn.onNotification(() => undefined);
conn.onRequest(() => null);
conn.listen();
await conn.sendRequest('initialize', {
  processId: process.pid,
  rootUri: null,
  capabilities: {},
  workspaceFolders: null,
});
conn.sendNotification('initialized', {});
let nodeVersion = 0;
/** Opens `text` in the Node server as `name` and waits for its first diagnostics. */
async function nodeOpen(name, text) {
  const uri = pathToFileURL(path.join(work, name)).href;
  fs.writeFileSync(path.join(work, name), text);
  nodeDiagnostics.delete(uri);
  const got = new Promise((resolve) => {
    const check = () => (nodeDiagnostics.has(uri) ? resolve() : diagnosticWaiters.push(check));
    check();
  });
  conn.sendNotification('textDocument/didOpen', {
    textDocument: { uri, languageId: 'c', version: ++nodeVersion, text },
  });
  await got;
  return uri;
}

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
  acceptDownloads: true,
  colorScheme: 'dark',
});
const problems = [];
try {
  page = browser.pages()[0] ?? (await browser.newPage());
  // The step's name and the stack go with each problem, so a failure says where it came from.
  page.on('pageerror', (e) => problems.push(`pageerror during "${currentStep}": ${e.stack ?? e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console during "${currentStep}": ${m.text()}`);
  });
  // Offline: only the page's own origin (and data:/blob:) may be fetched; anything else is aborted and recorded.
  await browser.route('**/*', (route) => {
    const u = route.request().url();
    if (u.startsWith(origin) || u.startsWith('data:') || u.startsWith('blob:')) return route.continue();
    offsite.push(u);
    return route.abort();
  });
  const ready = () =>
    page.waitForFunction(
      () => window.xdpLabPlayground?.ready === true || window.xdpLabPlayground?.startError,
      null,
      { timeout: 90_000 },
    );
  const pg = (fn, arg) => page.evaluate(fn, arg);
  /** Waits until the page's program markers satisfy `pred` (the worker publishes after a debounce). */
  const waitMarkers = (pred) =>
    page
      .waitForFunction(pred, null, { timeout: 20_000, polling: 100 })
      .then(() => pg(() => window.xdpLabPlayground.editors.programMarkers()));

  await step('page loads offline: Monaco, the language client and the visualizer start', async () => {
    await page.goto(url);
    await ready();
    const err = await pg(() => window.xdpLabPlayground.startError);
    assert(!err, `start error: ${err}`);
    await page.locator('#program-editor .view-lines').waitFor();
    assert(
      (await page.locator('#program-name').innerText()) === 'redirect.bpf.c',
      'the example program is open',
    );
    // TextMate colouring: the C grammar and the BPF injection grammar tokenise the text into several colours.
    await page.waitForFunction(
      () =>
        new Set(
          [...document.querySelectorAll('#program-editor .view-line span span')].map(
            (s) => getComputedStyle(s).color,
          ),
        ).size >= 4,
      null,
      { timeout: 20_000 },
    );
    assert(
      await page.locator('#visual-placeholder').isVisible(),
      'the visualizer waits for the first Simulate',
    );
  });

  await step('XDP diagnostics: the example is clean in the page and in the Node server', async () => {
    const marks = await pg(() => window.xdpLabPlayground.editors.programMarkers());
    const uri = await nodeOpen('redirect.bpf.c', exampleSource);
    assertEqual(marks.length, nodeDiagnostics.get(uri).length, 'diagnostic count on the example');
  });

  await step(
    'a redirect through a HASH map is flagged on the bpf_redirect_map line, as the Node server does',
    async () => {
      const ed = 'window.xdpLabPlayground.editors.programEditor()';
      const hashText = exampleSource.replace('BPF_MAP_TYPE_DEVMAP)', 'BPF_MAP_TYPE_HASH)');
      assert(hashText !== exampleSource, 'the example declares tx_port as a DEVMAP');
      await pg((t) => window.xdpLabPlayground.editors.programEditor().getModel().setValue(t), hashText);
      const marks = await waitMarkers(() =>
        window.xdpLabPlayground.editors.programMarkers().some((m) => /HASH/.test(m.message)),
      );
      const m = marks.find((x) => /HASH/.test(x.message));
      assert(m.line === redirectLine + 1, `marker on line ${m.line}, expected ${redirectLine + 1} (${ed})`);
      assert(m.severity === 'Error', `severity ${m.severity}`);
      const uri = await nodeOpen('hash.bpf.c', hashText);
      const node = nodeDiagnostics.get(uri).map((d) => ({
        line: d.range.start.line + 1,
        column: d.range.start.character + 1,
        message: d.message,
      }));
      assertEqual(
        marks.map((x) => ({ line: x.line, column: x.column, message: x.message })),
        node,
        'diagnostics (HASH map)',
      );
      // And it is drawn: a squiggle on that line.
      await pg(
        (l) => window.xdpLabPlayground.editors.programEditor().revealLineInCenter(l),
        redirectLine + 1,
      );
      await page.locator('#program-editor .squiggly-error').first().waitFor({ timeout: 10_000 });
      await page.screenshot({ path: path.join(shots, 'playground-diagnostic.png') });
      await pg((t) => window.xdpLabPlayground.editors.programEditor().getModel().setValue(t), exampleSource);
      await waitMarkers(
        () => !window.xdpLabPlayground.editors.programMarkers().some((m) => /HASH/.test(m.message)),
      );
    },
  );

  await step('completion of bpf_redirect_map and its signature while typing', async () => {
    // A fresh line inside xdp_redirect_udp, just before its return.
    await pg((l) => {
      const e = window.xdpLabPlayground.editors.programEditor();
      e.setPosition({ lineNumber: l, column: 1 });
      e.trigger('test', 'editor.action.insertLineBefore', null);
      e.focus();
    }, redirectLine + 1);
    await page.keyboard.type('\tbpf_redirect_m', { delay: 30 });
    await page.keyboard.press('Control+Space');
    const row = page.locator('.suggest-widget .monaco-list-row', { hasText: 'bpf_redirect_map' }).first();
    await row.waitFor({ timeout: 15_000 });
    await page.screenshot({ path: path.join(shots, 'playground-completion.png') });
    await page.keyboard.press('Escape');
    await page.keyboard.type('ap(', { delay: 30 });
    const hints = page.locator('.parameter-hints-widget');
    await hints.waitFor({ state: 'visible', timeout: 15_000 });
    const text = await hints.innerText();
    assert(/bpf_redirect_map/.test(text) && /map/.test(text) && /key/.test(text), `parameter hints: ${text}`);
    await page.screenshot({ path: path.join(shots, 'playground-signature.png') });
    await page.keyboard.press('Escape');
    await pg((t) => window.xdpLabPlayground.editors.programEditor().getModel().setValue(t), exampleSource);
  });

  await step('hovering a helper shows its signature and the uapi documentation', async () => {
    const col = exampleSource.split('\n')[redirectLine].indexOf('bpf_redirect_map') + 4;
    await pg(
      ([l, c]) => {
        const e = window.xdpLabPlayground.editors.programEditor();
        e.revealLineInCenter(l);
        e.setPosition({ lineNumber: l, column: c });
        e.focus();
        // The action Ctrl+K Ctrl+I and a resting mouse run in VS Code.
        e.trigger('keyboard', 'editor.action.showHover', null);
      },
      [redirectLine + 1, col],
    );
    const hover = page.locator('.monaco-hover-content', { hasText: 'bpf_redirect_map' }).first();
    await hover.waitFor({ state: 'visible', timeout: 15_000 });
    const text = await hover.innerText();
    assert(
      /long bpf_redirect_map\(struct bpf_map \*map/.test(text),
      `hover signature: ${text.slice(0, 200)}`,
    );
    assert(/From \/usr\/include\/linux\/bpf\.h/.test(text), `hover has the uapi docs: ${text.slice(0, 400)}`);
    await page.screenshot({ path: path.join(shots, 'playground-hover.png') });
    await page.keyboard.press('Escape');
  });

  await step('the outline (Go to Symbol in Editor) lists the programs and maps', async () => {
    await pg(() => {
      const ed = window.xdpLabPlayground.editors;
      ed.programEditor().focus();
      // Ctrl+Shift+O in VS Code: the '@' quick access over the document symbols.
      void ed.runCommand('workbench.action.gotoSymbol');
    });
    const list = page.locator('.quick-input-widget #quickInput_list');
    await list
      .locator('.monaco-list-row', { hasText: 'xdp_redirect_udp' })
      .first()
      .waitFor({ timeout: 15_000 });
    const text = await list.innerText();
    for (const name of ['tx_port', 'rx_count', 'xdp_redirect_udp', 'xdp_pass'])
      assert(text.includes(name), `outline lacks ${name}: ${text}`);
    await page.screenshot({ path: path.join(shots, 'playground-outline.png') });
    await page.keyboard.press('Escape');
  });

  await step(
    'completion, hover, signature help, outline and tokens equal the Node server on the same file',
    async () => {
      const pageUri = 'file:///workspace/redirect.bpf.c';
      const nodeUri = await nodeOpen('redirect.bpf.c', exampleSource);
      const lines = exampleSource.split('\n');
      const call = { line: redirectLine, character: lines[redirectLine].indexOf('bpf_redirect_map(') + 6 };
      const args = { line: redirectLine, character: lines[redirectLine].indexOf('(&tx_port') + 2 };
      const ask = async (method, position, extra = {}) => {
        const p = { ...extra, ...(position ? { position } : {}) };
        const fromPage = await pg(
          ([m, q]) => window.xdpLabPlayground.editors.lsp(m, q),
          [method, { ...p, textDocument: { uri: pageUri } }],
        );
        const fromNode = await conn.sendRequest(method, { ...p, textDocument: { uri: nodeUri } });
        const norm = (v) =>
          JSON.parse(
            JSON.stringify(v ?? null)
              .replaceAll(nodeUri, 'URI')
              .replaceAll(pageUri, 'URI'),
          );
        assertEqual(norm(fromPage), norm(fromNode), method);
        return fromPage;
      };
      const c = await ask('textDocument/completion', call);
      assert(
        (c.items ?? c).some((i) => i.label === 'bpf_redirect_map'),
        'completion offers bpf_redirect_map',
      );
      const h = await ask('textDocument/hover', call);
      assert(JSON.stringify(h).includes('bpf_redirect_map'), 'hover names the helper');
      const s = await ask('textDocument/signatureHelp', args);
      assert(s?.signatures?.length > 0, 'signature help answers');
      const o = await ask('textDocument/documentSymbol', undefined);
      assert(JSON.stringify(o).includes('tx_port'), 'outline lists tx_port');
      await ask('textDocument/semanticTokens/full', undefined);
      await ask('textDocument/codeLens', undefined);
    },
  );

  const cli = JSON.parse(
    spawnSync(process.execPath, [path.join(root, 'dist/cli.js'), 'simulate', exampleScenario, '--json'], {
      encoding: 'utf8',
    }).stdout,
  );
  /** Every headline counter of the visualizer, compared with the CLI's summary by its JSON path. */
  /** Clicks Simulate and checks the counters once that run (the example's 80 frames) is on screen. */
  async function simulateAndCheckCounters() {
    await page.click('#simulate');
    const view = page.frameLocator('#visualizer');
    await view.locator('#status.status-ready').waitFor({ state: 'attached', timeout: 30_000 });
    await view.locator('[data-counter="frames.injected"][data-value="80"]').waitFor({ timeout: 30_000 });
    await checkCounters();
  }

  async function checkCounters() {
    const counters = page.frameLocator('#visualizer').locator('[data-counter]');
    await counters.first().waitFor({ timeout: 30_000 });
    const shown = await counters.evaluateAll((els) =>
      els.map((e) => [e.getAttribute('data-counter'), Number(e.getAttribute('data-value'))]),
    );
    const actions = Object.values(cli.actions);
    const expect = {
      'frames.injected': JSON.parse(fs.readFileSync(exampleScenario, 'utf8')).traffic.reduce(
        (n, t) => n + t.count,
        0,
      ),
      'tracepoints.xdp:xdp_redirect': cli.tracepoints['xdp:xdp_redirect'] ?? 0,
      'tracepoints.xdp:xdp_redirect_err': cli.tracepoints['xdp:xdp_redirect_err'] ?? 0,
      'devmapXmit.sent': cli.devmapXmit.sent,
      'devmapXmit.drops': cli.devmapXmit.drops,
      'cpumap.enqueue.processed': cli.cpumap.enqueue.processed,
      'actions.XDP_PASS': actions.reduce((n, a) => n + (a.XDP_PASS ?? 0), 0),
      'errno.total': Object.values(cli.errno).reduce(
        (n, h) => n + Object.values(h).reduce((a, b) => a + b, 0),
        0,
      ),
    };
    assert(shown.length >= Object.keys(expect).length, `counters shown: ${JSON.stringify(shown)}`);
    for (const [k, v] of shown)
      if (k in expect)
        assert(v === expect[k], `counter ${k}: page ${v}, xdp-lab simulate --json ${expect[k]}`);
    assert(expect['tracepoints.xdp:xdp_redirect_err'] > 0, 'the example shows its drop');
    // The whole summary too, as the worker computed it.
    const summary = await pg(() => window.xdpLabPlayground.lastSummary);
    assertEqual(summary, cli, 'summary of the page run vs xdp-lab simulate --json');
  }

  await step(
    'simulate the example (prebuilt object) from its CodeLens: the visualizer counters equal xdp-lab simulate --json',
    async () => {
      await pg((l) => window.xdpLabPlayground.editors.programEditor().revealLineInCenter(l), 28);
      // Monaco re-requests the CodeLens while the page settles (its debounce follows the provider's
      // latency); a click on an anchor of the list it just replaced finds the command's delegation
      // disposed ("Actual command not found, wanted to execute xdpLab.… /N") and nothing runs. A user
      // clicks again; so does this step, at most three times, and only that message is forgiven.
      const stale = /Actual command not found, wanted to execute xdpLab\./;
      const counters = page.frameLocator('#visualizer').locator('[data-counter]').first();
      for (let attempt = 1; ; attempt++) {
        const before = problems.length;
        const staleClick = new Promise((resolve) => {
          const onConsole = (m) => {
            if (stale.test(m.text())) {
              page.off('console', onConsole);
              resolve('stale');
            }
          };
          page.on('console', onConsole);
          counters.waitFor({ timeout: 30_000 }).then(
            () => (page.off('console', onConsole), resolve('ran')),
            () => (page.off('console', onConsole), resolve('timeout')),
          );
        });
        await page.locator('#program-editor .codelens-decoration a', { hasText: 'Simulate' }).first().click();
        const outcome = await staleClick;
        if (outcome !== 'stale' || attempt === 3) break;
        const forgiven = problems.splice(before).filter((p) => !stale.test(p));
        problems.push(...forgiven);
      }
      await checkCounters();
      // Our verifier's verdict on the object that ran: in the status line and one message per program.
      await page.locator('#status', { hasText: 'verifier: ✓ 2 accepted' }).waitFor({ timeout: 30_000 });
      await page
        .locator('#messages .msg.info', {
          hasText: 'redirect.bpf.o · xdp_redirect_udp: ✓ verifier: accepted',
        })
        .waitFor({ timeout: 30_000 });
      const note = await page.locator('#messages .msg.info').last().innerText();
      assert(
        /clang is not available in a browser/.test(note) && /clang -O2 -g -target bpf/.test(note),
        `clang note: ${note}`,
      );
      await page.screenshot({ path: path.join(shots, 'playground-simulated.png') });
    },
  );

  await step(
    'the visualizer Re-run with a traffic edit runs that edit, leaving the scenario text as it was',
    async () => {
      const before = await pg(() => window.xdpLabPlayground.editors.scenarioEditor().getValue());
      const frame = page.frameLocator('#visualizer');
      // The panel's own request (what its Traffic tab sends), from inside the iframe through the shim.
      await frame.locator('body').evaluate(() =>
        window.acquireVsCodeApi().postMessage({
          type: 'request',
          id: 9001,
          method: 'visualizer/rerun',
          params: { traffic: [{ index: 1, count: 32 }] },
        }),
      );
      await frame.locator('[data-counter="frames.injected"][data-value="96"]').waitFor({ timeout: 30_000 });
      assert(
        (await pg(() => window.xdpLabPlayground.editors.scenarioEditor().getValue())) === before,
        'scenario text untouched',
      );
      await simulateAndCheckCounters();
    },
  );

  await step(
    'a 1 000 000-frame run streams into the visualizer; Stop keeps the counts so far and the page keeps working',
    async () => {
      const frame = page.frameLocator('#visualizer');
      await frame.locator('body').evaluate(() =>
        window.acquireVsCodeApi().postMessage({
          type: 'request',
          id: 9002,
          method: 'visualizer/rerun',
          params: { traffic: [{ index: 0, count: 1000000 }] },
        }),
      );
      const status = frame.locator('#status');
      const redirects = frame.locator('[data-counter="tracepoints.xdp:xdp_redirect"]');
      await status.filter({ hasText: /of 1,000,016 frames/ }).waitFor({ timeout: 30_000 });
      const seen = new Set();
      const deadline = Date.now() + 60_000;
      while (seen.size < 2) {
        const text = await status.innerText();
        if (!/of 1,000,016 frames/.test(text)) throw new Error(`the run ended before two reports: ${text}`);
        const v = Number(await redirects.getAttribute('data-value'));
        if (v > 0) seen.add(v);
        if (Date.now() > deadline) throw new Error(`counts did not grow: ${[...seen].join(', ')}`);
        await page.waitForTimeout(50);
      }
      await page.screenshot({ path: path.join(shots, 'playground-streaming.png') });
      await frame.locator('button[data-action="stop"]').click();
      const stopped = status.filter({ hasText: /stopped after [\d,]+ of 1,000,016 frames/ });
      await stopped.waitFor({ timeout: 15_000 });
      const at = Number(
        (/stopped after ([\d,]+)/.exec(await stopped.innerText()) ?? [])[1]?.replace(/,/g, ''),
      );
      const shown = Number(await redirects.getAttribute('data-value'));
      assert(
        shown >= Math.max(...seen) && shown <= at && at < 1_000_016,
        `after Stop: ${shown} redirects shown, stopped after ${at} frames, reports ${[...seen].join(', ')}`,
      );
      assert(
        (await frame.locator('button[data-action="rerun"]').count()) === 1,
        'Re-run is back in place of Stop',
      );
      // The simulator was replaced; the next run is whole again.
      await simulateAndCheckCounters();
      return `reports ${[...seen].join(', ')}; stopped at ${at}`;
    },
  );

  await step('a bad .o gives a clear message and the page keeps working', async () => {
    await page.setInputFiles('#file-input', {
      name: 'bad.o',
      mimeType: 'application/octet-stream',
      buffer: Buffer.from('this is not an ELF file at all'),
    });
    const err = page.locator('#messages .msg.error', { hasText: 'bad.o' });
    await err.waitFor({ timeout: 15_000 });
    const text = await err.innerText();
    assert(/bad\.o cannot be used/.test(text) && /ELF|magic|object/i.test(text), `message: ${text}`);
    await page.screenshot({ path: path.join(shots, 'playground-bad-object.png') });
    const objects = await page.locator('#objects').innerText();
    assert(!objects.includes('bad.o'), 'the bad object is not kept');
  });

  await step(
    'a hostile scenario gives a clear message naming the JSON path; the page keeps working',
    async () => {
      const good = await pg(() => window.xdpLabPlayground.editors.scenarioEditor().getValue());
      const hostile = JSON.parse(good);
      hostile.traffic[0].count = 1e12;
      await pg(
        (t) => window.xdpLabPlayground.editors.scenarioEditor().getModel().setValue(t),
        JSON.stringify(hostile, null, 2),
      );
      await page.click('#simulate');
      const err = page.locator('#messages .msg.error');
      await err.first().waitFor({ timeout: 30_000 });
      const text = await err.first().innerText();
      assert(/\$\.traffic\[0\]\.count/.test(text), `message: ${text}`);
      await pg(
        (t) => window.xdpLabPlayground.editors.scenarioEditor().getModel().setValue(t),
        '{ "version": 1, "devices": [',
      );
      await page.click('#simulate');
      await page.locator('#messages .msg.error', { hasText: 'JSON' }).first().waitFor({ timeout: 30_000 });
      await pg((t) => window.xdpLabPlayground.editors.scenarioEditor().getModel().setValue(t), good);
      await simulateAndCheckCounters();
    },
  );

  await step('a scenario dropped on the page opens in the scenario editor', async () => {
    const text = fs.readFileSync(exampleScenario, 'utf8').replace('"cpus": 2', '"cpus": 2 ');
    await page.evaluate((t) => {
      const dt = new DataTransfer();
      dt.items.add(new File([t], 'dropped.xdpscenario.json', { type: 'application/json' }));
      window.dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
    }, text);
    await page
      .locator('#messages .msg.info', { hasText: 'dropped.xdpscenario.json opened as the scenario' })
      .waitFor({ timeout: 15_000 });
    assert(
      (await page.locator('#scenario-name').innerText()) === 'dropped.xdpscenario.json',
      'scenario name',
    );
    assert(
      (await pg(() => window.xdpLabPlayground.editors.scenarioEditor().getValue())) === text,
      'scenario text',
    );
  });

  await step(
    'open the example object and scenario as user files (no example): simulate equals the CLI',
    async () => {
      await page.selectOption('#example', '');
      await page.click('#simulate');
      const err = page.locator('#messages .msg.error', { hasText: 'clang is not available in a browser' });
      await err.waitFor({ timeout: 30_000 });
      await page.setInputFiles('#file-input', [exampleObject, exampleScenario]);
      await page
        .locator('#messages .msg.info', { hasText: 'redirect.bpf.o: XDP programs' })
        .waitFor({ timeout: 15_000 });
      assert(
        (await page.locator('#objects').innerText()).includes('redirect.bpf.o') &&
          (await page.locator('#objects').innerText()).includes('opened'),
        'the object is listed as opened',
      );
      await simulateAndCheckCounters();
    },
  );

  await step(
    'state: save to a file and reopen it; the URL fragment restores program and scenario',
    async () => {
      const marker = '// playground state round trip';
      await pg((m) => {
        const model = window.xdpLabPlayground.editors.programEditor().getModel();
        model.setValue(`${m}\n${model.getValue()}`);
      }, marker);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save-state')]);
      const saved = path.join(work, download.suggestedFilename());
      await download.saveAs(saved);
      const state = JSON.parse(fs.readFileSync(saved, 'utf8'));
      assert(
        state.format === 'xdp-lab-playground' && state.program.text.startsWith(marker),
        'saved state holds the edited program',
      );
      assert(
        state.objects.some((o) => o.name === 'redirect.bpf.o'),
        'saved state holds the opened object',
      );
      // The link: the example by name plus the edited program (objects of the example are not copied).
      await page.selectOption('#example', 'redirect');
      await page.waitForFunction(() =>
        window.xdpLabPlayground.editors.programEditor().getValue().startsWith('// SPDX'),
      );
      await pg((m) => {
        const model = window.xdpLabPlayground.editors.programEditor().getModel();
        model.setValue(`${m}\n${model.getValue()}`);
      }, marker);
      await page.click('#share-link');
      await page.waitForFunction(() => window.location.hash.startsWith('#s='));
      const link = page.url();
      // Reopen the saved file in a fresh page, then the link in another.
      const again = await browser.newPage();
      try {
        await again.goto(url);
        await again.waitForFunction(() => window.xdpLabPlayground?.ready === true, null, { timeout: 90_000 });
        await again.setInputFiles('#file-input', saved);
        await again
          .locator('#messages .msg.info', { hasText: 'playground restored' })
          .waitFor({ timeout: 15_000 });
        const text = await again.evaluate(() => window.xdpLabPlayground.editors.programEditor().getValue());
        assert(text.startsWith(marker), 'the reopened file restores the program');
        await again.goto('about:blank');
        await again.goto(link);
        await again.waitForFunction(() => window.xdpLabPlayground?.ready === true, null, { timeout: 90_000 });
        const fromLink = await again.evaluate(() =>
          window.xdpLabPlayground.editors.programEditor().getValue(),
        );
        assert(fromLink.startsWith(marker), 'the link restores the program');
        await again.click('#simulate');
        const c = again.frameLocator('#visualizer').locator('[data-counter="tracepoints.xdp:xdp_redirect"]');
        await c.waitFor({ timeout: 30_000 });
        assert(
          Number(await c.getAttribute('data-value')) === (cli.tracepoints['xdp:xdp_redirect'] ?? 0),
          'the link carries the object: simulate works',
        );
      } finally {
        await again.close();
      }
    },
  );

  await step(
    'themes: VS Code Default Dark Modern and Light Modern colour the editor and the visualizer',
    async () => {
      await page.selectOption('#theme', 'dark');
      await page.waitForFunction(
        () =>
          getComputedStyle(document.querySelector('#program-editor .monaco-editor-background'))
            .backgroundColor === 'rgb(31, 31, 31)',
        null,
        { timeout: 10_000 },
      );
      await page.screenshot({ path: path.join(shots, 'playground-dark.png') });
      await page.selectOption('#theme', 'light');
      await page.waitForFunction(
        () =>
          getComputedStyle(document.querySelector('#program-editor .monaco-editor-background'))
            .backgroundColor === 'rgb(255, 255, 255)',
        null,
        { timeout: 10_000 },
      );
      const visBg = await page
        .frameLocator('#visualizer')
        .locator('body')
        .evaluate((b) => getComputedStyle(b).backgroundColor);
      assert(visBg === 'rgb(255, 255, 255)', `visualizer background in light theme: ${visBg}`);
      await page.screenshot({ path: path.join(shots, 'playground-light.png') });
    },
  );

  await step(
    'a user object our verifier rejects: it still simulates, the status line, a message and the visualizer name the rejection (screenshot playground-verifier.png)',
    async () => {
      // reject_no_iph_check.bpf.o reads the IPv4 TTL without the bounds check: the kernel refuses it
      // (line 1 of its source, test/fixtures/verifier). A scenario of the user's own runs it.
      const obj = path.join(root, 'test/fixtures/verifier/obj/reject_no_iph_check.bpf.o');
      const scenario = path.join(work, 'unchecked.xdpscenario.json');
      fs.writeFileSync(
        scenario,
        JSON.stringify({
          version: 1,
          programs: [{ name: 'p', file: 'reject_no_iph_check.bpf.o', function: 'xdp_no_iph_check' }],
          devices: [
            { name: 'a0', kind: 'veth', peer: 'r1' },
            { name: 'r1', kind: 'veth', peer: 'a0', xdp: { program: 'p', mode: 'native' } },
          ],
          traffic: [{ from: 'a0', count: 4, frame: { udp: { dst: '10.0.0.2', dport: 9 } } }],
        }),
      );
      await page.setInputFiles('#file-input', [obj, scenario]);
      await page
        .locator('#messages .msg.info', { hasText: 'reject_no_iph_check.bpf.o: XDP programs' })
        .waitFor({ timeout: 15_000 });
      await page.click('#simulate');
      await page.locator('#status', { hasText: 'verifier: ✗ 1 rejected' }).waitFor({ timeout: 30_000 });
      const msg = page.locator('#messages .msg.error', {
        hasText: 'reject_no_iph_check.bpf.o · xdp_no_iph_check: ✗ verifier: invalid access to packet',
      });
      await msg.waitFor({ timeout: 30_000 });
      const text = await msg.last().innerText();
      assert(/reject_no_iph_check\.bpf\.c:\d+/.test(text), `the message names the source line: ${text}`);
      const banner = page.frameLocator('#visualizer').locator('p.warning', {
        hasText: "the kernel's verifier would reject xdp_no_iph_check",
      });
      await banner.waitFor({ timeout: 30_000 });
      // It ran anyway: the frames reached the program.
      await page
        .frameLocator('#visualizer')
        .locator('[data-counter="frames.injected"][data-value="4"]')
        .waitFor({ timeout: 30_000 });
      await page.screenshot({ path: path.join(shots, 'playground-verifier.png') });
    },
  );

  await step(
    'an object with a strong CONFIG_ extern: kept, refused at Simulate with how to give a config, then run with a gzip config opened like /proc/config.gz (screenshot playground-kconfig.png)',
    async () => {
      // kconfig.bpf.o reads `extern int CONFIG_HZ __kconfig` (strong): a browser has no config.
      const obj = path.join(root, 'test/fixtures/programs/obj/kconfig.bpf.o');
      const scenario = path.join(work, 'kconfig.xdpscenario.json');
      fs.writeFileSync(
        scenario,
        JSON.stringify({
          version: 1,
          programs: [{ name: 'k', file: 'kconfig.bpf.o', function: 'xdp_kconfig' }],
          devices: [
            { name: 'a0', kind: 'veth', peer: 'b0' },
            { name: 'b0', kind: 'veth', peer: 'a0', xdp: { program: 'k', mode: 'native' } },
          ],
          traffic: [{ from: 'a0', count: 5, frame: { udp: { dst: '10.0.0.2', dport: 9 } } }],
        }),
      );
      await page.setInputFiles('#file-input', [obj, scenario]);
      await page
        .locator('#messages .msg.info', {
          hasText: 'kconfig.bpf.o is kept, and runs once its CONFIG_* externs',
        })
        .waitFor({ timeout: 15_000 });
      await page.click('#simulate');
      await page
        .locator('#messages .msg.error', {
          hasText:
            "extern 'CONFIG_HZ' (strong): not resolved: no kernel config to read it from (a browser has no kernel config)",
        })
        .waitFor({ timeout: 30_000 });
      // The config as /proc/config.gz is: gzip. CONFIG_HZ=1000 takes the program's XDP_TX branch.
      const config = path.join(work, 'config.gz');
      fs.writeFileSync(
        config,
        gzipSync('# CONFIG_NF_CONNTRACK is not set\nCONFIG_HZ=1000\nCONFIG_NF_CONNTRACK=m\n'),
      );
      await page.setInputFiles('#file-input', config);
      await page
        .locator('#messages .msg.info', { hasText: 'config.gz: kernel config with 2 options' })
        .waitFor({ timeout: 15_000 });
      assert(
        (await page.locator('#objects').innerText()).includes('kernel config config.gz (2 options)'),
        'the config is listed beside the objects',
      );
      await page.click('#simulate');
      await page.locator('#status', { hasText: 'verifier: ✓ 1 accepted' }).waitFor({ timeout: 30_000 });
      await page
        .frameLocator('#visualizer')
        .locator('[data-counter="frames.injected"][data-value="5"]')
        .waitFor({ timeout: 30_000 });
      const summary = await pg(() => window.xdpLabPlayground.lastSummary);
      assert(
        summary?.actions?.b0?.XDP_TX === 5,
        `CONFIG_HZ=1000 from the config: ${JSON.stringify(summary?.actions)}`,
      );
      await page.screenshot({ path: path.join(shots, 'playground-kconfig.png') });
      // Forgotten with its ×: the next Simulate is refused again.
      await page.click('#kernel-config button');
      assert(!(await page.locator('#objects').innerText()).includes('kernel config'), 'the config is gone');
    },
  );

  await step('nothing was fetched from outside the page and no uncaught page error occurred', async () => {
    assert(offsite.length === 0, `off-site requests: ${offsite.join(', ')}`);
    const bad = problems.filter(
      (p) => !/Failed to load resource: the server responded with a status of 404/.test(p),
    );
    assert(bad.length === 0, `page problems:\n  ${bad.join('\n  ')}`);
  });
} finally {
  await browser.close().catch(() => undefined);
  server.close();
  conn.dispose();
  nodeServer.kill();
  fs.rmSync(userDataDir, { recursive: true, force: true });
  fs.rmSync(work, { recursive: true, force: true });
}
const passed = results.filter((r) => r.ok).length;
console.log(`playground: ${passed} passed, ${results.length - passed} failed`);
process.exit(results.length === passed ? 0 : 1);
