// The real clangd (Debian's `clangd`) over LSP stdio on the example program (issue 12 item 4): without
// configuration it reports errors of its own (host target: asm/types.h, BPF-only builtins); with the
// .clangd XDP Lab writes (proposeClangdConfig) it reports none. Skips when clangd is not installed.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import type { Diagnostic, PublishDiagnosticsParams } from 'vscode-languageserver';
import { hasXdpLabFragment } from '../../src/core/clangd/clangdConfig';
import { proposeClangdConfig } from '../../src/node/clangdSetup';

const hasClangd = spawnSync('clangd', ['--version']).status === 0;
const example = path.resolve(__dirname, '../../examples/redirect.bpf.c');

/** Starts clangd on `root`, opens `file` and resolves with its first diagnostics; then stops clangd. */
async function clangdDiagnostics(root: string, file: string): Promise<Diagnostic[]> {
  const child: ChildProcess = spawn(
    'clangd',
    ['--log=error', '--background-index=false', '--pch-storage=memory'],
    {
      cwd: root,
      stdio: ['pipe', 'pipe', 'ignore'],
    },
  );
  if (!child.stdout || !child.stdin) throw new Error('clangd: no stdio');
  const rpc = createMessageConnection(
    new StreamMessageReader(child.stdout),
    new StreamMessageWriter(child.stdin),
  );
  const uri = pathToFileURL(file).href;
  try {
    const diagnostics = new Promise<Diagnostic[]>((resolve) =>
      rpc.onNotification('textDocument/publishDiagnostics', (p: PublishDiagnosticsParams) => {
        if (p.uri === uri) resolve(p.diagnostics);
      }),
    );
    rpc.onRequest('workspace/configuration', (p: { items: unknown[] }) => p.items.map(() => null));
    rpc.onRequest('window/workDoneProgress/create', () => null);
    rpc.listen();
    const rootUri = pathToFileURL(root).href;
    await rpc.sendRequest('initialize', {
      processId: process.pid,
      rootUri,
      workspaceFolders: [{ uri: rootUri, name: 'ws' }],
      capabilities: { textDocument: { publishDiagnostics: {} } },
    });
    await rpc.sendNotification('initialized', {});
    await rpc.sendNotification('textDocument/didOpen', {
      textDocument: { uri, languageId: 'c', version: 1, text: fs.readFileSync(file, 'utf8') },
    });
    return await diagnostics;
  } finally {
    await rpc.sendRequest('shutdown').catch(() => undefined);
    await rpc.sendNotification('exit').catch(() => undefined);
    rpc.dispose();
    child.kill();
  }
}

const errorsOf = (d: Diagnostic[]): string[] => d.filter((x) => x.severity === 1).map((x) => x.message);

/** An own CO-RE fixture: clangd's host target knows neither the builtin nor the attribute. */
const coreProgram = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_core_read.h>

struct pkt_view {
	int proto;
} __attribute__((preserve_access_index));

SEC("xdp")
int core_probe(struct xdp_md *ctx)
{
	struct pkt_view *v = (void *)(long)ctx->data;

	return bpf_core_field_exists(v->proto) ? XDP_PASS : XDP_DROP;
}

char LICENSE[] SEC("license") = "GPL";
`;

describe(
  'clangd with the configuration XDP Lab writes',
  { skip: !hasClangd && 'clangd is not installed' },
  () => {
    let root: string;
    /** A second workspace without a compilation database (clangd would borrow the first one's flags). */
    let plain: string;
    before(() => {
      root = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-clangd-'));
      plain = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-clangd-'));
      fs.copyFileSync(example, path.join(root, 'redirect.bpf.c'));
      fs.writeFileSync(path.join(plain, 'core_probe.bpf.c'), coreProgram);
      // What `bear -- make` records for a libbpf-style Makefile: -target bpf, no multiarch include dir.
      fs.writeFileSync(
        path.join(root, 'compile_commands.json'),
        JSON.stringify([
          {
            directory: root,
            file: 'redirect.bpf.c',
            arguments: [
              'clang',
              '-O2',
              '-g',
              '-target',
              'bpf',
              '-c',
              'redirect.bpf.c',
              '-o',
              'redirect.bpf.o',
            ],
          },
        ]),
      );
    });
    after(() => {
      fs.rmSync(root, { recursive: true, force: true });
      fs.rmSync(plain, { recursive: true, force: true });
    });

    test("clangd's errors on BPF files (asm/types.h under -target bpf, CO-RE builtins on the host target) go away with XDP Lab's .clangd", async () => {
      const example = path.join(root, 'redirect.bpf.c');
      const core = path.join(plain, 'core_probe.bpf.c');
      const exampleBefore = errorsOf(await clangdDiagnostics(root, example));
      assert.ok(
        exampleBefore.some((m) => /'asm\/types\.h' file not found/.test(m)),
        `expected the asm/types.h error, got ${JSON.stringify(exampleBefore)}`,
      );
      const coreBefore = errorsOf(await clangdDiagnostics(plain, core));
      assert.ok(
        coreBefore.some((m) => /__builtin_preserve_field_info/.test(m)),
        `expected the CO-RE builtin error, got ${JSON.stringify(coreBefore)}`,
      );

      for (const ws of [root, plain]) {
        const proposal = proposeClangdConfig(ws, { includePaths: [], extraArgs: [] });
        assert.equal(proposal.action, 'created');
        fs.writeFileSync(proposal.file, proposal.text);
      }
      assert.deepEqual(errorsOf(await clangdDiagnostics(root, example)), []);
      assert.deepEqual(errorsOf(await clangdDiagnostics(plain, core)), []);
    });

    test("a user's .clangd keeps its text; XDP Lab's fragment is appended once, then replaced", async () => {
      const user = 'CompileFlags:\n  Add: [-Wall]\nDiagnostics:\n  UnusedIncludes: None\n';
      fs.writeFileSync(path.join(root, '.clangd'), user);
      const first = proposeClangdConfig(root, { includePaths: [], extraArgs: ['-DDEBUG'] });
      assert.equal(first.action, 'appended');
      assert.ok(first.text.startsWith(user + '---\n'));
      fs.writeFileSync(first.file, first.text);
      const again = proposeClangdConfig(root, { includePaths: [], extraArgs: ['-DDEBUG'] });
      assert.equal(again.action, 'unchanged');
      const changed = proposeClangdConfig(root, { includePaths: ['inc'], extraArgs: [] });
      assert.equal(changed.action, 'replaced');
      assert.ok(changed.text.startsWith(user + '---\n'));
      assert.ok(hasXdpLabFragment(changed.text));
      assert.ok(changed.text.includes(`-I${path.join(root, 'inc')}`), changed.text);
      // clangd reads the merged file (the user's document, then XDP Lab's): still no errors.
      assert.deepEqual(errorsOf(await clangdDiagnostics(root, path.join(root, 'redirect.bpf.c'))), []);
    });
  },
);
