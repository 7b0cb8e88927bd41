// The debug adapter driven over DAP messages, as a client would: initialize, launch, breakpoints,
// stopped events, stack traces of bpf-to-bpf and tail calls, locals by name with the values the
// frame puts there, next / step back / reverse continue, disassemble, readMemory, evaluate, faults.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { buildFrame } from '../packet/frameBuilder';
import type { DapEvent, DapMessage, DapResponse, LaunchInput } from './dapMessages';
import { DapSession } from './dapSession';
import type { DebugTarget } from './debugTarget';
import { hitConditionHolds } from './stepper';

const fixtures = path.resolve(__dirname, '../../../test/fixtures/programs');
const SRC = path.join(fixtures, 'debugme.bpf.c');
const obj = (name: string): Uint8Array => new Uint8Array(fs.readFileSync(path.join(fixtures, 'obj', name)));
/** The line of the fixture's source that contains `text` (so tests survive edits of the fixture). */
const lineOf = (text: string, file = SRC): number => {
  const i = fs
    .readFileSync(file, 'utf8')
    .split('\n')
    .findIndex((l) => l.includes(text));
  assert.ok(i >= 0, `no line with ${text}`);
  return i + 1;
};

interface Var {
  name: string;
  value: string;
  type?: string;
  variablesReference: number;
  memoryReference?: string;
}

/** A DAP client over the in-memory session. */
class Client {
  private seq = 1;
  readonly events: DapEvent[] = [];
  private readonly responses: DapResponse[] = [];
  readonly session: DapSession;

  constructor(input: Partial<LaunchInput> & { object: Uint8Array }) {
    this.session = new DapSession({
      prepare: () =>
        Promise.resolve({
          objectName: 'debugme',
          frame: buildFrame({ udp: { sport: 4000, dport: 9 } }),
          frameLabel: 'test frame',
          stopOnEntry: false,
          ingressIfindex: 1,
          rxQueueIndex: 0,
          cpu: 0,
          ...input,
        }),
      send: (m: DapMessage) => {
        if (m.type === 'event') this.events.push(m);
        else if (m.type === 'response') this.responses.push(m);
      },
    });
  }

  async raw(command: string, args: Record<string, unknown> = {}): Promise<DapResponse> {
    const seq = this.seq++;
    await this.session.handle({ seq, type: 'request', command, arguments: args });
    const r = this.responses.find((x) => x.request_seq === seq);
    assert.ok(r, `no response to ${command}`);
    return r;
  }

  async req<T = Record<string, unknown>>(command: string, args: Record<string, unknown> = {}): Promise<T> {
    const r = await this.raw(command, args);
    assert.ok(r.success, `${command} failed: ${r.message}`);
    return (r.body ?? {}) as T;
  }

  /** Sends a run-control request and returns the stopped (or terminated) event it caused. */
  async run(command: string, args: Record<string, unknown> = {}): Promise<DapEvent> {
    const before = this.events.length;
    await this.req(command, args);
    const e = this.events.slice(before).find((x) => x.event === 'stopped' || x.event === 'terminated');
    assert.ok(e, `${command} neither stopped nor terminated`);
    return e;
  }

  async start(
    breakpoints: { line: number; condition?: string; hitCondition?: string }[] = [],
    launch = {},
  ): Promise<DapEvent> {
    const caps = await this.req<Record<string, boolean>>('initialize', { adapterID: 'xdp-lab' });
    for (const c of [
      'supportsConfigurationDoneRequest',
      'supportsStepBack',
      'supportsDisassembleRequest',
      'supportsReadMemoryRequest',
      'supportsEvaluateForHovers',
    ])
      assert.equal(caps[c], true, c);
    await this.req('launch', { program: 'debugme.bpf.o', ...launch });
    assert.ok(this.events.some((e) => e.event === 'initialized'));
    if (breakpoints.length) await this.req('setBreakpoints', { source: { path: SRC }, breakpoints });
    return this.run('configurationDone');
  }

  async frames(): Promise<
    { id: number; name: string; line: number; instructionPointerReference?: string }[]
  > {
    return (
      await this.req<{
        stackFrames: { id: number; name: string; line: number; instructionPointerReference?: string }[];
      }>('stackTrace', { threadId: 1 })
    ).stackFrames;
  }

