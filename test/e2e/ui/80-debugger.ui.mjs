// The XDP debugger in VS Code's own debug UI (issue 14): a breakpoint set by clicking the gutter of
// redirect.bpf.c, a session started from the "Debug" CodeLens, the stop on that line, and a local read
// in the Variables view (key = dport 9 & 7 = 1 on the default UDP frame). Screenshot debugger.png.
// Then step over to `if (count)`, Registers with r0's kind from the verifier, and step back from the
// toolbar. Screenshot debugger-registers.png. Then an instruction breakpoint clicked in the Disassembly
// view, and continue stopping on it. Screenshot debugger-disassembly.png.
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
    name: 'a gutter click sets a breakpoint; the "Debug" CodeLens stops on it; Variables shows key = 1 (screenshot debugger.png); F10, Registers r0 of kind map_value_or_null, step back from the toolbar (debugger-registers.png); an instruction breakpoint set in the Disassembly view stops (debugger-disassembly.png)',
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

      // Step over (F10) to `if (count)`: Registers, expanded, read r0 as the VM holds it; its kind
      // (the row's type, VS Code's tooltip) is the verifier's map_value_or_null until the NULL check.
      const topLine = async () =>
        (await wb.page.locator('.debug-call-stack .monaco-list-row').first().innerText()).replace(
          /\s+/g,
          ' ',
        );
      await wb.page.keyboard.press('F10');
      await wb.page
        .locator('.debug-call-stack .monaco-list-row', { hasText: /redirect\.bpf\.c\s*52/ })
        .first()
        .waitFor({ timeout: 30_000 });
      // The view re-renders as the stop's variables arrive: a click on Registers during that can be
      // lost, so expand until r0 shows (the wait is for the row, not a fixed sleep).
      const r0 = wb.page.locator('.debug-variables .monaco-list-row', { hasText: /^r0\b/ }).first();
      const registers = wb.page
        .locator('.debug-variables .monaco-list-row', { hasText: /^Registers$/ })
        .first();
      for (let attempt = 1; ; attempt++) {
        if ((await registers.getAttribute('aria-expanded')) !== 'true') await registers.click();
        try {
          await r0.waitFor({ timeout: 5_000 });
          break;
        } catch (e) {
          if (attempt === 4) throw e;
        }
      }
      const r0Text = (await r0.innerText()).replace(/\s+/g, ' ').trim();
      if (!/map_value\(rx_count\)\+0/.test(r0Text)) throw new Error(`r0 in Registers: ${r0Text}`);
      await r0.locator('.monaco-highlighted-label, .name').first().hover();
      const tip = wb.page.locator('.monaco-hover, .workbench-hover, .custom-hover', {
        hasText: 'map_value_or_null',
      });
      await tip
        .first()
        .waitFor({ timeout: 10_000 })
        .catch(async () => {
          throw new Error(`no map_value_or_null tooltip on r0; row: ${(await r0.innerHTML()).slice(0, 400)}`);
        });
      const kindShown = 'tooltip map_value_or_null';
      await wb.screenshot('debugger-registers');
      // Step back from the debug toolbar: the stop returns to line 51.
      await wb.page.locator('.debug-toolbar .codicon-debug-step-back').first().click();
      await wb.page
        .locator('.debug-call-stack .monaco-list-row', { hasText: /redirect\.bpf\.c\s*51/ })
        .first()
        .waitFor({ timeout: 30_000 });
      const back = await topLine();

      // The Disassembly view (bpftool's text): a click in a row's breakpoint column sets an instruction
      // breakpoint on the NULL check after the lookup (line 52, in view below the stop), and continue
      // stops on that instruction.
      await wb.page.keyboard.press('F1');
      await wb.page.locator('.quick-input-widget input.input').waitFor({ state: 'visible' });
      await wb.page.keyboard.type('Open Disassembly View');
      await wb.page
        .locator('.quick-input-list .monaco-list-row', { hasText: 'Open Disassembly View' })
        .first()
        .waitFor({ timeout: 10_000 });
      await wb.page.keyboard.press('Enter');
      const call = wb.page
        .locator('.disassembly-view .monaco-list-row', { hasText: 'if r0 == 0 goto pc+3' })
        .first();
      await call.waitFor({ timeout: 30_000 });
      await call.locator('.monaco-table-td').first().click();
      await call.locator('.codicon-debug-breakpoint').first().waitFor({ timeout: 10_000 });
      await wb.page.keyboard.press('F5');
      await wb.page
        .locator('.debug-call-stack .monaco-list-row', { hasText: /redirect\.bpf\.c\s*52/ })
        .first()
        .waitFor({ timeout: 30_000 });
      // The Call Stack's header says why: a breakpoint, not a step.
      await wb.page
        .locator('.pane-header', { hasText: /Paused on (instruction )?breakpoint/i })
        .first()
        .waitFor({ timeout: 10_000 });
      const disLine = await topLine();
      // The Variables view refreshes after the stop: r0 holds the lookup's map value again.
      await wb.page
        .locator('.debug-variables .monaco-list-row', { hasText: /^r0\b.*map_value\(rx_count\)\+0/ })
        .first()
        .waitFor({ timeout: 30_000 });
      if (!/redirect\.bpf\.c\s*52/.test(disLine))
        throw new Error(`the instruction breakpoint stopped at ${disLine}, not line 52`);
      await wb.screenshot('debugger-disassembly');
      // End the session: continue runs to the end (terminated).
      await wb.page.keyboard.press('F5');
      await wb.page
        .locator('.debug-call-stack .monaco-list-row', { hasText: 'xdp_redirect_udp' })
        .first()
        .waitFor({ state: 'detached', timeout: 30_000 });
      return `${text} ; current-line decorations: ${current} ; after F10 ${r0Text} (${kindShown}) ; step back: ${back} ; Disassembly view instruction breakpoint: ${disLine}`;
    },
  },
];
