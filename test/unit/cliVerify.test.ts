// `xdp-lab verify` (../shared/specs/cli.md "verify") on the built bundle: the JSON shape, exit codes,
// the human `file:line: message` form, and bad input as one line with exit 2. The verdicts expected
// are the real kernel's, recorded in line 1 of each fixture (test/fixtures/verifier/README.md).
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import type { VerifyReport } from '../../src/core/verifier/verdict';
import { verifierFixtures } from '../fixtures/verifier/fixtures';

const cli = (...args: string[]) =>
  spawnSync(process.execPath, ['dist/cli.js', 'verify', ...args], { encoding: 'utf8' });
const obj = (name: string): string => `test/fixtures/verifier/obj/${name}.bpf.o`;
const kernel = (name: string) => verifierFixtures().find((f) => f.name === name)?.kernel;

test('verify --json: a rejected program has the kernel verdict, message and source line; exit 1', () => {
  const r = cli(obj('reject_no_iph_check'), '--json');
  const k = kernel('reject_no_iph_check');
  assert.equal(k?.verdict, 'rejected');
  const report = JSON.parse(r.stdout) as VerifyReport;
  assert.equal(report.programs.length, 1);
  const p = report.programs[0];
  assert.equal(p?.name, 'xdp_no_iph_check');
  assert.equal(p?.section, 'xdp');
  assert.equal(p?.verdict, 'rejected', JSON.stringify(p));
  assert.ok(typeof p.insnsProcessed === 'number');
  if (k?.verdict === 'rejected') {
    assert.equal(p.error?.message, k.message);
    assert.equal(p.error?.line, k.line);
  }
  // The kernel prints the file's base name; ours may keep the path clang recorded.
  assert.equal(path.basename(p.error?.file ?? ''), 'reject_no_iph_check.bpf.c');
  assert.ok(Array.isArray(p.error?.path));
  assert.equal(r.status, 1);
});

test('verify: an accepted program exits 0 and says so with the instructions processed', () => {
  const r = cli(obj('accept_iph_check'));
  assert.equal(r.status, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /^xdp_iph_check \(xdp\): accepted, \d+ instructions processed$/m);
});

test('verify (human): program, verdict and `file:line: message`', () => {
  const r = cli(obj('reject_map_value_or_null'));
  const k = kernel('reject_map_value_or_null');
  assert.equal(r.status, 1);
  assert.match(r.stdout, /^xdp_map_value_or_null \(xdp\): rejected after \d+ instructions$/m);
  if (k?.verdict === 'rejected')
    assert.ok(r.stdout.includes(`reject_map_value_or_null.bpf.c:${k.line}: ${k.message}\n`), r.stdout);
});

test('verify --prog: an unknown name is bad input naming the programs there', () => {
  const r = cli(obj('accept_iph_check'), '--prog', 'nope');
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(
    r.stderr,
    /^xdp-lab: .*accept_iph_check\.bpf\.o : no XDP program named 'nope' \(programs: xdp_iph_check\)\n$/,
  );
});