  async locals(frameId = 1): Promise<Map<string, Var>> {
    const scopes = (
      await this.req<{ scopes: { name: string; variablesReference: number }[] }>('scopes', { frameId })
    ).scopes;
    const ref = scopes.find((s) => s.name === 'Locals')?.variablesReference;
    assert.ok(ref);
    return new Map((await this.vars(ref)).map((v) => [v.name, v]));
  }

  async vars(ref: number): Promise<Var[]> {
    return (await this.req<{ variables: Var[] }>('variables', { variablesReference: ref })).variables;
  }
}

/** A session on examples/redirect.bpf.c's xdp_redirect_udp, launched, with a breakpoint on the line holding `text`. */
async function redirectWithBreakpoint(text: string): Promise<Client> {
  const src = path.resolve(fixtures, '../../../examples/redirect.bpf.c');
  const c = new Client({
    object: obj('redirect.bpf.o'),
    objectName: 'redirect',
    function: 'xdp_redirect_udp',
  });
  await c.req('initialize');
  await c.req('launch', { program: 'redirect.bpf.o' });
  await c.req('setBreakpoints', { source: { path: src }, breakpoints: [{ line: lineOf(text, src) }] });
  return c;
}

void test('a breakpoint on a line stops there; locals have the frame values by name', async () => {
  const c = new Client({ object: obj('debugme.bpf.o') });
  const bpLine = lineOf('count = bpf_map_lookup_elem');
  const stopped = await c.start([{ line: bpLine }]);
  assert.equal(stopped.event, 'stopped');
  assert.equal((stopped.body as { reason: string }).reason, 'breakpoint');
  const frames = await c.frames();
  assert.equal(frames[0]?.name, 'xdp_debugme');
  assert.equal(frames[0]?.line, bpLine);
  assert.match(frames[0]?.instructionPointerReference ?? '', /^0x1[0-9a-f]{8}$/);
  const l = await c.locals();
  // Pointers into the packet are shown as offsets: eth at the start, iph after Ethernet, udp after IPv4.
  assert.equal(l.get('eth')?.value, 'pkt+0');
  assert.equal(l.get('eth')?.type, 'struct ethhdr *');
  assert.equal(l.get('iph')?.value, 'pkt+14');
  assert.equal(l.get('udp')?.value, 'pkt+34');
  assert.match(l.get('data_end')?.value ?? '', /^pkt_end \(pkt\+64\)$/);
  // A stack struct (clang: DW_OP_fbreg from the bottom of the frame) holds what the program copied
  // out of the frame: 10.0.0.1 → 10.0.0.2, UDP, port 9 in network order.
  const fl = l.get('fl');
  assert.equal(fl?.type, 'struct flow');
  const fields = new Map((await c.vars(fl?.variablesReference ?? 0)).map((v) => [v.name, v.value]));
  assert.equal(fields.get('saddr'), String(0x0100000a));
  assert.equal(fields.get('daddr'), String(0x0200000a));
  assert.equal(fields.get('dport'), String(0x0900));
  assert.equal(fields.get('proto'), '17');
  assert.equal(l.get('key')?.value, '0'); // on the stack at r10-20 (DW_OP_breg10 +20 in a 40-byte frame)
  // …where the program keeps it: r2 = &key for the lookup on this line is fp-20.
  assert.match(
    (await c.req<{ result: string }>('evaluate', { expression: 'r2', frameId: 1 })).result,
    /^fp-20\b/,
  );
  assert.equal(l.get('ctx')?.value, '<optimized out>'); // r1 is only ctx for the first instructions
  // Pointer locals expand to the pointee's members.
  const iph = new Map((await c.vars(l.get('iph')?.variablesReference ?? 0)).map((v) => [v.name, v.value]));
  assert.equal(iph.get('protocol'), '17');
  assert.equal(iph.get('ttl'), '64');
});

