// "Debug this frame" through libxdp's dispatcher (issue 13 item 6 × issue 14): a scenario frame whose
// device runs a 2-program chain is debugged over DAP as one recorded run — a breakpoint in the second
// program, stack roots named by priority, next / step out from the first into the second, step back
// and reverse continue across, and the verdict and deciding program the simulator reports for it.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main';
import type { DapEvent, DapMessage, DapResponse, LaunchArguments } from '../../src/core/debug/dapMessages';
import { DapSession } from '../../src/core/debug/dapSession';
import { prepareLaunch } from '../../src/node/debug/debugLaunch';

const fixtures = path.resolve(import.meta.dirname, '../fixtures/programs');
const COUNT_SRC = path.join(fixtures, 'dispatch/disp_count.bpf.c');
const DROP_SRC = path.join(fixtures, 'dispatch/disp_drop.bpf.c');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-dbgchain-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

const lineOf = (file: string, text: string): number => {
  const i = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(text));
  assert.ok(i >= 0, `no line with ${text} in ${file}`);
  return i + 1;
};
/** count (priority 10 from its run config) rewrites UDP port 10 to 9, drop9 (50, libxdp's default) drops 9. */
// count's last line with code: clang puts its shared `r0 = XDP_PASS; exit` on the closing brace.
const COUNT_RETURN = lineOf(COUNT_SRC, 'udph->dest = bpf_htons(9);') + 2;
const DROP_VERDICT = lineOf(DROP_SRC, 'return udph->dest == bpf_htons(9)');

/** A scenario whose eth0 runs the chain as written (drop9 first: libxdp's order puts count first). */
function scenario(dports: number[], name = 'chain'): string {
  const file = path.join(tmp, `${name}.xdpscenario.json`);
  fs.writeFileSync(
    file,
    JSON.stringify({
      version: 1,
      programs: [
        { name: 'count', file: path.join(fixtures, 'obj/disp_count.bpf.o') },
        { name: 'drop9', file: path.join(fixtures, 'obj/disp_drop.bpf.o') },
      ],
      devices: [{ name: 'eth0', kind: 'nic', xdp: [{ program: 'drop9' }, { program: 'count' }] }],
      traffic: dports.map((dport) => ({ rx: 'eth0', count: 1, frame: { udp: { dport } } })),
    }),
  );
  return file;
}

interface Frame {
  id: number;
  name: string;
  line: number;
  source?: { path: string };
}

class Client {
  private seq = 1;
  readonly events: DapEvent[] = [];
  private readonly responses: DapResponse[] = [];
  readonly session = new DapSession({
    prepare: (args: LaunchArguments) => prepareLaunch(args, { cwd: tmp }),
    send: (m: DapMessage) => {
      if (m.type === 'event') this.events.push(m);
      else if (m.type === 'response') this.responses.push(m);
    },
  });

  async req<T = Record<string, unknown>>(command: string, args: Record<string, unknown> = {}): Promise<T> {
    const seq = this.seq++;
    await this.session.handle({ seq, type: 'request', command, arguments: args });
    const r = this.responses.find((x) => x.request_seq === seq);
    assert.ok(r?.success, `${command} failed: ${r?.message}`);
    return (r.body ?? {}) as T;
  }
  async run(command: string, args: Record<string, unknown> = {}): Promise<DapEvent> {
    const before = this.events.length;
    await this.req(command, { threadId: 1, ...args });
    const e = this.events.slice(before).find((x) => x.event === 'stopped' || x.event === 'terminated');
    assert.ok(e, `${command} neither stopped nor terminated`);
    return e;
  }
  async start(file: string, index: number, bps: { path: string; line: number }[] = []): Promise<DapEvent> {
    await this.req('initialize', { adapterID: 'xdp-lab' });
    await this.req('launch', {
      program: path.join(fixtures, 'obj/disp_drop.bpf.o'),
      frame: { scenario: file, index },
    });
    for (const p of new Set(bps.map((b) => b.path)))
      await this.req('setBreakpoints', {
        source: { path: p },
        breakpoints: bps.filter((b) => b.path === p).map((b) => ({ line: b.line })),
      });
    return this.run('configurationDone');
  }
  async frames(): Promise<Frame[]> {
    return (await this.req<{ stackFrames: Frame[] }>('stackTrace', { threadId: 1 })).stackFrames;
  }
  async eval(expression: string): Promise<string> {
    return (await this.req<{ result: string }>('evaluate', { expression, frameId: 1 })).result;
  }
  /** The result output at the end of the run (its text and data). */
  result(): { output: string; data: { action: number; decidedBy: string | null } } {
    const e = this.events.find(
      (x) => x.event === 'output' && (x.body as { data?: unknown }).data !== undefined,
    );
    assert.ok(e, 'no result output');
    return e.body as { output: string; data: { action: number; decidedBy: string | null } };
  }
}

