// `xdp-lab import` against a REAL host: sshd in network namespace h (test/fixtures/capture/remoteHost.ts),
// three more namespaces s, y, z joined to h by veth pairs, examples/redirect.bpf.c loaded by bpftool
// with xdp_redirect_udp on h's r0 and xdp_pass on y0, tx_port filled from inside h. The import (dist/cli.js
// from the client namespace) must see the namespaces, peers, programs (matched by kernel tag) and the
// devmap as device names; the imported scenario with traffic added must predict what a real run of the
// same frames gives (bpftrace counts); an unreachable host is one line and exit 2 (a host without
// bpftool/ip is the unit test of hostSnapshot: the script finds them in /usr/sbin on this one). Prefix xlim-, ifindexes 5301-5399, subnet 10.253.0.0/16.
import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main';
import { BpftraceCapture, xdpCountScript } from './lib/bpftrace';
import { attachXdp, loadAll, mapUpdate } from './lib/bpftool';
import { compileBpf } from './lib/compile';
import { withLab } from './lib/lab';
import { probe } from './lib/probe';
import { sendFrames, udpFrame } from './lib/traffic';
import { setUpRemoteHost, type HostNet, type RemoteHost } from '../fixtures/capture/remoteHost';

const root = path.resolve(import.meta.dirname, '../..');
const cli = path.join(root, 'dist/cli.js');
const NET: HostNet = { name: 'xlim', firstIfindex: 5301, hostileIfindex: 5340, subnet: '10.253' };
const IX = { r0: 5310, s0: 5311, r1: 5312, y0: 5313, r2: 5314, z0: 5315 };

/** `xdp-lab import --ssh-config <lab's> ARGS` in the client namespace; its exit and output. */
async function importCli(
  h: RemoteHost,
  args: readonly string[],
): Promise<{ code: number | null; out: string; err: string }> {
  const child = h.lab.track(
    spawn(
      'nsenter',
      [
        `--net=/run/netns/${h.lab.ns('c')}`,
        process.execPath,
        cli,
        'import',
        '--ssh-config',
        h.config,
        ...args,
      ],
      { detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, HOME: h.dir } },
    ),
  );
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const code = await new Promise<number | null>((resolve) => child.once('close', resolve));
  return { code, out, err };
}

async function simulateJson(
  file: string,
): Promise<{ code: number; json: Record<string, unknown>; err: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(['simulate', file, '--json'], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    readStdin: () => Promise.resolve(''),
    signal: new AbortController().signal,
  });
  return { code, json: code === 0 ? (JSON.parse(stdout) as Record<string, unknown>) : {}, err: stderr };
}

interface ImportJson {
  host: string;
  kernel: string;
  programs: Array<{ name: string; id: number; tag: string; file?: string }>;
  notes: string[];
  scenario: string;
}

