// Remote captures against a REAL remote host: OpenSSH's sshd runs in a network namespace (kernel-lab.md
// "A remote host for tests") with a generated host key and client key in a temp dir (ssh -F with its own
// UserKnownHostsFile: the real ~/.ssh is never touched), real XDP programs redirect real frames between
// veth pairs in that namespace while `xdp-lab trace` (dist/cli.js, run from a client namespace) captures.
// Prefix xlrt-, ifindexes 5001-5099, addresses 10.250.0.0/24 inside these namespaces only.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { test, type TestContext } from 'node:test';
import { BpftraceCapture } from './lib/bpftrace';
import { run } from './lib/exec';
import { withLab } from './lib/lab';
import { startAskpass } from '../../src/node/ssh/askpass';
import { runRemoteScript } from '../../src/node/ssh/sshSession';
import { probe } from './lib/probe';
import {
  HOST_ADDR,
  HOSTILE,
  PASSPHRASE,
  UNPRIV,
  peerProgram,
  sendRedirectFrames,
  setUpRemoteHost,
  startTraceCli,
  waitFor,
  type RemoteHost,
} from '../fixtures/capture/remoteHost';

const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'dist/cli.js');

/** The `xdp-lab trace --json` document. */
interface TraceJson {
  kernel: string;
  status: string;
  tracepoints: Record<string, number>;
  errno: Record<string, Record<string, number>>;
  devmapXmit: { sent: number; drops: number };
  flows: Record<string, unknown>;
  devicesByIfindex: Record<string, string>;
  programs: Record<
    string,
    { redirects: number; errors: Record<string, number>; exceptions: Record<string, number> }
  >;
  programNames: Record<string, string>;
}

function parseOut(text: string): TraceJson {
  return JSON.parse(text) as TraceJson;
}

const startCli = startTraceCli;

async function runCli(
  h: RemoteHost,
  args: readonly string[],
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const r = startCli(h, args);
  const code = await r.done;
  return { code, stdout: r.stdout(), stderr: r.stderr() };
}

/** Processes of ours still alive on the host: tracers started by the capture wrapper, or its tmp dirs. */
function leftovers(): string[] {
  const ps = run(['ps', '-eo', 'pid,args']).stdout.split('\n');
  const procs = ps.filter(
    (l) => /xdp-lab-tick|perf record -a -q -o|xdp-lab\.[A-Za-z0-9]{6}/.test(l) && !l.includes(' ps -eo'),
  );
  const dirs = fs.readdirSync('/tmp').filter((d) => /^xdp-lab\.[A-Za-z0-9]{6}$/.test(d));
  return [...procs, ...dirs.map((d) => `/tmp/${d}`)];
}

async function sub(t: TestContext, name: string, body: () => Promise<void>): Promise<void> {
  await t.test(name, body);
}

