// The frame stepper's data on the real example (clang-built program, ELF loader, VM trace mode,
// simulator): the run the extension does for the panel, then one frame stepped instruction by
// instruction. Skips without clang.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { PcapWriter, readPcap } from '../../src/core/packet/pcap';
import { parsePerfScript } from '../../src/core/trace/perfScriptParse';
import { runScenarioForView } from '../../src/extension/visualizer/runner';
import { visModel, visualizerProtocol } from '../../src/protocol/visualizer';

const haveClang = spawnSync('clang', ['--version']).status === 0;
const scenarioPath = path.resolve(import.meta.dirname, '../../examples/redirect.xdpscenario.json');
const run = () =>
  runScenarioForView({
    scenarioPath,
    maxEvents: 100_000,
    clangPath: 'clang',
    includePaths: [],
    clangArgs: [],
  });

void test(
  'the example runs for the panel: the model passes the schema and stepping is offered',
  { skip: !haveClang && 'no clang' },
  async () => {
    const out = await run();
    assert.equal(visModel.check(out.model, 'model'), undefined);
    assert.equal(out.model.stepping.available, true);
    assert.deepEqual(out.model.summary.errno['xdp:xdp_redirect_err'], { EOPNOTSUPP: 16 });
    assert.ok(
      out.inputs.some((f) => f.endsWith('redirect.bpf.c')),
      'saving the program re-runs',
    );
    assert.ok((out.pcaps.get('r2')?.length ?? 0) > 24, 'r2 transmitted frames, kept as pcap');
    assert.equal(out.pcaps, out.pcaps, 'the pcaps are joined once, on first use');
    // A frame's traffic number (Debug this frame): the frames made before its original, + 1.
    const runs = out.model.timeline.flatMap((e) => (e.k === 'run' ? [e.frame] : []));
    assert.ok(runs.length > 80);
    const numbers = runs.map((id) => out.trafficFrameNumber(id));
    assert.ok(
      numbers.every((n) => n !== undefined && n >= 1 && n <= 80),
      numbers.join(' '),
    );
    assert.equal(out.trafficFrameNumber(runs[0] as number), 1);
    assert.equal(Math.max(...numbers.map(Number)), 80, 'the 80 frames of the traffic');
    assert.equal(out.trafficFrameNumber(999_999_999), undefined);
  },
);

void test(
  'stepping frame 1: every instruction of redir() from pc 0 to exit, helper calls with their returns',
  { skip: !haveClang && 'no clang' },
  async () => {
    const out = await run();
    const first = out.model.timeline.find((e) => e.k === 'run');
    assert.ok(first && first.k === 'run');
    const trace = out.trace(first.frame);
    assert.equal(visualizerProtocol.traceFrame.result.check(trace, 'result'), undefined);
    assert.equal(trace.ok, true, trace.message);
    assert.equal(trace.program, 'redir');
    assert.equal(trace.device, 'r1');
    assert.equal(trace.action, 'XDP_REDIRECT');
    assert.ok(trace.file?.endsWith('redirect.bpf.c'));
    const steps = trace.steps;
    assert.equal(steps[0]?.pc, 0);
    assert.ok(steps.every((s) => s.regs.length === 11));
    assert.notEqual(steps[0]?.regs[1], '0x0', 'r1 holds the ctx pointer at entry');
    assert.match(steps[steps.length - 1]?.insn ?? '', /^95/, 'the last instruction is exit');
    const calls = steps.filter((s) => s.call);
    assert.deepEqual(
      calls.map((s) => `${s.call?.helper}@${s.line}`),
      ['bpf_map_lookup_elem@51', 'bpf_redirect_map@55'],
    );
    assert.notEqual(calls[0]?.call?.returned, '0x0', 'rx_count has the slot: the lookup returns a pointer');
    assert.equal(calls[1]?.call?.returned, '0x4', 'bpf_redirect_map returns XDP_REDIRECT');
    assert.ok(
      steps.some((s) => s.line === 39) && steps.some((s) => s.line === 50),
      'the bounds check and the key line run',
    );
    assert.equal(trace.packetIn, trace.packetOut, 'the program does not rewrite the frame');
  },
);

