// UI steps of the foundation (issue #2): the workbench shows the example workspace, the example
// XDP C file opens, the extension activates by itself (its "XDP Lab" output channel says
// "activated"), the palette lists every "XDP Lab:" command, and a screenshot is saved.
/* global document -- page.evaluate callbacks run in Chromium */
import fs from 'node:fs';
import path from 'node:path';
import { ROOT } from '../lib/codeServer.mjs';

const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));

/** Commands the palette should list: all contributed ones minus any hidden by a commandPalette `when`. */
function paletteCommands() {
  const hidden = new Set(
    (manifest.contributes.menus?.commandPalette ?? []).filter((m) => m.when).map((m) => m.command),
  );
  return manifest.contributes.commands
    .filter((c) => !hidden.has(c.command))
    .map((c) => `${c.category}: ${c.title}`);
}

/** @type {import('../lib/steps.mjs').UiStep[]} */
export const steps = [
  {
    name: 'explorer lists the example workspace',
    run: async (wb) => {
      await wb.explorerRow('redirect.bpf.c').waitFor({ timeout: 10_000 });
      await wb.explorerRow('redirect.xdpscenario.json').waitFor({ timeout: 10_000 });
      return await wb.page.title();
    },
  },
  {
    name: 'open examples/redirect.bpf.c (language C)',
    run: async (wb) => {
      await wb.openFile('redirect.bpf.c');
      await wb.page
        .locator(
          '#workbench\\.parts\\.statusbar [aria-label="C"], #workbench\\.parts\\.statusbar .statusbar-item',
          { hasText: /^C$/ },
        )
        .first()
        .waitFor({ timeout: 15_000 });
      const text = await wb.page.locator('.editor-instance .view-lines').first().innerText();
      if (!text.includes('BPF_MAP_TYPE_DEVMAP'))
        throw new Error(`editor does not show the example: ${text.slice(0, 200)}`);
    },
  },
  {
    name: 'extension activates by itself: "XDP Lab" output channel says activated',
    run: async (wb) => {
      const text = await wb.outputChannelText('XDP Lab', 'activated');
      return text
        .split('\n')
        .find((l) => l.includes('activated'))
        ?.trim();
    },
  },
  {
    name: 'command palette lists every "XDP Lab:" command of package.json',
    run: async (wb) => {
      const expected = paletteCommands();
      const missing = [];
      for (const label of expected) if (!(await wb.paletteHas(label))) missing.push(label);
      if (missing.length) throw new Error(`missing from the palette: ${missing.join(' | ')}`);
      return `${expected.length} commands`;
    },
  },
  {
    name: 'walkthrough "Get started with XDP Lab" opens with its steps and media page',
    run: async (wb) => {
      await wb.runCommandAndPick('Welcome: Open Walkthrough...', 'Get started with XDP Lab', 10_000);
      const titles = manifest.contributes.walkthroughs[0].steps.map((st) => st.title);
      for (const t of titles)
        await wb.page
          .locator('.gettingStartedContainer .step-title', { hasText: t })
          .first()
          .waitFor({ timeout: 15_000 });
      // The selected step's markdown (media/walkthrough/*.md, whose h1 is the step title) renders in a webview.
      const frame = await wb.findWebviewFrame('h1');
      const h1 = (await frame.locator('h1').first().innerText()).trim();
      if (!titles.includes(h1)) throw new Error(`walkthrough media shows "${h1}", not one of the step pages`);
      await wb.screenshot('editor-walkthrough');
      await wb.closeAllEditors();
      return `${titles.length} steps, media page "${h1}"`;
    },
  },
  {
    name: 'screenshot test-results/editor-example.png',
    run: async (wb) => {
      await wb.openFile('redirect.bpf.c');
      const parts = await wb.page.evaluate(() =>
        [
          'workbench.parts.activitybar',
          'workbench.parts.sidebar',
          'workbench.parts.editor',
          'workbench.parts.statusbar',
        ].filter((id) => !document.getElementById(id)),
      );
      if (parts.length) throw new Error(`workbench parts missing: ${parts.join(', ')}`);
      return path.relative(ROOT, await wb.screenshot('editor-example'));
    },
  },
];
