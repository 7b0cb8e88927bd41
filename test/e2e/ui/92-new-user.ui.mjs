// Every XDP Lab palette command tried the way a new user would (the product rule): with no folder,
// with only a program open, with a program that does not compile or is not XDP, with a JSON or
// markdown editor, cancelling each pick, typing wrong inputs, and against an unreachable SSH host.
// Each path must lead somewhere useful: a pick, or a message naming what is missing with a button
// for the next step — never "command 'x' resulted in an error", a stack trace, "undefined" or
// nothing at all. The table of what each command showed goes to test-results/new-user.md; a
// screenshot per situation to test-results/new-user-*.png.
/* global document -- used inside page.evaluate callbacks, which run in Chromium */
import fs from 'node:fs';
import path from 'node:path';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const TABLE = path.join(ROOT, 'test-results', 'new-user.md');
/** Every row so far: the situation, the command, what the user saw. */
const rows = [];

/** Texts no user should ever read in a toast. */
const BAD_TEXT =
  /resulted in an error|\bundefined\b|\[object Object\]|TypeError|ReferenceError|Cannot read propert|\bat \S+ \(.*:\d+:\d+\)|ENOENT/;

const FIXTURES = {
  'nu-syntax.bpf.c':
    '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n\nSEC("xdp")\nint broken(struct xdp_md *ctx)\n{\n  return XDP_PASS\n}\n\nchar _license[] SEC("license") = "GPL";\n',
  'nu-tc.bpf.c':
    '#include <linux/bpf.h>\n#include <bpf/bpf_helpers.h>\n\nSEC("tc")\nint classify(struct __sk_buff *skb)\n{\n  return 0;\n}\n\nchar _license[] SEC("license") = "GPL";\n',
  'nu-notes.md': '# Notes\n\nNothing to run here.\n',
  'nu-bad.xdpscenario.json': '{\n  "devices": [ { "name": "a0", "kind": "veth" } ],\n  "traffic": 7\n}\n',
};

function writeTable() {
  fs.mkdirSync(path.dirname(TABLE), { recursive: true });
  const esc = (s) => String(s).replace(/\|/g, '\\|').replace(/\n/g, ' ');
  fs.writeFileSync(
    TABLE,
    [
      '| situation | command | what the user saw | buttons | verdict |',
      '|---|---|---|---|---|',
      ...rows.map(
        (r) =>
          `| ${esc(r.situation)} | ${esc(r.command)} | ${esc(r.kind)}: ${esc(r.text).slice(0, 160)} | ${esc(r.buttons.join(', '))} | ${r.problem ? `BAD: ${esc(r.problem)}` : 'ok'} |`,
      ),
    ].join('\n') + '\n',
  );
}

/** Dismisses whatever a probe left open: picks, dialogs, toasts. */
async function tidy(wb) {
  // A panel a probe opened (the fleet's capture panel) holds the focus, and F1 there is the
  // webview's: hand the focus back to the workbench first.
  await wb.page.evaluate(() => {
    const a = document.activeElement;
    if (a && a.tagName === 'IFRAME' && 'blur' in a) a.blur();
  });
  for (let i = 0; i < 3; i++) {
    const dialog = wb.page.locator('.monaco-dialog-box');
    if (await dialog.isVisible().catch(() => false)) await wb.page.keyboard.press('Escape');
    const pick = wb.page.locator('.quick-input-widget');
    if (await pick.isVisible().catch(() => false)) await wb.page.keyboard.press('Escape');
  }
  await wb.runCommand('Notifications: Clear All Notifications').catch(() => undefined);
  await wb.page
    .locator('.notifications-toasts .notification-list-item')
    .first()
    .waitFor({ state: 'detached', timeout: 5_000 })
    .catch(() => undefined);
}

/**
 * What the command showed within `ms`: a toast (its text and buttons), a pick or input (its title and
 * placeholder), a modal dialog, or nothing. Toasts that only report progress are skipped.
 */
