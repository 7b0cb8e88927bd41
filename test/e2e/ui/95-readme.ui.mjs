// The installed extension's README (the one the .vsix carries, issue 12 item 6) shows its screenshots:
// the relative media/screenshots/*.png links load from the installed extension, offline.
/* global document, HTMLImageElement -- frame.waitForFunction callbacks run in Chromium */

/** @type {import('../lib/steps.mjs').UiStep[]} */
export const steps = [
  {
    name: "the Extensions view's XDP Lab page shows the README's screenshots from the .vsix",
    run: async (wb) => {
      await wb.runCommand('Extensions: Show Enabled Extensions');
      const row = wb.page.locator('.extensions-viewlet .monaco-list-row', { hasText: 'XDP Lab' }).first();
      await row.waitFor({ timeout: 30_000 });
      await row.click();
      const frame = await wb.findWebviewFrame('img[src*="screenshots"]', 60_000);
      const images = frame.locator('img[src*="screenshots"]');
      const count = await images.count();
      if (count < 3) throw new Error(`the README shows ${count} screenshots`);
      // Each image loaded (a broken link has naturalWidth 0); wait for them, bounded by the step's timeout.
      await frame.waitForFunction(
        () =>
          [...document.querySelectorAll('img[src*="screenshots"]')].every(
            (i) => i instanceof HTMLImageElement && i.complete && i.naturalWidth > 0,
          ),
        undefined,
        { timeout: 30_000 },
      );
      const first = await images.first().getAttribute('src');
      await wb.screenshot('readme-in-extensions-view');
      await wb.page.keyboard.press('Escape');
      await wb.runCommand('View: Show Explorer');
      return `${count} images, e.g. ${first}`;
    },
  },
];