void test('frames that cannot be stepped say why', { skip: !haveClang && 'no clang' }, async () => {
  const out = await run();
  const r = out.trace(999_999);
  assert.equal(r.ok, false);
  assert.match(r.message ?? '', /not among the frames the run kept/);
});

void test(
  'exports: the event stream parses as perf script with the summary’s counts; each device’s pcap holds what it sent',
  { skip: !haveClang && 'no clang' },
  async () => {
    const out = await run();
    const parsed = parsePerfScript(out.eventsText());
    assert.deepEqual(parsed.errors, []);
    const counts: Record<string, number> = {};
    for (const e of parsed.events) counts[e.event.name] = (counts[e.event.name] ?? 0) + 1;
    assert.deepEqual(counts, out.model.summary.tracepoints);
    const r2 = out.pcaps.get('r2');
    assert.ok(r2);
    assert.equal(
      readPcap(r2, 'r2.pcap', { maxFrames: 10_000 }).length,
      out.model.devices.find((d) => d.name === 'r2')?.counters.txFrames,
    );
  },
);

void test(
  'a frame from a pcap entry steps on its own bytes: the 2nd frame of the file (to port 9) takes DEVMAP key 1',
  { skip: !haveClang && 'no clang' },
  async () => {
    // The file: three frames r2 sent in the example run (UDP to 10.0.0.2:8), the 2nd one readdressed to
    // port 9 — redir() keys the DEVMAP by the port (8 → key 0 → r2, 9 → key 1 → r3).
    const sent = readPcap((await run()).pcaps.get('r2') ?? new Uint8Array(), 'r2.pcap', {
      maxFrames: 10_000,
    }).slice(0, 3);
    assert.equal(sent.length, 3);
    const frames = sent.map((f) => f.slice());
    const second = frames[1] as Uint8Array;
    second[14 + 20 + 3] = 9; // UDP destination port, low byte (IPv4 header of 20 bytes)
    const w = new PcapWriter();
    for (const f of frames) w.add(f);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-trace-pcap-'));
    try {
      fs.writeFileSync(path.join(dir, 'in.pcap'), w.bytes());
      const example = JSON.parse(fs.readFileSync(scenarioPath, 'utf8')) as {
        programs: { file: string }[];
        traffic: unknown[];
      };
      for (const p of example.programs) p.file = path.join(path.dirname(scenarioPath), p.file);
      example.traffic = [{ from: 'a0', count: 2, pcap: 'in.pcap' }];
      const file = path.join(dir, 'pcap.xdpscenario.json');
      fs.writeFileSync(file, JSON.stringify(example));
      const out = await runScenarioForView({
        scenarioPath: file,
        maxEvents: 100_000,
        clangPath: 'clang',
        includePaths: [],
        clangArgs: [],
      });
      // Six frames in injection order: the file twice over. The 5th (index 4) is the file's 2nd.
      const roots = [
        ...new Set(out.model.timeline.flatMap((e) => (e.k === 'run' && e.device === 'r1' ? [e.frame] : []))),
      ];
      assert.equal(roots.length, 6);
      const trace = out.trace(roots[4] as number);
      assert.equal(trace.ok, true, trace.message);
      assert.equal(trace.packetIn, Buffer.from(second).toString('hex'));
      const keyLine = trace.steps.find((s) => s.call?.helper === 'bpf_redirect_map');
      assert.equal(keyLine?.regs[2], '0x1', 'bpf_redirect_map(&tx_port, key 1, …)');
      const first = out.trace(roots[0] as number);
      assert.equal(first.packetIn, Buffer.from(frames[0] as Uint8Array).toString('hex'));
      assert.equal(
        first.steps.find((s) => s.call?.helper === 'bpf_redirect_map')?.regs[2],
        '0x0',
        'the 1st frame (port 8) takes key 0',
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);