void test('registers carry their kind; the packet and the maps are scopes of their own', async () => {
  const c = new Client({ object: obj('debugme.bpf.o') });
  await c.start([{ line: lineOf('count = bpf_map_lookup_elem') }]);
  const scopes = (
    await c.req<{ scopes: { name: string; variablesReference: number }[] }>('scopes', { frameId: 1 })
  ).scopes;
  assert.deepEqual(
    scopes.map((s) => s.name),
    ['Locals', 'Registers', 'Packet', 'Maps'],
  );
  const regs = new Map((await c.vars(scopes[1]?.variablesReference ?? 0)).map((v) => [v.name, v]));
  assert.equal(regs.size, 11);
  assert.equal(regs.get('r10')?.type, 'stack');
  assert.equal(regs.get('r7')?.type, 'pkt');
  assert.equal(regs.get('r6')?.type, 'pkt_end');
  const pkt = await c.vars(scopes[2]?.variablesReference ?? 0);
  const bytes = pkt.find((v) => v.name === 'bytes');
  assert.equal(bytes?.memoryReference, 'pkt');
  assert.match(bytes?.value ?? '', /^02 00 00 00 00 02 02 00 00 00 00 01 08 00 45/);
  const maps = await c.vars(scopes[3]?.variablesReference ?? 0);
  assert.equal(maps[0]?.name, 'hits');
  const mem = await c.req<{ data: string; address: string }>('readMemory', {
    memoryReference: 'pkt',
    offset: 12,
    count: 2,
  });
  assert.equal(mem.data, Buffer.from([0x08, 0x00]).toString('base64'));
});

void test("register kinds are the verifier's view where its walk reached the pc, else the VM's", async () => {
  // After bpf_map_lookup_elem the VM holds a map value, but the verifier (check_helper_call) says
  // map_value_or_null until the NULL check, and r1–r5 are clobbered: not_init (reading one is
  // "R2 !read_ok"). The VM alone could say neither.
  const c = await redirectWithBreakpoint('if (count)');
  await c.run('configurationDone');
  const registers = async (cl: Client): Promise<Map<string, Var>> => {
    const scopes = (
      await cl.req<{ scopes: { name: string; variablesReference: number }[] }>('scopes', { frameId: 1 })
    ).scopes;
    return new Map((await cl.vars(scopes[1]?.variablesReference ?? 0)).map((v) => [v.name, v]));
  };
  const regs = await registers(c);
  assert.equal(regs.get('r0')?.type, 'map_value_or_null');
  assert.equal(regs.get('r0')?.value, 'map_value(rx_count)+0'); // the value is the VM's
  assert.equal(regs.get('r2')?.type, 'not_init');
  assert.equal(regs.get('r10')?.type, 'stack');
  // An array lookup with a constant key in bounds cannot fail: 6.18's verifier knows it
  // (check_helper_call marks R0 non-NULL), so debugme's counter is a plain map_value at once.
  const d = new Client({ object: obj('debugme.bpf.o') });
  await d.start([{ line: lineOf('if (count)') }]);
  assert.equal((await registers(d)).get('r0')?.type, 'map_value');
  // A program the verifier refuses early: past the refusal its walk never landed, the VM's kinds stay.
  const oob = new Client({
    object: obj('oob.bpf.o'),
    objectName: 'oob',
    frame: buildFrame({ udp: {} }).subarray(0, 20),
  });
  await oob.start();
  const oregs = await registers(oob);
  assert.equal(oregs.size, 11);
  assert.equal(oregs.get('r10')?.type, 'stack');
});

void test('next moves by source line, step back returns, reverse continue finds the previous hit', async () => {
  const c = new Client({ object: obj('debugme.bpf.o') });
  const first = lineOf('if ((void *)(eth + 1) > data_end)');
  await c.start([{ line: first }]);
  assert.equal((await c.frames())[0]?.line, first);
  await c.run('next');
  const second = (await c.frames())[0]?.line ?? 0;
  assert.ok(second > first, `next went from ${first} to ${second}`);
  const e = await c.run('stepBack');
  assert.equal((e.body as { reason: string }).reason, 'step');
  assert.equal((await c.frames())[0]?.line, first);
  // Forward to the end of the run, then reverse-continue to the breakpoint again.
  await c.run('next');
  await c.run('next');
  const rc = await c.run('reverseContinue');
  assert.equal((rc.body as { reason: string }).reason, 'breakpoint');
  assert.equal((await c.frames())[0]?.line, first);
});

