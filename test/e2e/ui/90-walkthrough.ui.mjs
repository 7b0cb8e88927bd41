// The walkthrough as someone who installed XDP Lab from a marketplace meets it (issue 12 item 6): an
// empty window, "Get started with XDP Lab", step 1's button asks for a folder (an empty one is picked)
// and opens the example there; steps 2-4's buttons do what their text says. A screenshot per step
// (test-results/walkthrough-N-*.png). Runs last: it leaves the page on the example workspace again.
import fs from 'node:fs';
import path from 'node:path';

const WALKTHROUGH = 'Get started with XDP Lab';
/** The empty folder the user picks, beside the scratch workspace (.cache/e2e-run). */
let empty = '';

/** Opens the walkthrough and expands the step titled `title`. */
async function openStep(wb, title) {
  await wb.runCommandAndPick('Welcome: Open Walkthrough...', WALKTHROUGH, 10_000);
  const step = wb.page.locator('.gettingStartedContainer .getting-started-step', { hasText: title }).first();
  await step.waitFor({ timeout: 15_000 });
  if (!(await step.evaluate((e) => e.classList.contains('expanded')))) await step.click();
  await wb.page
    .locator('.gettingStartedContainer .getting-started-step.expanded', { hasText: title })
    .first()
    .waitFor({ timeout: 10_000 });
}

/** Clicks the expanded step's button (a description line that is only a command link). */
async function clickStepButton(wb, label) {
  const button = wb.page
    .locator('.gettingStartedContainer .getting-started-step.expanded')
    .getByRole('button', { name: label })
    .first();
  await button.waitFor({ timeout: 10_000 });
  await button.click();
}

/**
 * The result panel's frame, or an error that says what the window showed instead: an XDP Lab toast, or
 * a pick still waiting (the walkthrough once took the focus and closed the frame pick under the user,
 * stop 19: the command's picks now ignore focus-out).
 */
async function resultView(wb) {
  try {
    return await wb.findWebviewFrame('[data-outcome]', 60_000);
  } catch (e) {
    const toasts = await wb.notifications();
    const pick = wb.page.locator('.quick-input-widget');
    const open = (await pick.isVisible()) ? await pick.locator('input.input').getAttribute('aria-label') : '';
    throw new Error(
      `${e instanceof Error ? e.message : e}; notifications: ${toasts.join(' | ') || 'none'}; open pick: ${open || 'none'}`,
    );
  }
}

/** A new user's browser: a profile of its own, not the one the earlier UI files used (run.mjs). */
export const freshWindow = true;

