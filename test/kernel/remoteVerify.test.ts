// `xdp-lab verify --host` (issue #15 item 1) against a REAL remote host: OpenSSH's sshd in a network
// namespace (test/fixtures/capture/remoteHost.ts), the CLI run from a client namespace. An accepted and
// a rejected verifier fixture judged over ssh get the same verdict, message, instruction and line as
// a local `--kernel` (the same kernel: this machine's), through both host loaders (python3+libbpf, and
// bpftool); nothing stays loaded, pinned or in the host's /tmp; a down host or one without a loader is
// exit 2 with one line. Prefix xlrv-, ifindexes 5401-5441, 10.253.0.0/16 inside these namespaces only.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { ProgramVerdict, VerifyReport } from '../../src/core/verifier/verdict';
import { remoteVerifyObject } from '../../src/node/ssh/remoteVerify';
import { compileBpf } from './lib/compile';
import { run } from './lib/exec';
import { withLab } from './lib/lab';
import { probe } from './lib/probe';
import { TestUser } from './lib/testUser';
import { setUpRemoteHost, sshWrapper, type HostNet, type RemoteHost } from '../fixtures/capture/remoteHost';

const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'dist/cli.js');
const fixtureDir = path.join(root, 'test/fixtures/verifier');
const NET: HostNet = { name: 'xlrv', firstIfindex: 5401, hostileIfindex: 5440, subnet: '10.253' };
const USER = 'xlrvuser';
const SUDOERS = '/etc/sudoers.d/xlrv-test';

const user = new TestUser(USER, SUDOERS);

interface Out {
  code: number | null;
  stdout: string;
  stderr: string;
}

type RemoteJson = VerifyReport & { kernel: { release: string; host: string; loader: string } };

