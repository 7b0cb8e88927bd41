// Issue 11 in the real editor: our verifier runs after the compile-on-save build. A program that
// checks its headers shows "✓ verifier: accepted" above it; removing the IPv4 header's bounds check
// and saving puts the kernel's words on the line of the unchecked read (screenshot verifier-diagnostic.png).
/* global document -- page.evaluate callbacks run in Chromium */
import fs from 'node:fs';
import path from 'node:path';

const FILE = 'verifier-ui.bpf.c';
const PROGRAM = `#include <linux/bpf.h>
#include <linux/if_ether.h>
#include <linux/ip.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_endian.h>

SEC("xdp")
int xdp_ttl_filter(struct xdp_md *ctx)
{
\tvoid *data = (void *)(long)ctx->data;
\tvoid *data_end = (void *)(long)ctx->data_end;
\tstruct ethhdr *eth = data;
\tstruct iphdr *iph = (void *)(eth + 1);

\tif ((void *)(eth + 1) > data_end)
\t\treturn XDP_DROP;
\tif (eth->h_proto != bpf_htons(ETH_P_IP))
\t\treturn XDP_PASS;
\tif ((void *)(iph + 1) > data_end)
\t\treturn XDP_DROP;
\tif (iph->ttl <= 1)
\t\treturn XDP_DROP;
\treturn XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
`;

const editor = (wb) => wb.page.locator('.editor-instance .monaco-editor').filter({ visible: true }).first();

/** Puts the cursor at the start of a 1-based line through "Go to Line/Column…" (focus stays in the text). */
async function goToLine(wb, line) {
  await wb.runCommand('Go to Line/Column');
  await wb.page.keyboard.type(String(line));
  await wb.page.keyboard.press('Enter');
}

/** @type {import('../lib/steps.mjs').UiStep[]} */
export const steps = [
  {
    name: 'saved with its bounds checks: the CodeLens says "✓ verifier: accepted (N insns)"',
    run: async (wb, ctx) => {
      fs.writeFileSync(path.join(ctx.workspace, FILE), PROGRAM);
      // The file watcher may be slow to report a file written behind the editor's back: ask the explorer.
      await wb.runCommand('Refresh Explorer');
      await wb.explorerRow(FILE).waitFor({ timeout: 30_000 });
      await wb.explorerRow(FILE).click();
      await wb.tab(FILE).waitFor({ timeout: 20_000 });
      await editor(wb)
        .locator('.view-lines', { hasText: 'xdp_ttl_filter' })
        .first()
        .waitFor({ timeout: 20_000 });
      await editor(wb).click(); // focus in the text (the Find steps below rely on it)
      // The file is not dirty, so a save would be a no-op: compile through the command instead.
      await wb.runCommand('XDP Lab: Compile with clang');
      const lens = editor(wb).locator('.codelens-decoration', { hasText: '✓ verifier: accepted' });
      await lens.first().waitFor({ timeout: 60_000 });
      return (await lens.first().innerText()).replace(/\s+/g, ' ');
    },
  },
  {
    name: 'the IPv4 bounds check removed and saved: the verifier error sits on the unchecked read, in the kernel words (screenshot verifier-diagnostic.png)',
    run: async (wb) => {
      await goToLine(wb, PROGRAM.split('\n').findIndex((l) => l.includes('(iph + 1) > data_end')) + 1);
      await wb.page.keyboard.press('Home');
      await wb.page.keyboard.press('Home');
      await wb.page.keyboard.press('Shift+ArrowDown');
      await wb.page.keyboard.press('Shift+ArrowDown');
      await wb.page.keyboard.press('Delete');
      await editor(wb)
        .locator('.view-lines', { hasText: 'iph + 1) > data_end' })
        .waitFor({ state: 'detached', timeout: 10_000 });
      await wb.page.keyboard.press('Control+S');
      await editor(wb)
        .locator('.codelens-decoration', { hasText: '✗ verifier: invalid access to packet' })
        .first()
        .waitFor({ timeout: 60_000 });
      // The squiggle is on the line of `iph->ttl` (the line the kernel names).
      const onLine = await editor(wb).evaluate((root) => {
        const lines = [...root.querySelectorAll('.view-line')].map((l) => ({
          top: Math.round(l.getBoundingClientRect().top),
          text: (l.textContent ?? '').replace(/\u00a0/g, ' '),
        }));
        const squiggles = [...root.querySelectorAll('.squiggly-error')].map((s) =>
          Math.round(s.getBoundingClientRect().top),
        );
        return squiggles.map((t) => lines.find((l) => Math.abs(l.top - t) <= 2)?.text.trim());
      });
      // Inlay hints (xdpLab.inlayHints.packetOffsets, on by default) are text inside the rendered line:
      // "if (iph->ttl pkt+22, 1 B <= 1)".
      if (!onLine.some((t) => /^if \(iph->ttl\b.*<= 1\)/.test(t ?? '')))
        throw new Error(`no error squiggle on the iph->ttl line: ${JSON.stringify(onLine)}`);
      // The cursor inside the flagged range, then the editor's "Show Hover" (Ctrl+K Ctrl+I).
      await goToLine(wb, PROGRAM.split('\n').findIndex((l) => l.includes('iph->ttl')) - 1);
      await wb.page.keyboard.press('End');
      await wb.page.keyboard.press('ArrowLeft');
      await wb.page.keyboard.press('Control+K');
      await wb.page.keyboard.press('Control+I');
      const hover = wb.page.locator('.monaco-hover', { hasText: 'invalid access to packet' }).first();
      await hover.waitFor({ timeout: 20_000 });
      await wb.page.waitForFunction(() =>
        [...document.querySelectorAll('.monaco-hover')].every((e) =>
          e.getAnimations({ subtree: true }).every((a) => a.playState !== 'running'),
        ),
      );
      const text = (await hover.innerText()).replace(/\s+/g, ' ');
      if (!text.includes('xdp-lab verifier')) throw new Error(`hover does not name the source: ${text}`);
      await wb.screenshot('verifier-diagnostic');
      await wb.page.keyboard.press('Escape');
      return text.slice(0, 160);
    },
  },
];
