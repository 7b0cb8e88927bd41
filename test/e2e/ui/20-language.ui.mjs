// UI steps of the XDP C language support (issue #5) in the real editor, with screenshots to look at:
// CodeLens above the XDP programs, completion of bpf_redirect_map with its signature, a helper's hover,
// and the HASH-map redirect diagnostic with its quick fix in the lightbulb menu.
/* global document -- page.evaluate callbacks run in Chromium */
import fs from 'node:fs';
import path from 'node:path';

const HASH_REDIRECT = `#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

struct {
\t__uint(type, BPF_MAP_TYPE_HASH);
\t__type(key, __u32);
\t__type(value, __u32);
\t__uint(max_entries, 16);
} ports SEC(".maps");

SEC("xdp")
int xdp_redirect_hash(struct xdp_md *ctx)
{
\treturn bpf_redirect_map(&ports, 0, 0);
}

char LICENSE[] SEC("license") = "GPL";
`;

/** Moves the cursor to the first match of `text` through the Find widget (selection = the match). */
async function cursorTo(wb, text) {
  await wb.page.keyboard.press('Control+F');
  const find = wb.page.locator('.find-widget textarea, .find-widget input').first();
  await find.waitFor({ state: 'visible', timeout: 10_000 });
  await find.fill(text);
  await wb.page.keyboard.press('Enter');
  await wb.page.keyboard.press('Escape');
}

const editor = (wb) => wb.page.locator('.editor-instance .monaco-editor').filter({ visible: true }).first();

/** @type {import('../lib/steps.mjs').UiStep[]} */
export const steps = [
  {
    name: 'CodeLens "Run on a frame | Simulate | Verify in kernel" appears above each XDP program',
    run: async (wb) => {
      await wb.openFile('redirect.bpf.c');
      // Monaco renders CodeLens only for lines in the viewport (a panel may leave little room), so
      // reveal each XDP program through Find and wait for the lens that belongs to it.
      const lensTexts = [];
      for (const fn of ['xdp_redirect_udp', 'xdp_pass']) {
        await cursorTo(wb, `int ${fn}(`);
        const lens = editor(wb)
          .locator('.codelens-decoration', { hasText: 'Verify in kernel' })
          .filter({ visible: true });
        await lens.first().waitFor({ timeout: 60_000 });
        // The lens row sits directly above the revealed function line.
        const row = await editor(wb).evaluate((root, name) => {
          const lines = [...root.querySelectorAll('.view-line')].map((l) => ({
            top: l.getBoundingClientRect().top,
            text: (l.textContent ?? '').replace(/\u00a0/g, ' '),
          }));
          const fnLine = lines.find((l) => l.text.includes(`int ${name}(`));
          const lenses = [...root.querySelectorAll('.codelens-decoration')].map((d) => ({
            top: d.getBoundingClientRect().top,
            text: (d.textContent ?? '').replace(/\s+/g, ' '),
          }));
          if (!fnLine) return undefined;
          return lenses.filter((d) => d.top < fnLine.top).sort((a, b) => b.top - a.top)[0]?.text;
        }, fn);
        if (!row || !row.includes('Verify in kernel')) throw new Error(`no CodeLens above ${fn}: ${row}`);
        lensTexts.push(`${fn}: ${row}`);
      }
      return lensTexts.join(' ; ');
    },
  },
  {
    name: 'hover on bpf_redirect_map shows our summary and the uapi header text (screenshot language-hover.png)',
    run: async (wb) => {
      // The Find selection ends right after the helper's name: the hover is the helper's.
      await cursorTo(wb, 'bpf_redirect_map');
      await wb.page.keyboard.press('Control+K');
      await wb.page.keyboard.press('Control+I');
      const hover = wb.page.locator('.monaco-hover', { hasText: 'Helper 51' }).first();
      await hover.waitFor({ timeout: 20_000 });
      const text = await hover.innerText();
      if (!text.includes('/usr/include/linux/bpf.h'))
        throw new Error(`hover does not name the uapi header: ${text.slice(0, 300)}`);
      // The hover fades in: wait for its animations to finish so the screenshot is readable.
      await wb.page.waitForFunction(() =>
        [...document.querySelectorAll('.monaco-hover')].every((e) =>
          e.getAnimations({ subtree: true }).every((a) => a.playState !== 'running'),
        ),
      );
      await wb.screenshot('language-hover');
      await wb.page.keyboard.press('Escape');
      return text.split('\n').find((l) => l.includes('Helper 51'));
    },
  },
  {
    name: 'completion lists bpf_redirect_map with its prototype (screenshot language-completion.png)',
    run: async (wb) => {
      await cursorTo(wb, 'return bpf_redirect_map');
      await wb.page.keyboard.press('Home');
      await wb.page.keyboard.press('Enter');
      await wb.page.keyboard.press('ArrowUp');
      await wb.page.keyboard.type('bpf_redirect_ma');
      await wb.page.keyboard.press('Control+Space');
      const row = wb.page
        .locator('.suggest-widget .monaco-list-row', { hasText: 'bpf_redirect_map' })
        .first();
      await row.waitFor({ timeout: 20_000 });
      const details = wb.page.locator('.suggest-widget .details, .suggest-widget .monaco-list-row.focused');
      const text = await details.first().innerText();
      await wb.screenshot('language-completion');
      await wb.page.keyboard.press('Escape');
      for (let i = 0; i < 3; i++) await wb.page.keyboard.press('Control+Z');
      return text.replace(/\s+/g, ' ').slice(0, 120);
    },
  },
  {
    name: 'a redirect through a HASH map is underlined, and the quick fix menu offers DEVMAP_HASH (screenshot language-quickfix.png)',
    run: async (wb, ctx) => {
      fs.writeFileSync(path.join(ctx.workspace, 'hash-redirect-ui.bpf.c'), HASH_REDIRECT);
      // Quick Open's file index may not know a file this new yet: open it from the explorer.
      await wb.explorerRow('hash-redirect-ui.bpf.c').waitFor({ timeout: 30_000 });
      await wb.explorerRow('hash-redirect-ui.bpf.c').click();
      await wb.tab('hash-redirect-ui.bpf.c').waitFor({ timeout: 20_000 });
      await editor(wb)
        .locator('.view-lines', { hasText: 'BPF_MAP_TYPE_HASH' })
        .first()
        .waitFor({ timeout: 20_000 });
      await editor(wb).locator('.squiggly-error').first().waitFor({ timeout: 30_000 });
      await cursorTo(wb, '&ports');
      await wb.page.keyboard.press('Control+.');
      const item = wb.page.locator('.action-widget', { hasText: 'BPF_MAP_TYPE_DEVMAP_HASH' }).first();
      await item.waitFor({ timeout: 20_000 });
      await wb.screenshot('language-quickfix');
      await wb.page.keyboard.press('Enter');
      await editor(wb)
        .locator('.view-lines', { hasText: 'BPF_MAP_TYPE_DEVMAP_HASH' })
        .first()
        .waitFor({ timeout: 10_000 });
      await editor(wb).locator('.squiggly-error').first().waitFor({ state: 'detached', timeout: 30_000 });
      return 'fix applied, squiggle gone';
    },
  },
];
