// Proves the kernel tier really runs: a real XDP program attached natively to a real veth in a
// namespace aborts 5 real frames, and bpftrace sees exactly 5 xdp:xdp_exception events of that
// program on that ifindex. (Rig: netns prefix xlrig-, ifindexes 6000-6099.)
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { attachXdp, loadAll, progRun } from './lib/bpftool';
import { BpftraceCapture } from './lib/bpftrace';
import { compileBpf } from './lib/compile';
import { run } from './lib/exec';
import { Lab, withLab } from './lib/lab';
import { PerfCapture } from './lib/perf';
import { probe } from './lib/probe';
import { sendFrames, udpFrame } from './lib/traffic';

const ABORT_C = `
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
SEC("xdp")
int xdp_abort(struct xdp_md *ctx) { return XDP_ABORTED; }
char LICENSE[] SEC("license") = "GPL";
`;

const FRAMES = 5;

void test(
  'kernel lab: 5 frames into a native XDP_ABORTED program give exactly 5 xdp:xdp_exception events',
  { skip: probe() },
  async () => {
    await withLab('xlrig-', async (lab) => {
      lab.netns('a');
      lab.netns('b');
      lab.veth({ name: 'xlrig0', index: 6001, ns: 'a' }, { name: 'xlrig1', index: 6002, ns: 'b' });
      const obj = compileBpf(ABORT_C, path.join(lab.tmp, 'abort.o'));
      const loaded = loadAll(obj, lab.pinDir('smoke'));
      const prog = loaded.progs.xdp_abort;
      assert.ok(prog, `xdp_abort not pinned; got ${Object.keys(loaded.progs).join(', ')}`);
      attachXdp(lab.ns('b'), 'xlrig1', prog.pin, 'native');

      const cap = await BpftraceCapture.start(
        `tracepoint:xdp:xdp_exception /args->prog_id == ${prog.id}/ { @exc[args->ifindex, args->act] = count(); @all = count(); }`,
        lab,
      );
      assert.equal(sendFrames(lab.ns('a'), 'xlrig0', udpFrame(), FRAMES), FRAMES);
      const res = await cap.stop();
      // act 0 = XDP_ABORTED on ifindex 6002 (the receiving end), nothing else.
      assert.deepEqual(res.maps['@exc'], { '6002,0': FRAMES }, JSON.stringify(res.maps));
      assert.equal(res.maps['@all'], FRAMES);
    });
  },
);

void test(
  'kernel lab: perf record sees the same xdp_exception events with prog_id and ifindex',
  { skip: probe() },
  async () => {
    await withLab('xlrig-', async (lab) => {
      lab.netns('a');
      lab.netns('b');
      lab.veth({ name: 'xlrig0', index: 6003, ns: 'a' }, { name: 'xlrig1', index: 6004, ns: 'b' });
      const obj = compileBpf(ABORT_C, path.join(lab.tmp, 'abort.o'));
      const prog = loadAll(obj, lab.pinDir('smokeperf')).progs.xdp_abort!;
      attachXdp(lab.ns('b'), 'xlrig1', prog.pin, 'generic');
      const cap = await PerfCapture.start(['xdp:xdp_exception'], lab.tmp, lab);
      sendFrames(lab.ns('a'), 'xlrig0', udpFrame(), 3);
      const events = (await cap.stop()).filter((e) => e.fields.prog_id === String(prog.id));
      assert.equal(events.length, 3, events.map((e) => e.line).join('\n'));
      for (const e of events) {
        assert.equal(e.event, 'xdp:xdp_exception');
        assert.equal(e.fields.ifindex, '6004');
        assert.equal(e.fields.action, 'ABORTED');
      }
    });
  },
);

