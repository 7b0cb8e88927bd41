// `xdp-lab run` and `xdp-lab exec` against their contract (cli.md), on the built bundle
// (dist/cli.js, which `npm test` builds first) with the prebuilt fixture objects.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { after } from 'node:test';
import { buildFrame } from '../../core/packet/frameBuilder';

const root = path.resolve(__dirname, '../../..');
const obj = (n: string): string => path.join(root, 'test/fixtures/programs/obj', n);
const cli = (args: string[], input?: string) =>
  spawnSync(process.execPath, [path.join(root, 'dist/cli.js'), ...args], { encoding: 'utf8', input });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xlvm-cli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const file = (name: string, data: Uint8Array | string): string => {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, data);
  return p;
};
const udp9 = file('udp9.bin', buildFrame({ udp: { sport: 4000, dport: 9 } }));

void test('run --json: retval, action, data_out, every map, insns, nsPerRun; --maps preloads', () => {
  const maps = file(
    'maps.json',
    JSON.stringify({ tx_port: [{ key: 1, value: 5 }], rx_count: [{ key: '02000000', value: 7 }] }),
  );
  const r = cli(['run', obj('redirect.bpf.o'), '--data', udp9, '--maps', maps, '--repeat', '3', '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as Record<string, unknown> & {
    maps: Record<string, { key: string; value: string; values?: string[] }[]>;
  };
  assert.equal(out.retval, 4);
  assert.equal(out.action, 'XDP_REDIRECT');
  assert.equal(out.dataOut, Buffer.from(fs.readFileSync(udp9)).toString('hex'));
  assert.ok(typeof out.insns === 'number' && out.insns > 10);
  assert.ok(typeof out.nsPerRun === 'number' && out.nsPerRun > 0);
  assert.deepEqual(out.maps.tx_port, [{ key: '01000000', value: '05000000' }]);
  const slot1 = out.maps.rx_count!.find((e) => e.key === '01000000')!;
  assert.equal(slot1.value, '0300000000000000', 'three runs counted on CPU 0');
  assert.deepEqual(slot1.values, ['0300000000000000', '0000000000000000']);
  assert.equal(
    out.maps.rx_count!.find((e) => e.key === '02000000')!.value,
    '0700000000000000',
    'preloaded on every CPU',
  );
  assert.equal(out.maps.rx_count!.length, 8, 'array maps list all entries');
});

void test('run: a fault is exit 1 with {fault: {pc, line, message}}; bad input is exit 2 with one line', () => {
  const runt = file('runt20.bin', buildFrame({ udp: {} }).slice(0, 20));
  const f = cli(['run', obj('oob.bpf.o'), '--data', runt, '--json']);
  assert.equal(f.status, 1);
  const fault = (JSON.parse(f.stdout) as { fault: { pc: number; line: string; message: string } }).fault;
  assert.match(fault.line, /^oob\.bpf\.c:\d+$/);
  assert.match(fault.message, /packet access out of bounds/);
  const bad = (args: string[], pattern: RegExp): void => {
    const r = cli(args);
    assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, pattern);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  };
  bad(
    ['run', obj('redirect.bpf.o'), '--data', file('runt.bin', new Uint8Array(13))],
    /^xdp-lab: .*runt\.bin : the frame is 13 bytes; BPF_PROG_TEST_RUN refuses frames shorter than 14/,
  );
  bad(
    [
      'run',
      file('garbage.o', 'hello world, not an object at all.....................................'),
      '--data',
      udp9,
    ],
    /not an ELF object/,
  );
  bad(['run', obj('kfunc.bpf.o'), '--data', udp9], /kfunc call to 'bpf_xdp_metadata_rx_timestamp'/);
  bad(
    ['run', obj('redirect.bpf.o'), '--data', udp9, '--prog', 'nope'],
    /no XDP program named 'nope' \(programs: xdp_redirect_udp, xdp_pass\)/,
  );
  bad(
    [
      'run',
      obj('redirect.bpf.o'),
      '--data',
      udp9,
      '--maps',
      file('m.json', '{"tx_port":[{"key":99,"value":5}]}'),
    ],
    /E2BIG/,
  );
  bad(
    ['run', obj('redirect.bpf.o'), '--data', path.join(tmp, 'missing.bin')],
    /missing\.bin : cannot read the frame/,
  );
  bad(['run', obj('redirect.bpf.o')], /missing --data/);
});