/** The simulator's verdict for a scenario of one frame: the action and the program that decided. */
async function simulated(file: string): Promise<{ action: string; decidedBy: string | undefined }> {
  let out = '';
  const code = await main(['simulate', file, '--json'], {
    stdout: (t) => void (out += t),
    stderr: () => undefined,
    readStdin: () => Promise.resolve(''),
    signal: new AbortController().signal,
  });
  assert.equal(code, 0);
  const s = JSON.parse(out) as {
    actions: Record<string, Record<string, number>>;
    dispatchers: Record<string, { components: { program: string; decided: number }[] }>;
  };
  return {
    action: Object.keys(s.actions.eth0 ?? {})[0] as string,
    decidedBy: s.dispatchers.eth0?.components.find((c) => c.decided > 0)?.program,
  };
}

void test('a breakpoint in the second program of the chain is hit, with the first one’s rewrite visible', async () => {
  const c = new Client();
  const stop = await c.start(scenario([10]), 1, [{ path: DROP_SRC, line: DROP_VERDICT }]);
  assert.equal((stop.body as { reason: string }).reason, 'breakpoint');
  const frames = await c.frames();
  assert.equal(frames.length, 1, 'a component is its own stack root');
  assert.equal(frames[0]?.name, 'prio 50 · xdp_drop9 (drop9)');
  assert.equal(frames[0]?.line, DROP_VERDICT);
  assert.equal(path.basename(frames[0]?.source?.path ?? ''), 'disp_drop.bpf.c');
  // count (run first) rewrote UDP port 10 to 9 in the one xdp_buff: drop9 sees 9.
  assert.match(await c.eval('pkt[37]'), /^9 /);
  const threads = await c.req<{ threads: { name: string }[] }>('threads');
  assert.equal(threads.threads[0]?.name, 'xdp_dispatcher');
  const end = await c.run('continue');
  assert.equal(end.event, 'terminated');
  const r = c.result();
  assert.equal(r.data.action, 1);
  assert.equal(r.data.decidedBy, 'drop9');
  assert.match(r.output, /xdp_dispatcher: XDP_DROP \(return value 1\)/);
  assert.match(r.output, /decided by prio 50 · xdp_drop9 \(drop9\), component 2 of 2/);
  assert.match(r.output, /1\. prio 10 · xdp_count \(count\): XDP_PASS — continues the chain/);
});

void test('next from the end of the first program lands in the second; step back and reverse continue return', async () => {
  const c = new Client();
  const stop = await c.start(scenario([10]), 1, [{ path: COUNT_SRC, line: COUNT_RETURN }]);
  assert.equal((stop.body as { reason: string }).reason, 'breakpoint');
  let f = await c.frames();
  assert.equal(f[0]?.name, 'prio 10 · xdp_count (count)');
  assert.equal(f[0]?.line, COUNT_RETURN);
  // Step over the first program's last line: the dispatcher calls the second.
  await c.run('next');
  f = await c.frames();
  assert.equal(f.length, 1);
  assert.equal(f[0]?.name, 'prio 50 · xdp_drop9 (drop9)');
  assert.equal(path.basename(f[0]?.source?.path ?? ''), 'disp_drop.bpf.c');
  // Step back crosses into the first program again, onto its last line.
  await c.run('stepBack');
  f = await c.frames();
  assert.equal(f[0]?.name, 'prio 10 · xdp_count (count)');
  assert.equal(f[0]?.line, COUNT_RETURN);
  // Step out of the first program: the next component the dispatcher calls.
  await c.run('stepOut');
  assert.equal((await c.frames())[0]?.name, 'prio 50 · xdp_drop9 (drop9)');
  // Forward to the second program's verdict line, then reverse continue hits the first's breakpoint.
  await c.req('setBreakpoints', { source: { path: DROP_SRC }, breakpoints: [{ line: DROP_VERDICT }] });
  await c.run('continue');
  assert.equal((await c.frames())[0]?.line, DROP_VERDICT);
  const back = await c.run('reverseContinue');
  assert.equal((back.body as { reason: string }).reason, 'breakpoint');
  f = await c.frames();
  assert.equal(f[0]?.name, 'prio 10 · xdp_count (count)');
  assert.equal(f[0]?.line, COUNT_RETURN);
  await c.req('setBreakpoints', { source: { path: COUNT_SRC }, breakpoints: [] });
  await c.req('setBreakpoints', { source: { path: DROP_SRC }, breakpoints: [] });
  assert.equal((await c.run('continue')).event, 'terminated');
});

