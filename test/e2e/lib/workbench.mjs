// Driving the real VS Code workbench (code-server) with Debian's Chromium through playwright-core.
// Selectors and flags come from the verified recipe (/work/shared/recipes/vscode-e2e §4): F1 opens
// the palette reliably headless; webviews are nested iframes; launchPersistentContext is the way
// to give Chromium a fresh profile folder. Every wait waits for an element, never a clock.
/* global document, getComputedStyle, HTMLInputElement -- used inside page.evaluate callbacks, which run in Chromium */
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { ROOT } from './codeServer.mjs';

export const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/**
 * Launches Chromium with a fresh profile and returns a Workbench bound to its first page.
 * @param {{baseUrl: string, profileDir: string, env?: object, viewport?: {width:number,height:number}}} opts
 */
export async function launch(opts) {
  fs.rmSync(opts.profileDir, { recursive: true, force: true });
  const context = await chromium.launchPersistentContext(opts.profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: opts.viewport ?? { width: 1400, height: 900 },
    args: CHROMIUM_ARGS,
    env: opts.env,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return new Workbench(context, page, opts.baseUrl);
}

export class Workbench {
  /** @param {import('playwright-core').BrowserContext} context @param {import('playwright-core').Page} page */
  constructor(context, page, baseUrl) {
    this.context = context;
    this.page = page;
    this.baseUrl = baseUrl;
    /** Console errors of the page (the two vsda 404s are expected in OSS builds). */
    this.consoleErrors = [];
    page.on('console', (m) => {
      if (m.type() === 'error') this.consoleErrors.push(m.text());
    });
    page.on('pageerror', (e) => this.consoleErrors.push(`pageerror: ${e.message}`));
  }

  /** Opens `folder` (absolute path on the server) and waits until the workbench is usable:
   * the explorer lists `expectFile` and the status bar is there. */
  async openFolder(folder, expectFile) {
    await this.page.goto(`${this.baseUrl}/?folder=${encodeURIComponent(folder)}`);
    await this.page.locator('.monaco-workbench').waitFor({ timeout: 60_000 });
    if (expectFile) await this.explorerRow(expectFile).waitFor({ timeout: 60_000 });
    await this.page.locator('#workbench\\.parts\\.statusbar').waitFor({ timeout: 60_000 });
  }

  explorerRow(name) {
    return this.page.locator('.explorer-folders-view .monaco-list-row', { hasText: name }).first();
  }

  /**
   * Opens a top-level file by clicking it in the explorer: a file made a moment ago shows there (the
   * file watcher) before Quick Open's index has it; falls back to Quick Open.
   */
  async openFromExplorer(name) {
    const row = this.explorerRow(name);
    const listed = await row
      .waitFor({ timeout: 30_000 })
      .then(() => true)
      .catch(() => false);
    if (listed) await row.click();
    else await this.openFile(name);
    await this.tab(name).first().waitFor({ timeout: 15_000 });
  }

  /** Opens a file through Quick Open (works for nested paths too) and waits for its tab. */
  async openFile(relPath) {
    const name = path.basename(relPath);
    await this.focusWorkbench();
    await this.page.keyboard.press('Control+P');
    const input = this.page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(relPath);
    await this.page
      .locator('.quick-input-widget .monaco-list-row', { hasText: name })
      .first()
      .waitFor({ state: 'visible', timeout: 15_000 });
    // Enter takes the first row once it is the file named exactly `name`. Until quick open has
    // filtered, the first rows are recent files, and the list re-renders under the pointer: a click
    // on a row seen a moment earlier picked hash-redirect-ui.bpf.c for redirect.bpf.c in a full run.
    const exact = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
    const first = this.page.locator('.quick-input-widget .monaco-list-row').first().locator('.label-name');
    const deadline = Date.now() + 10_000;
    while (!exact.test(((await first.textContent().catch(() => '')) ?? '').trim()) && Date.now() < deadline)
      await this.page.waitForTimeout(100);
    const row = this.page
      .locator('.quick-input-widget .monaco-list-row')
      .filter({ has: this.page.locator('.label-name', { hasText: exact }) })
      .first();
    // Another file ranked first (a recent one whose name also matches): the list is settled now.
    if (!exact.test(((await first.textContent().catch(() => '')) ?? '').trim()) && (await row.isVisible()))
      await row.click();
    else await this.page.keyboard.press('Enter');
    await this.page
      .locator('.tabs-container .tab.active', { hasText: name })
      .first()
      .waitFor({ timeout: 20_000 });
    await this.page
      .locator('.editor-instance .monaco-editor .view-lines')
      .filter({ visible: true })
      .first()
      .waitFor({ timeout: 20_000 });
  }

  tab(title) {
    return this.page.locator('.tabs-container .tab', { hasText: title }).first();
  }

  async focusWorkbench() {
    // A webview panel (the capture panel, the visualizer) that holds the focus gets the keys, and
    // F1 there is the webview's: hand the focus back to the workbench first.
    await this.page
      .evaluate(() => {
        const a = document.activeElement;
        if (a && a.tagName === 'IFRAME' && 'blur' in a) a.blur();
      })
      .catch(() => undefined);
    await this.page.keyboard.press('Escape');
  }

  /** Opens the command palette filtered to `text` (without the leading '>'); returns the labels
   * of the rows it shows (only rendered rows: the list is virtual, so filter narrowly). */
  async paletteRows(text) {
    await this.focusWorkbench();
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${text}`);
    const rows = this.page.locator('.quick-input-widget .monaco-list-row');
    await rows
      .first()
      .waitFor({ state: 'visible', timeout: 10_000 })
      .catch(() => undefined);
    return (await rows.allInnerTexts()).map((t) => t.split('\n')[0].trim());
  }

  /** True when the palette has a command whose label is exactly `label` (e.g. 'XDP Lab: Show Output'). */
  async paletteHas(label) {
    await this.focusWorkbench();
    await this.page.keyboard.press('F1');
    const input = this.page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(`>${label}`);
    const row = this.page.locator('.quick-input-widget .monaco-list-row', {
      has: this.page.locator('.label-name', { hasText: label }),
    });
    try {
      await row.first().waitFor({ state: 'visible', timeout: 10_000 });
      const names = await this.page
        .locator('.quick-input-widget .monaco-list-row .label-name')
        .allInnerTexts();
      return names.some((n) => n.trim() === label);
    } catch {
      return false;
    } finally {
      await this.page.keyboard.press('Escape');
    }
  }

  /** Runs a command by its palette label ('Category: Title') and waits until the palette closes. */
  async runCommand(label) {
    // Open the palette again when it does not list the command yet (a window just opened on a
    // loaded machine: its manifest still being scanned, "similar commands" only), or when it closed
    // under us (a panel that finished loading took the focus: CI once failed filling it).
    for (let attempt = 1; ; attempt++) {
      try {
        await this.focusWorkbench();
        await this.page.keyboard.press('F1');
        const input = this.page.locator('.quick-input-widget input.input');
        await input.waitFor({ state: 'visible', timeout: 10_000 });
        await input.fill(`>${label}`, { timeout: 5_000 });
        await this.page
          .locator('.quick-input-widget .monaco-list-row', { hasText: label })
          .first()
          .waitFor({ state: 'visible', timeout: 10_000 });
        break;
      } catch (e) {
        if (attempt === 3) throw e;
      }
    }
    // Enter runs the focused row. Until the palette has filtered, that is a recently used command,
    // so a CI run once pressed Enter on one of those: wait until the focused row is the command
    // itself. (The list is virtual and reuses its row elements: the first one in the DOM need not
    // be the first one shown, so ask for the focused one.)
    const focused = this.page.locator('.quick-input-widget .monaco-list-row.focused .label-name').first();
    const deadline = Date.now() + 10_000;
    let shown = '';
    // (A command that opens a dialog has "..." after its title: "Output: Show Output Channels...".)
    const isLabel = (text) => text === label || text.replace(/(\.\.\.|…)$/, '') === label;
    while (!isLabel((shown = ((await focused.textContent().catch(() => '')) ?? '').trim()))) {
      if (Date.now() > deadline) {
        console.log(`  (runCommand: the focused row stayed "${shown}", not "${label}")`);
        break;
      }
      await this.page.waitForTimeout(100);
    }
    // Done when the palette closed, or when the command reused the widget for its own quick pick.
    // An Enter the palette did not take (still showing what was typed) is pressed again.
    for (let attempt = 1; attempt <= 3; attempt++) {
      await this.page.keyboard.press('Enter');
      const taken = await this.page
        .waitForFunction(
          (typed) => {
            const w = document.querySelector('.quick-input-widget');
            const i = w?.querySelector('input.input');
            return (
              !w ||
              getComputedStyle(w).display === 'none' ||
              (i instanceof HTMLInputElement && i.value !== typed)
            );
          },
          `>${label}`,
          { timeout: 5_000 },
        )
        .then(() => true)
        .catch(() => false);
      if (taken) return;
    }
  }

  /** Picks an item in an open quick pick (e.g. after a command asked for a choice). */
  async pickQuickItem(text, timeoutMs = 10_000) {
    const input = this.page.locator('.quick-input-widget input.input');
    await input.waitFor({ state: 'visible', timeout: 10_000 });
    await input.fill(text);
    await this.page
      .locator('.quick-input-widget .monaco-list-row', { hasText: text })
      .first()
      .waitFor({ state: 'visible', timeout: timeoutMs });
    // Enter on the pick's own input (focused first): a page that re-rendered meanwhile, e.g. the
    // walkthrough ticking a step, may hold the focus, and a key pressed there answers nothing.
    // Two picks in a row share one widget, and an Enter pressed while the next one is still taking
    // its items is dropped (seen in CI: "Maps for this run" left open with its item highlighted):
    // while the same pick still shows the same value after a moment, press Enter again.
    const title = this.page.locator('.quick-input-widget .quick-input-title');
    const before = await title.innerText().catch(() => '');
    for (let i = 0; i < 5; i++) {
      await input.press('Enter');
      await this.page.waitForTimeout(500);
      const open = await input.isVisible().catch(() => false);
      if (!open) return;
      const now = await title.innerText().catch(() => '');
      const value = await input.inputValue().catch(() => '');
      if (now !== before || value !== text) return;
    }
  }

  /**
   * Runs a command that asks with a quick pick and picks `item`. If the pick closed before it could
   * be answered (something took the focus as it opened: the command then did nothing), runs the
   * command again, up to three times.
   */
  async runCommandAndPick(label, item, timeoutMs = 30_000) {
    for (let attempt = 1; ; attempt++) {
      await this.runCommand(label);
      try {
        await this.pickQuickItem(item, timeoutMs);
        return;
      } catch (e) {
        if (attempt === 3) throw e;
        await this.page.keyboard.press('Escape');
      }
    }
  }

  /** Shows output channel `name` through "Output: Show Output Channels…" (the channel exists only
   * after the extension created it) and returns the panel's text once it contains `expect`. */
  async outputChannelText(name, expect, timeoutMs = 30_000) {
    // The channel appears in the list only once the extension has created it (activation may
    // still be running on a cold start): reopen the list until it is there.
    const deadline0 = Date.now() + timeoutMs;
    for (;;) {
      await this.runCommand('Output: Show Output Channels');
      try {
        await this.pickQuickItem(name, 3_000);
        break;
      } catch (e) {
        await this.page.keyboard.press('Escape');
        if (Date.now() > deadline0)
          throw new Error(`output channel "${name}" is not listed: ${e instanceof Error ? e.message : e}`);
      }
    }
    const view = this.page.locator('#workbench\\.parts\\.panel .monaco-editor .view-lines').first();
    await view.waitFor({ timeout: 15_000 });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const text = await view.innerText();
      if (!expect || text.includes(expect)) return text;
      if (Date.now() > deadline)
        throw new Error(`output channel "${name}" does not show "${expect}"; it shows:\n${text}`);
      await view.page().waitForTimeout(100); // the channel is appended to asynchronously
    }
  }

  /** Texts of the visible notification toasts. */
  async notifications() {
    return this.page.locator('.notifications-toasts .notification-list-item-message').allInnerTexts();
  }

  /** Waits for a toast containing `text`. */
  async waitForNotification(text, timeoutMs = 15_000) {
    await this.page
      .locator('.notifications-toasts .notification-list-item-message', { hasText: text })
      .first()
      .waitFor({ timeout: timeoutMs });
  }

  /** Finds the iframe of a webview whose document has `selector` (webviews are an outer
   * pre/index.html frame around an inner #active-frame). */
  async findWebviewFrame(selector, timeoutMs = 30_000) {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const f of this.page.frames()) {
        if (f === this.page.mainFrame()) continue; // the workbench itself is not a webview
        try {
          if (await f.locator(selector).count()) return f;
        } catch {
          /* frame detached while looking */
        }
      }
      if (Date.now() > deadline)
        throw new Error(
          `no webview frame has ${selector}; frames: ${this.page
            .frames()
            .map((f) => f.url().slice(0, 80))
            .join(' | ')}`,
        );
      await this.page.waitForTimeout(100);
    }
  }

  /** Saves a screenshot to test-results/NAME.png (repo root) and returns its path. */
  async screenshot(name) {
    const file = path.join(ROOT, 'test-results', `${name}.png`);
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await this.page.screenshot({ path: file });
    const png = fs.readFileSync(file);
    if (png.readUInt32BE(0) !== 0x89504e47) throw new Error(`${file} is not a PNG`);
    return file;
  }

  /** Closes every editor (between UI files, so each starts from a clean editor area). */
  async closeAllEditors() {
    await this.runCommand('View: Close All Editors').catch(() => undefined);
  }

  async close() {
    await this.context.close();
  }
}

/**
 * Runs mocha suites inside the node extension host the way @vscode/test-web / VS Code's
 * integration tests do in a browser: a `payload` URL parameter carrying extensionDevelopmentPath
 * and extensionTestsPath as vscode-remote:// URIs (code-server rejects the CLI flags). Resolves
 * with the exit code the workbench reports through window.codeAutomationExit.
 * @param {Workbench} wb a launched workbench (its page is reused)
 * @param {{folder: string, extensionPath: string, testsPath: string, log?: (line: string) => void, timeoutMs?: number}} o
 */
export async function runExtensionHostTests(wb, o) {
  const host = new URL(wb.baseUrl).host; // code-server takes the request host as the remote authority
  const remote = (p) => `vscode-remote://${host}${p}`;
  const payload = [
    ['extensionDevelopmentPath', remote(o.extensionPath)],
    ['extensionTestsPath', remote(o.testsPath)],
    ['skipWelcome', 'true'],
  ];
  let done;
  const exited = new Promise((r) => (done = r));
  const noise =
    /^(Resolving|Resolved|Creating a socket|Updating additional|\[Service Worker\]|ChatSessionStore|%c)/;
  await wb.page.exposeFunction('codeAutomationLog', (_type, args) => {
    const line = util.format(...(args ?? [])).replace(/%c/g, '');
    if (!noise.test(line)) (o.log ?? console.log)(line);
  });
  await wb.page.exposeFunction('codeAutomationExit', (code) => done(code));
  await wb.page.goto(
    `${wb.baseUrl}/?folder=${encodeURIComponent(o.folder)}&payload=${encodeURIComponent(JSON.stringify(payload))}`,
  );
  let timer;
  const timeout = new Promise((r) => (timer = setTimeout(() => r('timeout'), o.timeoutMs ?? 180_000)));
  const code = await Promise.race([exited, timeout]);
  clearTimeout(timer);
  return code;
}
