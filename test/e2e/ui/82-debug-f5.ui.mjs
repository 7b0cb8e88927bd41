// F5 with no launch.json, as a new user meets it (issue 14 follow-up): in a scenario JSON it debugs frame
// 1 with the program of the device that receives it (screenshot debug-f5-scenario.png); in a C file
// without SEC("xdp") it says so, in one that does not compile it shows clang's first error; with an
// object (.o) active, and with nothing open, VS Code's "Select debugger" picker offers XDP Lab, which
// debugs the object / the workspace's XDP program (asking which one when there are several).
import fs from 'node:fs';
import path from 'node:path';

const DEBUGGER = 'XDP Lab (eBPF VM)';

/**
 * Empties the Debug Console, so the lines waited for are the next session's, not an earlier one's.
 * "Clear Console" (the panel's toolbar button; the palette has no such command) clears the session
 * shown, and an ended session cleared gives the view to another ended one: clear until none is left.
 */
async function clearConsole(wb) {
  await wb.runCommand('Debug Console: Focus on Debug Console View');
  await wb.page.locator('.repl').first().waitFor({ timeout: 15_000 });
  const rows = wb.page.locator('.repl .monaco-list-row');
  const clear = wb.page.locator('.panel .action-label[aria-label^="Clear Console"]').first();
  for (let i = 0; i < 10 && (await rows.count()) > 0; i++) {
    await clear.click();
    await rows
      .first()
      .waitFor({ state: 'detached', timeout: 2_000 })
      .catch(() => undefined);
  }
  if ((await rows.count()) > 0)
    throw new Error(`the Debug Console keeps ${await rows.count()} lines after Clear Console`);
}

/** F5 in the editor area (focused first: F5 goes to whatever holds the focus). */
async function pressF5(wb) {
  await wb.page
    .locator('.editor-group-container.active')
    .first()
    .click({ position: { x: 200, y: 120 } });
  await wb.page.keyboard.press('F5');
}

/** Waits for Debug Console rows containing each of `texts`; returns their text. */
async function consoleLines(wb, texts) {
  const out = [];
  for (const t of texts) {
    const row = wb.page.locator('.repl .monaco-list-row', { hasText: t }).first();
    await row.waitFor({ timeout: 60_000 });
    out.push((await row.innerText()).replace(/\s+/g, ' ').trim());
  }
  return out;
}

/** The session ran to its end (terminated): the Call Stack no longer lists it. */
async function ended(wb) {
  await wb.page
    .locator('.debug-call-stack .monaco-list-row', { hasText: 'xdp_redirect_udp' })
    .first()
    .waitFor({ state: 'detached', timeout: 30_000 })
    .catch(() => undefined);
}

