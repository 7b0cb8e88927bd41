// Issue 11 in the language server: after the compile-on-save build, our verifier's rejection is a
// diagnostic on the line the kernel stops at, in its words; it survives edits until the next
// successful compile; the CodeLens shows the verdict first. Real clang, in-memory LSP stream pair.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { CodeLens, Diagnostic } from 'vscode-languageserver';
import { verifierFixtures } from '../fixtures/verifier/fixtures';
import { startInMemory } from './lspClient';
import type { TestClient } from './lspClient';

const hasClang = spawnSync('clang', ['--version']).status === 0;
const fixtures = path.resolve(__dirname, '../fixtures/verifier');
const isOurs = (d: Diagnostic): boolean => d.source === 'xdp-lab verifier';

describe('our verifier on save (real clang)', { skip: !hasClang && 'clang not installed' }, () => {
  let c: TestClient;
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-lsp-verifier-'));
    fs.copyFileSync(path.join(fixtures, 'common.h'), path.join(dir, 'common.h'));
    c = await startInMemory(pathToFileURL(dir).href);
  });
  after(async () => {
    await c.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a removed bounds check is flagged on its line after save, and stays until the next successful compile', async () => {
    const good = fs.readFileSync(path.join(fixtures, 'accept_iph_check.bpf.c'), 'utf8');
    // The kernel's answer for the same program without the check (reject_no_iph_check's header).
    const kernel = verifierFixtures().find((f) => f.name === 'reject_no_iph_check')?.kernel;
    assert.equal(kernel?.verdict, 'rejected');
    const check = '\tif ((void *)(iph + 1) > data_end)\n\t\treturn XDP_DROP;\n';
    assert.ok(good.includes(check));
    const bad = good.replace(check, '');
    const ttlLine = bad.split('\n').findIndex((l) => l.includes('iph->ttl <= 1'));
    const file = path.join(dir, 'prog.bpf.c');
    const uri = pathToFileURL(file).href;
    const lenses = () => c.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });

    fs.writeFileSync(file, good);
    await c.open(uri, good);
    const compiled = await c.request<{ ok: boolean }>('xdpLab/compile', { uri });
    assert.equal(compiled.ok, true);
    assert.match((await lenses())[0]?.command?.title ?? '', /^✓ verifier: accepted \(\d+ insns\)$/);

    fs.writeFileSync(file, bad);
    await c.change(uri, 2, bad);
    await c.save(uri);
    const diags = await c.diagnostics(uri, (d) => d.some(isOurs));
    const ours = diags.find(isOurs) as Diagnostic;
    assert.equal(ours.range.start.line, ttlLine);
    assert.equal(ours.code, 'verifier');
    if (kernel?.verdict === 'rejected') {
      assert.equal(ours.message, kernel.message);
      assert.equal(ttlLine + 1, kernel.line);
    }
    assert.match((await lenses())[0]?.command?.title ?? '', /^✗ verifier: invalid access to packet/);
    // The path as related information: the two checks passed on the way (not taken), on their lines.
    const lineOf = (needle: string): number => bad.split('\n').findIndex((l) => l.includes(needle));
    assert.deepEqual(
      ours.relatedInformation?.map((r) => [r.location.uri, r.location.range.start.line, r.message]),
      [
        [uri, lineOf('(eth + 1) > data_end'), 'branch not taken: if r3 > r2 goto pc+11'],
        [uri, lineOf('eth->h_proto'), 'branch not taken: if r3 != 0x8 goto pc+5'],
      ],
    );

    // A line typed above the flagged one (an incremental edit, as editors send them): the kept
    // diagnostic and its path move with the text; deleting the line moves them back.
    const typed = 'eth->h_proto';
    const sendEdit = (version: number, range: object, text: string) =>
      c.rpc.sendNotification('textDocument/didChange', {
        textDocument: { uri, version },
        contentChanges: [{ range, text }],
      });
    const at = lineOf(typed);
    await sendEdit(21, { start: { line: at, character: 0 }, end: { line: at, character: 0 } }, '\t// new\n');
    const moved = await c.diagnostics(uri, (d) =>
      d.some((x) => isOurs(x) && x.range.start.line === ttlLine + 1),
    );
    const movedOurs = moved.find(isOurs) as Diagnostic;
    assert.equal(movedOurs.range.start.character, 1, 'still from the indent of the read');
    assert.deepEqual(
      movedOurs.relatedInformation?.map((r) => r.location.range.start.line),
      [lineOf('(eth + 1) > data_end'), at + 1],
    );
    await sendEdit(22, { start: { line: at, character: 0 }, end: { line: at + 1, character: 0 } }, '');
    await c.diagnostics(uri, (d) => d.some((x) => isOurs(x) && x.range.start.line === ttlLine));

    // An unsaved edit (one the analyzer flags): the analyzer re-publishes, our diagnostic is still there.
    const edited = bad.replace('return XDP_PASS;\n}', 'return -1;\n}');
    await c.change(uri, 3, edited);
    const after = await c.diagnostics(
      uri,
      (d) => d.some((x) => x.code === 'return-not-action') && d.some(isOurs),
    );
    assert.equal(after.find(isOurs)?.range.start.line, ttlLine);

    // A compile that fails (clang error) keeps it too; the next successful one clears it.
    const broken = bad.replace('return XDP_PASS;\n}', 'return XDP_PASS +;\n}');
    fs.writeFileSync(file, broken);
    await c.change(uri, 4, broken);
    await c.save(uri);
    const failed = await c.diagnostics(uri, (d) => d.some((x) => x.source === 'clang'));
    assert.ok(failed.some(isOurs), 'still shown after a failed compile');

    fs.writeFileSync(file, good);
    await c.change(uri, 5, good);
    await c.save(uri);
    await c.diagnostics(uri, (d) => !d.some(isOurs) && !d.some((x) => x.source === 'clang'));
  });

  test('the verdict on compile reads xdpLab.vm.kconfig (relative to the workspace folder), as Run and `verify --kconfig` do', async () => {
    const programs = path.resolve(__dirname, '../fixtures/programs');
    fs.copyFileSync(path.join(programs, 'common.h'), path.join(dir, 'common.h'));
    const src = fs.readFileSync(path.join(programs, 'kconfig.bpf.c'), 'utf8');
    const file = path.join(dir, 'kconfig.bpf.c');
    fs.writeFileSync(file, src);
    fs.writeFileSync(path.join(dir, 'hz1000.config'), 'CONFIG_HZ=1000\n');
    const uri = pathToFileURL(file).href;
    const count = async (): Promise<number> => {
      const compiled = await c.request<{ ok: boolean; objectPath?: string }>('xdpLab/compile', { uri });
      assert.equal(compiled.ok, true);
      const lens = (await c.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } }))[0];
      const m = /^✓ verifier: accepted \((\d+) insns\)$/.exec(lens?.command?.title ?? '');
      assert.ok(m, lens?.command?.title);
      return Number(m[1]);
    };
    // What the CLI says for the same source (it compiles FILE.c itself), with and without the file.
    const cli = (...extra: string[]): number => {
      const r = spawnSync(
        process.execPath,
        [path.resolve(__dirname, '../../dist/cli.js'), 'verify', file, ...extra],
        {
          encoding: 'utf8',
        },
      );
      const m = /accepted, (\d+) instructions processed/.exec(r.stdout);
      assert.ok(m, r.stdout + r.stderr);
      return Number(m[1]);
    };
    await c.open(uri, src);
    const system = await count();
    assert.equal(system, cli());
    c.settings = { vm: { kconfig: 'hz1000.config' } };
    const hz1000 = await count();
    assert.equal(hz1000, cli('--kconfig', path.join(dir, 'hz1000.config')));
    // CONFIG_HZ bounds a loop the verifier walks: a different HZ is a different count.
    assert.notEqual(hz1000, system);
    c.settings = {};
  });
});