async function whatShows(wb, ms, typed) {
  const deadline = Date.now() + ms;
  const toast = wb.page.locator('.notifications-toasts .notification-list-item');
  const pick = wb.page.locator('.quick-input-widget');
  const dialog = wb.page.locator('.monaco-dialog-box');
  for (;;) {
    const n = await toast.count();
    for (let i = 0; i < n; i++) {
      const t = toast.nth(i);
      const text = (
        await t
          .locator('.notification-list-item-message')
          .innerText()
          .catch(() => '')
      ).trim();
      if (!text || /^(XDP Lab: )?(running|loading|simulating|capturing|importing)/i.test(text)) continue;
      const buttons = await t
        .locator('.notification-list-item-buttons-container .monaco-button')
        .allInnerTexts();
      return { kind: 'toast', text, buttons: buttons.map((b) => b.trim()).filter(Boolean) };
    }
    if (await dialog.isVisible().catch(() => false)) {
      const text = (
        await dialog
          .locator('.dialog-message-text')
          .innerText()
          .catch(() => '')
      ).trim();
      const buttons = await dialog.locator('.dialog-buttons .monaco-button').allInnerTexts();
      return { kind: 'dialog', text, buttons: buttons.map((b) => b.trim()) };
    }
    if (await pick.isVisible().catch(() => false)) {
      const input = pick.locator('input.input');
      const value = await input.inputValue().catch(() => '');
      // The palette itself, still showing the command typed: not the command's own pick yet.
      if (value !== typed) {
        const title = (
          await pick
            .locator('.quick-input-title')
            .innerText()
            .catch(() => '')
        ).trim();
        const placeholder = (await input.getAttribute('placeholder').catch(() => '')) ?? '';
        const items = await pick.locator('.monaco-list-row .label-name').allInnerTexts();
        return {
          kind: 'pick',
          text: [title, placeholder].filter(Boolean).join(' — ') || items.slice(0, 3).join(', '),
          buttons: items.slice(0, 6).map((s) => s.trim()),
        };
      }
    }
    if (Date.now() > deadline) return { kind: 'nothing', text: '', buttons: [] };
    await wb.page.waitForTimeout(150);
  }
}

/**
 * Runs `command` (its title after "XDP Lab: ") and records what the user saw. `expect`:
 * 'next-step' — a message with at least one button, or a pick; 'pick'; 'message' — any message
 * or pick; 'panel' — `check` says whether it showed. Returns the row.
 */
async function probe(wb, situation, command, expect = 'next-step', opts = {}) {
  await tidy(wb);
  const label = `XDP Lab: ${command}`;
  await wb.runCommand(label);
  let seen = await whatShows(wb, opts.ms ?? 10_000, `>${label}`);
  if (opts.then) seen = (await opts.then(seen)) ?? seen;
  let problem;
  if (seen.kind !== 'nothing' && BAD_TEXT.test(seen.text)) problem = `raw error text: ${seen.text}`;
  else if (expect === 'panel') problem = (await opts.check?.()) ? undefined : 'no panel';
  else if (seen.kind === 'nothing') problem = 'nothing happened (a silent no-op)';
  else if (expect === 'pick' && seen.kind !== 'pick') problem = `expected a pick, got a ${seen.kind}`;
  else if (expect === 'next-step' && seen.kind !== 'pick' && !seen.buttons.length)
    problem = 'a message without a next step (no button)';
  else if (opts.match && !opts.match.test(seen.text)) problem = `the message does not say ${opts.match}`;
  const row = { situation, command, ...seen, ...(problem ? { problem } : {}) };
  rows.push(row);
  writeTable();
  if (opts.shot) await wb.screenshot(`new-user-${opts.shot}`).catch(() => undefined);
  await tidy(wb);
  return row;
}

/** Throws with every bad row of `situation`, after all of them were recorded. */
function verdict(...situations) {
  const bad = rows.filter((r) => situations.includes(r.situation) && r.problem);
  const seen = rows.filter((r) => situations.includes(r.situation)).length;
  if (bad.length)
    throw new Error(
      `${bad.length} of ${seen} paths lead nowhere useful:\n      ${bad.map((r) => `${r.command}: ${r.problem} [${r.kind}: ${r.text.slice(0, 120)}]`).join('\n      ')}`,
    );
  return `${seen} paths, each led somewhere useful`;
}

/** The open pick still shows a row with `text` (a hint or an error), or nothing showed. */
async function pickRow(wb, text) {
  const row = wb.page.locator('.quick-input-widget .monaco-list-row', { hasText: text }).first();
  const shown = await row
    .waitFor({ timeout: 10_000 })
    .then(() => true)
    .catch(() => false);
  if (!shown) return { kind: 'nothing', text: '', buttons: [] };
  return { kind: 'pick', text: (await row.innerText()).replace(/\s+/g, ' ').trim(), buttons: [] };
}

/** Escape answers the pick or input the command opened; nothing else may follow. */
async function escapeAfter(wb) {
  await wb.page.keyboard.press('Escape');
  return undefined;
}

const PROGRAM_COMMANDS = [
  'Run Program on a Frame',
  'Debug Program on a Frame',
  'Compile with clang',
  'Verify in Kernel',
  'Create Starter Scenario',
];

