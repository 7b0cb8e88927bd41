// The host-side checks of the visualizer that need no VS Code: which paths the webview may open
// (inside the workspace only, symlinks resolved), traffic edits applied to the raw scenario JSON,
// and the page's Content-Security-Policy.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, test } from 'node:test';
import { checkCaptureFile } from '../../src/core/trace/captureFile';
import { summarize } from '../../src/core/trace/summary';
import type { XdpEvent } from '../../src/core/trace/tracepoints';
import { captureToViewModel } from '../../src/extension/visualizer/fromCapture';
import { contentSecurityPolicy, visualizerHtml } from '../../src/extension/visualizer/html';
import { visModel } from '../../src/protocol/visualizer';
import { resolveSourcePath } from '../../src/extension/visualizer/sourcePath';
import { applyTrafficEdits } from '../../src/protocol/visualizerTrafficEdits';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-vis-host-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const ws = path.join(tmp, 'ws');
const outside = path.join(tmp, 'outside');
fs.mkdirSync(path.join(ws, 'src'), { recursive: true });
fs.mkdirSync(outside);
fs.writeFileSync(path.join(ws, 'src/prog.bpf.c'), 'int x;\n');
fs.writeFileSync(path.join(outside, 'secret.c'), 'secret\n');
fs.symlinkSync(path.join(outside, 'secret.c'), path.join(ws, 'src/link.c'));

void test('openSource: files inside the workspace open, relative to the scenario folder', () => {
  const r = resolveSourcePath('prog.bpf.c', path.join(ws, 'src'), [ws]);
  assert.deepEqual(r, { ok: true, path: fs.realpathSync(path.join(ws, 'src/prog.bpf.c')) });
  assert.equal(resolveSourcePath(path.join(ws, 'src/prog.bpf.c'), undefined, [ws]).ok, true);
});

void test('openSource: escapes, symlinks out, URIs, directories and missing files are refused with a reason', () => {
  const cases: Array<[string, RegExp]> = [
    ['../../outside/secret.c', /outside the workspace/],
    [path.join(outside, 'secret.c'), /outside the workspace/],
    ['link.c', /outside the workspace/],
    ['command:workbench.action.terminal.new', /only plain file paths/],
    ['file:///etc/passwd', /only plain file paths/],
    ['.', /not a file/],
    ['nope.c', /no such file/],
    ['a\0b', /invalid/],
    ['', /empty/],
  ];
  for (const [file, why] of cases) {
    const r = resolveSourcePath(file, path.join(ws, 'src'), [ws]);
    assert.equal(r.ok, false, file);
    if (!r.ok) assert.match(r.reason, why, file);
  }
  const none = resolveSourcePath('prog.bpf.c', path.join(ws, 'src'), []);
  assert.equal(none.ok, false);
});

void test('traffic edits change count, burst and UDP fields of a copy, and refuse what does not fit', () => {
  const raw = {
    version: 1,
    traffic: [
      { from: 'a0', count: 64, frame: { udp: { dst: '10.0.0.2', dport: 8 } } },
      { rx: 'eth0', count: 4, frame: 'ffffffffffff' },
    ],
  };
  const out = applyTrafficEdits(raw, [
    { index: 0, count: 5, burst: 4, dst: '10.0.0.9', dport: 99 },
  ]) as typeof raw;
  assert.deepEqual(out.traffic[0], {
    from: 'a0',
    count: 5,
    burst: 4,
    frame: { udp: { dst: '10.0.0.9', dport: 99 } },
  });
  assert.equal(raw.traffic[0]?.count, 64, 'the original is untouched');
  assert.throws(
    () => applyTrafficEdits(raw, [{ index: 1, dport: 1 }]),
    /traffic\[1\] is not a structured UDP frame/,
  );
  assert.throws(() => applyTrafficEdits(raw, [{ index: 0, dst: '10.0.0.300' }]), /is not an IPv4 address/);
  assert.throws(() => applyTrafficEdits(raw, [{ index: 7, count: 1 }]), /traffic\[7\] does not exist/);
  assert.throws(() => applyTrafficEdits([], []), /no traffic array/);
});