void test('a bpf-to-bpf call is its own stack frame; step out returns to the caller', async () => {
  const c = new Client({ object: obj('debugme.bpf.o') });
  const inCallee = lineOf('if (f->proto == IPPROTO_UDP');
  await c.start([{ line: inCallee }]);
  const frames = await c.frames();
  assert.deepEqual(
    frames.map((f) => f.name),
    ['classify', 'xdp_debugme'],
  );
  assert.equal(frames[0]?.line, inCallee);
  assert.equal(frames[1]?.line, lineOf('return classify(&fl'));
  const l = await c.locals(1);
  assert.equal(l.get('len')?.value, '64');
  assert.equal(l.get('f')?.value, 'fp-16'); // the caller's struct flow on its stack
  // The caller's locals are those of its own frame.
  assert.equal((await c.locals(2)).get('eth')?.value, 'pkt+0');
  // Maps at this step: the caller added the sum of the IPv4 header's first 4 bytes (45 00 00 32)
  // to hits[0], an 8-byte little-endian counter.
  const scopes = (
    await c.req<{ scopes: { name: string; variablesReference: number }[] }>('scopes', { frameId: 1 })
  ).scopes;
  const hits = (await c.vars(scopes.find((x) => x.name === 'Maps')?.variablesReference ?? 0)).find(
    (m) => m.name === 'hits',
  );
  const entries = new Map((await c.vars(hits?.variablesReference ?? 0)).map((e) => [e.name, e.value]));
  assert.equal(entries.get('00 00 00 00'), '77 00 00 00 00 00 00 00 (119)'); // 0x45 + 0x32
  // Evaluate through the pointer, and with a condition's operators.
  const ev = await c.req<{ result: string }>('evaluate', {
    expression: 'f->dport',
    frameId: 1,
    context: 'hover',
  });
  assert.equal(ev.result, String(0x0900));
  const cond = await c.req<{ result: string }>('evaluate', {
    expression: 'f->proto == 17 && len >= 60',
    frameId: 1,
    context: 'watch',
  });
  assert.match(cond.result, /^1 /);
  assert.match(
    (await c.req<{ result: string }>('evaluate', { expression: 'pkt[23]', frameId: 1 })).result,
    /^17 /,
  );
  assert.match(
    (await c.req<{ result: string }>('evaluate', { expression: 'r10', frameId: 1 })).result,
    /^fp\+0/,
  );
  await c.run('stepOut');
  assert.deepEqual(
    (await c.frames()).map((f) => f.name),
    ['xdp_debugme'],
  );
  // The end: the result as output, then terminated.
  const end = await c.run('continue');
  assert.equal(end.event, 'terminated');
  const out = c.events.filter((e) => e.event === 'output').map((e) => (e.body as { output: string }).output);
  assert.ok(
    out.some((o) => /XDP_DROP \(return value 1\)/.test(o)),
    out.join(''),
  );
});

void test('a line without code moves to the next line with code; conditions and hit counts filter hits', async () => {
  const c = new Client({ object: obj('debugme.bpf.o') });
  await c.req('initialize');
  await c.req('launch', { program: 'debugme.bpf.o' });
  const blank = lineOf('int verdict = XDP_PASS;') + 1; // the empty line after the declaration
  const r = await c.req<{ breakpoints: { verified: boolean; line: number }[] }>('setBreakpoints', {
    source: { path: SRC },
    breakpoints: [{ line: blank }, { line: 1 }],
  });
  assert.equal(r.breakpoints[0]?.verified, true);
  assert.ok((r.breakpoints[0]?.line ?? 0) > blank);
  const c2 = new Client({ object: obj('debugme.bpf.o') });
  const stop = await c2.start([{ line: lineOf('if (len < 60)'), condition: 'len > 1000' }]);
  assert.equal(stop.event, 'terminated'); // the condition never holds
  assert.equal(hitConditionHolds('3', 2), false);
  assert.equal(hitConditionHolds('3', 3), true);
  assert.equal(hitConditionHolds('%2', 4), true);
});