/** @type {import('../lib/steps.mjs').UiStep[]} */
export const steps = [
  {
    name: '(a) no folder, nothing open: every command asks for what it needs or offers the next step',
    run: async (wb) => {
      const S = 'a: no folder';
      await wb.page.goto(`${wb.baseUrl}/?ew=true`);
      await wb.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
      await wb.page.locator('#workbench\\.parts\\.statusbar').waitFor({ timeout: 60_000 });
      await wb.runCommand('View: Close All Editors').catch(() => undefined);
      for (const c of PROGRAM_COMMANDS)
        await probe(wb, S, c, 'next-step', { shot: c === PROGRAM_COMMANDS[0] ? 'a-run' : undefined });
      // The button does what it says: a file dialog for the program (then the command runs on it).
      await probe(wb, S, 'Run Program on a Frame', 'pick', {
        then: async (seen) => {
          if (seen.kind !== 'toast') return seen;
          await wb.page
            .locator('.notifications-toasts .monaco-button', { hasText: 'Open a Program' })
            .first()
            .click();
          return pickRow(wb, '..').then(async (r) =>
            r.kind === 'pick'
              ? { ...r, text: await wb.page.locator('.quick-input-widget .quick-input-title').innerText() }
              : r,
          );
        },
        match: /an XDP program/,
      });
      await probe(wb, S, 'Simulate Scenario', 'next-step', { shot: 'a-simulate' });
      await probe(wb, S, 'Open Redirect-Flow Visualizer');
      await probe(wb, S, 'Configure clangd for BPF', 'next-step', { shot: 'a-clangd' });
      await probe(wb, S, 'Import Host as Scenario');
      await probe(wb, S, 'Create Example Workspace', 'pick');
      await probe(wb, S, 'Capture XDP Tracepoints on a Remote Host', 'pick');
      await probe(wb, S, 'Stop Capture', 'message');
      await probe(wb, S, 'Open Saved Capture', 'pick');
      await probe(wb, S, 'Compare Capture with Simulation', 'pick');
      await probe(wb, S, 'Restart XDP C Language Server', 'message', { ms: 30_000 });
      await probe(wb, S, 'Show Output', 'panel', {
        check: () =>
          wb.page
            .locator('#workbench\\.parts\\.panel')
            .filter({ hasText: 'XDP Lab' })
            .first()
            .isVisible()
            .catch(() => false),
      });
      return verdict(S);
    },
  },
  {
    name: '(b) only the example program open, not compiled: the program commands go ahead',
    run: async (wb, ctx) => {
      const S = 'b: XDP program open';
      for (const [name, text] of Object.entries(FIXTURES))
        fs.writeFileSync(path.join(ctx.workspace, name), text);
      await wb.openFolder(ctx.workspace, 'redirect.bpf.c');
      await wb.openFromExplorer('redirect.bpf.c');
      await probe(wb, S, 'Run Program on a Frame', 'pick', { then: () => escapeAfter(wb) });
      // (e) Escape on that pick: the user's choice, so nothing follows (no error, no toast).
      const after = await whatShows(wb, 3_000, '');
      rows.push({ situation: S, command: 'Run Program on a Frame, then Escape', ...after });
      if (after.kind === 'toast') rows[rows.length - 1].problem = `a toast after Escape: ${after.text}`;
      await probe(wb, S, 'Compile with clang', 'message', { ms: 60_000, match: /compiled/ });
      await probe(wb, S, 'Verify in Kernel', 'message', { ms: 60_000 });
      return verdict(S);
    },
  },
  {
    name: '(c) a program that does not compile, and a C file with no XDP program: named, with the next step',
    run: async (wb) => {
      let S = 'c: syntax error';
      await wb.openFromExplorer('nu-syntax.bpf.c');
      await probe(wb, S, 'Run Program on a Frame', 'next-step', { ms: 60_000, shot: 'c-syntax-run' });
      await probe(wb, S, 'Compile with clang', 'next-step', { ms: 60_000 });
      await probe(wb, S, 'Verify in Kernel', 'next-step', { ms: 60_000 });
      await probe(wb, S, 'Debug Program on a Frame', 'next-step', { ms: 60_000 });
      // clang's whole answer is in the output channel the message's "Show Output" opens.
      await wb.outputChannelText('XDP Lab', 'nu-syntax.bpf.c:7:18');
      S = 'c: not XDP (SEC("tc"))';
      await wb.closeAllEditors();
      await wb.openFromExplorer('nu-tc.bpf.c');
      await probe(wb, S, 'Run Program on a Frame', 'next-step', { ms: 60_000, shot: 'c-tc-run' });
      await probe(wb, S, 'Debug Program on a Frame', 'next-step', { ms: 60_000 });
      await probe(wb, S, 'Create Starter Scenario', 'next-step', { ms: 60_000 });
      return verdict('c: syntax error', S);
    },
  },
  {
    name: '(d) a JSON or markdown editor active, a scenario with errors: named, with the next step',
    run: async (wb) => {
      let S = 'd: markdown active';
      await wb.closeAllEditors();
      await wb.openFromExplorer('nu-notes.md');
      for (const c of PROGRAM_COMMANDS)
        await probe(wb, S, c, 'next-step', {
          ms: 30_000,
          shot: c === 'Compile with clang' ? 'd-md-compile' : undefined,
        });
      S = 'd: scenario with errors';
      await wb.closeAllEditors();
      await wb.openFromExplorer('nu-bad.xdpscenario.json');
      await probe(wb, S, 'Simulate Scenario', 'next-step', { ms: 60_000, shot: 'd-bad-simulate' });
      await probe(wb, S, 'Run Program on a Frame', 'next-step', { ms: 30_000 });
      return verdict('d: markdown active', S);
    },
  },
  {
    name: '(e, f, g) cancelled picks stay quiet; wrong host, duration and an unreachable host are named',
    run: async (wb) => {
      const S = 'f/g: inputs and hosts';
      await wb.closeAllEditors();
      const input = wb.page.locator('.quick-input-widget input.input');
      // The unreachable host typed into a host pick, then its duration pick awaited (capture, fleet).
      const unreachableHostThenDuration = async () => {
        await input.fill('127.0.0.1:1');
        await input.press('Enter');
        await wb.page
          .locator('.quick-input-widget .quick-input-title', { hasText: 'duration' })
          .waitFor({ timeout: 10_000 });
      };
      // A host that is not a host: the pick stays open and says why, to be corrected.
      await probe(wb, S, 'Capture XDP Tracepoints on a Remote Host', 'pick', {
        shot: 'f-bad-host',
        then: async () => {
          await input.fill('user@');
          await input.press('Enter');
          return pickRow(wb, 'invalid host');
        },
      });
      // A duration that is not a number, then a huge one: the input says why and stays open.
      await probe(wb, S, 'Show Live XDP Rates of a Remote Host', 'message', {
        then: async () => {
          await unreachableHostThenDuration();
          await input.fill('99999999999999999999');
          const msg = wb.page.locator('.quick-input-widget .quick-input-message');
          await wb.page.waitForTimeout(300);
          const text = (await msg.innerText().catch(() => '')).trim();
          await wb.page.keyboard.press('Escape');
          // The prompt still shown (with "Press 'Enter' to confirm"): the number was taken.
          return /Press 'Enter'/.test(text) || !text
            ? { kind: 'nothing', text: `accepted: ${text}`, buttons: [] }
            : { kind: 'input-validation', text, buttons: [] };
        },
      });
      // An unreachable host: a message naming it, Retry and Show Output.
      await probe(wb, S, 'Capture XDP Tracepoints on a Remote Host', 'next-step', {
        ms: 30_000,
        shot: 'g-unreachable',
        then: async () => {
          await unreachableHostThenDuration();
          await input.fill('1');
          await input.press('Enter');
          return whatShows(wb, 30_000, '1');
        },
      });
      await probe(wb, S, 'Import Host as Scenario', 'next-step', {
        ms: 30_000,
        then: async () => {
          await input.fill('127.0.0.1:1');
          await input.press('Enter');
          return whatShows(wb, 30_000, '127.0.0.1:1');
        },
      });
      await probe(wb, S, 'Capture XDP Tracepoints on Several Hosts', 'message', {
        ms: 30_000,
        then: async () => {
          await unreachableHostThenDuration();
          await input.fill('1');
          await input.press('Enter');
          return whatShows(wb, 30_000, '1');
        },
      });
      // Empty Enter in the host pick with no ~/.ssh/config: the pick says what to type.
      // (A probe whose command showed no pick keeps what it did show, for the table.)
      await probe(wb, S, 'Record XDP Tracepoints with perf on a Remote Host', 'pick', {
        then: async (seen) => {
          if (seen.kind !== 'pick') return seen;
          await input.press('Enter');
          return pickRow(wb, 'Type a host');
        },
      });
      await probe(wb, S, 'Capture XDP Tracepoints on Several Hosts', 'pick', {
        then: async (seen) => {
          if (seen.kind !== 'pick') return seen;
          await input.press('Enter');
          return pickRow(wb, 'Type hosts');
        },
      });
      // The fleet's panel holds the focus, where F1 is the webview's: back to the workbench first.
      await wb.explorerRow('redirect.bpf.c').click();
      const log = await wb.outputChannelText('XDP Lab', '127.0.0.1');
      return `${verdict(S)}; output: ${log
        .split('\n')
        .filter((l) => l.includes('127.0.0.1'))
        .slice(-1)[0]
        ?.slice(0, 100)}`;
    },
  },
  {
    name: 'the fixtures are removed; the table is written',
    run: async (wb, ctx) => {
      for (const name of Object.keys(FIXTURES)) fs.rmSync(path.join(ctx.workspace, name), { force: true });
      await tidy(wb);
      return `${rows.length} rows in ${path.relative(ROOT, TABLE)}`;
    },
  },
];
