// Diagnostics that stay true (issue 12 item 5), over LSP with the real clang: a file changed on disk
// (workspace/didChangeWatchedFiles from the client's watcher) gets clang's diagnostics cleared while
// the editor shows other text and re-run once it shows the disk's; a changed header re-runs them too.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Diagnostic } from 'vscode-languageserver';
import { startInMemory } from './lspClient';
import type { TestClient } from './lspClient';

const hasClang = spawnSync('clang', ['--version']).status === 0;
const program = (warning: string): string => `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include "cfg.h"
${warning}

SEC("xdp")
int pass_all(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
`;
const clangSays = (d: Diagnostic[], text: string): boolean =>
  d.some((x) => x.source === 'clang' && x.message.includes(text));

let dir: string;
let c: TestClient;
before(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-watched-'));
  c = await startInMemory(pathToFileURL(dir).href);
});
after(async () => {
  await c.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

void test(
  'clang diagnostics follow the file on disk and its header',
  { skip: !hasClang && 'no clang' },
  async () => {
    const file = path.join(dir, 'prog.bpf.c');
    const header = path.join(dir, 'cfg.h');
    const uri = pathToFileURL(file).href;
    const watched = (u: string, type: 1 | 2 | 3) =>
      c.rpc.sendNotification('workspace/didChangeWatchedFiles', { changes: [{ uri: u, type }] });
    fs.writeFileSync(header, '#define CFG 1\n');
    const first = program('#warning stale-line');
    fs.writeFileSync(file, first);
    await c.open(uri, first);
    await c.save(uri);
    await c.diagnostics(uri, (d) => clangSays(d, 'stale-line'));

    // Another program rewrites the file: the line became a comment and a new warning came in. The
    // watcher's event may come before the editor's reload: until the editor shows it, clang's old
    // warning is dropped (it describes neither text) …
    const second = program('// #warning stale-line\n#warning fresh-line');
    fs.writeFileSync(file, second);
    await watched(uri, 2);
    await c.diagnostics(uri, (d) => !clangSays(d, 'stale-line'));
    // … and once it does, clang runs on it without a save.
    await c.change(uri, 2, second);
    const after = await c.diagnostics(uri, (d) => clangSays(d, 'fresh-line'));
    assert.ok(!clangSays(after, 'stale-line'));

    // A header the program includes changes on disk: the program is compiled again.
    fs.writeFileSync(header, '#define CFG 1\n#warning from-header\n');
    await watched(pathToFileURL(header).href, 2);
    await c.diagnostics(uri, (d) => clangSays(d, 'from-header') && clangSays(d, 'fresh-line'));

    // The file is deleted: nothing clang said about it stays.
    fs.rmSync(file);
    await watched(uri, 3);
    await c.diagnostics(uri, (d) => !d.some((x) => x.source === 'clang'));
  },
);