void test('the verdict and the deciding program equal the simulator’s for each frame', async () => {
  const dports = [10, 8, 9];
  for (let i = 0; i < dports.length; i++) {
    const c = new Client();
    const end = await c.start(scenario(dports, 'all'), i + 1);
    assert.equal(end.event, 'terminated');
    const r = c.result();
    const sim = await simulated(scenario([dports[i] as number], `one${i}`));
    assert.equal(`XDP_${r.output.match(/xdp_dispatcher: XDP_(\w+)/)?.[1]}`, sim.action, `frame ${i + 1}`);
    assert.equal(r.data.decidedBy ?? undefined, sim.decidedBy, `frame ${i + 1}`);
    if (sim.decidedBy === undefined)
      assert.match(r.output, /every component continued the chain: the dispatcher's own XDP_PASS/);
  }
});

void test('chain: false debugs the launch program alone; a chain program without an object is a launch error', async () => {
  const c = new Client();
  await c.req('initialize', { adapterID: 'xdp-lab' });
  await c.req('launch', {
    program: path.join(fixtures, 'obj/disp_drop.bpf.o'),
    frame: { scenario: scenario([10]), index: 1 },
    chain: false,
  });
  assert.equal((await c.run('configurationDone')).event, 'terminated');
  assert.match(c.result().output, /^xdp_drop9: XDP_PASS/); // port 10 is not rewritten without count
  const file = path.join(tmp, 'bad.xdpscenario.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      version: 1,
      programs: [
        { name: 'count', file: path.join(fixtures, 'obj/disp_count.bpf.o') },
        { name: 'x', tag: 'abcdabcdabcdabcd' },
      ],
      devices: [{ name: 'eth0', kind: 'nic', xdp: [{ program: 'count' }, { program: 'x' }] }],
      traffic: [{ rx: 'eth0', count: 1, frame: { udp: { dport: 9 } } }],
    }),
  );
  await assert.rejects(
    prepareLaunch({
      program: path.join(fixtures, 'obj/disp_count.bpf.o'),
      frame: { scenario: file, index: 1 },
    }),
    /chain program 'x' on eth0 has no local object/,
  );
});

void test('a component’s scenario globals are set before the run, as the simulator sets them', async () => {
  const file = path.join(tmp, 'knobs.xdpscenario.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      version: 1,
      programs: [
        { name: 'count', file: path.join(fixtures, 'obj/disp_count.bpf.o') },
        { name: 'knobs', file: path.join(fixtures, 'obj/knobs.bpf.o'), globals: { mode: 1 } },
      ],
      devices: [{ name: 'eth0', kind: 'nic', xdp: [{ program: 'count' }, { program: 'knobs' }] }],
      traffic: [{ rx: 'eth0', count: 1, frame: { udp: { dport: 8 } } }],
    }),
  );
  const c = new Client();
  assert.equal((await c.start(file, 1)).event, 'terminated');
  const r = c.result();
  const sim = await simulated(file);
  assert.equal(sim.action, 'XDP_DROP'); // knobs returns its `mode` global: 1 as the scenario sets it
  assert.equal(r.data.action, 1);
  assert.equal(r.data.decidedBy, sim.decidedBy);
  assert.equal(r.data.decidedBy, 'knobs');
});

void test('memory follows the stop across components: the packet before and after the first one’s rewrite', async () => {
  const before = lineOf(COUNT_SRC, 'if (udph->dest == bpf_htons(10))');
  const c = new Client();
  await c.start(scenario([10]), 1, [
    { path: COUNT_SRC, line: before },
    { path: DROP_SRC, line: DROP_VERDICT },
  ]);
  assert.equal((await c.frames())[0]?.line, before);
  assert.match(await c.eval('pkt[37]'), /^10 /);
  await c.run('continue');
  assert.equal((await c.frames())[0]?.name, 'prio 50 · xdp_drop9 (drop9)');
  assert.match(await c.eval('pkt[37]'), /^9 /);
  assert.match(await c.eval('udph->dest'), /9 in network order/); // a __be16 through drop9's own DWARF
  await c.run('reverseContinue');
  assert.equal((await c.frames())[0]?.line, before);
  assert.match(await c.eval('pkt[37]'), /^10 /);
});

void test('a fault in the second component stops on its line (reason exception) and names it at the end', async () => {
  const file = path.join(tmp, 'oob.xdpscenario.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      version: 1,
      programs: [
        { name: 'count', file: path.join(fixtures, 'obj/disp_count.bpf.o') },
        { name: 'oob', file: path.join(fixtures, 'obj/oob.bpf.o') },
      ],
      devices: [{ name: 'eth0', kind: 'nic', xdp: [{ program: 'count' }, { program: 'oob' }] }],
      // A runt: count passes it, oob reads the IP protocol past data_end.
      traffic: [{ rx: 'eth0', count: 1, frame: '0x' + '02'.repeat(20) }],
    }),
  );
  const c = new Client();
  const e = await c.start(file, 1);
  assert.equal((e.body as { reason: string }).reason, 'exception');
  const f = await c.frames();
  assert.equal(f[0]?.name, 'prio 50 · xdp_oob (oob)');
  assert.equal(f[0]?.line, lineOf(path.join(fixtures, 'bad/oob.bpf.c'), 'return iph->protocol'));
  assert.equal((await c.run('continue')).event, 'terminated');
  const r = c.result();
  assert.match(r.output, /xdp_dispatcher: fault at pc \d+: oob: .*out of bounds/);
  assert.match(r.output, /2\. prio 50 · xdp_oob \(oob\): faulted, the dispatcher's verdict is XDP_ABORTED/);
  assert.equal(r.data.decidedBy, 'oob');
});
