// UI steps of the XDP C language support (issue #5) in the real editor, with screenshots to look at:
// CodeLens above the XDP programs, completion of bpf_redirect_map with its signature, a helper's hover,
// and the HASH-map redirect diagnostic with its quick fix in the lightbulb menu; issue 12: completion
// filtered by the program type, go to definition into linux/ip.h, rename of a map, an inlay hint.
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

// The navigation fixture of the LSP tests (test/fixtures/lang/navigation.bpf.c), copied into the workspace.
const NAVIGATION = fs.readFileSync(
  path.resolve(import.meta.dirname, '../../fixtures/lang/navigation.bpf.c'),
  'utf8',
);

/** Text of the visible editor's rendered lines (inlay hints are injected text inside them). */
const viewText = (wb) =>
  editor(wb).evaluate((root) =>
    [...root.querySelectorAll('.view-line')]
      .map((l) => (l.textContent ?? '').replace(/\u00a0/g, ' '))
      .join('\n'),
  );

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
  {
    name: 'completion in an XDP program offers bpf_xdp_adjust_head but not bpf_skb_adjust_room (screenshot language-completion-filter.png)',
    run: async (wb, ctx) => {
      fs.writeFileSync(path.join(ctx.workspace, 'navigation-ui.bpf.c'), NAVIGATION);
      await wb.openFromExplorer('navigation-ui.bpf.c');
      // Its first line: Monaco renders only the lines in view (fewer with the Output panel open).
      await editor(wb)
        .locator('.view-lines', { hasText: 'Navigation fixture' })
        .first()
        .waitFor({ timeout: 20_000 });
      await cursorTo(wb, 'count(&key);');
      await wb.page.keyboard.press('End');
      await wb.page.keyboard.press('Enter');
      await wb.page.keyboard.type('bpf_adjust');
      await wb.page.keyboard.press('Control+Space');
      const rows = wb.page.locator('.suggest-widget .monaco-list-row');
      await rows.filter({ hasText: 'bpf_xdp_adjust_head' }).first().waitFor({ timeout: 20_000 });
      const labels = await rows.allInnerTexts();
      await wb.screenshot('language-completion-filter');
      await wb.page.keyboard.press('Escape');
      for (let i = 0; i < 3; i++) await wb.page.keyboard.press('Control+Z');
      const shown = labels.map((l) => l.split('\n')[0]);
      if (shown.some((l) => l.includes('bpf_skb_adjust_room')))
        throw new Error(`bpf_skb_adjust_room offered in an XDP program: ${shown.join(', ')}`);
      return shown.join(', ');
    },
  },
  {
    name: 'inlay hints show the packet offset of iph->ttl and the padding of struct flow_key (screenshot language-inlay-hints.png)',
    run: async (wb) => {
      /** Waits until a rendered line holds `hint` (inlay hints are injected text; spaces render as nbsp). */
      const waitHint = (hint) =>
        wb.page
          .waitForFunction(
            (h) =>
              [...document.querySelectorAll('.editor-instance .view-line')].some((l) =>
                (l.textContent ?? '').replace(/\s/g, ' ').includes(h),
              ),
            hint,
            { timeout: 30_000 },
          )
          .catch(async (e) => {
            const near = (await viewText(wb)).split('\n').filter((l) => /flow_key|ttl/.test(l));
            throw new Error(`no "${hint}" in ${JSON.stringify(near)}: ${e instanceof Error ? e.message : e}`);
          });
      await cursorTo(wb, 'struct flow_key {');
      // A selection renders its spaces as '·' (renderWhitespace "selection"): collapse it first.
      await wb.page.keyboard.press('End');
      await waitHint('flow_key 8 B, 3 B padding');
      const struct = (await viewText(wb)).split('\n').find((l) => l.includes('3 B padding')) ?? '';
      await cursorTo(wb, 'iph->ttl');
      await waitHint('pkt+22, 1 B');
      const text = await viewText(wb);
      await wb.screenshot('language-inlay-hints');
      const line = text.split('\n').find((l) => l.includes('pkt+22')) ?? '';
      return `${struct.trim()} ; ${line.trim()}`;
    },
  },
  {
    name: 'go to definition on struct iphdr opens linux/ip.h at the struct (screenshot language-definition-header.png)',
    run: async (wb) => {
      await cursorTo(wb, 'struct iphdr *iph');
      // The Find selection covers the match; put the cursor inside "iphdr".
      await wb.page.keyboard.press('ArrowLeft');
      for (let i = 0; i < 9; i++) await wb.page.keyboard.press('ArrowRight');
      await wb.page.keyboard.press('F12');
      await wb.page
        .locator('.tabs-container .tab.active', { hasText: 'ip.h' })
        .first()
        .waitFor({ timeout: 30_000 });
      await editor(wb)
        .locator('.view-lines', { hasText: 'struct iphdr {' })
        .first()
        .waitFor({ timeout: 20_000 });
      const current = await editor(wb).evaluate((root) => {
        const cur = root.querySelector('.current-line');
        const top = cur?.getBoundingClientRect().top ?? -1;
        const line = [...root.querySelectorAll('.view-line')].find(
          (l) => Math.abs(l.getBoundingClientRect().top - top) < 2,
        );
        return (line?.textContent ?? '').replace(/\u00a0/g, ' ');
      });
      await wb.screenshot('language-definition-header');
      if (!current.includes('struct iphdr')) throw new Error(`cursor line in ip.h: "${current}"`);
      await wb.page.keyboard.press('Control+W');
      await wb.tab('navigation-ui.bpf.c').click();
      return current.trim();
    },
  },
  {
    name: 'rename the map flows (F2) changes its definition and its use (screenshot language-rename.png)',
    run: async (wb) => {
      await cursorTo(wb, '&flows');
      await wb.page.keyboard.press('ArrowRight');
      await wb.page.keyboard.press('ArrowLeft');
      await wb.page.keyboard.press('F2');
      const box = wb.page.locator('.rename-box input, .rename-box .rename-input').first();
      await box.waitFor({ state: 'visible', timeout: 20_000 });
      await box.fill('flow_counts');
      await wb.page.keyboard.press('Enter');
      await editor(wb)
        .locator('.view-lines', { hasText: '} flow_counts SEC' })
        .first()
        .waitFor({ timeout: 20_000 });
      const text = await viewText(wb);
      await wb.screenshot('language-rename');
      if (!text.includes('&flow_counts') || /\bflows\b/.test(text))
        throw new Error(
          `rename left: ${text
            .split('\n')
            .filter((l) => l.includes('flow'))
            .join(' | ')}`,
        );
      return text
        .split('\n')
        .filter((l) => l.includes('flow_counts'))
        .map((l) => l.trim())
        .join(' | ');
    },
  },
];
