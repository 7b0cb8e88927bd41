// Remote captures as a NON-ROOT user through `sudo -n` (issue 7: "remote commands run with `sudo -n`
// when the user is not root and the user allowed it"): the sshd-in-a-netns host of
// test/fixtures/capture/remoteHost.ts, a real user and a real sudoers drop-in (validated with
// `visudo -cf`, removed in cleanup even on failure). NOPASSWD → `xdp-lab trace --sudo` counts equal a
// direct bpftrace run; a sudoers rule that wants a password → a clear message, at once (no prompt
// waiting on a terminal that is not there). Prefix xlsu-, ifindexes 5100-5149, 10.251.0.0/16 inside
// these namespaces only.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { BpftraceCapture } from './lib/bpftrace';
import { run } from './lib/exec';
import { withLab } from './lib/lab';
import { probe } from './lib/probe';
import { TestUser } from './lib/testUser';
import {
  sendRedirectFrames,
  setUpRemoteHost,
  waitFor,
  startTraceCli,
  type HostNet,
} from '../fixtures/capture/remoteHost';

const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'dist/cli.js');
const NET: HostNet = { name: 'xlsu', firstIfindex: 5101, hostileIfindex: 5140, subnet: '10.251' };
const USER = 'xlsuuser';
const SUDOERS = '/etc/sudoers.d/xlsu-test';

const startCli = startTraceCli;

const user = new TestUser(USER, SUDOERS);

void test(
  'remote capture as a non-root user through sudo -n',
  { skip: probe({ tools: ['/usr/sbin/sshd', 'ssh', 'ssh-keygen', 'sudo', 'visudo', 'useradd'] }) },
  async (t) => {
    assert.ok(fs.existsSync(cli), 'dist/cli.js missing: run npm run build (scripts/test.mjs builds first)');
    await withLab('xlsu-', async (lab) => {
      const h = await setUpRemoteHost(lab, NET);
      await user.remove(); // leftovers of a crashed run
      fs.appendFileSync(
        h.config,
        [
          'Host xlsu-sudo',
          `  HostName ${h.hostAddr}`,
          '  Port 2222',
          `  User ${USER}`,
          `  IdentityFile ${h.dir}/id_ed25519`,
          '  IdentitiesOnly yes',
          `  UserKnownHostsFile ${h.knownHosts}`,
          '  GlobalKnownHostsFile /dev/null',
          '',
        ].join('\n'),
      );
      try {
        user.create();

        await t.test('NOPASSWD sudo: `trace --sudo` counts equal a direct bpftrace run', async () => {
          user.writeSudoers(`${USER} ALL=(root) NOPASSWD: ALL`);
          const direct = await BpftraceCapture.start(
            'tracepoint:xdp:* { @cnt[probe] = count(); } tracepoint:xdp:xdp_redirect_err { @e[-args->err] = count(); }',
            lab,
          );
          const cap = startCli(h, ['--host', 'xlsu-sudo', '--duration', '0', '--sudo', '--json']);
          await waitFor(
            'the capture to attach',
            () => cap.stderr().includes('capturing with bpftrace') || /error/i.test(cap.stderr()),
          );
          assert.match(cap.stderr(), /capturing with bpftrace/, cap.stderr());
          sendRedirectFrames(h, 33); // b1 has no XDP program: EOPNOTSUPP for each
          await waitFor('the capture to see all frames', () =>
            /xdp:xdp_redirect_err=33\b/.test(cap.stderr()),
          );
          cap.kill();
          const code = await cap.done;
          const res = await direct.stop();
          assert.equal(code, 1, `stopped with Ctrl+C → exit 1 with a note; stderr: ${cap.stderr()}`);
          const out = JSON.parse(cap.stdout()) as {
            tracepoints: Record<string, number>;
            errno: Record<string, Record<string, number>>;
          };
          const directCounts = Object.fromEntries(
            Object.entries(res.maps['@cnt'] as Record<string, number>).map(([k, v]) => [
              k.replace(/^tracepoint:/, ''),
              v,
            ]),
          );
          assert.deepEqual(out.tracepoints, directCounts);
          assert.equal(out.tracepoints['xdp:xdp_redirect_err'], 33);
          assert.deepEqual(out.errno['xdp:xdp_redirect_err'], {
            EOPNOTSUPP: (res.maps['@e'] as Record<string, number>)['95'],
          });
          // The tracer really ran as root through sudo: nothing of ours is left on the host.
          const ps = run(['ps', '-eo', 'user,args']).stdout;
          assert.doesNotMatch(ps, /^root\s+sudo -n .*bpftrace/m);
        });

        await t.test(
          'sudo that wants a password: a clear message, no hang',
          { timeout: 60_000 },
          async () => {
            user.writeSudoers(`${USER} ALL=(root) ALL`);
            // A real password, so sudo would ask for it if -n were missing.
            run(['sh', '-c', `echo '${USER}:xlsu-Pw-1' | chpasswd`]);
            const cap = startCli(h, ['--host', 'xlsu-sudo', '--duration', '1', '--sudo']);
            // "No hang": the run must end by itself; a prompt would wait forever (the test's own timeout).
            const code = await cap.done;
            assert.equal(code, 2, cap.stderr());
            assert.match(
              cap.stderr(),
              new RegExp(
                `user ${USER} \\(uid \\d+\\) is not root and cannot run 'sudo -n' without a password`,
              ),
            );
            assert.doesNotMatch(cap.stderr(), /xlsu-Pw-1/);
          },
        );
      } finally {
        await user.remove();
      }
      assert.ok(!fs.existsSync(SUDOERS), 'the sudoers drop-in is removed');
      assert.notEqual(run(['id', USER], { allowFailure: true }).status, 0, `user ${USER} is removed`);
    });
  },
);
