// The cold path of issue 16 goal 5 in the real editor: a fresh window (its own extension host, so
// the language client and server start on this file) opens a 5,000-line XDP C file — the bench's
// generated file (bench/analysis.bench.ts) with a redirect through a HASH map at the top — and the
// step times how long after the editor shows the file its first diagnostic is drawn.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../lib/codeServer.mjs';

const NAME = 'cold-5000-ui.bpf.c';

/** A map and a program the analyzer reports (bpf_redirect_map on a HASH map), kept near the top. */
const BAD = [
  'struct {',
  '\t__uint(type, BPF_MAP_TYPE_HASH);',
  '\t__type(key, __u32);',
  '\t__type(value, __u32);',
  '\t__uint(max_entries, 16);',
  '} cold_ports SEC(".maps");',
  '',
  'SEC("xdp")',
  'int xdp_cold_hash(struct xdp_md *ctx)',
  '{',
  '\treturn bpf_redirect_map(&cold_ports, 0, 0);',
  '}',
  '',
];

/** The bench's 5,000-line file (one generator for both), with BAD after its #includes. */
function coldFile() {
  const r = spawnSync(
    process.execPath,
    [
      '--import',
      'tsx',
      '-e',
      "process.stdout.write(require('./bench/analysis.bench').generateXdpFile(5000))",
    ],
    { cwd: ROOT, encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`generateXdpFile failed: ${r.stderr}`);
  const lines = r.stdout.split('\n');
  const at = lines.findIndex((l) => l === '') + 1;
  return [...lines.slice(0, at), ...BAD, ...lines.slice(at)].join('\n');
}

const editor = (wb) => wb.page.locator('.editor-instance .monaco-editor').filter({ visible: true }).first();

/** A browser profile of its own: a new window, whose extension host has no language client yet. */
export const freshWindow = true;

/** @type {import('../lib/steps.mjs').UiStep[]} */
export const steps = [
  {
    name: 'a 5,000-line XDP C file in a fresh window: its first diagnostic is drawn (client, server and analysis all cold)',
    run: async (wb, ctx) => {
      fs.writeFileSync(path.join(ctx.workspace, NAME), coldFile());
      await wb.openFolder(ctx.workspace, NAME);
      await wb.explorerRow(NAME).waitFor({ timeout: 30_000 });
      await wb.explorerRow(NAME).click();
      await wb.tab(NAME).waitFor({ timeout: 20_000 });
      await editor(wb).locator('.view-lines', { hasText: 'cold_ports' }).first().waitFor({ timeout: 20_000 });
      const shown = Date.now();
      await editor(wb).locator('.squiggly-error').first().waitFor({ timeout: 60_000 });
      const ms = Date.now() - shown;
      await wb.screenshot('language-cold-5000');
      // Where the time went, from the server's lines in the XDP Lab channel: the parser's load and
      // this file's analysis on open, as the server timed them.
      await wb.outputChannelText('XDP Lab', '');
      const view = wb.page.locator('#workbench\\.parts\\.panel .view-lines', { hasText: 'on open:' }).first();
      await view.waitFor({ timeout: 30_000 });
      // The panel renders spaces as U+00A0 and wraps long lines.
      const channel = (await view.innerText()).replace(/\u00a0/g, ' ');
      const analysed = / on open: [\s\S]*? in (\d+) ms/.exec(channel)?.[1];
      const parser = /tree-sitter loaded in (\d+) ms/.exec(channel)?.[1];
      return (
        `first diagnostic ${ms} ms after the editor showed the file; the server logged tree-sitter ` +
        `loaded in ${parser ?? '?'} ms and the analysis on open in ${analysed ?? '?'} ms`
      );
    },
  },
];