void test('the page: strict CSP with a nonce, no inline data, and a bad nonce is refused', () => {
  const html = visualizerHtml({
    cspSource: 'vscode-resource:',
    nonce: 'abcdefghijklmnop1234',
    scriptUri: 'x.js',
    styleUri: 'x.css',
  });
  assert.match(html, /default-src 'none'/);
  assert.match(html, /script-src 'nonce-abcdefghijklmnop1234'/);
  assert.equal(contentSecurityPolicy('S', 'N').includes('unsafe'), false);
  const scripts = html.match(/<script[^>]*>/g) ?? [];
  assert.equal(scripts.length, 1);
  assert.match(scripts[0] ?? '', /nonce="abcdefghijklmnop1234" src="x.js"/);
  assert.throws(
    () => visualizerHtml({ cspSource: 'S', nonce: `"><script>`, scriptUri: 'x', styleUri: 'y' }),
    /nonce/,
  );
});

void test('the page inlines its bundle and stylesheet when given them, under the same nonce', () => {
  const html = visualizerHtml({
    cspSource: 'vscode-resource:',
    nonce: 'abcdefghijklmnop1234',
    scriptUri: 'x.js',
    styleUri: 'x.css',
    inline: { script: 'go("</script>")', style: 'svg { color: red } </style>' },
  });
  assert.doesNotMatch(html, /src="x\.js"|href="x\.css"/);
  assert.match(html, /<script nonce="abcdefghijklmnop1234">go\("<\\\/script>"\)<\/script>/);
  assert.match(html, /<style nonce="abcdefghijklmnop1234">svg \{ color: red \} <\\\/style><\/style>/);
  assert.match(html, /style-src vscode-resource: 'nonce-abcdefghijklmnop1234'/);
});

void test('a saved capture becomes a graph of its redirect paths, with each errno drop in red', () => {
  const ev = { prog_id: 7, act: 4, ifindex: 3, err: 0, to_ifindex: 4, map_id: 1, map_index: 0 };
  const events: XdpEvent[] = [
    ...Array.from({ length: 5 }, () => ({ name: 'xdp:xdp_redirect' as const, ...ev })),
    { name: 'xdp:xdp_redirect_err', ...ev, to_ifindex: 6, err: -95 },
    { name: 'xdp:xdp_redirect_err', ...ev, to_ifindex: 6, err: -95 },
    { name: 'xdp:xdp_devmap_xmit', from_ifindex: 3, act: 4, to_ifindex: 4, drops: 1, sent: 4, err: -6 },
  ];
  const file = checkCaptureFile({
    format: 'xdp-lab-capture',
    version: 1,
    host: 'lab',
    tool: 'perf',
    kernel: '6.18.0',
    startedAt: '2026-11-25T12:00:00Z',
    durationSeconds: 5,
    status: 'completed',
    summary: summarize(events, '6.18.0'),
    devices: { '3': 'r1', '4': 'r2', '6': 'r3' },
  });
  if (typeof file === 'string') throw new Error(file);
  const m = captureToViewModel(file, 'lab');
  assert.equal(visModel.check(m, 'model'), undefined);
  const sum = (to: string): number => m.flows.filter((f) => f.to === to).reduce((n, f) => n + f.frames, 0);
  assert.equal(sum('dev:r2'), 5);
  assert.equal(sum('drop:r1:EOPNOTSUPP'), 2);
  assert.equal(sum('drop:r2:ndo_xdp_xmit refused'), 1);
  assert.deepEqual(m.drops.map((d) => `${d.device}:${d.errno ?? d.reason}=${d.count}`).sort(), [
    'r1:EOPNOTSUPP=2',
    'r2:ndo_xdp_xmit refused=1',
  ]);
  assert.equal(m.devices.find((d) => d.name === 'r2')?.counters.txFrames, 4);
  assert.equal(m.stepping.available, false);
});
