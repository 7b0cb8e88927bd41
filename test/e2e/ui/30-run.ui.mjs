// "Run Program on a Frame" as a user meets it (issue 13 item 8): from the palette on the example
// program, a UDP frame to port 9 with the maps as loaded — the result panel shows the verdict, the
// frame by layer, the maps, and explains the redirect-map miss that made the program pass the frame.

/** @type {import('../lib/steps.mjs').UiStep[]} */
export const steps = [
  {
    name: 'Run Program on a Frame shows a result panel: XDP_PASS, the tx_port miss explained, the frame by layer',
    run: async (wb) => {
      await wb.openFile('redirect.bpf.c');
      await wb.runCommandAndPick('XDP Lab: Run Program on a Frame', 'xdp_redirect_udp');
      await wb.pickQuickItem('UDP frame');
      await wb.pickQuickItem('Maps as loaded');
      const view = await wb.findWebviewFrame('[data-outcome]', 60_000);
      const outcome = await view.locator('[data-outcome]').getAttribute('data-outcome');
      if (outcome !== 'XDP_PASS') throw new Error(`outcome ${outcome}, expected XDP_PASS (tx_port is empty)`);
      const note = view.locator('.note', { hasText: 'DEVMAP tx_port key 1 not found → XDP_PASS (flags)' });
      await note.waitFor({ timeout: 10_000 });
      const layers = await view.locator('tr.layer th').allInnerTexts();
      if (!layers.some((t) => t.startsWith('UDP')))
        throw new Error(`no UDP layer in the frame view: ${layers.join(' | ')}`);
      const maps = await view
        .locator('[data-map]')
        .evaluateAll((els) => els.map((e) => e.getAttribute('data-map')));
      if (!maps.includes('rx_count') || !maps.includes('tx_port'))
        throw new Error(`maps shown: ${maps.join(', ')}`);
      await wb.screenshot('run-result');
      return `${outcome}; ${(await note.innerText()).slice(0, 80)}…`;
    },
  },
];
