// UI step of "XDP Lab: Import Host as Scenario" (issue 15 item 2) in the real editor: a real sshd in a
// network namespace (test/fixtures/capture/remoteHost.ts) whose XDP program's object is copied into
// the workspace, the host picked from the palette, <host>.xdpscenario.json written with the program
// matched by tag, the visualizer opened on it. Screenshot: test-results/import-visualizer.png. Needs root.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';

const ROOT = path.resolve(import.meta.dirname, '../../..');
const WORKSPACE = path.join(ROOT, '.cache/e2e-run/examples');
// The same ssh wrapper and machine setting as 60-capture (this file may run alone with --ui 65-import).
const SSH = path.join(ROOT, '.cache/e2e-run/xlrt-ssh.sh');
const TARGET = path.join(ROOT, '.cache/e2e-run/xlrt-ssh-target');
fs.mkdirSync(path.dirname(SSH), { recursive: true });
fs.writeFileSync(SSH, `#!/bin/sh\nexec "$(cat '${TARGET}')" "$@"\n`, { mode: 0o755 });
const MACHINE_SETTINGS = path.join(ROOT, '.cache/e2e-run/data/Machine/settings.json');
if (fs.existsSync(WORKSPACE)) {
  fs.mkdirSync(path.dirname(MACHINE_SETTINGS), { recursive: true });
  const current = fs.existsSync(MACHINE_SETTINGS)
    ? JSON.parse(fs.readFileSync(MACHINE_SETTINGS, 'utf8'))
    : {};
  fs.writeFileSync(MACHINE_SETTINGS, JSON.stringify({ ...current, 'xdpLab.capture.sshPath': SSH }, null, 2));
}

/** Starts the fixture host; resolves with its description line. Closing stdin removes it. */
function startHost() {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/capture/remoteHost.ts'], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const info = new Promise((resolve, reject) => {
    readline.createInterface({ input: child.stdout }).on('line', (l) => {
      if (l.startsWith('{')) resolve(JSON.parse(l));
    });
    child.once('exit', () => reject(new Error(`remote host fixture exited: ${stderr}`)));
  });
  const stop = () =>
    new Promise((resolve) => {
      if (child.exitCode !== null) return resolve();
      child.once('exit', () => resolve());
      child.stdin.end();
      setTimeout(() => {
        try {
          process.kill(-child.pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }, 30_000).unref();
    });
  return { info, stop };
}

/** @type {import('../lib/steps.mjs').UiStep[]} */
export const steps = [
  {
    name: 'Import Host as Scenario: host picked, program matched by tag, scenario written, visualizer opened',
    run: async (wb, ctx) => {
      if (process.getuid?.() !== 0) return 'skipped: needs root for the network namespace host';
      const host = startHost();
      const objDir = path.join(ctx.workspace, 'objs');
      const scenario = path.join(ctx.workspace, 'xlrt-host.xdpscenario.json');
      try {
        const info = await host.info;
        fs.writeFileSync(TARGET, info.sshPath);
        fs.mkdirSync(objDir, { recursive: true });
        fs.copyFileSync(path.join(info.dir, 'redirect.o'), path.join(objDir, 'xlrt-redirect.o'));
        await wb.runCommandAndPick('XDP Lab: Import Host as Scenario', 'xlrt-host', 10_000);
        // The visualizer on the imported scenario: the fixture's redirecting device is drawn.
        const vis = await wb.findWebviewFrame('[data-node="dev:xlrta0"]', 120_000);
        await vis.locator('[data-node="dev:xlrtb0"]').first().waitFor({ timeout: 30_000 });
        const sc = JSON.parse(fs.readFileSync(scenario, 'utf8'));
        const a0 = sc.devices.find((d) => d.name === 'xlrta0');
        const prog = sc.programs.find((p) => p.name === a0?.xdp?.program);
        if (prog?.file !== 'objs/xlrt-redirect.o' || prog.function !== 'redirect_devmap')
          throw new Error(`xlrta0's program not matched by tag: ${JSON.stringify(prog)}`);
        if (sc.maps?.tx_port?.[0]?.value !== 'xlrtb0')
          throw new Error(`tx_port not imported as a device name: ${JSON.stringify(sc.maps)}`);
        await wb.screenshot('import-visualizer');
        return `${sc.devices.length} devices, ${sc.programs.length} programs`;
      } finally {
        await host.stop();
        // The host's ssh is gone with it: later steps (92's unreachable host) meet the system's ssh.
        fs.writeFileSync(TARGET, 'ssh');
        fs.rmSync(objDir, { recursive: true, force: true });
        fs.rmSync(scenario, { force: true });
      }
    },
  },
];
