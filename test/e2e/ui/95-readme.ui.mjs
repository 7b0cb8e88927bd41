// The installed extension's README (the one the .vsix carries, issue 12 item 6) shows its screenshots:
// media/screenshots/*.png, inlined into the packaged README (VS Code shows only https: and data: images there), offline.
/* global document, HTMLImageElement -- frame.waitForFunction callbacks run in Chromium */

/**
 * The Extensions view listing the enabled extensions. Its palette command is missing for a while in
 * some fresh code-server windows (seen once in CI: the palette offered only "similar commands"), so
 * it is asked again, and then the view is opened by "View: Show Extensions" and filtered by its own
 * search box, as a user would.
 * @param {import('../lib/workbench.mjs').Workbench} wb
 */
async function showEnabledExtensions(wb) {
  for (let attempt = 1; attempt <= 3; attempt++) {
    try {
      await wb.runCommand('Extensions: Show Enabled Extensions');
      return;
    } catch {
      await wb.page.keyboard.press('Escape');
    }
  }
  await wb.runCommand('View: Show Extensions');
  const search = wb.page.locator('.extensions-viewlet .suggest-input-container').first();
  await search.waitFor({ timeout: 30_000 });
  await search.click();
  await wb.page.keyboard.press('Control+A');
  await wb.page.keyboard.type('@enabled');
}

/** @type {import('../lib/steps.mjs').UiStep[]} */
export const steps = [
  {
    name: "the Extensions view's XDP Lab page shows the README's screenshots from the .vsix",
    run: async (wb) => {
      await showEnabledExtensions(wb);
      const row = wb.page.locator('.extensions-viewlet .monaco-list-row', { hasText: 'XDP Lab' }).first();
      await row.waitFor({ timeout: 30_000 });
      await row.click();
      const frame = await wb.findWebviewFrame('img[src^="data:image/png"]', 60_000);
      const images = frame.locator('img[src^="data:image/png"]');
      const count = await images.count();
      if (count < 3) throw new Error(`the README shows ${count} screenshots`);
      // Each image loaded (a broken link has naturalWidth 0): scrolled into view, as the README is read.
      const state = async () =>
        frame.evaluate(() =>
          [...document.querySelectorAll('img[src^="data:image/png"]')].map((i) =>
            i instanceof HTMLImageElement ? `${i.alt} ${i.complete ? i.naturalWidth : 'loading'}` : '?',
          ),
        );
      for (let n = 0; n < count; n++) await images.nth(n).scrollIntoViewIfNeeded();
      try {
        await frame.waitForFunction(
          () =>
            [...document.querySelectorAll('img[src^="data:image/png"]')].every(
              (i) => i instanceof HTMLImageElement && i.complete && i.naturalWidth > 0,
            ),
          undefined,
          { timeout: 30_000 },
        );
      } catch {
        throw new Error(`README images not loaded: ${(await state()).join(' | ')}`);
      }
      const first = await images.first().getAttribute('src');
      await wb.screenshot('readme-in-extensions-view');
      await wb.page.keyboard.press('Escape');
      await wb.runCommand('View: Show Explorer');
      return `${count} images, e.g. ${(first ?? '').slice(0, 30)}…`;
    },
  },
];