void test('a condition that holds stops; a hit count stops on the N-th call of a function in a loop', async () => {
  // The condition reads a local and a struct field through the evaluator (len is classify's argument).
  const inCallee = lineOf('if (len < 60)');
  const c = new Client({ object: obj('debugme.bpf.o') });
  const stop = await c.start([{ line: inCallee, condition: 'len == 64 && f->proto == 17' }]);
  assert.equal((stop.body as { reason: string }).reason, 'breakpoint');
  assert.equal((await c.frames())[0]?.line, inCallee);
  // loops.bpf.c calls mix(acc, p[i]) for the frame's first 32 bytes (then bpf_loop's callback calls it).
  const src = path.join(fixtures, 'loops.bpf.c');
  const mixLine = lineOf('return (a * 31) ^ (b + 0x9e3779b9);', src);
  const frame = buildFrame({ udp: { sport: 4000, dport: 9 } });
  const mix = (a: number, b: number): number => (Math.imul(a, 31) ^ (b + 0x9e3779b9)) >>> 0;
  const session = async (bp: {
    line: number;
    condition?: string;
    hitCondition?: string;
  }): Promise<Client> => {
    const l = new Client({ object: obj('loops.bpf.o'), objectName: 'loops', frame });
    await l.req('initialize');
    await l.req('launch', { program: 'loops.bpf.o' });
    await l.req('setBreakpoints', { source: { path: src }, breakpoints: [bp] });
    assert.equal((await l.run('configurationDone')).event, 'stopped');
    return l;
  };
  const value = async (l: Client, e: string): Promise<string> =>
    (await l.req<{ result: string }>('evaluate', { expression: e, frameId: 1 })).result;
  // Hit count 3: the third call, with acc folded over the first two bytes and p[2] as b.
  const third = await session({ line: mixLine, hitCondition: '3' });
  assert.deepEqual(
    (await third.frames()).map((f) => f.name),
    ['mix', 'xdp_loops'],
  );
  assert.equal(await value(third, 'a'), String(mix(mix(0, frame[0] ?? 0), frame[1] ?? 0)));
  assert.equal(await value(third, 'b'), String(frame[2]));
  // '3' is "from the third hit on": continue stops on the fourth call.
  assert.equal((await third.run('continue')).event, 'stopped');
  assert.equal(await value(third, 'b'), String(frame[3]));
  // '%8': every eighth call — the 8th, then the 16th.
  const every = await session({ line: mixLine, hitCondition: '%8' });
  assert.equal(await value(every, 'b'), String(frame[7]));
  await every.run('continue');
  assert.equal(await value(every, 'b'), String(frame[15]));
  // A condition on an argument: the first call whose byte is 0x08 (the EtherType's high byte, p[12]).
  const cond = await session({ line: mixLine, condition: 'b == 8' });
  assert.equal(await value(cond, 'a'), String(frame.subarray(0, 12).reduce((acc, x) => mix(acc, x), 0)));
});

