// `xdp-lab simulate` end to end (../shared/specs/cli.md): the example scenario compiled by the real
// clang and run in the real VM gives the kernel's numbers (examples/redirect.bpf.c: port 8 → r2
// whose peer runs XDP_PASS, port 9 → r3 whose peer has no XDP → EOPNOTSUPP); --events is
// perf-script text that the capture parser folds to the same summary; bad input exits 2 with one
// line naming the JSON path. Needs clang only (no root): skipped with one line without it.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main';
import { buildFrame } from '../../src/core/packet/frameBuilder';
import { PcapWriter, readPcap } from '../../src/core/packet/pcap';
import { summarize } from '../../src/core/trace/summary';
import { parsePerfScript } from '../../src/core/trace/perfScriptParse';
import { hasTool } from './lib/exec';

const root = path.resolve(import.meta.dirname, '../..');
const example = path.join(root, 'examples/redirect.xdpscenario.json');
const skip = hasTool('clang') ? undefined : 'clang is not installed';

async function cli(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const code = await main(argv, {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    readStdin: () => Promise.resolve(''),
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}

void test(
  'simulate --json on the example predicts 64 delivered and 16 EOPNOTSUPP drops',
  { skip },
  async () => {
    const r = await cli('simulate', example, '--json');
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as {
      tracepoints: Record<string, number>;
      errno: Record<string, Record<string, number>>;
      devmapXmit: { sent: number; drops: number };
      actions: Record<string, Record<string, number>>;
      devices: Record<string, { rxFrames: number; xdpRx: number; stack: number; drops: number }>;
    };
    assert.deepEqual(s.tracepoints, {
      'xdp:xdp_redirect': 64,
      'xdp:xdp_devmap_xmit': 64,
      'xdp:xdp_redirect_err': 16,
    });
    assert.deepEqual(s.errno, { 'xdp:xdp_redirect_err': { EOPNOTSUPP: 16 } });
    assert.deepEqual(s.devmapXmit, { sent: 64, drops: 0 });
    assert.deepEqual(s.actions.r1, { XDP_REDIRECT: 80 });
    assert.deepEqual(s.actions.c0, { XDP_PASS: 64 });
    assert.equal(s.devices.c0!.stack, 64);
    assert.equal(s.devices.r1!.drops, 16);
  },
);

void test(
  'simulate --events writes perf-script lines that fold to the same summary; runs are deterministic',
  { skip },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xlsim-cli-'));
    try {
      const a = await cli(
        'simulate',
        example,
        '--json',
        '--events',
        path.join(dir, 'a.txt'),
        '--pcap-dir',
        path.join(dir, 'pcap'),
      );
      const b = await cli('simulate', example, '--json', '--events', path.join(dir, 'b.txt'));
      assert.equal(a.code, 0, a.stderr);
      const text = fs.readFileSync(path.join(dir, 'a.txt'), 'utf8');
      assert.equal(text, fs.readFileSync(path.join(dir, 'b.txt'), 'utf8'), 'same scenario, same events');
      assert.equal(a.stdout, b.stdout, 'same scenario, same summary');
      assert.match(
        text.split('\n')[0]!,
        /^xdp:xdp_redirect: prog_id=\d+ action=REDIRECT ifindex=3 to_ifindex=4 err=0 map_id=\d+ map_index=0$/,
      );
      const parsed = parsePerfScript(text);
      assert.deepEqual(parsed.errors, []);
      const folded = summarize(parsed.events.map((e) => e.event));
      const s = JSON.parse(a.stdout) as { tracepoints: unknown; errno: unknown; devmapXmit: unknown };
      assert.deepEqual(folded.tracepoints, s.tracepoints);
      assert.deepEqual(folded.errno, s.errno);
      assert.deepEqual(folded.devmapXmit, s.devmapXmit);
      // What r2 transmitted towards c0: the 64 port-8 frames.
      const frames = readPcap(new Uint8Array(fs.readFileSync(path.join(dir, 'pcap', 'r2.pcap'))), 'r2.pcap', {
        maxFrames: 1000,
      });
      assert.equal(frames.length, 64);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

void test(
  'simulate: human output explains the errno; bad input exits 2 with one line naming the JSON path',
  { skip },
  async () => {
    const human = await cli('simulate', example);
    assert.equal(human.code, 0);
    assert.match(human.stdout, /EOPNOTSUPP\s+16\s+EOPNOTSUPP \(95\)/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xlsim-cli-'));
    try {
      const bad = path.join(dir, 'bad.xdpscenario.json');
      fs.writeFileSync(
        bad,
        JSON.stringify({ version: 1, devices: [{ name: 'a', kind: 'veth', peer: 'b', colour: 'red' }] }),
      );
      const r = await cli('simulate', bad);
      assert.equal(r.code, 2);
      assert.equal(r.stdout, '');
      assert.match(
        r.stderr,
        /^xdp-lab: .*bad\.xdpscenario\.json \$\.devices\[0\]\.colour : unknown field 'colour'/,
      );
      assert.equal(r.stderr.trim().split('\n').length, 1);
      fs.writeFileSync(bad, '{"version": 1, "programs": [{"name": "p", "file": "missing.o"}]}');
      const missing = await cli('simulate', bad);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /\$\.programs\[0\]\.file : .*missing\.o/);
      const none = await cli('simulate', path.join(dir, 'nope.json'));
      assert.equal(none.code, 2);
      assert.match(none.stderr, /nope\.json : cannot read: ENOENT/);
      const garbage = path.join(dir, 'g.json');
      fs.writeFileSync(garbage, Buffer.from([0xff, 0xfe, 0x00, 0x7b]));
      assert.equal((await cli('simulate', garbage)).code, 2);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

void test('simulate: pcap traffic injects every frame of the capture `count` times', { skip }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xlsim-cli-'));
  try {
    const w = new PcapWriter();
    for (const dport of [8, 8, 9]) w.add(buildFrame({ udp: { dst: '10.0.0.2', dport } }));
    fs.writeFileSync(path.join(dir, 'in.pcap'), w.bytes());
    fs.copyFileSync(path.join(root, 'examples/redirect.bpf.c'), path.join(dir, 'redirect.bpf.c'));
    const scenario = {
      version: 1,
      programs: [{ name: 'redir', file: 'redirect.bpf.c', function: 'xdp_redirect_udp' }],
      devices: [
        { name: 'eth0', kind: 'nic', driver: 'mlx5', xdp: { program: 'redir' } },
        { name: 'eth1', kind: 'nic', driver: 'mlx5' },
      ],
      maps: { tx_port: [{ key: 0, value: 'eth1' }] },
      traffic: [{ rx: 'eth0', pcap: 'in.pcap', count: 2 }],
    };
    const file = path.join(dir, 'p.xdpscenario.json');
    fs.writeFileSync(file, JSON.stringify(scenario));
    const r = await cli('simulate', file, '--json', '--pcap-dir', path.join(dir, 'out'));
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as {
      tracepoints: Record<string, number>;
      devices: Record<string, { stack: number; txFrames: number }>;
    };
    // Port 8 → slot 0 (eth1); port 9 → slot 1, empty → fallback XDP_PASS to the stack.
    assert.equal(s.tracepoints['xdp:xdp_redirect'], 4);
    assert.equal(s.devices.eth0!.stack, 2);
    assert.equal(s.devices.eth1!.txFrames, 4);
    assert.equal(
      readPcap(new Uint8Array(fs.readFileSync(path.join(dir, 'out', 'eth1.pcap'))), 'eth1.pcap', {
        maxFrames: 10,
      }).length,
      4,
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

void test(
  'Ctrl+C during a long simulate: progress on a terminal, then the counts so far (and the events file agrees), exit 130',
  { skip },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-simcli-int-'));
    try {
      // The example with 2 M frames to port 8: seconds of work, interrupted at the first progress line.
      const sc = JSON.parse(fs.readFileSync(example, 'utf8')) as {
        programs: { file: string }[];
        traffic: { count: number }[];
      };
      for (const p of sc.programs) p.file = path.join(path.dirname(example), p.file);
      (sc.traffic[0] as { count: number }).count = 2_000_000;
      const file = path.join(dir, 'long.xdpscenario.json');
      fs.writeFileSync(file, JSON.stringify(sc));
      const eventsFile = path.join(dir, 'events.txt');
      const ctl = new AbortController();
      let stdout = '';
      let stderr = '';
      const code = await main(['simulate', file, '--json', '--events', eventsFile], {
        stdout: (t) => void (stdout += t),
        stderr: (t) => {
          stderr += t;
          if (/simulating long\.xdpscenario\.json: [\d,]+ of 2,000,016 frames \(\d+ %\)/.test(t)) ctl.abort();
        },
        readStdin: () => Promise.resolve(''),
        signal: ctl.signal,
        interactive: true,
      });
      assert.equal(code, 130, stderr);
      const m = /interrupted after ([\d,]+) of 2,000,016 frames; the summary covers those/.exec(stderr);
      assert.ok(m, stderr);
      const injected = Number(m[1]?.replace(/,/g, ''));
      assert.ok(injected > 0 && injected < 2_000_016);
      const s = JSON.parse(stdout) as {
        tracepoints: Record<string, number>;
        actions: Record<string, Record<string, number>>;
      };
      assert.equal(s.actions.r1?.XDP_REDIRECT, injected, 'r1 ran once per injected frame');
      // The events file was closed with exactly the events the partial summary counts.
      const lines = fs.readFileSync(eventsFile, 'utf8').split('\n').filter(Boolean);
      assert.equal(
        lines.length,
        Object.values(s.tracepoints).reduce((a, b) => a + b, 0),
      );
      assert.deepEqual(
        summarize(parsePerfScript(lines.join('\n')).events.map((e) => e.event)).tracepoints,
        s.tracepoints,
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

void test(
  'simulate --tier wasm prints what --tier js prints (summary and events); an unknown tier exits 2',
  { skip },
  async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-simtier-'));
    try {
      const out: Record<string, { json: string; events: string }> = {};
      for (const tier of ['js', 'wasm']) {
        const events = path.join(dir, `${tier}.txt`);
        const r = await cli('simulate', example, '--json', '--events', events, '--tier', tier);
        assert.equal(r.code, 0, r.stderr);
        out[tier] = { json: r.stdout, events: fs.readFileSync(events, 'utf8') };
      }
      assert.ok((out.js?.events.length ?? 0) > 0);
      assert.deepEqual(out.wasm, out.js);
      const bad = await cli('simulate', example, '--tier', 'jit');
      assert.equal(bad.code, 2);
      assert.match(bad.stderr, /--tier must be one of js, wasm, auto, got 'jit'/);
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