test('verify: bad input is one line on stderr and exit 2 (garbage, not an ELF, no XDP program, no file)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-verify-test-'));
  try {
    const garbage = path.join(dir, 'garbage.o');
    fs.writeFileSync(
      garbage,
      Uint8Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 0xff),
    );
    const text = path.join(dir, 'text.o');
    fs.writeFileSync(text, 'not an object\n');
    const elfHead = path.join(dir, 'truncated.o');
    fs.writeFileSync(elfHead, fs.readFileSync(obj('accept_iph_check')).subarray(0, 100));
    for (const [args, why] of [
      [[garbage], /garbage\.o : /],
      [[text], /text\.o : /],
      [[elfHead], /truncated\.o : /],
      [[obj('tc_only')], /tc_only\.bpf\.o : the object has no XDP program/],
      [[path.join(dir, 'missing.o')], /missing\.o : cannot read/],
      [[], /verify : missing OBJ/],
      [[obj('accept_iph_check'), '--frobnicate'], /unknown option --frobnicate/],
      // --host: a name that would be an ssh option, a bad port (nothing is run)
      [[obj('accept_iph_check'), '--host', '-oProxyCommand=x'], /-oProxyCommand=x : invalid host name/],
      [[obj('accept_iph_check'), '--host', 'h:99999'], /h:99999 : port 99999 is out of range/],
    ] as const) {
      const r = cli(...args);
      assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^xdp-lab: /);
      assert.match(r.stderr, why);
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('run and simulate: a program the verifier rejects still runs, with one warning line naming the rejection', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-verify-run-'));
  try {
    const k = kernel('reject_no_iph_check');
    const warning =
      k?.verdict === 'rejected'
        ? `reject_no_iph_check.bpf.c:${k.line}: ${k.message.split('\n').join(' — ')}\n`
        : '';
    const frame = path.join(dir, 'frame.bin');
    fs.writeFileSync(frame, new Uint8Array(64));
    const run = (o: string) =>
      spawnSync(process.execPath, ['dist/cli.js', 'run', obj(o), '--data', frame, '--json'], {
        encoding: 'utf8',
      });
    const r = run('reject_no_iph_check');
    const lines = r.stderr.split('\n').filter((l) => l.startsWith('warning: '));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0] ?? '', /^warning: the kernel's verifier would reject xdp_no_iph_check: \S*/);
    assert.ok(warning && `${lines[0] ?? ''}\n`.endsWith(warning), r.stderr);
    assert.ok(JSON.parse(r.stdout), 'it still ran');
    assert.equal(run('accept_iph_check').stderr, '', 'no warning for an accepted program');

    fs.copyFileSync(obj('reject_no_iph_check'), path.join(dir, 'prog.o'));
    const scenario = path.join(dir, 's.xdpscenario.json');
    fs.writeFileSync(
      scenario,
      JSON.stringify({
        version: 1,
        programs: [{ name: 'p', file: 'prog.o', function: 'xdp_no_iph_check' }],
        devices: [
          { name: 'a0', kind: 'veth', peer: 'r1' },
          { name: 'r1', kind: 'veth', peer: 'a0', xdp: { program: 'p', mode: 'native' } },
        ],
        traffic: [{ from: 'a0', count: 2, frame: { udp: { dst: '10.0.0.2', dport: 9 } } }],
      }),
    );
    const s = spawnSync(process.execPath, ['dist/cli.js', 'simulate', scenario, '--json'], {
      encoding: 'utf8',
    });
    assert.equal(s.status, 0, s.stderr);
    assert.ok(
      s.stderr
        .split('\n')
        .some(
          (l) => l.startsWith("warning: the kernel's verifier would reject") && `${l}\n`.endsWith(warning),
        ),
      s.stderr,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('verify FILE.c -D: a macro picks the configuration clang compiles (#ifdef knobs), as clang -D does', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-verify-D-'));
  try {
    const src = path.join(dir, 'knob.bpf.c');
    fs.writeFileSync(
      src,
      [
        '#include <linux/bpf.h>',
        '#include <linux/if_ether.h>',
        '#include <linux/ip.h>',
        '#include <bpf/bpf_helpers.h>',
        'SEC("xdp")',
        'int xdp_knob(struct xdp_md *ctx)',
        '{',
        '\tvoid *data = (void *)(long)ctx->data, *data_end = (void *)(long)ctx->data_end;',
        '\tstruct iphdr *iph = data + sizeof(struct ethhdr);',
        '\tif (data + sizeof(struct ethhdr) > data_end)',
        '\t\treturn XDP_DROP;',
        '#ifdef CHECK_IPH',
        '\tif ((void *)(iph + 1) > data_end)',
        '\t\treturn XDP_DROP;',
        '#endif',
        '\treturn iph->ttl > TTL_MIN ? XDP_PASS : XDP_DROP;',
        '}',
        'char LICENSE[] SEC("license") = "GPL";',
        '',
      ].join('\n'),
    );
    const without = cli(src, '-DTTL_MIN=1', '--json');
    assert.equal(without.status, 1, without.stderr);
    const w = JSON.parse(without.stdout) as VerifyReport;
    assert.match(w.programs[0]?.error?.message ?? '', /^invalid access to packet/);
    assert.equal(w.programs[0]?.error?.line, 16);
    const withCheck = cli(src, '-D', 'CHECK_IPH', '--define', 'TTL_MIN=1');
    assert.equal(withCheck.status, 0, withCheck.stdout + withCheck.stderr);
    assert.match(withCheck.stdout, /^xdp_knob \(xdp\): accepted/m);
    // Without TTL_MIN clang itself refuses: its error is bad input, exit 2.
    const undef = cli(src);
    assert.equal(undef.status, 2);
    assert.match(undef.stderr, /TTL_MIN/);
    // A malformed macro or -D on an object is a usage error naming it.
    const bad = cli(src, '-D', '1X=2');
    assert.equal(bad.status, 2);
    assert.match(bad.stderr, /-D '1X=2' is not NAME or NAME=VALUE/);
    const onObj = cli(obj('accept_iph_check'), '-DX');
    assert.equal(onObj.status, 2);
    assert.match(onObj.stderr, /-D applies to compiling a \.c file/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