void test('step in enters a bpf-to-bpf call (one more frame) and a tail call (a frame above); step back leaves them', async () => {
  const c = new Client({ object: obj('debugme.bpf.o') });
  const callLine = lineOf('return classify(&fl');
  await c.start([{ line: callLine }]);
  assert.deepEqual(
    (await c.frames()).map((f) => f.name),
    ['xdp_debugme'],
  );
  await c.run('stepIn');
  const inside = await c.frames();
  assert.deepEqual(
    inside.map((f) => [f.name, f.line]),
    [
      ['classify', lineOf('static __noinline int classify')],
      ['xdp_debugme', callLine],
    ],
  );
  // next inside the callee stays in it, by its lines.
  await c.run('next');
  assert.equal((await c.frames())[0]?.name, 'classify');
  await c.run('stepBack');
  await c.run('stepBack');
  assert.deepEqual(
    (await c.frames()).map((f) => [f.name, f.line]),
    [['xdp_debugme', callLine]],
  );

  // A tail call: step in lands in the called program, a frame above the dispatcher's.
  const src = path.join(fixtures, 'tailcall.bpf.c');
  const tailLine = lineOf('bpf_tail_call(ctx, &jump, 1);', src);
  const t = new Client({ object: obj('tailcall.bpf.o'), function: 'xdp_dispatch' });
  await t.req('initialize');
  await t.req('launch', { program: 'tailcall.bpf.o' });
  await t.req('setBreakpoints', { source: { path: src }, breakpoints: [{ line: tailLine }] });
  await t.run('configurationDone');
  await t.run('stepIn');
  assert.deepEqual(
    (await t.frames()).map((f) => [f.name, f.line]),
    [
      ['xdp_udp (tail call)', lineOf('bump(1);', src) - 2], // its definition's line, after SEC("xdp")
      ['xdp_dispatch', tailLine],
    ],
  );
  // next goes by the called program's lines: the first is in bump(), which clang inlined.
  await t.run('next');
  const [top] = await t.frames();
  assert.equal(top?.name, 'xdp_udp (tail call)');
  assert.equal(top?.line, lineOf('__u64 *v = bpf_map_lookup_elem(&stats, &k);', src));
  await t.run('stepBack');
  await t.run('stepBack');
  assert.deepEqual(
    (await t.frames()).map((f) => [f.name, f.line]),
    [['xdp_dispatch', tailLine]],
  );
  // A tail call never returns: next over it runs the called program to the end, whose verdict is the
  // run's (xdp_udp's XDP_DROP).
  const before = t.events.length;
  assert.equal((await t.run('next')).event, 'terminated');
  const out = t.events.slice(before).map((e) => (e.body as { output?: string } | undefined)?.output ?? '');
  assert.ok(
    out.some((o) => /XDP_DROP \(return value 1\)/.test(o)),
    out.join(''),
  );
});

void test('stopped on entry (step 0), the top frame has scopes and locals', async () => {
  // Step 0 is falsy: the frame lookup once refused it ("no frame 1"), leaving Variables empty.
  const c = new Client({ object: obj('debugme.bpf.o'), stopOnEntry: true });
  const entry = await c.start();
  assert.equal((entry.body as { reason: string }).reason, 'entry');
  const [top] = await c.frames();
  assert.ok(top);
  const scopes = await c.req<{ scopes: { name: string; variablesReference: number }[] }>('scopes', {
    frameId: top.id,
  });
  assert.deepEqual(
    scopes.scopes.map((s) => s.name),
    ['Locals', 'Registers', 'Packet', 'Maps'],
  );
  const regs = await c.req<{ variables: { name: string }[] }>('variables', {
    variablesReference: scopes.scopes[1]?.variablesReference,
  });
  assert.equal(regs.variables.length, 11);
});

void test('instruction breakpoints and disassemble speak bpftool', async () => {
  const c = new Client({ object: obj('debugme.bpf.o'), stopOnEntry: true });
  await c.req('initialize');
  await c.req('launch', { program: 'debugme.bpf.o' });
  const ib = await c.req<{ breakpoints: { verified: boolean }[] }>('setInstructionBreakpoints', {
    breakpoints: [{ instructionReference: '0x100000000', offset: 8 * 9 }],
  });
  assert.equal(ib.breakpoints[0]?.verified, true);
  const entry = await c.run('configurationDone');
  assert.equal((entry.body as { reason: string }).reason, 'entry');
  const hit = await c.run('continue');
  assert.equal((hit.body as { reason: string }).reason, 'breakpoint');
  assert.equal((await c.frames())[0]?.instructionPointerReference, '0x100000048');
  const d = await c.req<{
    instructions: { instruction: string; address: string; symbol?: string; line?: number }[];
  }>('disassemble', {
    memoryReference: '0x100000000',
    instructionOffset: 0,
    instructionCount: 45,
  });
  assert.equal(d.instructions.length, 45);
  assert.equal(d.instructions[0]?.instruction, 'r6 = *(u32 *)(r1 + 4)');
  assert.equal(d.instructions[0]?.symbol, 'xdp_debugme');
  assert.ok(d.instructions.some((i) => i.instruction === 'call bpf_map_lookup_elem#1'));
  assert.ok(d.instructions.some((i) => i.instruction === 'r1 = map[hits]'));
  assert.ok(d.instructions.some((i) => /^if r1 > r6 goto pc\+\d+$/.test(i.instruction)));
  // Instruction stepping walks one instruction at a time.
  await c.run('next', { granularity: 'instruction' });
  assert.equal((await c.frames())[0]?.instructionPointerReference, '0x100000050');
});

