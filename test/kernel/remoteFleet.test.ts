// `xdp-lab trace --hosts` against REAL sshd (issue 15 item 3): two Host aliases of one sshd in a
// network namespace capture the same real redirect traffic at once while a third alias points at a
// port where nothing listens — that host fails with its reason, the other two complete, and the merged
// counts are their sum. Prefix xlfl-, ifindexes 5201-5299, addresses 10.252.0.0/16 in these namespaces.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import { test } from 'node:test';
import { withLab } from './lib/lab';
import { probe } from './lib/probe';
import {
  sendRedirectFrames,
  setUpRemoteHost,
  startTraceCli,
  waitFor,
  type HostNet,
} from '../fixtures/capture/remoteHost';

const NET: HostNet = { name: 'xlfl', firstIfindex: 5201, hostileIfindex: 5240, subnet: '10.252' };

interface FleetJson {
  merged: { tracepoints: Record<string, number>; errno: Record<string, Record<string, number>> };
  hosts: Record<
    string,
    { status: string; error?: string; kernel?: string; tracepoints?: Record<string, number> }
  >;
}

void test(
  'trace --hosts: a fleet captured at once, one host down, merged counts and a column per host',
  { skip: probe({ tools: ['/usr/sbin/sshd', 'ssh', 'ssh-keygen', 'bpftrace'] }) },
  async () => {
    await withLab('xlfl-', async (lab) => {
      const h = await setUpRemoteHost(lab, NET);
      // Two more names for the same sshd, and one for a port nobody listens on.
      const block = fs
        .readFileSync(h.config, 'utf8')
        .split(/^Host /m)
        .find((b) => b.startsWith(`${NET.name}-host`));
      assert.ok(block, 'the lab config has the host block');
      const body = block.split('\n').slice(1).join('\n');
      fs.appendFileSync(
        h.config,
        `Host ${NET.name}-a\n${body}\nHost ${NET.name}-b\n${body}\nHost ${NET.name}-down\n${body.replace(/Port 2222/, 'Port 2299')}\n`,
      );
      const down = `${NET.name}-down`;
      // `xlfl-?` is a pattern: it takes xlfl-a and xlfl-b of the config (not xlfl-host, xlfl-down).
      const cap = startTraceCli(h, ['--hosts', `${NET.name}-?,${down}`, '--duration', '0', '--json']);
      await waitFor(
        'both captures to attach and the down host to fail',
        () =>
          (/\[xlfl-a\] capturing with bpftrace/.test(cap.stderr()) &&
            /\[xlfl-b\] capturing with bpftrace/.test(cap.stderr()) &&
            new RegExp(`\\[${down}\\] failed: .*(refused|cannot reach)`).test(cap.stderr())) ||
          (cap.child.exitCode !== null && assert.fail(cap.stderr())),
        60_000,
      );
      assert.match(cap.stderr(), /capturing on 3 hosts: xlfl-a, xlfl-b, xlfl-down/);
      sendRedirectFrames(h, 30); // the target's peer has no XDP program: 30 × EOPNOTSUPP
      await waitFor(
        'both hosts to count every redirect error',
        () =>
          /\[xlfl-a\] \[\d+s\] .*xdp:xdp_redirect_err=30\b/.test(cap.stderr()) &&
          /\[xlfl-b\] \[\d+s\] .*xdp:xdp_redirect_err=30\b/.test(cap.stderr()),
      );
      cap.kill();
      const code = await cap.done;
      assert.equal(code, 1, `a failed host makes the fleet exit 1; stderr: ${cap.stderr()}`);
      assert.match(cap.stderr(), /1 of 3 hosts failed \(xlfl-down\)/);
      const out = JSON.parse(cap.stdout()) as FleetJson;
      assert.deepEqual(Object.keys(out.hosts).sort(), ['xlfl-a', 'xlfl-b', 'xlfl-down']);
      for (const name of ['xlfl-a', 'xlfl-b']) {
        const host = out.hosts[name];
        assert.ok(host && host.status !== 'failed', `${name}: ${JSON.stringify(host)}`);
        assert.equal(host.tracepoints?.['xdp:xdp_redirect_err'], 30);
        assert.match(host.kernel ?? '', /^\d+\.\d+/);
      }
      assert.equal(out.hosts[down]?.status, 'failed');
      assert.match(out.hosts[down]?.error ?? '', /Connection refused/);
      assert.equal(out.merged.tracepoints['xdp:xdp_redirect_err'], 60);
      assert.deepEqual(out.merged.errno['xdp:xdp_redirect_err'], { EOPNOTSUPP: 60 });
    });
  },
);
