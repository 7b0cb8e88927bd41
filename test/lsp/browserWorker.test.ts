// The browser build of the language server (dist/server-web.js) runs in a real Chromium worker and
// answers LSP over postMessage: diagnostics for a HASH-map redirect, completion of bpf_redirect_map.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { chromium } from 'playwright-core';

const dist = path.resolve(__dirname, '../../dist');
const browser = '/usr/bin/chromium';
const skip = !fs.existsSync(path.join(dist, 'server-web.js'))
  ? 'dist/server-web.js not built'
  : !fs.existsSync(browser)
    ? 'no /usr/bin/chromium'
    : false;

test(
  'server-web.js in a Chromium worker: diagnostics and completion over postMessage',
  { skip },
  async () => {
    const server = http.createServer((req, res) => {
      const name = (req.url ?? '/').split('?')[0] === '/' ? 'index.html' : path.basename(req.url ?? '');
      if (name === 'index.html') return res.end('<!doctype html><title>worker</title>');
      const file = path.join(dist, name);
      if (!fs.existsSync(file)) return res.writeHead(404).end();
      res.writeHead(200, { 'content-type': name.endsWith('.wasm') ? 'application/wasm' : 'text/javascript' });
      fs.createReadStream(file).pipe(res);
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const b = await chromium.launch({ executablePath: browser, args: ['--no-sandbox'] });
    try {
      const page = await b.newPage();
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      const text = fs.readFileSync(
        path.resolve(__dirname, '../fixtures/analysis/bad/redirect_hash_map.bpf.c'),
        'utf8',
      );
      // Plain JavaScript (a string): the test runner's transpiler would inject helpers into a function.
      const script = `(async (source) => {
      const w = new Worker('/server-web.js');
      const msgs = [];
      const waitFor = (pred) => new Promise((resolve, reject) => {
        const t = setTimeout(() => reject(new Error('timeout; got ' + JSON.stringify(msgs).slice(0, 500))), 30000);
        const check = () => {
          const m = msgs.find(pred);
          if (m) { clearTimeout(t); resolve(m); } else setTimeout(check, 20);
        };
        check();
      });
      w.onmessage = (e) => msgs.push(e.data);
      w.onerror = (e) => msgs.push({ error: String(e.message) });
      const uri = 'file:///w/hash.bpf.c';
      w.postMessage({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { processId: null, rootUri: null, capabilities: {} } });
      await waitFor((m) => m.id === 1);
      w.postMessage({ jsonrpc: '2.0', method: 'initialized', params: {} });
      w.postMessage({ jsonrpc: '2.0', method: 'textDocument/didOpen', params: { textDocument: { uri, languageId: 'c', version: 1, text: source } } });
      const diags = await waitFor((m) => m.method === 'textDocument/publishDiagnostics' && m.params.diagnostics.length);
      w.postMessage({ jsonrpc: '2.0', id: 2, method: 'textDocument/completion', params: { textDocument: { uri }, position: { line: 14, character: 1 } } });
      const completion = (await waitFor((m) => m.id === 2)).result;
      w.terminate();
      return { codes: diags.params.diagnostics.map((d) => d.code), item: completion.items.find((i) => i.label === 'bpf_redirect_map') };
    })(${JSON.stringify(text)})`;
      const result = await page.evaluate<{ codes: string[]; item?: { detail?: string } }>(script);
      assert.deepEqual(result.codes, ['redirect-map-type']);
      assert.match(result.item?.detail ?? '', /long bpf_redirect_map\(/);
    } finally {
      await b.close();
      server.close();
    }
  },
);

test(
  'server-web.js pulls in no Node-only code (clang, bpftool, fs stay in the Node entry)',
  { skip: !fs.existsSync(path.join(dist, 'server-web.js')) && 'not built' },
  () => {
    const js = fs.readFileSync(path.join(dist, 'server-web.js'), 'utf8');
    for (const mod of ['child_process', 'node:fs', 'node:os', 'src/node/', 'nodeToolchain'])
      assert.ok(!js.includes(mod), `server-web.js contains ${mod}`);
  },
);