void test('a tail call is a frame above the program that made it', async () => {
  const c = new Client({ object: obj('tailcall.bpf.o'), function: 'xdp_dispatch' });
  const src = path.join(fixtures, 'tailcall.bpf.c');
  await c.req('initialize');
  await c.req('launch', { program: 'tailcall.bpf.o' });
  await c.req('setBreakpoints', { source: { path: src }, breakpoints: [{ line: lineOf('bump(1);', src) }] });
  const e = await c.run('configurationDone');
  assert.equal((e.body as { reason: string }).reason, 'breakpoint');
  const frames = await c.frames();
  assert.deepEqual(
    frames.map((f) => f.name),
    ['xdp_udp (tail call)', 'xdp_dispatch'],
  );
  assert.match(frames[0]?.instructionPointerReference ?? '', /^0x[1-9]/);
});

void test('a fault stops with reason exception on its line; a bad launch is a clear error', async () => {
  const c = new Client({
    object: obj('oob.bpf.o'),
    objectName: 'oob',
    frame: buildFrame({ udp: {} }).subarray(0, 20),
  });
  const e = await c.start();
  assert.equal((e.body as { reason: string }).reason, 'exception');
  assert.match((e.body as { text: string }).text, /packet access out of bounds/);
  const frames = await c.frames();
  assert.equal(frames[0]?.line, lineOf('return iph->protocol', path.join(fixtures, 'bad/oob.bpf.c')));
  const info = await c.req<{ description: string }>('exceptionInfo', { threadId: 1 });
  assert.match(info.description, /out of bounds/);
  assert.equal((await c.run('continue')).event, 'terminated');

  const bad = new Client({ object: new Uint8Array([1, 2, 3]) });
  await bad.req('initialize');
  const r = await bad.raw('launch', { program: 'x.o' });
  assert.equal(r.success, false);
  assert.match(r.message ?? '', /^program: not an ELF object/);
  const noFn = new Client({ object: obj('debugme.bpf.o'), function: 'nope' });
  await noFn.req('initialize');
  const r2 = await noFn.raw('launch', { program: 'x.o' });
  assert.match(r2.message ?? '', /no XDP program named 'nope'.*xdp_debugme/);
  const noProgram = await new Client({ object: obj('debugme.bpf.o') }).raw('launch', {});
  assert.match(noProgram.message ?? '', /'program' is missing/);
  // Requests before launch and unknown requests are failed responses, never exceptions.
  const early = new Client({ object: obj('debugme.bpf.o') });
  assert.match((await early.raw('stackTrace')).message ?? '', /launch first/);
  assert.match((await early.raw('frobnicate')).message ?? '', /unsupported request/);
  await early.session.handle('not a message');
  await early.session.handle({ type: 'request' });
});

void test('a one-section object (location lists based on the unit low_pc): locals of examples/redirect.bpf.c', async () => {
  const c = await redirectWithBreakpoint('count = bpf_map_lookup_elem');
  const e = await c.run('configurationDone');
  assert.equal((e.body as { reason: string }).reason, 'breakpoint');
  // The default frame's UDP port 9: key = 9 & 7, kept at r10-4 (clang: DW_OP_breg10 +4, 8-byte stack).
  assert.equal((await c.locals()).get('key')?.value, '1');
  // Checked against where the program really keeps it: r2 is &key for bpf_map_lookup_elem, and the
  // 4 bytes there (readMemory through r2's memory reference) are the local's value.
  const scopes = (
    await c.req<{ scopes: { name: string; variablesReference: number }[] }>('scopes', { frameId: 1 })
  ).scopes;
  const r2 = (await c.vars(scopes[1]?.variablesReference ?? 0)).find((v) => v.name === 'r2');
  assert.equal(r2?.value, 'fp-4');
  const at = await c.req<{ data: string }>('readMemory', { memoryReference: r2?.memoryReference, count: 4 });
  assert.deepEqual([...Buffer.from(at.data, 'base64')], [1, 0, 0, 0]);
  const end = await c.run('continue');
  assert.equal(end.event, 'terminated');
  const out = c.events.map((x) => (x.body as { output?: string } | undefined)?.output ?? '').join('');
  assert.match(out, /xdp_redirect_udp: XDP_PASS \(return value 2\)/); // an empty DEVMAP slot: the flags' XDP_PASS
});

