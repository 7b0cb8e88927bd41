// LSP-level tests: the language server answers over its protocol (in-memory stream pair), and
// dist/server.js does the same over stdio. Real clang for compile-on-save.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type {
  CodeAction,
  CodeLens,
  CompletionList,
  Diagnostic,
  DocumentSymbol,
  Hover,
  Location,
  SemanticTokens,
  SignatureHelp,
} from 'vscode-languageserver';
import { spawnServer, startInMemory } from './lspClient';
import type { TestClient } from './lspClient';

const fixtures = path.resolve(__dirname, '../fixtures/analysis');
const read = (rel: string) => fs.readFileSync(path.join(fixtures, rel), 'utf8');
const uriOf = (rel: string) => pathToFileURL(path.join(fixtures, rel)).href;
const posOf = (text: string, needle: string, delta = 0) => {
  const i = text.indexOf(needle);
  assert.ok(i >= 0, needle);
  const before = text.slice(0, i + delta).split('\n');
  return { line: before.length - 1, character: (before[before.length - 1] ?? '').length };
};
const hasClang = spawnSync('clang', ['--version']).status === 0;

describe('language server over LSP (in memory)', () => {
  let c: TestClient;
  before(async () => {
    c = await startInMemory();
  });
  after(() => c.close());

  test('diagnostics for a HASH-map redirect, and its quick fix edits the map type', async () => {
    const uri = uriOf('bad/redirect_hash_map.bpf.c');
    const text = read('bad/redirect_hash_map.bpf.c');
    await c.open(uri, text);
    const diags = await c.diagnostics(uri, (d) => d.length > 0);
    const d = diags.find((x) => x.code === 'redirect-map-type');
    assert.ok(d, JSON.stringify(diags));
    assert.equal(d.source, 'xdp-lab');
    assert.equal(d.range.start.line, 14);
    const actions = await c.request<CodeAction[]>('textDocument/codeAction', {
      textDocument: { uri },
      range: d.range,
      context: { diagnostics: [d] },
    });
    const fix = actions.find((a) => a.isPreferred);
    assert.match(fix?.title ?? '', /DEVMAP_HASH/);
    const edit = fix?.edit?.changes?.[uri]?.[0];
    assert.equal(edit?.newText, 'BPF_MAP_TYPE_DEVMAP_HASH');
    assert.equal(edit?.range.start.line, 5);
    // Apply it: the diagnostic goes away.
    const lines = text.split('\n');
    const l = lines[5] ?? '';
    lines[5] = l.slice(0, edit.range.start.character) + edit.newText + l.slice(edit.range.end.character);
    await c.change(uri, 2, lines.join('\n'));
    await c.diagnostics(uri, (x) => x.length === 0);
  });

  test('completion: helpers with snippets, xdp_md fields after ctx->, SEC names, maps for a map argument, flags', async () => {
    const uri = 'untitled:completion.bpf.c';
    const text = read('ok/devmap_broadcast.bpf.c');
    await c.open(uri, text);
    const at = async (line: number, character: number, newText?: string) => {
      if (newText !== undefined) await c.change(uri, line * 1000 + character + 2, newText);
      return c.request<CompletionList>('textDocument/completion', {
        textDocument: { uri },
        position: { line, character },
      });
    };
    const all = await at(posOf(text, 'return XDP_DROP').line, 1);
    const redirect = all.items.find((i) => i.label === 'bpf_redirect_map');
    assert.ok(redirect);
    assert.match(redirect.detail ?? '', /long bpf_redirect_map\(struct bpf_map \*map, u\d+ key, u64 flags\)/);
    assert.equal(redirect.insertText, 'bpf_redirect_map(${1:map}, ${2:key}, ${3:flags})');
    assert.ok(all.items.some((i) => i.label === 'map DEVMAP'));

    const withCtx = text.replace('\tstruct mac_key key = {};', '\tstruct mac_key key = {};\n\tctx->');
    const p = posOf(withCtx, 'ctx->\n', 5);
    const fields = await at(p.line, p.character, withCtx);
    assert.deepEqual(
      fields.items.map((i) => i.label),
      ['data', 'data_end', 'data_meta', 'ingress_ifindex', 'rx_queue_index', 'egress_ifindex'],
    );

    const sec = await at(posOf(text, 'SEC("xdp")', 5).line, posOf(text, 'SEC("xdp")', 5).character, text);
    assert.ok(sec.items.some((i) => i.label === 'xdp.frags/devmap'));

    const call = text.replace(
      'return bpf_redirect_map(&ports, *port, XDP_DROP);',
      'return bpf_redirect_map(',
    );
    const cp = posOf(call, 'return bpf_redirect_map(\n', 'return bpf_redirect_map('.length);
    const maps = await at(cp.line, cp.character, call);
    assert.equal(maps.items[0]?.label, '&ports', 'the DEVMAP_HASH sorts before the LRU hash');
    assert.ok(maps.items.some((i) => i.label === '&fdb'));

    const flagsText = text.replace(
      'return bpf_redirect_map(&ports, *port, XDP_DROP);',
      'return bpf_redirect_map(&ports, 0, ',
    );
    const fp = posOf(
      flagsText,
      'return bpf_redirect_map(&ports, 0, \n',
      'return bpf_redirect_map(&ports, 0, '.length,
    );
    const flags = await at(fp.line, fp.character, flagsText);
    assert.ok(flags.items.some((i) => i.label === 'BPF_F_BROADCAST'));
    assert.ok(flags.items.some((i) => i.label === 'XDP_PASS'));
  });

  test('hover: helper with the uapi header text and its source, map type, action, map of the file', async () => {
    const uri = uriOf('ok/devmap_broadcast.bpf.c');
    const text = read('ok/devmap_broadcast.bpf.c');
    await c.open(uri, text);
    const hoverAt = (needle: string, d = 1) =>
      c.request<Hover | null>('textDocument/hover', {
        textDocument: { uri },
        position: posOf(text, needle, d),
      });
    const helper = await hoverAt('bpf_redirect_map');
    const value = (helper?.contents as { value: string }).value;
    assert.match(value, /long bpf_redirect_map/);
    assert.match(value, /Helper 51 · Linux 4\.14/);
    if (fs.existsSync('/usr/include/linux/bpf.h')) assert.match(value, /From \/usr\/include\/linux\/bpf\.h/);
    assert.match(
      (await hoverAt('BPF_MAP_TYPE_DEVMAP_HASH'))?.contents
        ? JSON.stringify((await hoverAt('BPF_MAP_TYPE_DEVMAP_HASH'))?.contents)
        : '',
      /XDP_REDIRECT target/,
    );
    assert.match(JSON.stringify((await hoverAt('XDP_DROP'))?.contents), /XDP_DROP = 1/);
    assert.match(JSON.stringify((await hoverAt('&ports', 2))?.contents), /DEVMAP_HASH.*max_entries 32/);
    assert.match(JSON.stringify((await hoverAt('SEC("xdp")', 6))?.contents), /BPF_PROG_TYPE_XDP/);
  });

  test('hover on a map whose struct key has padding says how many bytes, and the diagnostic is published', async () => {
    const uri = uriOf('bad/map_key_padding.bpf.c');
    const text = read('bad/map_key_padding.bpf.c');
    await c.open(uri, text);
    const published = await c.diagnostics(uri, (d) => d.some((x) => x.code === 'map-key-padding'));
    const h = await c.request<Hover | null>('textDocument/hover', {
      textDocument: { uri },
      position: posOf(text, '&flows', 2),
    });
    assert.match(
      JSON.stringify(h?.contents),
      /LRU_HASH.*key 12 B \(3 of them padding: zero the key before filling it\)/,
    );
    assert.deepEqual(
      published.filter((d) => d.code === 'map-key-padding').map((d) => d.range.start.line + 1),
      [45, 49],
    );
  });

  test('signature help follows the active argument', async () => {
    const uri = 'untitled:sig.bpf.c';
    const text =
      '#include <bpf/bpf_helpers.h>\nSEC("xdp") int p(struct xdp_md *ctx) { return bpf_redirect_map(&m, 1, ';
    await c.open(uri, text);
    const s = await c.request<SignatureHelp>('textDocument/signatureHelp', {
      textDocument: { uri },
      position: { line: 1, character: text.split('\n')[1]!.length },
    });
    assert.match(s.signatures[0]?.label ?? '', /bpf_redirect_map/);
    assert.equal(s.activeParameter, 2);
    const [a, b] = s.signatures[0]?.parameters?.[2]?.label as [number, number];
    assert.equal(s.signatures[0]?.label.slice(a, b), 'u64 flags');
  });

  test('symbols, definition and references of maps and functions; CodeLens per XDP program; semantic tokens', async () => {
    const uri = uriOf('ok/ringbuf_sampler.bpf.c');
    const text = read('ok/ringbuf_sampler.bpf.c');
    await c.open(uri, text);
    const symbols = await c.request<DocumentSymbol[]>('textDocument/documentSymbol', {
      textDocument: { uri },
    });
    assert.deepEqual(
      symbols.map((s) => `${s.name}:${s.detail ?? ''}`),
      ['samples:RINGBUF', 'out_ports:DEVMAP', 'xdp_sampler:SEC("xdp")', 'xdp_egress_mark:SEC("xdp/devmap")'],
    );
    const use = posOf(text, '&samples', 2);
    const def = await c.request<Location>('textDocument/definition', {
      textDocument: { uri },
      position: use,
    });
    assert.equal(def.range.start.line, posOf(text, '} samples').line);
    const refs = await c.request<Location[]>('textDocument/references', {
      textDocument: { uri },
      position: use,
      context: { includeDeclaration: true },
    });
    assert.equal(refs.length, 2);
    const lenses = await c.request<CodeLens[]>('textDocument/codeLens', { textDocument: { uri } });
    assert.deepEqual(
      lenses.map((l) => l.command?.command),
      [
        'xdpLab.program.run',
        'xdpLab.program.debug',
        'xdpLab.visualizer.open',
        'xdpLab.program.verify',
        'xdpLab.program.run',
        'xdpLab.program.debug',
        'xdpLab.visualizer.open',
        'xdpLab.program.verify',
      ],
    );
    assert.deepEqual(lenses[3]?.command?.arguments, [uri, 'xdp_sampler']);
    const tokens = await c.request<SemanticTokens>('textDocument/semanticTokens/full', {
      textDocument: { uri },
    });
    assert.equal(tokens.data.length % 5, 0);
    const types = new Set(tokens.data.filter((_, i) => i % 5 === 3));
    assert.deepEqual([...types].sort(), [0, 1, 2]);
  });

  test('a plain C file that is not a BPF program gets nothing from us', async () => {
    const uri = 'file:///tmp/not-bpf/main.c';
    await c.open(uri, '#include <stdio.h>\nint main(void) { printf("hi"); return -1; }\n');
    const list = await c.request<CompletionList | null>('textDocument/completion', {
      textDocument: { uri },
      position: { line: 1, character: 17 },
    });
    assert.equal(list, null);
    assert.equal(
      await c.request('textDocument/hover', { textDocument: { uri }, position: { line: 1, character: 18 } }),
      null,
    );
    assert.deepEqual(await c.request('textDocument/documentSymbol', { textDocument: { uri } }), []);
  });
});

