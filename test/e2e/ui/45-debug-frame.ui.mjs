// "Debug this frame" (issue 14): from the visualizer's Frame tab, one frame of the example scenario runs
// under VS Code's debugger in its context (the device's program, the scenario's map entries) — the
// session stops on entry in xdp_redirect_udp and shows its registers. Screenshot debug-frame.png.

/** @type {import('../lib/steps.mjs').UiStep[]} */
export const steps = [
  {
    name: 'Frame tab → "Debug this frame": the debugger stops on entry in the frame\'s program',
    run: async (wb) => {
      await wb.openFile('redirect.xdpscenario.json');
      await wb.runCommand('XDP Lab: Open Redirect-Flow Visualizer');
      const view = await wb.findWebviewFrame('svg.graph .node-device', 60_000);
      await view.locator('#tab-frame').click();
      await view.locator('button[data-action="debug-frame"]').click();
      const frame = wb.page
        .locator('.debug-call-stack .monaco-list-row', { hasText: 'xdp_redirect_udp' })
        .first();
      await frame.waitFor({ timeout: 60_000 });
      // The session runs that frame of the scenario (its label in the debug console names it).
      const consoleLine = wb.page.locator('.repl .monaco-list-row', {
        hasText: 'on frame 1 of redirect.xdpscenario.json',
      });
      await consoleLine.first().waitFor({ timeout: 30_000 });
      // Variables lists the scopes of the entry stop (step 0).
      await wb.page
        .locator('.debug-variables .monaco-list-row', { hasText: /Locals|Registers/ })
        .first()
        .waitFor({ timeout: 30_000 });
      const scopes = [
        await consoleLine.first().innerText(),
        ...(await wb.page.locator('.debug-variables .monaco-list-row').allInnerTexts()).slice(0, 2),
      ];
      await wb.screenshot('debug-frame');
      await wb.page.keyboard.press('Shift+F5'); // stop the session
      await wb.page
        .locator('.debug-call-stack .monaco-list-row', { hasText: 'xdp_redirect_udp' })
        .first()
        .waitFor({ state: 'detached', timeout: 30_000 })
        .catch(() => undefined);
      // Give the side bar back to the Explorer: later steps open files they just wrote from there.
      await wb.runCommand('View: Show Explorer');
      await wb.page.locator('.explorer-folders-view').first().waitFor({ timeout: 15_000 });
      return scopes.slice(0, 3).join(' | ');
    },
  },
];