void test(
  'import a host over ssh: namespaces, peers, programs by tag, maps; its prediction equals the real run',
  { skip: probe({ tools: ['/usr/sbin/sshd', 'ssh', 'ssh-keygen', 'bpftool', 'clang'] }) },
  async (t) => {
    assert.ok(fs.existsSync(cli), 'dist/cli.js missing: run npm run build (scripts/test.mjs builds first)');
    await withLab('xlim-', async (lab) => {
      const h = await setUpRemoteHost(lab, NET);
      for (const ns of ['s', 'y', 'z']) lab.netns(ns);
      lab.veth({ name: 'xlimr0', index: IX.r0, ns: 'h' }, { name: 'xlims0', index: IX.s0, ns: 's' });
      lab.veth({ name: 'xlimr1', index: IX.r1, ns: 'h' }, { name: 'xlimy0', index: IX.y0, ns: 'y' });
      lab.veth({ name: 'xlimr2', index: IX.r2, ns: 'h' }, { name: 'xlimz0', index: IX.z0, ns: 'z' });
      const objDir = path.join(lab.tmp, 'objs');
      fs.mkdirSync(objDir);
      const obj = compileBpf(path.join(root, 'examples/redirect.bpf.c'), path.join(objDir, 'redirect.o'));
      const loaded = loadAll(obj, lab.pinDir('ex'));
      const redir = loaded.progs.xdp_redirect_udp;
      const pass = loaded.progs.xdp_pass;
      const tx = loaded.maps.tx_port;
      assert.ok(redir && pass && tx, 'example programs not loaded');
      attachXdp(lab.ns('h'), 'xlimr0', redir.pin, 'native');
      attachXdp(lab.ns('y'), 'xlimy0', pass.pin, 'native');
      mapUpdate(tx.pin, 0, IX.r1, lab.ns('h')); // port 8 → r1 (its peer y0 runs XDP: delivered)
      mapUpdate(tx.pin, 1, IX.r2, lab.ns('h')); // port 9 → r2 (its peer z0 has none: EOPNOTSUPP)

      const outFile = path.join(lab.tmp, 'host.xdpscenario.json');
      const imp = await importCli(h, [
        '--host',
        `${NET.name}-host`,
        '--objects',
        objDir,
        '-o',
        outFile,
        '--json',
      ]);
      assert.equal(imp.code, 0, imp.err);
      const report = JSON.parse(imp.out) as ImportJson;
      assert.match(report.kernel, /^\d+\.\d+/);
      const sc = JSON.parse(fs.readFileSync(outFile, 'utf8')) as {
        programs: Array<{ name: string; file?: string; function?: string; tag?: string }>;
        devices: Array<Record<string, unknown>>;
        maps?: Record<string, Array<{ key: number; value: unknown }>>;
        traffic: unknown[];
      };
      const dev = (name: string) => sc.devices.find((d) => d.name === name);

      await t.test('devices of every namespace, veth peers across them, the login namespace once', () => {
        assert.equal(dev('xlimr0')?.netns, lab.ns('h'));
        assert.equal(dev('xlimr0')?.peer, 'xlims0');
        assert.equal(dev('xlims0')?.netns, lab.ns('s'));
        assert.equal(dev('xlimy0')?.peer, 'xlimr1');
        assert.equal(dev('xlimz0')?.kind, 'veth');
        assert.equal(dev('xlima0')?.peer, 'xlima1', 'a pair inside one namespace');
        assert.equal(dev('xlimr0')?.ifindex, IX.r0);
        // sshd runs in h (a named namespace): h's devices appear once, with h's name.
        assert.equal(sc.devices.filter((d) => d.name === 'xlimh0').length, 1);
        assert.equal(dev(`${lab.ns('h')}/lo`)?.kind, 'loopback');
      });

      await t.test(
        'attached programs matched to the local object by kernel tag; others listed by tag',
        () => {
          const x = dev('xlimr0')?.xdp as { program: string; mode: string };
          assert.equal(x.mode, 'native');
          const p = sc.programs.find((q) => q.name === x.program);
          assert.deepEqual(
            { file: p?.file, function: p?.function },
            { file: 'objs/redirect.o', function: 'xdp_redirect_udp' },
          );
          const y = dev('xlimy0')?.xdp as { program: string };
          assert.equal(sc.programs.find((q) => q.name === y.program)?.function, 'xdp_pass');
          // remoteHost's own redirect program (another object, not under --objects): by name, id, tag.
          const a0 = dev('xlima0')?.xdp as { program: string };
          const unknown = sc.programs.find((q) => q.name === a0.program);
          assert.equal(unknown?.file, undefined);
          assert.match(unknown?.tag ?? '', /^[0-9a-f]{16}$/);
          assert.equal(
            report.programs.find((q) => q.id === redir.id)?.file,
            'objs/redirect.o',
            'the report names the match by prog id',
          );
        },
      );

      await t.test('the devmap as device names of the namespace its program runs in', () => {
        assert.deepEqual(sc.maps?.tx_port, [
          { key: 0, value: 'xlimr1' },
          { key: 1, value: 'xlimr2' },
        ]);
      });

      await t.test(
        'simulate of the imported scenario with traffic equals the real run of those frames',
        async () => {
          const toPort = (dport: number) =>
            udpFrame({ srcIp: '10.253.9.1', dstIp: '10.253.9.2', dstPort: dport });
          const cap = await BpftraceCapture.start(
            xdpCountScript({ progId: redir.id, ifindexes: [IX.r0] }),
            lab,
          );
          assert.equal(sendFrames(lab.ns('s'), 'xlims0', toPort(8), 24), 24);
          assert.equal(sendFrames(lab.ns('s'), 'xlims0', toPort(9), 7), 7);
          const real = await cap.stop();
          const events = real.maps['@events'] as Record<string, number>;
          assert.equal(events['tracepoint:xdp:xdp_redirect'], 24);
          assert.equal(events['tracepoint:xdp:xdp_redirect_err'], 7);

          sc.traffic = [
            { from: 'xlims0', count: 24, frame: { udp: { src: '10.253.9.1', dst: '10.253.9.2', dport: 8 } } },
            { from: 'xlims0', count: 7, frame: { udp: { src: '10.253.9.1', dst: '10.253.9.2', dport: 9 } } },
          ];
          fs.writeFileSync(outFile, JSON.stringify(sc, null, 2));
          const sim = await simulateJson(outFile);
          assert.equal(sim.code, 0, sim.err);
          const s = sim.json as {
            tracepoints: Record<string, number>;
            errno: Record<string, Record<string, number>>;
            devmapXmit: { sent: number; drops: number };
          };
          assert.equal(s.tracepoints['xdp:xdp_redirect'], events['tracepoint:xdp:xdp_redirect']);
          assert.equal(s.tracepoints['xdp:xdp_redirect_err'], events['tracepoint:xdp:xdp_redirect_err']);
          assert.deepEqual(s.errno['xdp:xdp_redirect_err'], {
            EOPNOTSUPP: (real.maps['@err'] as Record<string, number>)['95'],
          });
          assert.equal(s.devmapXmit.sent, real.maps['@sent']);
        },
      );

      await t.test('an unreachable host: exit 2, one line, nothing on stdout', async () => {
        // Nothing listens on port 2299 of the host: the connection is refused before any key check.
        const r = await importCli(h, ['--host', `root@${h.hostAddr}:2299`]);
        assert.equal(r.code, 2);
        assert.match(r.err, /^xdp-lab: root@10\.253\.0\.2:2299 : cannot reach /);
        assert.equal(r.err.trim().split('\n').length, 1);
        assert.equal(r.out, '');
      });
    });
  },
);
