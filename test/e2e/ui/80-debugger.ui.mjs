// The XDP debugger in VS Code's own debug UI (issue 14): a breakpoint set by clicking the gutter of
// redirect.bpf.c, a session started from the "Debug" CodeLens, the stop on that line, and a local read
// in the Variables view (key = dport 9 & 7 = 1 on the default UDP frame). Screenshot debugger.png.
/* global document -- page.evaluate callbacks run in Chromium */

const BP_TEXT = 'count = bpf_map_lookup_elem(&rx_count, &key);';

const editor = (wb) => wb.page.locator('.editor-instance .monaco-editor').filter({ visible: true }).first();

/** Goes to a line through Quick Open (":N"). */
async function gotoLine(wb, n) {
  await wb.page.keyboard.press('Control+P');
  await wb.page.locator('.quick-input-widget input.input').waitFor({ state: 'visible' });
  await wb.page.keyboard.type(`:${n}`);
  await wb.page.keyboard.press('Enter');
}

/** @type {import('../lib/steps.mjs').UiStep[]} */
export const steps = [
  {
    name: 'a gutter click sets a breakpoint; the "Debug" CodeLens stops on it; Variables shows key = 1 (screenshot debugger.png)',
    run: async (wb) => {
      // Quick Open may not know the file yet while the workbench is still indexing: ask again.
      for (let attempt = 1; ; attempt++) {
        try {
          await wb.openFile('redirect.bpf.c');
          break;
        } catch (e) {
          if (attempt === 3) throw e;
          await wb.page.keyboard.press('Escape');
        }
      }
      await gotoLine(wb, 51);
      const ed = editor(wb);
      const line = ed.locator('.view-line', { hasText: BP_TEXT }).first();
      await line.waitFor({ timeout: 30_000 });
      // The glyph margin is the strip left of the line numbers: a click there toggles a breakpoint.
      const at = await ed.evaluate((root, text) => {
        const l = [...root.querySelectorAll('.view-line')].find((v) =>
          (v.textContent ?? '').replace(/\u00a0/g, ' ').includes(text),
        );
        const g = root.querySelector('.glyph-margin') ?? root.querySelector('.margin');
        if (!l || !g) return undefined;
        const lr = l.getBoundingClientRect();
        const gr = g.getBoundingClientRect();
        return { x: gr.left + Math.min(9, gr.width / 2), y: lr.top + lr.height / 2, width: gr.width };
      }, BP_TEXT);
      if (!at) throw new Error('no editor geometry (line or glyph margin not rendered)');
      await wb.page.mouse.move(at.x, at.y);
      await wb.page.mouse.click(at.x, at.y);
      await ed
        .locator('.codicon-debug-breakpoint, .codicon-debug-breakpoint-unverified')
        .first()
        .waitFor({ timeout: 10_000 });

      await gotoLine(wb, 20);
      const lens = wb.page.locator('.contentWidgets .codelens-decoration a', { hasText: /^Debug$/ }).first();
      await lens.waitFor({ timeout: 60_000 });
      await lens.click();

      // Stopped on the breakpoint's line: the call stack names the program, Variables lists the locals.
      const frame = wb.page
        .locator('.debug-call-stack .monaco-list-row', { hasText: 'xdp_redirect_udp' })
        .first();
      await frame.waitFor({ timeout: 60_000 });
      const keyRow = wb.page.locator('.debug-variables .monaco-list-row', { hasText: /^key/ }).first();
      await keyRow.waitFor({ timeout: 30_000 });
      const text = (await keyRow.innerText()).replace(/\s+/g, ' ').trim();
      if (!/^key\s*[:=]?\s*1(\s|$)/.test(text))
        throw new Error(`key is not 1 in the Variables view: ${text}`);
      const current = await wb.page.evaluate(
        () => [...document.querySelectorAll('.debug-top-stack-frame-line, .debug-top-stack-frame')].length,
      );
      await wb.screenshot('debugger');
      // End the session: continue runs to the end (terminated).
      await wb.page.keyboard.press('F5');
      await wb.page
        .locator('.debug-call-stack .monaco-list-row', { hasText: 'xdp_redirect_udp' })
        .first()
        .waitFor({ state: 'detached', timeout: 30_000 });
      return `${text} ; current-line decorations: ${current}`;
    },
  },
];
