// code-server for the editor tier and scripts/start.sh: a sandboxed environment (HOME, XDG_*,
// TMPDIR inside one folder, so nothing is written outside it), .vsix installation, start on a free
// 127.0.0.1 port, and stop by process group (killing only the wrapper leaves a file watcher and
// extension hosts behind: recipe vscode-e2e "Gotchas" 2-3).
/* global fetch */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';

export const ROOT = path.resolve(import.meta.dirname, '../../..');
export const CODE_SERVER_DIR = path.join(ROOT, '.cache/code-server');
export const CODE_SERVER_BIN = path.join(CODE_SERVER_DIR, 'node_modules/.bin/code-server');

/** User settings for a quiet, offline, deterministic workbench. */
export const USER_SETTINGS = {
  'workbench.startupEditor': 'none',
  'workbench.tips.enabled': false,
  'workbench.enableExperiments': false,
  'telemetry.telemetryLevel': 'off',
  'update.mode': 'none',
  'extensions.autoCheckUpdates': false,
  'extensions.autoUpdate': false,
  'extensions.ignoreRecommendations': true,
  'security.workspace.trust.enabled': false,
  'json.schemaDownload.enable': false,
  'npm.fetchOnlinePackageInfo': false,
  'typescript.disableAutomaticTypeAcquisition': true,
  'git.enabled': false,
  'editor.quickSuggestions': { other: false, comments: false, strings: false },
  'editor.wordBasedSuggestions': 'off',
  'chat.commandCenter.enabled': false,
  'window.commandCenter': false,
};

/**
 * A sandbox folder: `home/` (HOME and XDG_*), `tmp/` (TMPDIR: the server's vscode-ipc sockets),
 * `data/` (user data dir with User/settings.json), `exts/` (extensions dir).
 * @param {string} dir created fresh (removed first) unless `keep`
 */
export function makeSandbox(dir, { keep = false, settings = {} } = {}) {
  if (!keep) fs.rmSync(dir, { recursive: true, force: true });
  const sb = {
    dir,
    home: path.join(dir, 'home'),
    tmp: path.join(dir, 'tmp'),
    data: path.join(dir, 'data'),
    exts: path.join(dir, 'exts'),
  };
  for (const d of [sb.home, sb.tmp, path.join(sb.data, 'User'), sb.exts])
    fs.mkdirSync(d, { recursive: true });
  const settingsFile = path.join(sb.data, 'User/settings.json');
  if (!fs.existsSync(settingsFile))
    fs.writeFileSync(settingsFile, JSON.stringify({ ...USER_SETTINGS, ...settings }, null, 2));
  return sb;
}

/** Environment for code-server / Chromium inside a sandbox. */
export function sandboxEnv(sb, extra = {}) {
  return {
    ...process.env,
    HOME: sb.home,
    XDG_CONFIG_HOME: path.join(sb.home, '.config'),
    XDG_DATA_HOME: path.join(sb.home, '.local/share'),
    XDG_CACHE_HOME: path.join(sb.home, '.cache'),
    TMPDIR: sb.tmp,
    ...extra,
  };
}

/** Runs scripts/install-code-server.sh unless code-server is already installed. */
export function ensureCodeServer() {
  if (fs.existsSync(CODE_SERVER_BIN)) return;
  const r = spawnSync('bash', [path.join(ROOT, 'scripts/install-code-server.sh')], {
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  if (r.status !== 0) throw new Error('code-server installation failed (scripts/install-code-server.sh)');
}

/** `code-server --install-extension VSIX` into the sandbox; returns the installed extension folder. */
export function installVsix(sb, vsix) {
  const r = spawnSync(
    CODE_SERVER_BIN,
    ['--user-data-dir', sb.data, '--extensions-dir', sb.exts, '--install-extension', vsix, '--force'],
    {
      env: sandboxEnv(sb),
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  if (r.status !== 0) throw new Error(`--install-extension ${vsix} failed:\n${r.stdout}\n${r.stderr}`);
  const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'package.json'), 'utf8'));
  const id = `${pkg.publisher}.${pkg.name}-${pkg.version}`.toLowerCase();
  const dir = fs.readdirSync(sb.exts).find((d) => d.toLowerCase() === id);
  if (!dir)
    throw new Error(
      `installed extension ${id} not found in ${sb.exts}: ${fs.readdirSync(sb.exts).join(', ')}`,
    );
  return path.join(sb.exts, dir);
}

/** A free TCP port on 127.0.0.1, preferring `preferred` when it is free. */
export async function freePort(preferred = 0) {
  const tryListen = (port) =>
    new Promise((resolve) => {
      const srv = net.createServer();
      srv.once('error', () => resolve(undefined));
      srv.listen(port, '127.0.0.1', () => {
        const p = srv.address().port;
        srv.close(() => resolve(p));
      });
    });
  return (preferred && (await tryListen(preferred))) || (await tryListen(0));
}

/**
 * Starts code-server in its own process group (detached = setsid) on 127.0.0.1:port and resolves
 * once /healthz answers. Returns { url, port, pid, child, stop() }. stop() kills the whole group.
 * @param {object} sb sandbox from makeSandbox
 * @param {{port?: number, folder?: string, logFile?: string, env?: object, timeoutMs?: number}} opts
 */
export async function startCodeServer(sb, opts = {}) {
  const port = await freePort(opts.port ?? 0);
  const logFile = opts.logFile ?? path.join(sb.dir, 'code-server.log');
  const log = fs.openSync(logFile, 'w');
  const args = [
    '--bind-addr',
    `127.0.0.1:${port}`,
    '--auth',
    'none',
    '--user-data-dir',
    sb.data,
    '--extensions-dir',
    sb.exts,
    '--disable-telemetry',
    '--disable-update-check',
    '--disable-workspace-trust',
    '--disable-getting-started-override',
    '--ignore-last-opened',
    ...(opts.folder ? [opts.folder] : []),
  ];
  const child = spawn(CODE_SERVER_BIN, args, {
    detached: true,
    stdio: ['ignore', log, log],
    env: sandboxEnv(sb, opts.env),
  });
  fs.closeSync(log);
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const killGroup = (sig) => {
    try {
      process.kill(-child.pid, sig);
    } catch {
      /* already gone */
    }
  };
  // code-server runs in its own session, so Ctrl+C in our terminal never reaches it: stop it on
  // our exit and on the signals that would otherwise end us without running 'exit' handlers.
  const onExit = () => killGroup('SIGKILL');
  const onSignal = (sig) => {
    killGroup('SIGKILL');
    process.exit(sig === 'SIGINT' ? 130 : 143);
  };
  process.on('exit', onExit);
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  const server = {
    url: `http://127.0.0.1:${port}`,
    port,
    pid: child.pid,
    child,
    logFile,
    /** SIGTERM to the process group, SIGKILL after 5 s; resolves when the wrapper has exited. */
    async stop() {
      process.off('exit', onExit);
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      killGroup('SIGTERM');
      const timer = setTimeout(() => killGroup('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
      killGroup('SIGKILL'); // stragglers (file watcher, extension hosts) in the same group
    },
  };
  const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(
        `code-server exited (${child.exitCode}):\n${fs.readFileSync(logFile, 'utf8').slice(-3000)}`,
      );
    try {
      const r = await fetch(`${server.url}/healthz`);
      if (r.ok) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await server.stop();
      throw new Error(`code-server did not answer /healthz on port ${port}; log: ${logFile}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return server;
}
