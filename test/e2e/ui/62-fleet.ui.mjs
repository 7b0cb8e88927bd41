// UI steps of a fleet capture (issue 15 item 3) in the real editor: "Capture XDP Tracepoints on
// Several Hosts" with the real sshd test host of 60-capture (test/fixtures/capture/remoteHost.ts)
// and a host that is down (the lab's ssh config points xlrt-down at a port nothing listens on; a
// name that does not resolve waited 50-130 s for DNS timeouts in the namespace): the down host fails in its own column (and a warning)
// while the real host's redirect errors are counted live, then Stop stops the fleet.
// Screenshot: test-results/capture-fleet.png. Needs root (netns).
import fs from 'node:fs';
import { startHost, TARGET } from './60-capture.ui.mjs';

const DOWN = 'xlrt-down';
let host;
let view;

/** The fleet table's cells of row `name` (first cell: the row's name). */
async function fleetRow(name) {
  const rows = await view
    .locator('table.fleet tr')
    .evaluateAll((trs) =>
      trs.map((tr) => Array.from(tr.children).map((td) => (td.textContent ?? '').trim())),
    );
  return rows.find((r) => r[0] === name);
}

/** @type {import('../lib/steps.mjs').UiStep[]} */
export const steps = [
  {
    name: 'fleet capture: the real host and a down host picked together, the down one fails in its column',
    run: async (wb) => {
      if (process.getuid?.() !== 0) return 'skipped: needs root for the network namespace host';
      host = startHost();
      const info = await host.info;
      fs.writeFileSync(TARGET, info.sshPath); // the fixture's known_hosts has the key: no modal
      await wb.runCommand('XDP Lab: Capture XDP Tracepoints on Several Hosts');
      const pickTitle = wb.page.locator('.quick-input-widget .quick-input-title', {
        hasText: 'hosts to capture on',
      });
      await pickTitle.waitFor({ state: 'visible', timeout: 15_000 });
      const input = wb.page.locator('.quick-input-widget input.input');
      await input.fill(`xlrt-host, ${DOWN}`);
      await wb.page
        .locator('.quick-input-widget .monaco-list-row', { hasText: DOWN })
        .first()
        .waitFor({ state: 'visible', timeout: 10_000 });
      await wb.page.keyboard.press('Enter');
      // The duration prompt reuses the widget; Enter may be dropped while it validates (see 60-capture).
      const durationTitle = wb.page.locator('.quick-input-widget .quick-input-title', {
        hasText: 'Capture duration',
      });
      await durationTitle.waitFor({ state: 'visible', timeout: 15_000 });
      await input.fill('0'); // until stopped
      for (let i = 0; i < 10 && (await durationTitle.isVisible()); i++) {
        await wb.page.keyboard.press('Enter');
        await durationTitle.waitFor({ state: 'hidden', timeout: 1_000 }).catch(() => undefined);
      }
      view = await wb.findWebviewFrame('text=XDP capture — 2 hosts', 60_000);
      await wb.waitForNotification(DOWN, 60_000); // the down host's warning
      const deadline = Date.now() + 90_000;
      for (;;) {
        const state = await fleetRow('state').catch(() => undefined);
        if (state?.[2] === 'capturing…' && state[3]?.startsWith('failed: ')) return state[3];
        if (Date.now() > deadline) throw new Error(`fleet state row: ${JSON.stringify(state)}`);
        await wb.page.waitForTimeout(200); // the panel updates as hosts attach
      }
    },
  },
  {
    name: "the real host's redirect errors are counted in its column and in the merged one",
    run: async (wb) => {
      if (!host) return 'skipped';
      await host.send('send 30'); // the target's peer has no XDP program: EOPNOTSUPP
      const deadline = Date.now() + 30_000;
      for (;;) {
        const row = await fleetRow('xdp:xdp_redirect_err').catch(() => undefined);
        if (row && row[1] === '30' && row[2] === '30' && row[3] === '—') break;
        if (Date.now() > deadline) throw new Error(`redirect_err row: ${JSON.stringify(row)}`);
        await wb.page.waitForTimeout(200); // the panel updates once a second
      }
      const head = await fleetRow('');
      if (head?.join('|') !== `|all|xlrt-host|${DOWN}`) throw new Error(`columns: ${head}`);
      await wb.screenshot('capture-fleet');
      return 'redirect_err all=30, xlrt-host=30, down: —';
    },
  },
  {
    name: 'Stop Capture stops the fleet and keeps the counts',
    run: async (wb) => {
      if (!host) return 'skipped';
      try {
        await wb.runCommand('XDP Lab: Stop Capture');
        await view.locator('text=Save as .xdpcapture.json').waitFor({ timeout: 30_000 });
        const state = await fleetRow('state');
        if (state?.[2] !== 'stopped') throw new Error(`after stop: ${JSON.stringify(state)}`);
        const row = await fleetRow('xdp:xdp_redirect_err');
        if (row?.[2] !== '30') throw new Error(`after stop the row is ${JSON.stringify(row)}`);
        await wb.screenshot('capture-fleet-stopped');
        return 'stopped, counts kept';
      } finally {
        await host.stop();
        // The host's ssh is gone with it: later steps (92's unreachable host) meet the system's ssh.
        fs.writeFileSync(TARGET, 'ssh');
      }
    },
  },
];
