// The editor tier (scripts/test.mjs editor): packages the .vsix, installs it into a fresh
// code-server, opens a scratch copy of examples/ in Debian's Chromium, runs the UI steps of
// test/e2e/ui/*.ui.mjs, then the mocha suites of test/e2e/suite inside the extension host (payload
// URL). Prints one line per check and ends with exactly `editor: N passed, N failed`.
// Usage: node test/e2e/run.mjs [--no-package] [--ui FILTER] [--step NAME_PART] [--repeat N] [--grep MOCHA_PATTERN]
//        [--skip-ui] [--skip-suite]
// --step runs only the UI steps whose name contains NAME_PART, --repeat runs them N times (hunting a flake).
// Env: E2E_VERBOSE=1 shows the page's console errors and the extension host's full log.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const HERE = import.meta.dirname;
const ROOT = path.resolve(HERE, '../..');
const LOCK = '/tmp/xdp-lab-editor.lock';

// One editor tier at a time on the machine (it rebuilds dist/ and xdp-lab.vsix, and 2 cores are
// shared): re-run this script under flock(1) unless a parent already did.
if (!process.env.XDP_LAB_EDITOR_LOCKED) {
  const r = spawnSync('flock', ['-w', '1800', LOCK, process.execPath, ...process.argv.slice(1)], {
    stdio: 'inherit',
    env: { ...process.env, XDP_LAB_EDITOR_LOCKED: '1' },
  });
  if (r.status === null) console.log(`editor: 0 passed, 1 failed (could not run under ${LOCK})`);
  process.exit(r.status ?? 1);
}

// Like the kernel tier: a machine without Chromium skips with one line (a failure under CI=true).
if (!fs.existsSync('/usr/bin/chromium')) {
  const why = '/usr/bin/chromium is missing (bash scripts/install-system-deps.sh installs it)';
  if (process.env.CI === 'true') {
    console.log(`FAIL - editor tier needs Chromium: ${why}\neditor: 0 passed, 1 failed`);
    process.exit(1);
  }
  console.log(`editor: skipped — ${why}\neditor: 0 passed, 0 failed, 1 skipped`);
  process.exit(0);
}

const { ensureCodeServer, installVsix, makeSandbox, sandboxEnv, startCodeServer } =
  await import('./lib/codeServer.mjs');
const { launch, runExtensionHostTests } = await import('./lib/workbench.mjs');
const { buildSuite } = await import('./lib/buildSuite.mjs');
const { loadUiFiles } = await import('./lib/steps.mjs');

const argv = process.argv.slice(2);
const opt = (name) => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const verbose = !!process.env.E2E_VERBOSE;
const RUN = path.join(ROOT, '.cache/e2e-run');
const VSIX = path.join(ROOT, 'xdp-lab.vsix');
const MAX_VSIX = 5 * 1024 * 1024;

const t0 = Date.now();
// Pictures of failures from an earlier run would mislead: remove them (other screenshots are overwritten).
const RESULTS = path.join(ROOT, 'test-results');
if (fs.existsSync(RESULTS))
  for (const f of fs.readdirSync(RESULTS)) if (/^failed-.*\.png$/.test(f)) fs.rmSync(path.join(RESULTS, f));