void test('exec: r0 in lower-case hex; memory in r1; failures are one line and exit 1', () => {
  // r0 = *(u32 *)(r1 + 0) + 1; exit
  const prog = '61100000000000000700000001000000' + '9500000000000000';
  const r = cli(['exec', '--program', prog, 'feffffff']);
  assert.equal(r.status, 0, r.stdout);
  assert.equal(r.stdout, 'ffffffff\n', 'ldxw zero-extends; 0xfffffffe + 1');
  const stdin = cli(['exec'], 'b7000000ffffffff9500000000000000\n');
  assert.equal(stdin.stdout, 'ffffffffffffffff\n');
  const oob = cli(['exec', '--program', prog, 'ff']);
  assert.equal(oob.status, 1);
  assert.match(oob.stdout, /^fault at pc 0: out-of-bounds read of 4 bytes/);
  const bad = cli(['exec', '--program', 'ff00000000000000']);
  assert.equal(bad.status, 1);
  assert.match(bad.stdout, /^load failed: pc 0:/);
});

void test('exec --budget N (0 = unlimited) and --tier js|wasm|auto give the same answers', () => {
  // r0 = 0; r1 = 3_000_000; loop: r0 += 1; r1 -= 1; if r1 != 0 goto loop; exit (9 M instructions)
  const loop =
    'b700000000000000' +
    'b7010000c0c62d00' +
    '0700000001000000' +
    '1701000001000000' +
    '5501fdff00000000' +
    '9500000000000000';
  const capped = cli(['exec', '--program', loop]);
  assert.equal(capped.status, 1);
  assert.match(
    capped.stdout,
    /^fault at pc 4: instruction budget exhausted after \d+ instructions \(limit 1000000\)/,
  );
  for (const tier of ['js', 'wasm', 'auto']) {
    const r = cli(['exec', '--program', loop, '--budget', '0', '--tier', tier]);
    assert.equal(r.stdout, '2dc6c0\n', `${tier}: ${r.stdout}`);
    const small = cli(['exec', '--program', loop, '--budget', '100', '--tier', tier]);
    assert.match(small.stdout, /budget exhausted after \d+ instructions \(limit 100\)/, tier);
    const oob = cli([
      'exec',
      '--program',
      '61100000000000000700000001000000' + '9500000000000000',
      'ff',
      '--tier',
      tier,
    ]);
    assert.match(oob.stdout, /^fault at pc 0: out-of-bounds read of 4 bytes at offset 0 of memory/, tier);
  }
  const badTier = cli(['exec', '--program', loop, '--tier', 'jit']);
  assert.equal(badTier.status, 2);
  assert.match(badTier.stderr, /--tier must be one of js, wasm, auto/);
  assert.equal(cli(['exec', '--program', loop, '--budget', '-1']).status, 2);
});

void test('run --tier wasm gives the js tier JSON (maps, data_out, faults); --budget 0 is unlimited', () => {
  const maps = file('maps-tier.json', JSON.stringify({ tx_port: [{ key: 1, value: 5 }] }));
  const strip = (s: string): unknown => {
    const o = JSON.parse(s) as Record<string, unknown>;
    delete o.nsPerRun;
    return o;
  };
  const args = ['run', obj('redirect.bpf.o'), '--data', udp9, '--maps', maps, '--repeat', '3', '--json'];
  const js = cli([...args, '--tier', 'js']);
  const wasm = cli([...args, '--tier', 'wasm', '--budget', '0']);
  assert.equal(wasm.status, 0, wasm.stderr);
  assert.deepEqual(strip(wasm.stdout), strip(js.stdout));
  const runt = file('runt20-tier.bin', buildFrame({ udp: {} }).slice(0, 20));
  const f = (tier: string): unknown =>
    strip(cli(['run', obj('oob.bpf.o'), '--data', runt, '--json', '--tier', tier]).stdout);
  assert.deepEqual(f('wasm'), f('js'));
  assert.equal(cli([...args, '--tier', 'fast']).status, 2);
});

