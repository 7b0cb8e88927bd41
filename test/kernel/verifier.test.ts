// "Verify in kernel" against the real 6.18 verifier: the language server compiles with clang, loads
// with bpftool into a temporary bpffs pin and reports the rejection on the source line the BTF line
// info names. Also: every program of the zero-false-positive corpus really loads (so "correct" is
// the kernel's word, not ours). No netns needed; the kernel lock is held as for all kernel tests.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeLens } from 'vscode-languageserver';
import type { VerifyResult } from '../../src/protocol/lsp';
import { startInMemory } from '../lsp/lspClient';
import type { TestClient } from '../lsp/lspClient';
import { acquireKernelLock } from './lib/lock';
import type { KernelLock } from './lib/lock';
import { probe } from './lib/probe';

const fixtures = path.resolve(__dirname, '../fixtures/analysis');
const skip = probe();

describe('Verify in kernel (language server → clang → bpftool → verifier log)', { skip }, () => {
  let c: TestClient;
  let lock: KernelLock;
  let dir: string;
  before(async () => {
    lock = await acquireKernelLock();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-verify-'));
    c = await startInMemory(pathToFileURL(dir).href);
  });
  after(async () => {
    await c.close();
    fs.rmSync(dir, { recursive: true, force: true });
    await lock.release();
  });

  const copy = (rel: string): { uri: string; text: string } => {
    const text = fs.readFileSync(path.join(fixtures, rel), 'utf8');
    const file = path.join(dir, path.basename(rel));
    fs.writeFileSync(file, text);
    return { uri: pathToFileURL(file).href, text };
  };
  const pins = () =>
    fs.readdirSync('/sys/fs/bpf').filter((n) => n.startsWith(`xdplab_verify_${process.pid}_`));

  test('a missing bounds check is rejected on the line of the packet read, with the log and a diagnostic there', async () => {
    const { uri, text } = copy('bad/unchecked_access.bpf.c');
    await c.open(uri, text);
    const r = await c.request<VerifyResult>('xdpLab/verify', { uri, function: 'xdp_no_bounds' });
    assert.equal(r.status, 'rejected', r.log);
    assert.equal(r.program, 'xdp_no_bounds');
    const expectedLine = text.split('\n').findIndex((l) => l.includes('eth->h_proto'));
    assert.equal(r.line, expectedLine);
    assert.match(r.message, /invalid access to packet/);
    assert.match(r.log, /BEGIN PROG LOAD LOG/);
    const diags = await c.diagnostics(uri, (d) => d.some((x) => x.source === 'verifier'));
    assert.equal(diags.find((x) => x.source === 'verifier')?.range.start.line, expectedLine);
    assert.deepEqual(pins(), [], 'the temporary bpffs pin is removed');
  });

  test("the kernel's answer stays through a compile of the same text and goes with a change", async () => {
    const { uri, text } = copy('bad/unchecked_access.bpf.c');
    await c.open(uri, text);
    const r = await c.request<VerifyResult>('xdpLab/verify', { uri, function: 'xdp_no_bounds' });
    assert.equal(r.status, 'rejected', r.log);
    const kernelLens = async () =>
      (await c.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } }))
        .map((l) => l.command?.title ?? '')
        .filter((t) => t.includes('kernel:'));
    const kernelSays = () => (c.lastDiagnostics(uri) ?? []).filter((d) => d.source === 'verifier');
    assert.deepEqual(await kernelLens(), ['Verify in kernel (kernel: ✗ rejected)']);
    assert.equal(kernelSays().length, 1);

    // A save without changes compiles the same text again (publishing before it answers): the answer stays.
    const again = await c.request<{ ok: boolean }>('xdpLab/compile', { uri });
    assert.equal(again.ok, true);
    assert.deepEqual(await kernelLens(), ['Verify in kernel (kernel: ✗ rejected)']);
    assert.equal(kernelSays().length, 1, 'the kernel diagnostic is still published');

    // Any change to the text: the next compile is of another program, the kernel has not seen it.
    const changed = text.replace('SEC("xdp")', '/* changed */\nSEC("xdp")');
    assert.notEqual(changed, text);
    fs.writeFileSync(new URL(uri), changed);
    await c.change(uri, 2, changed);
    assert.equal((await c.request<{ ok: boolean }>('xdpLab/compile', { uri })).ok, true);
    assert.deepEqual(await kernelLens(), []);
    assert.equal(kernelSays().length, 0);
  });

  test('every program of the correct corpus is accepted by the kernel verifier', async () => {
    for (const f of fs.readdirSync(path.join(fixtures, 'ok')).filter((x) => x.endsWith('.c'))) {
      const { uri, text } = copy(`ok/${f}`);
      await c.open(uri, text);
      const r = await c.request<VerifyResult>('xdpLab/verify', { uri });
      assert.equal(r.status, 'accepted', `${f}: ${r.message}\n${r.log}`);
    }
    assert.deepEqual(pins(), []);
  });

  test('a GPL-only helper under a proprietary license is rejected, as the analyzer predicted', async () => {
    const { uri, text } = copy('bad/proprietary_license.bpf.c');
    await c.open(uri, text);
    const r = await c.request<VerifyResult>('xdpLab/verify', { uri });
    assert.equal(r.status, 'rejected');
    assert.match(r.log, /GPL/);
  });
});