describe('clang on save (real clang)', { skip: !hasClang && 'clang not installed' }, () => {
  let c: TestClient;
  let dir: string;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-lsp-'));
    c = await startInMemory(pathToFileURL(dir).href);
  });
  after(async () => {
    await c.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('a broken file shows clang errors on the right line after save; fixing it clears them', async () => {
    const file = path.join(dir, 'broken.bpf.c');
    const bad =
      '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n\nSEC("xdp")\nint p(struct xdp_md *ctx)\n{\n\treturn XDP_PASS +;\n}\nchar LICENSE[] SEC("license") = "GPL";\n';
    fs.writeFileSync(file, bad);
    const uri = pathToFileURL(file).href;
    await c.open(uri, bad);
    await c.save(uri);
    const diags = await c.diagnostics(uri, (d) => d.some((x) => x.source === 'clang'));
    const err = diags.find((x) => x.source === 'clang') as Diagnostic;
    assert.equal(err.range.start.line, 6);
    assert.match(err.message, /expected expression/);
    assert.ok(c.logs.some((l) => l.includes('-target bpf')));
    const good = bad.replace('XDP_PASS +', 'XDP_PASS');
    fs.writeFileSync(file, good);
    await c.change(uri, 2, good);
    await c.save(uri);
    await c.diagnostics(uri, (d) => d.length === 0);
  });

  test('a missing clang is one information message, not an error storm', async () => {
    c.settings = { clang: { path: '/nonexistent/clang-xdp-lab' } };
    const file = path.join(dir, 'ok.bpf.c');
    const text = read('ok/pass_min.bpf.c');
    fs.writeFileSync(file, text);
    const uri = pathToFileURL(file).href;
    await c.open(uri, text);
    const r1 = await c.request<{ ok: boolean }>('xdpLab/compile', { uri });
    const r2 = await c.request<{ ok: boolean }>('xdpLab/compile', { uri });
    assert.equal(r1.ok, false);
    assert.equal(r2.ok, false);
    assert.equal(c.infoMessages.length, 1);
    assert.match(c.infoMessages[0] ?? '', /clang was not found.*apt-get install clang/);
    c.settings = {};
  });
});

describe(
  'dist/server.js over stdio',
  { skip: !fs.existsSync(path.resolve(__dirname, '../../dist/server.js')) && 'not built' },
  () => {
    test('the bundle starts, finds its WASM and reports diagnostics', async () => {
      const c = await spawnServer();
      try {
        const uri = uriOf('bad/map_sizes.bpf.c');
        await c.open(uri, read('bad/map_sizes.bpf.c'));
        const d = await c.diagnostics(uri, (x) => x.length > 0);
        assert.equal(d.filter((x) => x.code === 'map-key-value-size').length, 5);
      } finally {
        await c.close();
      }
    });
  },
);