void test(
  'kernel lab: BPF_PROG_TEST_RUN returns the action and leaves the frame unchanged',
  { skip: probe() },
  async () => {
    await withLab('xlrig-', (lab) => {
      const obj = compileBpf(ABORT_C, path.join(lab.tmp, 'abort.o'));
      const prog = loadAll(obj, lab.pinDir('smokerun')).progs.xdp_abort!;
      const frame = udpFrame();
      const r = progRun(prog.pin, frame, lab.tmp, { repeat: 10 });
      assert.equal(r.retval, 0);
      assert.ok(r.durationNs >= 0);
      assert.deepEqual(r.dataOut, frame);
    });
  },
);

void test(
  'kernel lab: a failing test body still leaves no namespace, pin, veth or process behind',
  { skip: probe() },
  async () => {
    let pins = '';
    let bpftracePid: number | undefined;
    await assert.rejects(
      withLab('xlrig-', async (lab) => {
        lab.netns('a');
        lab.netns('b');
        lab.veth({ name: 'xlrig0', index: 6005, ns: 'a' }, { name: 'xlrig1', index: 6006, ns: 'b' });
        const prog = loadAll(compileBpf(ABORT_C, path.join(lab.tmp, 'abort.o')), lab.pinDir('smokefail'))
          .progs.xdp_abort!;
        attachXdp(lab.ns('b'), 'xlrig1', prog.pin, 'native');
        pins = path.dirname(path.dirname(prog.pin));
        const cap = await BpftraceCapture.start('tracepoint:xdp:xdp_exception { @n = count(); }', lab);
        bpftracePid = cap.pid;
        throw new Error('deliberate failure inside the lab');
      }),
      /deliberate failure/,
    );
    const netns = run(['ip', 'netns', 'list']).stdout;
    assert.ok(!/^xlrig-/m.test(netns), `namespaces left: ${netns}`);
    assert.ok(pins && !fs.existsSync(pins), `pins left in ${pins}`);
    assert.equal(
      run(['ip', 'link', 'show', 'dev', 'xlrig0'], { allowFailure: true }).status,
      1,
      'veth left in the root namespace',
    );
    assert.ok(bpftracePid, 'bpftrace was started');
    await waitUntilGone(bpftracePid);
  },
);

void test(
  'kernel lab: clang errors name the file and line; bad addresses are refused with the value',
  { skip: probe() },
  async () => {
    await withLab('xlrig-', (lab) => {
      assert.throws(
        () => compileBpf('int f(void) { return undefined_thing; }\n', path.join(lab.tmp, 'bad.o')),
        (e: Error) => /bad\.c:1:\d+: error: use of undeclared identifier 'undefined_thing'/.test(e.message),
      );
      assert.throws(() => udpFrame({ dstIp: '10.0.0.300' }), /bad IPv4 address "10\.0\.0\.300"/);
      assert.throws(() => udpFrame({ srcMac: '02:00:00' }), /bad MAC address "02:00:00"/);
      assert.throws(() => lab.pinDir('a.b'), /bpffs refuses names with dots/);
      assert.throws(() => new Lab('Bad Prefix'), /Lab prefix "Bad Prefix"/);
    });
  },
);

/** Resolves once `pid` no longer exists (a killed process is reaped asynchronously). */
async function waitUntilGone(pid: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      process.kill(pid, 0);
    } catch {
      return;
    }
    if (Date.now() > deadline) assert.fail(`process ${pid} (bpftrace) is still running after dispose`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

void test(
  'kernel lab: captures of a removed tracepoint fail fast with the tool’s reason (6.16 removed xdp_redirect_map_err)',
  { skip: probe() },
  async () => {
    await withLab('xlrig-', async (lab) => {
      await assert.rejects(
        BpftraceCapture.start('tracepoint:xdp:xdp_redirect_map_err { @n = count(); }', lab),
        (e: Error) => /bpftrace did not attach its probes:[\s\S]*xdp_redirect_map_err/.test(e.message),
      );
      await assert.rejects(PerfCapture.start(['xdp:xdp_redirect_map_err'], lab.tmp, lab), (e: Error) =>
        /perf record exited before recording:[\s\S]*xdp_redirect_map_err/.test(e.message),
      );
    });
  },
);
