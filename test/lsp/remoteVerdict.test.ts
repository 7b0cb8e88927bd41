// Issue 15 item 1 in the language server: after each successful compile the server names the object
// (xdpLab/didCompile, with its generation); the verification host's verdict the client sends back
// (xdpLab/remoteVerdict) appears beside ours in the CodeLens, and where the two differ as a diagnostic
// on the remote kernel's line (source "xdp-lab kernel (HOST)"); an answer about an older object is
// dropped. Real clang and our verifier; the remote report is the client's message (the kernel tier
// test/kernel/remoteVerify.test.ts covers a real host's kernel).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeLens, Diagnostic } from 'vscode-languageserver';
import type { DidCompileParams, RemoteVerdictParams } from '../../src/protocol/lsp';
import { startInMemory } from './lspClient';
import type { TestClient } from './lspClient';

const hasClang = spawnSync('clang', ['--version']).status === 0;
const fixtures = path.resolve(__dirname, '../fixtures/verifier');
const isRemote = (d: Diagnostic): boolean => d.source === 'xdp-lab kernel (h1)';

describe(
  'the verification host beside our verifier (real clang)',
  { skip: !hasClang && 'clang not installed' },
  () => {
    let c: TestClient;
    let dir: string;
    const compiled: DidCompileParams[] = [];
    let wake: (() => void) | undefined;
    before(async () => {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-lsp-remote-'));
      fs.copyFileSync(path.join(fixtures, 'common.h'), path.join(dir, 'common.h'));
      c = await startInMemory(pathToFileURL(dir).href);
      c.rpc.onNotification('xdpLab/didCompile', (p: DidCompileParams) => {
        compiled.push(p);
        wake?.();
      });
    });
    after(async () => {
      await c.close();
      fs.rmSync(dir, { recursive: true, force: true });
    });
    const nextCompile = (n: number): Promise<DidCompileParams> =>
      new Promise((resolve) => {
        const check = (): void => {
          if (compiled.length >= n) resolve(compiled[n - 1] as DidCompileParams);
          else wake = check;
        };
        check();
      });

    test('a disagreement is a lens and a diagnostic on the remote line; agreement is a plain lens', async () => {
      const text = fs.readFileSync(path.join(fixtures, 'accept_iph_check.bpf.c'), 'utf8');
      const ttlLine = text.split('\n').findIndex((l) => l.includes('iph->ttl <= 1'));
      const file = path.join(dir, 'prog.bpf.c');
      const uri = pathToFileURL(file).href;
      const lenses = async (): Promise<string[]> =>
        (await c.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } })).map(
          (l) => l.command?.title ?? '',
        );
      fs.writeFileSync(file, text);
      await c.open(uri, text);
      await c.save(uri);
      const first = await nextCompile(1);
      assert.equal(first.uri, uri);
      assert.ok(fs.existsSync(first.objectPath), first.objectPath);

      const rejected: RemoteVerdictParams = {
        uri,
        generation: first.generation,
        host: 'h1',
        kernel: { release: '5.15.0-91-generic', loader: 'libbpf' },
        report: {
          programs: [
            {
              name: 'xdp_iph_check',
              section: 'xdp',
              verdict: 'rejected',
              insnsProcessed: 13,
              error: {
                message: 'invalid access to packet, off=22 size=1',
                insn: 12,
                file: 'prog.bpf.c',
                line: ttlLine + 1,
                path: [],
              },
            },
          ],
        },
      };
      await c.rpc.sendNotification('xdpLab/remoteVerdict', rejected);
      const diags = await c.diagnostics(uri, (d) => d.some(isRemote));
      const d = diags.find(isRemote) as Diagnostic;
      assert.equal(d.range.start.line, ttlLine);
      assert.equal(
        d.message,
        'kernel 5.15.0-91-generic on h1 rejects xdp_iph_check: invalid access to packet, off=22 size=1',
      );
      const titles = await lenses();
      assert.match(titles[0] ?? '', /^✓ verifier: accepted/);
      assert.equal(
        titles[1],
        `⚠ kernel 5.15.0-91-generic on h1 disagrees: ✗ rejected at line ${ttlLine + 1}`,
      );

      // The next save compiles again: the old answer goes, one about the old object is dropped.
      await c.save(uri);
      const second = await nextCompile(2);
      assert.equal(second.generation, first.generation + 1);
      await c.diagnostics(uri, (ds) => !ds.some(isRemote));
      await c.rpc.sendNotification('xdpLab/remoteVerdict', rejected);
      const accepted: RemoteVerdictParams = {
        ...rejected,
        generation: second.generation,
        kernel: { release: '6.18.4', loader: 'bpftool' },
        report: {
          programs: [{ name: 'xdp_iph_check', section: 'xdp', verdict: 'accepted', insnsProcessed: 26 }],
        },
      };
      await c.rpc.sendNotification('xdpLab/remoteVerdict', accepted);
      // Notifications are handled in order: once the lens shows the accepted answer, the stale one was dropped.
      const agreeing = await lenses();
      assert.equal(agreeing[1], 'kernel 6.18.4 on h1: ✓ accepted');

      await c.rpc.sendNotification('xdpLab/remoteVerdict', {
        uri,
        generation: second.generation,
        host: 'h1',
        error: 'cannot reach h1: Connection refused',
      } satisfies RemoteVerdictParams);
      assert.equal((await lenses())[1], 'kernel on h1: not verified (cannot reach h1: Connection refused)');
    });
  },
);