const results = [];
const secs = (ms) => `${(ms / 1000).toFixed(1)}s`;
function record(name, ok, detail, ms) {
  results.push({ name, ok });
  const d = detail === undefined || detail === null || detail === '' ? '' : `: ${detail}`;
  console.log(`${ok ? 'ok  ' : 'FAIL'} - ${name}${d}${ms !== undefined ? ` (${secs(ms)})` : ''}`);
}
/** Runs one check; returns its value, or undefined after recording the failure. */
async function check(name, fn) {
  const t = Date.now();
  try {
    const v = await fn();
    record(name, true, typeof v === 'string' || typeof v === 'number' ? v : undefined, Date.now() - t);
    return v ?? true;
  } catch (e) {
    record(name, false, e instanceof Error ? (verbose ? e.stack : e.message) : String(e), Date.now() - t);
    return undefined;
  }
}
function finish() {
  const passed = results.filter((r) => r.ok).length;
  const failed = results.length - passed;
  console.log(`editor tier took ${secs(Date.now() - t0)}`);
  console.log(`editor: ${passed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
// A hung browser or server must not hang `npm test`: give up after 10 minutes (the exit hook
// in startCodeServer still kills code-server's process group).
setTimeout(() => {
  record('editor tier finished within 10 minutes', false);
  finish();
}, 10 * 60_000).unref();

let server;
let wb;
try {
  // 1. Package exactly what users install.
  const packaged =
    argv.includes('--no-package') && fs.existsSync(VSIX)
      ? true
      : await check('npm run package builds xdp-lab.vsix', () => {
          const r = spawnSync('npm', ['run', 'package'], { cwd: ROOT, encoding: 'utf8', maxBuffer: 1 << 26 });
          if (r.status !== 0)
            throw new Error(`npm run package failed:\n${(r.stdout + r.stderr).slice(-3000)}`);
          return `${path.relative(ROOT, VSIX)}`;
        });
  if (!packaged) finish();
  await check('xdp-lab.vsix is under 5 MB', () => {
    const size = fs.statSync(VSIX).size;
    if (size >= MAX_VSIX) throw new Error(`${size} bytes`);
    return `${(size / 1024).toFixed(0)} KB`;
  });

  // 2. A fresh code-server profile with the .vsix installed and a scratch copy of examples/.
  ensureCodeServer();
  const sb = makeSandbox(RUN);
  process.env.TMPDIR = sb.tmp; // Playwright's own temp files stay in the sandbox too
  const workspace = path.join(RUN, 'examples');
  fs.cpSync(path.join(ROOT, 'examples'), workspace, { recursive: true });
  const extDir = await check('the .vsix installs into a fresh code-server', () => installVsix(sb, VSIX));
  if (!extDir) finish();

  // 3. The mocha suite goes inside the installed extension's folder: the payload route needs the
  //    tests path inside the development extension, and that extension is the installed .vsix.
  const suiteIndex = await check('extension-host suites build (esbuild)', () =>
    buildSuite(path.join(extDir, '.e2e-suite')),
  );

  const mochaResult = path.join(RUN, 'mocha-result.json');
  // The extension host inherits code-server's environment: that is how the suite gets these.
  const hostEnv = {
    XDP_LAB_E2E_RESULT: mochaResult,
    ...(opt('--grep') ? { XDP_LAB_E2E_GREP: opt('--grep') } : {}),
  };
  server = await startCodeServer(sb, { folder: workspace, env: hostEnv });
  const env = sandboxEnv(sb);
  const ctx = { workspace, baseUrl: server.url, root: ROOT };

  // 4. UI steps in the real workbench.
  if (!argv.includes('--skip-ui')) {
    wb = await launch({ baseUrl: server.url, profileDir: path.join(RUN, 'chrome-ui'), env });
    const loaded = await check('code-server workbench shows the example workspace', async () => {
      await wb.openFolder(workspace, 'redirect.bpf.c');
      return server.url;
    });
    if (loaded) {
      for (const { file, steps, freshWindow } of await loadUiFiles(path.join(HERE, 'ui'), opt('--ui'))) {
        const base = file.replace(/\.ui\.mjs$/, '');
        // A file that meets the editor as a new user does (`export const freshWindow = true`) gets a
        // browser profile of its own: no recent files, no open panels, no webviews of earlier steps.
        if (freshWindow) {
          await wb.close();
          wb = await launch({ baseUrl: server.url, profileDir: path.join(RUN, `chrome-${base}`), env });
        }
        const only = opt('--step');
        const repeat = Math.max(1, Number(opt('--repeat') ?? 1) || 1);
        for (const [i, step] of steps.entries()) {
          if (only && !step.name.includes(only)) continue;
          for (let r = 0; r < repeat; r++) {
            const ok = await check(`${base}: ${step.name}`, () => step.run(wb, ctx));
            // A failed UI step leaves a picture of what the workbench showed.
            if (!ok)
              console.log(
                `     see ${path.relative(ROOT, await wb.screenshot(`failed-${base}-${i}`).catch(() => 'no screenshot'))}`,
              );
          }
        }
        await wb.closeAllEditors();
      }
    }
    if (verbose && wb.consoleErrors.length)
      console.log(`page console errors:\n  ${wb.consoleErrors.slice(0, 20).join('\n  ')}`);
    await wb.close();
    wb = undefined;
  }

  // 5. Mocha suites inside the node extension host.
  if (suiteIndex && !argv.includes('--skip-suite')) {
    fs.rmSync(mochaResult, { force: true });
    const log = [];
    wb = await launch({ baseUrl: server.url, profileDir: path.join(RUN, 'chrome-suite'), env });
    const t = Date.now();
    const code = await runExtensionHostTests(wb, {
      folder: workspace,
      extensionPath: extDir,
      testsPath: suiteIndex,
      timeoutMs: 180_000,
      log: (l) => (verbose ? console.log(`  [ext host] ${l}`) : log.push(l)),
    });
    await wb.close();
    wb = undefined;
    if (fs.existsSync(mochaResult)) {
      const res = JSON.parse(fs.readFileSync(mochaResult, 'utf8'));
      for (const r of res.tests)
        record(
          `suite: ${r.title}`,
          r.state === 'passed',
          r.error
            ?.split('\n')
            .slice(0, verbose ? 30 : 3)
            .join('\n    '),
          r.durationMs,
        );
      if (!res.tests.length) record('suite: at least one extension-host test ran', false);
      if (code !== 0 && !res.failures) record('suite: extension host exit code', false, String(code));
    } else {
      record(
        'suite: extension-host mocha run',
        false,
        `exit code ${code}, no result file; last log lines:\n    ${log.slice(-15).join('\n    ')}`,
        Date.now() - t,
      );
    }
  }
} catch (e) {
  record('editor tier harness', false, e instanceof Error ? e.stack : String(e));
} finally {
  await wb?.close().catch(() => undefined);
  await server?.stop();
}
finish();