/** `xdp-lab verify ARGS` in the client namespace (remote) or here (local --kernel). */
function verifyCli(h: RemoteHost, args: readonly string[], remote: boolean): Out {
  const argv = [process.execPath, cli, 'verify', ...args];
  const r = spawnSync(
    remote ? 'nsenter' : (argv[0] as string),
    remote ? [`--net=/run/netns/${h.lab.ns('c')}`, ...argv] : argv.slice(1),
    // HOME in the lab: never the real ~/.ssh
    { encoding: 'utf8', env: { ...process.env, HOME: h.dir }, timeout: 120_000 },
  );
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** What must be equal between two kernels' verdicts of one program. */
const judged = (p: ProgramVerdict | undefined) =>
  p && {
    name: p.name,
    section: p.section,
    verdict: p.verdict,
    insnsProcessed: p.insnsProcessed,
    ...(p.error
      ? { message: p.error.message, insn: p.error.insn, file: p.error.file, line: p.error.line }
      : {}),
  };

/** Our traces on the host: tmp dirs, bpffs pin dirs, loaded fixture programs. */
function leftovers(): string[] {
  const tmp = fs.readdirSync('/tmp').filter((d) => /^xdp-lab-verify\.[A-Za-z0-9]{6}$/.test(d));
  const pins = fs.readdirSync('/sys/fs/bpf').filter((d) => d.startsWith('xdplab_verify_'));
  const progs = (JSON.parse(run(['bpftool', '-j', 'prog', 'list']).stdout) as { name?: string }[])
    .map((p) => p.name ?? '')
    .filter((n) => n === 'xdp_iph_check' || n === 'xdp_no_iph_check');
  return [...tmp.map((d) => `/tmp/${d}`), ...pins.map((d) => `/sys/fs/bpf/${d}`), ...progs];
}

void test(
  'verify --host: the remote kernel judges like the local one, leaving nothing behind',
  { skip: probe({ tools: ['/usr/sbin/sshd', 'ssh', 'ssh-keygen', 'bpftool', 'python3'] }) },
  async (t) => {
    assert.ok(fs.existsSync(cli), 'dist/cli.js missing: run npm run build (scripts/test.mjs builds first)');
    await withLab('xlrv-', async (lab) => {
      const h = await setUpRemoteHost(lab, NET);
      const objs = {
        accepted: compileBpf(path.join(fixtureDir, 'accept_iph_check.bpf.c'), path.join(lab.tmp, 'acc.o'), {
          includeDirs: [fixtureDir],
        }),
        rejected: compileBpf(
          path.join(fixtureDir, 'reject_no_iph_check.bpf.c'),
          path.join(lab.tmp, 'rej.o'),
          {
            includeDirs: [fixtureDir],
          },
        ),
      };
      const before = leftovers();
      assert.deepEqual(before, [], 'leftovers of an earlier run');

      for (const [kind, obj] of Object.entries(objs))
        await t.test(`${kind} fixture: same verdict and line over ssh as local --kernel`, () => {
          const local = verifyCli(h, [obj, '--kernel', '--json'], false);
          const remote = verifyCli(
            h,
            [obj, '--host', `${NET.name}-host`, '--ssh-config', h.config, '--json'],
            true,
          );
          const want = kind === 'accepted' ? 0 : 1;
          assert.equal(local.code, want, local.stderr);
          assert.equal(remote.code, want, remote.stderr);
          const l = JSON.parse(local.stdout) as VerifyReport;
          const r = JSON.parse(remote.stdout) as RemoteJson;
          assert.deepEqual(r.programs.map(judged), l.programs.map(judged));
          assert.deepEqual(r.kernel, { release: os.release(), host: `${NET.name}-host`, loader: 'libbpf' });
          if (kind === 'rejected') {
            assert.equal(r.programs[0]?.error?.line, 17, 'the line recorded in the fixture header');
            assert.match(r.programs[0]?.error?.message ?? '', /^invalid access to packet, off=22 size=1/);
          }
          const human = verifyCli(h, [obj, '--host', `${NET.name}-host`, '--ssh-config', h.config], true);
          assert.match(
            human.stdout,
            new RegExp(
              `^kernel ${os.release().replace(/[.+]/g, '\\$&')} on ${NET.name}-host \\(libbpf\\):$`,
              'm',
            ),
          );
          assert.deepEqual(leftovers(), []);
        });

      await t.test('the bpftool loader (a host without python3-libbpf) judges the same', async () => {
        const ssh = { sshPath: sshWrapper(h), batchMode: true };
        for (const obj of Object.values(objs)) {
          const bytes = new Uint8Array(fs.readFileSync(obj));
          const viaBpftool = await remoteVerifyObject({ host: `${NET.name}-host` }, ssh, bytes, {
            sudo: false,
            loader: 'bpftool',
          });
          const local = JSON.parse(verifyCli(h, [obj, '--kernel', '--json'], false).stdout) as VerifyReport;
          assert.equal(viaBpftool.kernel.loader, 'bpftool');
          assert.deepEqual(viaBpftool.notes, []);
          assert.deepEqual(viaBpftool.programs.map(judged), local.programs.map(judged));
        }
        assert.deepEqual(leftovers(), []);
      });

      await t.test("the editor's way: saves share one multiplexed connection (ControlMaster)", async () => {
        const sock = path.join(h.dir, 'cm-%C');
        const wrapper = sshWrapper(h);
        const ssh = { sshPath: wrapper, batchMode: true, controlPath: sock, controlPersistSeconds: 30 };
        const master = (op: 'check' | 'exit') =>
          run([wrapper, '-o', `ControlPath=${sock}`, '-O', op, `${NET.name}-host`], { allowFailure: true });
        try {
          const bytes = new Uint8Array(fs.readFileSync(objs.rejected));
          const a = await remoteVerifyObject({ host: `${NET.name}-host` }, ssh, bytes, { sudo: false });
          assert.equal(master('check').status, 0, 'a master connection stays after the first verify');
          const b = await remoteVerifyObject({ host: `${NET.name}-host` }, ssh, bytes, { sudo: false });
          assert.deepEqual(b.programs.map(judged), a.programs.map(judged));
          assert.equal(a.programs[0]?.error?.line, 17);
        } finally {
          master('exit');
        }
        assert.deepEqual(leftovers(), []);
      });

      await t.test('a down host: exit 2, one line', () => {
        fs.appendFileSync(
          h.config,
          fs
            .readFileSync(h.config, 'utf8')
            .split(/(?=^Host )/m)
            .find((b) => b.startsWith(`Host ${NET.name}-host`))
            ?.replace(`Host ${NET.name}-host`, `Host ${NET.name}-down`)
            .replace('Port 2222', 'Port 2299') ?? '',
        );
        const r = verifyCli(h, [objs.accepted, '--host', `${NET.name}-down`, '--ssh-config', h.config], true);
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stdout, '');
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.match(r.stderr, /^xdp-lab: xlrv-down : cannot reach xlrv-down: .*Connection refused/);
      });

      await t.test('a host without the tools: one line naming what to install', async () => {
        // Port 2223's PATH has neither python3 nor base64 (the script adds /usr/sbin, where bpftool is).
        const r = verifyCli(
          h,
          [objs.accepted, '--host', `${NET.name}-nobpftrace`, '--ssh-config', h.config],
          true,
        );
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
        assert.match(
          r.stderr,
          /^xdp-lab: xlrv-nobpftrace : the object did not arrive intact \(base64 -d failed/,
        );
        await assert.rejects(
          remoteVerifyObject(
            { host: `${NET.name}-nobpftrace` },
            { sshPath: sshWrapper(h), batchMode: true },
            new Uint8Array(fs.readFileSync(objs.accepted)),
            {
              sudo: false,
              loader: 'libbpf',
            },
          ),
          /neither bpftool \(install the Debian package bpftool\) nor python3 with libbpf \(python3 and libbpf1\)/,
        );
        assert.deepEqual(leftovers(), []);
      });

      await t.test(
        'a login that is not root: one line without --sudo; with a NOPASSWD rule and --sudo the same verdict',
        async () => {
          await user.remove(); // leftovers of a crashed run
          const block = fs
            .readFileSync(h.config, 'utf8')
            .split(/(?=^Host )/m)
            .find((b) => b.startsWith(`Host ${NET.name}-host`)) as string;
          fs.appendFileSync(
            h.config,
            block
              .replace(`Host ${NET.name}-host`, `Host ${NET.name}-user`)
              .replace('User root', `User ${USER}`),
          );
          try {
            user.create();
            const args = [objs.rejected, '--host', `${NET.name}-user`, '--ssh-config', h.config, '--json'];
            const noSudo = verifyCli(h, args, true);
            assert.equal(noSudo.code, 2, noSudo.stderr);
            assert.match(
              noSudo.stderr,
              new RegExp(
                `^xdp-lab: ${NET.name}-user : user ${USER} is not root: loading BPF programs needs root`,
              ),
            );
            const noRule = verifyCli(h, [...args, '--sudo'], true);
            assert.equal(noRule.code, 2, noRule.stderr);
            assert.match(noRule.stderr, /is not root and cannot run 'sudo -n' without a password/);

            user.writeSudoers(`${USER} ALL=(root) NOPASSWD: ALL`);
            const sudo = verifyCli(h, [...args, '--sudo'], true);
            assert.equal(sudo.code, 1, sudo.stderr);
            const local = JSON.parse(
              verifyCli(h, [objs.rejected, '--kernel', '--json'], false).stdout,
            ) as VerifyReport;
            assert.deepEqual(
              (JSON.parse(sudo.stdout) as RemoteJson).programs.map(judged),
              local.programs.map(judged),
            );
            assert.deepEqual(leftovers(), []);
          } finally {
            await user.remove();
          }
        },
      );
    });
  },
);