void test(
  'remote capture over ssh against an sshd in a network namespace',
  { skip: probe({ tools: ['/usr/sbin/sshd', 'ssh', 'ssh-keygen', 'perf'] }) },
  async (t) => {
    assert.ok(fs.existsSync(cli), 'dist/cli.js missing: run npm run build (scripts/test.mjs builds first)');
    await withLab('xlrt-', async (lab) => {
      const h = await setUpRemoteHost(lab);
      try {
        await sub(
          t,
          'bpftrace counts of `xdp-lab trace` equal a direct bpftrace run; EOPNOTSUPP explained; devmap sums',
          async () => {
            const direct = await BpftraceCapture.start(
              'tracepoint:xdp:* { @cnt[probe] = count(); } tracepoint:xdp:xdp_redirect_err { @e[-args->err] = count(); } tracepoint:xdp:xdp_devmap_xmit { @sent = sum(args->sent); @drops = sum(args->drops); }',
              lab,
            );
            const cap = startCli(h, ['--host', 'xlrt-host', '--duration', '0', '--json']);
            await waitFor(
              'the capture to attach',
              () =>
                cap.stderr().includes('capturing with bpftrace') ||
                (cap.child.exitCode !== null && assert.fail(cap.stderr())),
            );
            sendRedirectFrames(h, 40); // xlrtb1 has no XDP program: every redirect fails with EOPNOTSUPP
            peerProgram(h, true);
            sendRedirectFrames(h, 25); // now they are transmitted
            await waitFor(
              'the capture to see all frames',
              () =>
                /xdp:xdp_redirect_err=40\b/.test(cap.stderr()) && /xdp:xdp_redirect=25\b/.test(cap.stderr()),
            );
            cap.child.kill('SIGINT');
            const code = await cap.done;
            const res = await direct.stop();
            peerProgram(h, false);
            assert.equal(code, 1, `stopped with Ctrl+C → exit 1 with a note; stderr: ${cap.stderr()}`);
            const out = parseOut(cap.stdout());
            const directCounts = Object.fromEntries(
              Object.entries(res.maps['@cnt'] as Record<string, number>).map(([k, v]) => [
                k.replace(/^tracepoint:/, ''),
                v,
              ]),
            );
            assert.deepEqual(out.tracepoints, directCounts);
            assert.equal(out.tracepoints['xdp:xdp_redirect_err'], 40);
            assert.equal(out.tracepoints['xdp:xdp_redirect'], 25);
            assert.deepEqual(out.errno['xdp:xdp_redirect_err'], {
              EOPNOTSUPP: (res.maps['@e'] as Record<string, number>)['95'],
            });
            assert.deepEqual(out.devmapXmit, { sent: res.maps['@sent'], drops: res.maps['@drops'] });
            assert.equal(out.devmapXmit.sent, 25);
            assert.deepEqual(out.flows['5003>5005'], {
              ifindex: 5003,
              to_ifindex: 5005,
              redirects: 25,
              errors: { EOPNOTSUPP: 40 },
              sent: 25,
              drops: 0,
            });
            assert.equal(out.devicesByIfindex['5005'], 'xlrtb0');
            assert.deepEqual(out.programs[String(h.redirectProgId)], {
              redirects: 25,
              errors: { EOPNOTSUPP: 40 },
              exceptions: {},
            });
            assert.equal(out.programNames[String(h.redirectProgId)], 'redirect_devmap');
            assert.match(out.kernel, /^\d+\.\d+/);
            await waitFor(
              'nothing left running on the host',
              () => leftovers().length === 0 || undefined,
              15_000,
            );
          },
        );

        await sub(
          t,
          'perf record + perf script capture parses the same events; the human summary explains the errno',
          async () => {
            const cap = startCli(h, [
              '--host',
              'xlrt-host',
              '--tool',
              'perf',
              '--duration',
              '0',
              '--event',
              'xdp:xdp_redirect_err',
              '--event',
              'xdp:xdp_redirect',
            ]);
            await waitFor(
              'perf to start',
              () =>
                cap.stderr().includes('capturing with perf') ||
                (cap.child.exitCode !== null && assert.fail(cap.stderr())),
            );
            sendRedirectFrames(h, 7);
            // The redirect events are written by the time sendFrames returns (they fire in the sender's softirq).
            cap.child.kill('SIGINT');
            await cap.done;
            assert.match(cap.stdout(), /xdp:xdp_redirect_err\s+7/);
            assert.match(cap.stdout(), /EOPNOTSUPP × 7 — target cannot transmit XDP frames/);
            assert.match(cap.stdout(), /"xlrta0"\(5003\) → "xlrtb0"\(5005\)/);
            await waitFor(
              'perf and its temp dir gone from the host',
              () => leftovers().length === 0 || undefined,
              15_000,
            );
          },
        );

        await sub(
          t,
          '--rates prints per-second rates whose errno counts add up to the frames sent',
          async () => {
            const cap = startCli(h, ['--host', 'xlrt-host', '--duration', '0', '--rates']);
            await waitFor(
              'the capture to attach',
              () =>
                cap.stderr().includes('capturing with bpftrace') ||
                (cap.child.exitCode !== null && assert.fail(cap.stderr())),
            );
            sendRedirectFrames(h, 30);
            const perSecond = (): number =>
              [...cap.stderr().matchAll(/xdp:xdp_redirect_err EOPNOTSUPP: (\d+)\/s/g)].reduce(
                (a, m) => a + Number(m[1]),
                0,
              );
            await waitFor('rates adding up to 30 EOPNOTSUPP', () => perSecond() === 30 || undefined);
            assert.match(cap.stderr(), /xdp:xdp_redirect_err\s+\d+\/s {2}\(cpu\d+ \d+/);
            cap.child.kill('SIGINT');
            assert.equal(await cap.done, 1);
            assert.match(cap.stdout(), /xdp:xdp_redirect_err\s+30/);
          },
        );

        await sub(
          t,
          'connection killed mid-capture: counts kept, clear message, nothing left running on the host',
          async () => {
            const cap = startCli(h, ['--host', 'xlrt-host', '--duration', '120', '--json']);
            await waitFor(
              'the capture to attach',
              () =>
                cap.stderr().includes('capturing with bpftrace') ||
                (cap.child.exitCode !== null && assert.fail(cap.stderr())),
            );
            sendRedirectFrames(h, 9);
            await waitFor('the capture to see the frames', () =>
              /xdp:xdp_redirect_err=9\b/.test(cap.stderr()),
            );
            // Kill the sshd session processes serving this connection (children of the sshd daemon).
            const daemon = await waitFor('the sshd daemon pid', () => {
              const line = run(['ps', '-eo', 'pid,ppid,args'])
                .stdout.split('\n')
                .find((l) => l.includes(`-f ${h.dir}/sshd_config`) && l.includes('/usr/sbin/sshd'));
              return line?.trim().split(/\s+/)[0];
            });
            const sessions = run(['ps', '-eo', 'pid,ppid,args'])
              .stdout.split('\n')
              .map((l) => l.trim().split(/\s+/))
              .filter((f) => f[1] === daemon)
              .map((f) => Number(f[0]));
            assert.ok(sessions.length > 0, 'no sshd session process to kill');
            for (const pid of sessions) process.kill(pid, 'SIGKILL');
            const code = await cap.done;
            assert.equal(code, 1, cap.stderr());
            assert.match(
              cap.stderr(),
              /connection to xlrt-host lost during the capture \(Connection to 10\.250\.0\.2 closed by remote host\.\); keeping what was captured/,
            );
            const out = parseOut(cap.stdout());
            assert.equal(out.status, 'connection-lost');
            assert.equal(out.tracepoints['xdp:xdp_redirect_err'], 9);
            await waitFor(
              'bpftrace gone from the host after the connection loss',
              () => leftovers().length === 0 || undefined,
              20_000,
            );
          },
        );

        await sub(
          t,
          'unknown host key: refused with its fingerprint; accepted with --accept-new-host-key',
          async () => {
            fs.writeFileSync(h.knownHosts, '');
            const r = await runCli(h, ['--host', 'xlrt-host', '--duration', '1', '--json']);
            assert.equal(r.code, 2);
            assert.equal(r.stdout, '');
            assert.ok(r.stderr.includes(`unknown host key ${h.hostFingerprint}`), r.stderr);
            assert.equal(fs.readFileSync(h.knownHosts, 'utf8'), '', 'nothing added without consent');
            const ok = await runCli(h, [
              '--host',
              'xlrt-host',
              '--duration',
              '1',
              '--json',
              '--accept-new-host-key',
            ]);
            assert.equal(ok.code, 0, ok.stderr);
            assert.ok(
              fs.readFileSync(h.knownHosts, 'utf8').includes(h.hostKeyPub),
              'the accepted key is in known_hosts',
            );
            assert.equal(parseOut(ok.stdout).status, 'complete');
          },
        );

        await sub(
          t,
          'changed host key: refused with a warning naming the host and the new fingerprint',
          async () => {
            run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-f', path.join(h.dir, 'other')]);
            const other = fs
              .readFileSync(path.join(h.dir, 'other.pub'), 'utf8')
              .trim()
              .split(' ')
              .slice(0, 2)
              .join(' ');
            fs.writeFileSync(
              h.knownHosts,
              `[${HOST_ADDR}]:2222 ${other}\n[${HOST_ADDR}]:2223 ${h.hostKeyPub}\n`,
            );
            const r = await runCli(h, ['--host', 'xlrt-host', '--duration', '1', '--accept-new-host-key']);
            assert.equal(r.code, 2);
            assert.match(r.stderr, /^xdp-lab: xlrt-host : the host key of xlrt-host has CHANGED/);
            assert.ok(r.stderr.includes(h.hostFingerprint), r.stderr);
            assert.ok(
              !fs
                .readFileSync(h.knownHosts, 'utf8')
                .includes(h.hostKeyPub.split(' ')[1] + '\n[' + HOST_ADDR + ']:2222'),
            );
            fs.writeFileSync(
              h.knownHosts,
              `[${HOST_ADDR}]:2222 ${h.hostKeyPub}\n[${HOST_ADDR}]:2223 ${h.hostKeyPub}\n`,
            );
          },
        );

        await sub(
          t,
          'bpftrace missing on the host: clear message offering perf; perf works there',
          async () => {
            const r = await runCli(h, ['--host', 'xlrt-nobpftrace', '--duration', '1']);
            assert.equal(r.code, 2);
            assert.match(
              r.stderr,
              /bpftrace is not installed on the host \(not in the remote PATH\); perf is available: use --tool perf/,
            );
            const p = await runCli(h, [
              '--host',
              'xlrt-nobpftrace',
              '--tool',
              'perf',
              '--duration',
              '1',
              '--json',
            ]);
            assert.equal(p.code, 0, p.stderr);
            assert.equal(parseOut(p.stdout).status, 'complete');
          },
        );

        await sub(t, 'ProxyJump of the ssh config is honoured (the system ssh client reads it)', async () => {
          const r = await runCli(h, ['--host', 'xlrt-jump', '--duration', '1', '--json', '--verbose']);
          assert.equal(r.code, 0, r.stderr);
          assert.equal(parseOut(r.stdout).status, 'complete');
          assert.ok(!r.stderr.includes('ProxyJump'), 'xdp-lab passes the alias, ssh resolves the jump');
        });

        await sub(
          t,
          'a passphrase-protected key is unlocked through SSH_ASKPASS; the passphrase is never logged',
          async () => {
            // ssh runs in the client namespace through a one-line wrapper given as the ssh path.
            const sshInC = path.join(h.dir, 'ssh-in-c');
            fs.writeFileSync(sshInC, `#!/bin/sh\nexec nsenter --net=/run/netns/${lab.ns('c')} ssh "$@"\n`, {
              mode: 0o755,
            });
            const prompts: string[] = [];
            const askpass = await startAskpass((prompt) => {
              prompts.push(prompt);
              return Promise.resolve(PASSPHRASE);
            });
            const logged: string[] = [];
            try {
              const r = await runRemoteScript(
                { host: 'xlrt-enc' },
                {
                  sshPath: sshInC,
                  configFile: h.config,
                  batchMode: false,
                  env: { ...askpass.env, HOME: h.dir },
                  log: (l) => logged.push(l),
                },
                'echo "unlocked as $(id -un)"',
              );
              assert.equal(r.code, 0, r.stderr);
              assert.equal(r.stdout.trim(), 'unlocked as root');
            } finally {
              await askpass.dispose();
            }
            assert.equal(prompts.length, 1);
            assert.match(prompts[0] ?? '', /passphrase for .*enc_ed25519/i);
            assert.ok(
              !logged.join('\n').includes(PASSPHRASE) && !JSON.stringify(askpass.env).includes(PASSPHRASE),
            );
            assert.ok(
              !fs.existsSync(askpass.env.SSH_ASKPASS ?? '/nonexistent'),
              'the askpass helper dir is removed',
            );
          },
        );

        await sub(t, 'unprivileged user without sudo: clear message', async () => {
          run(['userdel', UNPRIV], { allowFailure: true });
          run(['useradd', '-M', '-d', '/nonexistent', '-s', '/bin/sh', UNPRIV]);
          try {
            run(['usermod', '-p', '*', UNPRIV]); // not locked ('!'), no password: key login only
            const r = await runCli(h, ['--host', 'xlrt-unpriv', '--duration', '1', '--sudo']);
            assert.equal(r.code, 2, r.stderr);
            assert.match(
              r.stderr,
              new RegExp(
                `user ${UNPRIV} \\(uid \\d+\\) is not root and cannot run 'sudo -n' without a password`,
              ),
            );
          } finally {
            run(['userdel', UNPRIV], { allowFailure: true });
          }
        });

        await sub(
          t,
          'a hostile device name is only ever an ifindex on the host; unknown names are refused',
          async () => {
            const home = '/root';
            fs.rmSync(path.join(home, 'xlrtp'), { force: true });
            const r = await runCli(h, [
              '--host',
              'xlrt-host',
              '--duration',
              '1',
              '--device',
              HOSTILE,
              '--json',
              '--verbose',
            ]);
            assert.equal(r.code, 0, r.stderr);
            assert.equal(parseOut(r.stdout).devicesByIfindex['5090'], HOSTILE);
            assert.ok(!r.stderr.includes(HOSTILE), 'the name never reaches a remote command line');
            assert.ok(r.stderr.includes('args->ifindex == 5090'), 'the filter uses the ifindex');
            const bad = await runCli(h, [
              '--host',
              'xlrt-host',
              '--duration',
              '1',
              '--device',
              'nope;touch /tmp/xlrtp',
            ]);
            assert.equal(bad.code, 2);
            assert.match(bad.stderr, /device "nope;touch \/tmp\/xlrtp" does not exist on this host/);
            assert.ok(
              !fs.existsSync(path.join(home, 'xlrtp')) &&
                !fs.existsSync('/tmp/xlrtp') &&
                !fs.existsSync(path.join(h.dir, 'xlrtp')),
              'no command was injected',
            );
          },
        );
      } finally {
        assert.deepEqual(leftovers(), [], 'remote capture processes or temp dirs left on the host');
      }
    });
  },
);