void test('run --global NAME=VALUE sets knobs before the run; an unknown name is exit 2 naming the globals', () => {
  const frame = file('knobs.bin', buildFrame({ udp: { dport: 53 }, length: 80 }));
  const r = cli([
    'run',
    obj('knobs.bpf.o'),
    '--data',
    frame,
    '--global',
    'mode=XDP_DROP',
    '--global',
    'port=0x1f90',
    '--json',
  ]);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { retval: number; dataOut: string };
  assert.equal(out.retval, 1);
  assert.equal(out.dataOut.slice(28, 32), '901f', 'port as the program read it');
  const bad = cli(['run', obj('knobs.bpf.o'), '--data', frame, '--global', 'nope=1']);
  assert.equal(bad.status, 2);
  assert.match(
    bad.stderr,
    /^xdp-lab: --global : no global variable 'nope' \(the object has: port, enabled, delta, mode, label, allowed, pair, hits, total\)\n$/,
  );
  const unfit = cli(['run', obj('knobs.bpf.o'), '--data', frame, '--global', 'delta=300']);
  assert.equal(unfit.status, 2);
  assert.match(unfit.stderr, /delta.*does not fit a 1-byte signed integer/);
});

void test('run: a reached poisoned CO-RE relocation is a fault naming the relocation and its line', () => {
  const frame = file('poison.bin', buildFrame({ udp: {}, length: 80 }));
  const r = cli(['run', obj('corepoison.bpf.o'), '--data', frame, '--json']);
  assert.equal(r.status, 1, r.stderr);
  const fault = (JSON.parse(r.stdout) as { fault: { line: string; message: string } }).fault;
  assert.match(fault.line, /^corepoison\.bpf\.c:22$/);
  assert.match(
    fault.message,
    /call 0xbad2310.*failed to resolve CO-RE relocation <byte_off> struct sk_buff___gone\.xdplab_not_in_any_kernel/,
  );
});

void test('run: maps left at max_entries 0 are sized to the CPUs with a note; --map-size NAME=N sizes them', () => {
  const r = cli(['run', obj('sizedmaps.bpf.o'), '--data', udp9, '--cpus', '4', '--cpu', '1', '--json']);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stderr, /note: map 'err_cnt' has max_entries 0 .*sized to 4 .*--map-size err_cnt=N/);
  assert.equal((JSON.parse(r.stdout) as { action: string }).action, 'XDP_ABORTED', 'key 7 of 4: a miss');
  const s = cli([
    'run',
    obj('sizedmaps.bpf.o'),
    '--data',
    udp9,
    '--cpus',
    '4',
    '--cpu',
    '1',
    '--map-size',
    'err_cnt=8',
    '--json',
  ]);
  assert.equal(s.status, 0, s.stderr);
  assert.doesNotMatch(s.stderr, /'err_cnt'/);
  assert.equal((JSON.parse(s.stdout) as { action: string }).action, 'XDP_PASS');
  for (const bad of ['err_cnt', 'err_cnt=0', 'nope=4']) {
    const b = cli(['run', obj('sizedmaps.bpf.o'), '--data', udp9, '--map-size', bad]);
    assert.equal(b.status, 2, bad);
    assert.match(b.stderr, /--map-size/);
  }
});

void test('run --conntrack FILE: the conntrack kfuncs see its entries; the table after the run is in the JSON', () => {
  const ct = file(
    'ct.json',
    JSON.stringify([{ proto: 'tcp', src: '10.0.0.1', sport: 40000, dst: '10.0.0.2', dport: 80, mark: 42 }]),
  );
  const tcp = file(
    'tcp.bin',
    buildFrame({ ipv4: { src: '10.0.0.2', dst: '10.0.0.1' }, tcp: { sport: 80, dport: 40000 } }),
  );
  const r = cli(['run', obj('conntrack.bpf.o'), '--data', tcp, '--conntrack', ct, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { action: string; conntrack: Record<string, unknown>[] };
  assert.equal(out.action, 'XDP_PASS', 'found in the reply direction');
  assert.deepEqual(out.conntrack, [
    {
      proto: 'tcp',
      src: '10.0.0.1',
      sport: 40000,
      dst: '10.0.0.2',
      dport: 80,
      status: 14,
      mark: 42,
      timeout: 60,
    },
  ]);
  const bad = file(
    'ct-bad.json',
    JSON.stringify([{ proto: 'sctp', src: '10.0.0.1', sport: 1, dst: '10.0.0.2', dport: 2 }]),
  );
  const b = cli(['run', obj('conntrack.bpf.o'), '--data', tcp, '--conntrack', bad]);
  assert.equal(b.status, 2);
  assert.match(b.stderr, /ct-bad\.json.*\$\[0\]\.proto: 'sctp' is not tcp or udp/);
});