/** @type {import('../lib/steps.mjs').UiStep[]} */
export const steps = [
  {
    name: "F5 in redirect.xdpscenario.json (no launch.json): a session of frame 1 on its receiving device's program, to its verdict (screenshot debug-f5-scenario.png)",
    run: async (wb, ctx) => {
      if (fs.existsSync(path.join(ctx.workspace, '.vscode/launch.json')))
        throw new Error('the workspace has a launch.json: F5 would run it');
      // Breakpoints left by earlier files (80-debugger's) would stop the runs: these run to the verdict.
      await wb.runCommand('Remove All Breakpoints');
      await wb.openFile('redirect.xdpscenario.json');
      await clearConsole(wb);
      await pressF5(wb);
      const lines = await consoleLines(wb, [
        'on frame 1 of redirect.xdpscenario.json',
        "XDP_REDIRECT to map 'tx_port' key 0 (return value 4)",
      ]);
      if (!/xdp_redirect_udp on frame 1 of redirect\.xdpscenario\.json/.test(lines[0] ?? ''))
        throw new Error(`the session did not run xdp_redirect_udp on frame 1: ${lines[0]}`);
      await wb.screenshot('debug-f5-scenario');
      await ended(wb);
      return lines.join(' | ');
    },
  },
  {
    name: 'F5 in a C file without SEC("xdp"): a message naming the file and what it lacks',
    run: async (wb, ctx) => {
      fs.writeFileSync(
        path.join(ctx.workspace, 'helper.c'),
        'int add(int a, int b)\n{\n\treturn a + b;\n}\n',
      );
      // Just written: the Explorer lists it (file watcher) before Quick Open's index has it.
      await wb.runCommand('View: Show Explorer');
      await wb.openFromExplorer('helper.c');
      await pressF5(wb);
      const text = 'helper.c has none (no SEC("xdp") function)';
      await wb.waitForNotification(text, 30_000);
      await wb.screenshot('debug-f5-not-xdp');
      const shown = (await wb.notifications()).find((n) => n.includes(text)) ?? '';
      await wb.runCommand('Notifications: Clear All Notifications').catch(() => undefined);
      return shown.replace(/\s+/g, ' ');
    },
  },
  {
    name: 'F5 in an XDP program that does not compile: its first error, not a launch failure offering launch.json',
    run: async (wb, ctx) => {
      const file = path.join(ctx.workspace, 'broken.bpf.c');
      fs.writeFileSync(
        file,
        '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n\nSEC("xdp")\nint xdp_broken(struct xdp_md *ctx)\n{\n\treturn XDP_PASS\n}\n',
      );
      try {
        await wb.runCommand('View: Show Explorer');
        await wb.openFromExplorer('broken.bpf.c');
        await pressF5(wb);
        const text = "broken.bpf.c does not compile: broken.bpf.c:7:17: error: expected ';'";
        await wb.waitForNotification(text, 60_000);
        // The toast's buttons: the next steps it offers (the toast has finished sliding in).
        await wb.page
          .locator('.notifications-toasts .monaco-button', { hasText: 'Show Problems' })
          .first()
          .waitFor({ timeout: 10_000 });
        await wb.screenshot('debug-f5-compile-error');
        const shown = (await wb.notifications()).find((n) => n.includes(text)) ?? '';
        await wb.runCommand('Notifications: Clear All Notifications').catch(() => undefined);
        return shown.replace(/\s+/g, ' ');
      } finally {
        await wb.closeAllEditors();
        // The last step counts the workspace's XDP programs: this one is not one of them.
        fs.rmSync(file, { force: true });
      }
    },
  },
  {
    name: 'F5 with an object (.o) active: "Select debugger" offers XDP Lab, which debugs that object',
    run: async (wb, ctx) => {
      await wb.closeAllEditors();
      fs.copyFileSync(
        path.join(ctx.root, 'test/fixtures/programs/obj/redirect.bpf.o'),
        path.join(ctx.workspace, 'redirect.bpf.o'),
      );
      // The Explorer (a file just copied), without openFile's wait for a text editor: an object opens
      // in the binary placeholder.
      await wb.runCommand('View: Show Explorer');
      await wb.explorerRow('redirect.bpf.o').click({ timeout: 30_000 });
      await wb.page.locator('.tabs-container .tab.active', { hasText: 'redirect.bpf.o' }).waitFor();
      await clearConsole(wb);
      await pressF5(wb);
      await wb.page
        .locator('.quick-input-widget .monaco-list-row', { hasText: DEBUGGER })
        .first()
        .waitFor({ timeout: 30_000 });
      await wb.screenshot('debug-f5-select-debugger');
      await wb.pickQuickItem(DEBUGGER, 30_000);
      const lines = await consoleLines(wb, ['on the default UDP frame', 'return value']);
      await ended(wb);
      return lines.join(' | ');
    },
  },
  {
    name: 'F5 with nothing open: "Select debugger" offers XDP Lab, which debugs the workspace\'s XDP program (asking which one when there are several)',
    run: async (wb, ctx) => {
      fs.rmSync(path.join(ctx.workspace, 'redirect.bpf.o'), { force: true });
      await wb.closeAllEditors();
      await clearConsole(wb);
      await wb.focusWorkbench();
      await wb.page.keyboard.press('F5');
      await wb.pickQuickItem(DEBUGGER, 30_000);
      // Other files' steps leave their programs in the workspace (25-verifier, 22-language-cold…):
      // with more than one, the CodeLens's path asks which (requireProgram), as a user sees it.
      const programs = fs
        .readdirSync(ctx.workspace)
        .filter(
          (f) => f.endsWith('.c') && /SEC\("xdp/.test(fs.readFileSync(path.join(ctx.workspace, f), 'utf8')),
        );
      if (programs.length > 1) {
        const title = wb.page.locator('.quick-input-widget .quick-input-title', {
          hasText: 'which program?',
        });
        await title.waitFor({ state: 'visible', timeout: 30_000 });
        await wb.pickQuickItem('redirect.bpf.c', 30_000);
      }
      const lines = await consoleLines(wb, ['xdp_redirect_udp on the default UDP frame', 'return value']);
      await wb.screenshot('debug-f5-nothing-open');
      await ended(wb);
      return lines.join(' | ');
    },
  },
];