/** @type {import('../lib/steps.mjs').UiStep[]} */
export const steps = [
  {
    name: 'walkthrough step 1 from an empty window: the button asks for a folder, an empty one is picked, the example opens there',
    run: async (wb, ctx) => {
      empty = path.join(path.dirname(ctx.workspace), 'walkthrough-empty');
      fs.rmSync(empty, { recursive: true, force: true });
      fs.mkdirSync(empty, { recursive: true });
      // An empty window: no folder, as after installing the extension.
      await wb.page.goto(`${wb.baseUrl}/?ew=true`);
      await wb.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      await wb.page.locator('#workbench\\.parts\\.statusbar').waitFor({ timeout: 60_000 });
      await openStep(wb, 'Open an XDP program');
      // The step's page (media/walkthrough/program.md) renders beside it.
      await wb.findWebviewFrame('h1:text-is("Open an XDP program")', 30_000);
      await wb.screenshot('walkthrough-1-start');
      await clickStepButton(wb, 'Create Example Workspace');
      // code-server's folder dialog is a quick input holding a path: type the empty folder, accept.
      const input = wb.page.locator('.quick-input-widget input.input');
      await input.waitFor({ state: 'visible', timeout: 15_000 });
      const title = await wb.page.locator('.quick-input-widget .quick-input-title').innerText();
      if (!/where to create the example/.test(title)) throw new Error(`the dialog is "${title}"`);
      // The dialog fills in its default folder once it has read it: type ours until it stays.
      for (let i = 0; i < 50; i++) {
        await input.fill(`${empty}/`);
        await wb.page.waitForTimeout(200);
        if ((await input.inputValue()) === `${empty}/`) break;
      }
      await wb.page
        .locator('.quick-input-widget .monaco-list-row', { hasText: '..' })
        .first()
        .waitFor({ timeout: 10_000 })
        .catch(() => undefined);
      await wb.screenshot('walkthrough-1-pick-folder');
      const ok = wb.page.locator('.quick-input-widget .monaco-button', {
        hasText: 'Create the example here',
      });
      if (await ok.isVisible()) await ok.click();
      else await wb.page.keyboard.press('Enter');
      // The new folder opens in this window (the page reloads on it) and shows the program.
      const made = path.join(empty, 'xdp-lab-example');
      await wb.page.waitForURL((u) => decodeURIComponent(u.toString()).includes(made), { timeout: 60_000 });
      await wb.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      await wb.explorerRow('redirect.xdpscenario.json').waitFor({ timeout: 60_000 });
      await wb.page
        .locator('.tabs-container .tab.active', { hasText: 'redirect.bpf.c' })
        .first()
        .waitFor({ timeout: 60_000 });
      const files = fs.readdirSync(made).sort();
      if (files.length !== 4) throw new Error(`the example folder holds ${files.join(', ')}`);
      await wb.screenshot('walkthrough-1-example');
      return `${made}: ${files.join(', ')}`;
    },
  },
  {
    name: 'walkthrough step 2: "Run Program on a Frame" runs the example program and shows the result panel',
    run: async (wb) => {
      await openStep(wb, 'Run it on a frame');
      await clickStepButton(wb, 'Run Program on a Frame');
      // No text editor is active (the walkthrough is): the command finds the workspace's program.
      await wb.pickQuickItem('xdp_redirect_udp', 60_000);
      await wb.pickQuickItem('UDP frame');
      await wb.pickQuickItem('Maps as loaded');
      const view = await resultView(wb);
      const outcome = await view.locator('[data-outcome]').getAttribute('data-outcome');
      if (!/^XDP_/.test(outcome ?? '')) throw new Error(`outcome ${outcome}`);
      // The claims of media/walkthrough/run.md: action, frame before/after by layer, maps, instructions.
      const layers = await view.locator('tr.layer th').allInnerTexts();
      if (!layers.some((t) => t.startsWith('UDP'))) throw new Error(`layers: ${layers.join(' | ')}`);
      await view.locator('[data-map="tx_port"]').first().waitFor({ timeout: 10_000 });
      await wb.screenshot('walkthrough-2-run');
      return outcome;
    },
  },
  {
    name: 'walkthrough step 3: "Open Redirect-Flow Visualizer" draws the example scenario with its EOPNOTSUPP drops',
    run: async (wb) => {
      await wb.closeAllEditors();
      await openStep(wb, 'Simulate XDP_REDIRECT');
      await clickStepButton(wb, 'Open Redirect-Flow Visualizer');
      // Three scenarios in the example: the step's text names redirect.xdpscenario.json.
      await wb.pickQuickItem('redirect.xdpscenario.json', 30_000);
      const view = await wb.findWebviewFrame('svg.graph .node-device', 60_000);
      const drops = await view
        .locator('[data-drop-total="EOPNOTSUPP"]')
        .first()
        .innerText({ timeout: 30_000 });
      if (!(Number(drops.replace(/,/g, '')) > 0)) throw new Error(`EOPNOTSUPP drops shown: ${drops}`);
      await wb.screenshot('walkthrough-3-visualizer');
      return `EOPNOTSUPP ${drops}`;
    },
  },
  {
    name: 'walkthrough step 4: "Capture XDP Tracepoints" asks for the SSH host',
    run: async (wb, ctx) => {
      await wb.closeAllEditors();
      await openStep(wb, 'Capture a real host');
      await clickStepButton(wb, 'Capture XDP Tracepoints');
      const input = wb.page.locator('.quick-input-widget input.input');
      await input.waitFor({ state: 'visible', timeout: 15_000 });
      const placeholder = (await input.getAttribute('placeholder')) ?? '';
      if (!/user@host/.test(placeholder)) throw new Error(`the capture asks "${placeholder}"`);
      await wb.screenshot('walkthrough-4-capture');
      await wb.page.keyboard.press('Escape');
      // Back to the scratch workspace for whatever runs next.
      await wb.openFolder(ctx.workspace, 'redirect.bpf.c');
      fs.rmSync(empty, { recursive: true, force: true });
      return placeholder;
    },
  },
];