void test('corrupted debug sections never crash or hang a session (fuzz)', async () => {
  const fc = (await import('fast-check')).default;
  const base = obj('debugme.bpf.o');
  const { parseElf } = await import('../elf/elfFile');
  const debugRanges = parseElf(base)
    .sections.filter((s) => s.name.startsWith('.debug_'))
    .map((s) => [s.offset, s.offset + s.size] as const);
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.tuple(fc.nat(), fc.nat(255)), { minLength: 1, maxLength: 24 }),
      async (flips) => {
        const bytes = base.slice();
        for (const [where, v] of flips) {
          const [lo, hi] = debugRanges[where % debugRanges.length] as readonly [number, number];
          bytes[lo + (where % Math.max(1, hi - lo))] = v;
        }
        const c = new Client({ object: bytes });
        await c.req('initialize');
        const launch = await c.raw('launch', { program: 'x.o' });
        if (!launch.success) return; // refused with a message: fine
        await c.raw('setBreakpoints', {
          source: { path: SRC },
          breakpoints: [{ line: lineOf('if (len < 60)') }],
        });
        await c.raw('configurationDone');
        await c.raw('stackTrace');
        const scopes = await c.raw('scopes', { frameId: 1 });
        if (scopes.success) await c.raw('variables', { variablesReference: 11 });
        await c.raw('evaluate', { expression: 'f->proto', frameId: 1 });
      },
    ),
    { numRuns: 60, seed: 14 },
  );
});

void test("idle(): the verifier walks the Registers need run before the client asks, stop's frames first", async () => {
  const src = path.join(fixtures, 'tailcall.bpf.c');
  const stopped = async (): Promise<Client> => {
    const c = new Client({ object: obj('tailcall.bpf.o'), function: 'xdp_dispatch' });
    await c.req('initialize');
    await c.req('launch', { program: 'tailcall.bpf.o' });
    await c.req('setBreakpoints', {
      source: { path: src },
      breakpoints: [{ line: lineOf('bump(1);', src) }],
    });
    await c.run('configurationDone');
    return c;
  };
  const registers = async (cl: Client, frameId: number): Promise<string[]> => {
    const scopes = (
      await cl.req<{ scopes: { name: string; variablesReference: number }[] }>('scopes', { frameId })
    ).scopes;
    return (await cl.vars(scopes[1]?.variablesReference ?? 0)).map((v) => `${v.name} ${v.type} ${v.value}`);
  };
  assert.equal(new Client({ object: obj('tailcall.bpf.o') }).session.idle(), false, 'nothing before launch');
  const c = await stopped();
  const target = (c.session as unknown as { target: DebugTarget }).target;
  const [udp, dispatch] = ['xdp_udp', 'xdp_dispatch'].map((n) => target.programs.find((p) => p.name === n));
  assert.ok(udp && dispatch);
  assert.equal(target.hasVerifierKinds(udp), false);
  // One walk per call: the tail-called program the stop is in, then the program under debug.
  assert.equal(c.session.idle(), true);
  assert.deepEqual([target.hasVerifierKinds(udp), target.hasVerifierKinds(dispatch)], [true, false]);
  assert.equal(c.session.idle(), false);
  assert.equal(target.hasVerifierKinds(dispatch), true);
  assert.equal(c.session.idle(), false, 'nothing left');
  // The Registers answered from those walks are what a session without idle time walks on the request.
  const cold = await stopped();
  assert.deepEqual(await registers(c, 1), await registers(cold, 1));
  assert.deepEqual(await registers(c, 2), await registers(cold, 2));
  assert.ok((await registers(c, 1)).some((r) => / ctx /.test(r) || / scalar /.test(r)));
  // A session that ended walks nothing more.
  const ended = await stopped();
  await ended.req('disconnect');
  assert.equal(ended.session.idle(), false);
});
