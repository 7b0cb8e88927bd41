// UI steps of the redirect-flow visualizer (issue #6) in the real editor: open the example scenario,
// open the visualizer, read the counters out of the webview and check they equal `xdp-lab simulate
// --json` for the same scenario, click the drop and check the editor jumps to the line of the
// bpf_redirect_map call, step one frame from its program run to the flush that sent it, screenshot;
// a DEVMAP entry at the wrong key shows its misses explained on the first visualization.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

/** The webview frame of the visualizer, once a snapshot has been rendered. */
let view;

function cliSummary(ctx) {
  const r = spawnSync(
    process.execPath,
    [
      path.join(ctx.root, 'dist/cli.js'),
      'simulate',
      path.join(ctx.workspace, 'redirect.xdpscenario.json'),
      '--json',
    ],
    {
      encoding: 'utf8',
    },
  );
  if (r.status !== 0) throw new Error(`xdp-lab simulate failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

const counter = async (key) =>
  Number(await view.locator(`[data-counter="${key}"]`).getAttribute('data-value'));

/** @type {import('../lib/steps.mjs').UiStep[]} */
export const steps = [
  {
    name: 'visualizer opens on the example scenario from the palette and draws the graph',
    run: async (wb) => {
      await wb.openFile('redirect.xdpscenario.json');
      await wb.runCommand('XDP Lab: Open Redirect-Flow Visualizer');
      view = await wb.findWebviewFrame('svg.graph .node-device', 60_000);
      await view.locator('[data-counter="tracepoints.xdp:xdp_redirect"]').waitFor();
      const devices = await view.locator('svg.graph .node-device').count();
      // Up to 80 nodes ELK places the graph (layout.ts): in its blob: worker, replacing the layered
      // layout drawn at once (graphPane.ts); bigger graphs say 'layered'.
      try {
        await view.locator('svg.graph[data-layout="elk"]').waitFor({ timeout: 30_000 });
      } catch {
        const engine = await view.locator('svg.graph').getAttribute('data-layout');
        throw new Error(`the graph was laid out by ${engine}, not ELK (its worker did not answer in 30 s)`);
      }
      if (devices !== 6) throw new Error(`expected the example's 6 devices, the graph has ${devices}`);
      return `${devices} devices, ${await view.locator('svg.graph .edge').count()} flows`;
    },
  },
  {
    name: 'counters in the webview equal `xdp-lab simulate --json`',
    run: async (wb, ctx) => {
      const s = cliSummary(ctx);
      const pairs = [
        ['tracepoints.xdp:xdp_redirect', s.tracepoints['xdp:xdp_redirect'] ?? 0],
        ['tracepoints.xdp:xdp_redirect_err', s.tracepoints['xdp:xdp_redirect_err'] ?? 0],
        ['devmapXmit.sent', s.devmapXmit.sent],
        ['devmapXmit.drops', s.devmapXmit.drops],
        ['cpumap.enqueue.processed', s.cpumap.enqueue.processed],
      ];
      for (const [key, want] of pairs) {
        const got = await counter(key);
        if (got !== want) throw new Error(`${key}: webview ${got}, CLI ${want}`);
      }
      const eop = s.errno['xdp:xdp_redirect_err']?.EOPNOTSUPP ?? 0;
      const shown = Number(
        (await view.locator('[data-drop-total="EOPNOTSUPP"]').innerText()).replace(/,/g, ''),
      );
      if (eop === 0 || shown !== eop) throw new Error(`EOPNOTSUPP drops: webview ${shown}, CLI ${eop}`);
      return pairs.map(([k, v]) => `${k.split('.').pop()}=${v}`).join(' ') + ` EOPNOTSUPP=${eop}`;
    },
  },
  {
    name: 'the drop shows the errno fix; its link opens redirect.bpf.c at the bpf_redirect_map line',
    run: async (wb) => {
      const card = view.locator('.drop', { hasText: 'EOPNOTSUPP' }).first();
      const text = await card.innerText();
      if (!/attach an XDP program/.test(text))
        throw new Error(`no fix in the drop card: ${text.slice(0, 200)}`);
      await wb.screenshot('visualizer');
      await card.locator('button[data-action="open-source"]').first().click();
      await wb.tab('redirect.bpf.c').waitFor({ timeout: 15_000 });
      const pos = wb.page.locator('#status\\.editor\\.selection');
      await pos.filter({ hasText: /Ln 55,/ }).waitFor({ timeout: 15_000 });
      const line = await wb.page
        .locator('.editor-instance .view-line', { hasText: 'bpf_redirect_map(' })
        .count();
      if (!line) throw new Error('the editor does not show the bpf_redirect_map call');
      return await pos.innerText();
    },
  },
  {
    name: 'step one frame from its program run through enqueue and the flush to c0’s stack',
    run: async (wb) => {
      await wb.tab('Flow: redirect').click();
      view = await wb.findWebviewFrame('svg.graph .node-device', 30_000);
      await view.locator('#tab-frame').click();
      const seen = [];
      for (let i = 0; i < 12; i++) {
        await view.locator('button[data-action="frame-next"]').click();
        const cur = await view.locator('.journey li.current').innerText();
        if (seen[seen.length - 1] !== cur) seen.push(cur);
        if (/delivered at c0 \(stack\)/.test(cur)) break;
      }
      const all = seen.join(' | ');
      for (const want of [
        /returned XDP_REDIRECT/,
        /enqueued on dev:r2/,
        /transmitted at flush/,
        /delivered at c0 \(stack\)/,
      ])
        if (!want.test(all)) throw new Error(`the journey misses ${want}: ${all}`);
      await wb.screenshot('visualizer-frame');
      return `${seen.length} steps`;
    },
  },
  {
    name: 'step the same frame instruction by instruction: pc 0, then the bpf_redirect_map call returning XDP_REDIRECT, then exit',
    run: async (wb) => {
      await view.locator('button[data-action="trace-frame"]').click();
      const now = view.locator('.insn-now');
      await now.filter({ hasText: /pc 0\b/ }).waitFor({ timeout: 15_000 });
      await view.locator('button[data-action="call-next"]').click(); // bpf_map_lookup_elem
      await view.locator('button[data-action="call-next"]').click(); // bpf_redirect_map
      await now.filter({ hasText: /call bpf_redirect_map → returned 0x4/ }).waitFor({ timeout: 10_000 });
      const at = await now.innerText();
      if (!/line 55/.test(at)) throw new Error(`the call is not at line 55: ${at}`);
      // The editor follows the stepper to the call's line.
      await wb.page
        .locator('.editor-instance .view-line', { hasText: 'bpf_redirect_map(' })
        .first()
        .waitFor({ timeout: 10_000 });
      await wb.screenshot('visualizer-stepper');
      await view.locator('button[data-action="insn-last"]').click();
      const last = await now.innerText();
      if (!/ 95/.test(last)) throw new Error(`the last step is not exit: ${last}`);
      return at.replace(/\s+/g, ' ');
    },
  },
  {
    name: 'the "Simulate" CodeLens above xdp_redirect_udp offers the scenarios that run it; the fixed one has no drops',
    run: async (wb, ctx) => {
      await wb.tab('redirect.bpf.c').click();
      // The stepper left the editor at line 55: go to line 20 (Quick Open ":20"), above xdp_redirect_udp's lens.
      await wb.page.keyboard.press('Control+P');
      await wb.page.locator('.quick-input-widget input.input').waitFor({ state: 'visible' });
      await wb.page.keyboard.type(':20');
      await wb.page.keyboard.press('Enter');
      const lens = wb.page
        .locator('.contentWidgets .codelens-decoration a', { hasText: /^Simulate$/ })
        .first();
      await lens.waitFor({ timeout: 30_000 });
      await lens.click();
      await wb.pickQuickItem('redirect-fixed');
      await wb.tab('Flow: redirect-fixed').waitFor({ timeout: 30_000 });
      await wb.tab('Flow: redirect-fixed').click();
      const fixed = await wb.findWebviewFrame('h1#title:text-is("redirect-fixed")', 60_000);
      await fixed.locator('[data-counter="tracepoints.xdp:xdp_redirect"]').waitFor();
      const r = spawnSync(
        process.execPath,
        [
          path.join(ctx.root, 'dist/cli.js'),
          'simulate',
          path.join(ctx.workspace, 'redirect-fixed.xdpscenario.json'),
          '--json',
        ],
        { encoding: 'utf8' },
      );
      const s = JSON.parse(r.stdout);
      const got = Number(
        await fixed.locator('[data-counter="tracepoints.xdp:xdp_redirect"]').getAttribute('data-value'),
      );
      const errs = Number(
        await fixed.locator('[data-counter="tracepoints.xdp:xdp_redirect_err"]').getAttribute('data-value'),
      );
      if (
        got !== (s.tracepoints['xdp:xdp_redirect'] ?? 0) ||
        errs !== (s.tracepoints['xdp:xdp_redirect_err'] ?? 0)
      )
        throw new Error(`redirect-fixed: webview ${got}/${errs}, CLI ${JSON.stringify(s.tracepoints)}`);
      await wb.screenshot('visualizer-fixed');
      return `redirected ${got}, redirect errors ${errs}`;
    },
  },
  {
    name: 'saving an edit to the scenario re-runs it: 64 → 32 frames to port 8 shows 32 redirects',
    run: async (wb, ctx) => {
      await wb.tab('redirect.xdpscenario.json').first().click(); // open since the first step
      // The file changes on disk (the open, unmodified editor reloads it), then an explicit save —
      // the onDidSaveTextDocument the panel follows. Typing JSON into Monaco fights auto-closing.
      const file = path.join(ctx.workspace, 'redirect.xdpscenario.json');
      const original = fs.readFileSync(file, 'utf8');
      if (!original.includes('"count": 64'))
        throw new Error('the example no longer sends 64 frames to port 8');
      fs.writeFileSync(file, original.replace('"count": 64', '"count": 32'));
      try {
        // Monaco renders only the lines in view: go to the top (the tab click focused the editor)
        // before waiting for the reloaded line, and save with the keyboard (no click on text).
        await wb.page.keyboard.press('Control+Home');
        await wb.page
          .locator('.editor-instance .view-line', { hasText: '"count": 32' })
          .filter({ visible: true })
          .first()
          .waitFor({ timeout: 15_000 });
        await wb.page.keyboard.press('Control+S');
        await wb.tab('Flow: redirect').first().click();
        const deadline = Date.now() + 60_000;
        for (;;) {
          const frame = await wb.findWebviewFrame('h1#title:text-is("redirect")', 30_000);
          const v = await frame
            .locator('[data-counter="tracepoints.xdp:xdp_redirect"]')
            .getAttribute('data-value')
            .catch(() => null);
          if (v === '32') return 'xdp:xdp_redirect 64 → 32 after save';
          if (Date.now() > deadline) throw new Error(`after saving, xdp:xdp_redirect is still ${v}`);
          await frame
            .locator('[data-counter="tracepoints.xdp:xdp_redirect"][data-value="32"]')
            .waitFor({ timeout: 5_000 })
            .catch(() => undefined);
        }
      } finally {
        // Later steps (the capture comparison) use the example as shipped.
        fs.writeFileSync(file, original);
      }
    },
  },
  {
    name: 'a 1 000 000-frame run streams: the panel shows its progress and growing counts, then the CLI’s numbers; Stop keeps the counts so far',
    run: async (wb, ctx) => {
      const file = path.join(ctx.workspace, 'long.xdpscenario.json');
      const original = fs.readFileSync(path.join(ctx.workspace, 'redirect.xdpscenario.json'), 'utf8');
      if (!original.includes('"count": 64'))
        throw new Error('the example no longer sends 64 frames to port 8');
      fs.writeFileSync(file, original.replace('"count": 64', '"count": 1000000'));
      try {
        // A file made a moment ago: the explorer's watcher shows it before quick open's index has it.
        await wb.openFromExplorer('long.xdpscenario.json');
        await wb.tab('long.xdpscenario.json').first().waitFor({ timeout: 15_000 });
        await wb.runCommand('XDP Lab: Open Redirect-Flow Visualizer');
        const frame = await wb.findWebviewFrame('h1#title:text-is("long")', 60_000);
        const status = frame.locator('#status');
        const redirects = frame.locator('[data-counter="tracepoints.xdp:xdp_redirect"]');
        // The first run may end before the view has loaded; once it has, Re-run streams into it.
        await frame.locator('#status.status-ready').waitFor({ state: 'attached', timeout: 120_000 });
        await frame.locator('button[data-action="rerun"]').click();
        await frame.locator('#status.status-running').waitFor({ timeout: 30_000 });
        const seen = new Set();
        let progress = '';
        let shot = false;
        const deadline = Date.now() + 120_000;
        for (;;) {
          const cls = (await status.getAttribute('class').catch(() => '')) ?? '';
          const text = (await status.innerText().catch(() => '')) ?? '';
          if (cls.includes('status-error')) throw new Error(`the run failed: ${text}`);
          if (cls.includes('status-ready')) break;
          if (/of 1,000,016 frames \(\d+ %\)/.test(text)) {
            progress = text;
            const v = await redirects.getAttribute('data-value', { timeout: 1000 }).catch(() => null);
            if (v !== null) seen.add(Number(v));
            if (!shot && seen.size >= 2) {
              await wb.screenshot('visualizer-streaming');
              shot = true;
            }
          }
          if (Date.now() > deadline) throw new Error(`no end of the run; status ${JSON.stringify(text)}`);
          await wb.page.waitForTimeout(100);
        }
        const r = spawnSync(
          process.execPath,
          [path.join(ctx.root, 'dist/cli.js'), 'simulate', file, '--json'],
          {
            encoding: 'utf8',
          },
        );
        if (r.status !== 0) throw new Error(`xdp-lab simulate failed (${r.status}): ${r.stderr}`);
        const want = JSON.parse(r.stdout).tracepoints['xdp:xdp_redirect'];
        const final = Number(await redirects.getAttribute('data-value'));
        if (final !== want)
          throw new Error(
            `after the run: webview ${final}, CLI ${want}; status ${JSON.stringify(await status.innerText().catch(() => '?'))}; partial counts seen ${[...seen].join(', ')}`,
          );
        const partial = [...seen].filter((n) => n > 0 && n < final).sort((a, b) => a - b);
        if (partial.length < 2)
          throw new Error(
            `saw ${partial.length} partial counts (${[...seen].join(', ')}); progress ${JSON.stringify(progress)}`,
          );
        // Once more, and Stop it: the counts so far stay, as a result (status ready, "stopped after").
        await frame.locator('button[data-action="rerun"]').click();
        await status.filter({ hasText: /of 1,000,016 frames/ }).waitFor({ timeout: 60_000 });
        await frame.locator('button[data-action="stop"]').click();
        const stopped = status.filter({ hasText: /stopped after [\d,]+ of 1,000,016 frames/ });
        await stopped.waitFor({ timeout: 30_000 });
        const at = Number(
          (/stopped after ([\d,]+)/.exec(await stopped.innerText()) ?? [])[1]?.replace(/,/g, ''),
        );
        const shown = Number(await redirects.getAttribute('data-value'));
        if (!(shown > 0 && shown <= at && at < 1_000_016))
          throw new Error(`after Stop: ${shown} redirects shown, stopped after ${at} frames`);
        await wb.screenshot('visualizer-stopped');
        // The run was made in the extension's worker thread (dist/simWorker.js from the .vsix), not
        // on the extension host's thread (issue 16 goal 5); the fallback says "in the extension host".
        // (Monaco draws spaces as no-break spaces: the expected text has none, the test normalizes.)
        const log = (await wb.outputChannelText('XDP Lab', 'long.xdpscenario.json')).replace(/\u00a0/g, ' ');
        if (
          !log.includes('long.xdpscenario.json simulated in a worker thread') ||
          log.includes('in the extension host')
        )
          throw new Error(`the run was not made in the worker thread; the log says:\n${log.slice(-2000)}`);
        return `${partial.length} partial counts (${partial[0]} … ${partial.at(-1)}), then ${final} = CLI; stopped at ${at}`;
      } finally {
        fs.rmSync(file, { force: true });
      }
    },
  },
  {
    name: 'from the palette with only a new XDP program open (no scenario runs it): a starter scenario is made and visualized',
    run: async (wb, ctx) => {
      // A new user's first program: a copy of the example under a name no scenario mentions.
      const program = path.join(ctx.workspace, 'fresh.bpf.c');
      const scenario = path.join(ctx.workspace, 'fresh.xdpscenario.json');
      fs.copyFileSync(path.join(ctx.workspace, 'redirect.bpf.c'), program);
      try {
        // A file made a moment ago: the explorer's watcher shows it before quick open's index has it.
        await wb.openFromExplorer('fresh.bpf.c');
        await wb.tab('fresh.bpf.c').first().waitFor({ timeout: 15_000 });
        await wb.runCommand('XDP Lab: Open Redirect-Flow Visualizer');
        await wb.tab('Flow: fresh').waitFor({ timeout: 60_000 });
        await wb.tab('Flow: fresh').click();
        const frame = await wb.findWebviewFrame('h1#title:text-is("fresh")', 60_000);
        await frame.locator('svg.graph .node-device').first().waitFor();
        const devices = await frame.locator('svg.graph .node-device').count();
        if (!fs.existsSync(scenario)) throw new Error('no starter scenario was written next to fresh.bpf.c');
        const written = JSON.parse(fs.readFileSync(scenario, 'utf8'));
        if (written.programs?.[0]?.file !== 'fresh.bpf.c')
          throw new Error(`the starter scenario runs ${JSON.stringify(written.programs)}`);
        if (devices !== written.devices.length)
          throw new Error(`graph has ${devices} devices, the starter scenario ${written.devices.length}`);
        await wb.screenshot('visualizer-from-program');
        return `${devices} devices from fresh.xdpscenario.json`;
      } finally {
        fs.rmSync(program, { force: true });
        fs.rmSync(scenario, { force: true });
      }
    },
  },
  {
    name: 'a DEVMAP entry at the wrong key (the starter shape, the program looks up key 2): the first visualization explains the misses',
    run: async (wb, ctx) => {
      // The starter scenario's shape with its tx_port entry at key 0, while the program computes
      // dport & 7 = 2 for this traffic: bpf_redirect_map misses and XDP_PASS comes from its flags.
      const file = path.join(ctx.workspace, 'wrongkey.xdpscenario.json');
      const scenario = {
        version: 1,
        description: 'Starter shape with the DEVMAP entry at the wrong key (issue 13 item 8).',
        cpus: 2,
        programs: [
          { name: 'main', file: 'redirect.bpf.c', function: 'xdp_redirect_udp' },
          { name: 'pass', file: 'redirect.bpf.c', function: 'xdp_pass' },
        ],
        devices: [
          { name: 'a0', kind: 'veth', peer: 'r1' },
          { name: 'r1', kind: 'veth', peer: 'a0', xdp: { program: 'main', mode: 'native' } },
          { name: 'r2', kind: 'veth', peer: 'c0' },
          { name: 'c0', kind: 'veth', peer: 'r2', xdp: { program: 'pass', mode: 'native' } },
        ],
        maps: { tx_port: [{ key: 0, value: 'r2' }] },
        traffic: [{ from: 'a0', count: 16, frame: { udp: { dst: '10.0.0.2', dport: 10 } } }],
      };
      fs.writeFileSync(file, JSON.stringify(scenario, null, 2) + '\n');
      const words = 'DEVMAP tx_port key 2 not found → XDP_PASS (flags)';
      try {
        // The earlier steps' editors and panels go: the panel gets the editor area's width.
        await wb.closeAllEditors();
        await wb.openFromExplorer('wrongkey.xdpscenario.json');
        await wb.tab('wrongkey.xdpscenario.json').first().waitFor({ timeout: 15_000 });
        await wb.runCommand('XDP Lab: Open Redirect-Flow Visualizer');
        await wb.tab('Flow: wrongkey').waitFor({ timeout: 60_000 });
        await wb.tab('Flow: wrongkey').click();
        const frame = await wb.findWebviewFrame('h1#title:text-is("wrongkey")', 60_000);
        // The Drops tab (the panel's first) opens on the misses card.
        const card = frame.locator('[data-misses]');
        await card.waitFor({ timeout: 60_000 });
        const text = await card.innerText();
        if (!text.includes(words) || !/16 frames not redirected/.test(text))
          throw new Error(`the misses card says: ${text.slice(0, 300)}`);
        const r = spawnSync(
          process.execPath,
          [path.join(ctx.root, 'dist/cli.js'), 'simulate', file, '--json'],
          {
            encoding: 'utf8',
          },
        );
        if (r.status !== 0) throw new Error(`xdp-lab simulate failed (${r.status}): ${r.stderr}`);
        const cli = JSON.parse(r.stdout).redirectMisses?.frames;
        const shown = Number(
          await frame.locator('[data-counter="redirectMisses.frames"]').getAttribute('data-value'),
        );
        if (cli !== 16 || shown !== cli) throw new Error(`redirect misses: webview ${shown}, CLI ${cli}`);
        // The device whose program fell back is marked in the graph.
        const marked = frame.locator('svg.graph .node.warn[data-node="dev:r1"] .node-warn');
        const mark = await marked.textContent({ timeout: 10_000 });
        if (!/16 redirect-map misses/.test(mark ?? '')) throw new Error(`r1's marker: ${mark}`);
        await marked.scrollIntoViewIfNeeded();
        await wb.screenshot('visualizer-miss');
        // The timeline: jump to the first miss; the event says it in the same words.
        await frame.locator('#tab-timeline').click();
        await frame.locator('button[data-next-miss]').click();
        const now = frame.locator('.event-now.miss');
        await now.waitFor({ timeout: 10_000 });
        const ev = await now.innerText();
        if (!ev.includes(`returned XDP_PASS — ${words}`)) throw new Error(`the timeline says: ${ev}`);
        await wb.screenshot('visualizer-miss-timeline');
        return `${shown} misses = CLI; ${ev.replace(/\s+/g, ' ')}`;
      } finally {
        fs.rmSync(file, { force: true });
      }
    },
  },
];
