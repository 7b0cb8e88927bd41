// libxdp's dispatcher in the simulator (issue 13 item 6): the chain order (priority, then function
// name; XDP_RUN_CONFIG in the objects' BTF as the default), chain-call actions, the dispatcher's
// XDP_PASS when every program continued, one packet seen by every component, tracepoints naming
// the dispatcher, per-component counts. Real objects (test/fixtures/programs/dispatch, prebuilt);
// the kernel's side of the same scenario is test/kernel/dispatcher.test.ts.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import type { LoadedObject as ElfObject } from '../elf/loadObject';
import { readXdpRunConfigs } from '../elf/xdpRunConfig';
import type { BpfMap } from '../maps/bpfMap';
import type { CoreHost } from '../host';
import { loadScenario } from '../scenario/scenarioLoad';
import { ScenarioError, parseScenario } from '../scenario/scenarioParse';
import { formatEvent } from '../trace/tracepoints';
import { pair, prog, simulate } from '../../../test/unit/xdp/programDoubles';
import { Simulation } from './simulation';

const objDir = path.resolve(__dirname, '../../../test/fixtures/programs/obj');
const host: CoreHost = {
  nowNs: () => 0n,
  log: () => undefined,
  readFile: async (p) => new Uint8Array(await fs.promises.readFile(p)),
  resolvePath: (base, rel) => path.resolve(path.dirname(base), rel),
};
const load = (s: unknown) =>
  loadScenario(path.join(objDir, 'x.xdpscenario.json'), JSON.stringify(s), { host });

const programs = [
  { name: 'redir', file: 'disp_redir.bpf.o', function: 'xdp_redir8' },
  { name: 'peer', file: 'disp_redir.bpf.o', function: 'xdp_pass_peer' },
  { name: 'count', file: 'disp_count.bpf.o' },
  { name: 'drop9', file: 'disp_drop.bpf.o' },
];
const scenario = (chain: unknown, ports = [7, 8, 9, 10, 11]) => ({
  version: 1,
  programs,
  devices: [
    { name: 'a0', kind: 'veth', peer: 'r1' },
    { name: 'r1', kind: 'veth', peer: 'a0', xdp: chain },
    { name: 'r2', kind: 'veth', peer: 'c0' },
    { name: 'c0', kind: 'veth', peer: 'r2', xdp: { program: 'peer' } },
  ],
  maps: { disp_tx: [{ key: 0, value: 'r2' }] },
  traffic: ports.map((dport) => ({ from: 'a0', count: 2, frame: { udp: { dport } } })),
});

void test("XDP_RUN_CONFIG is read from the object's BTF as libxdp does", () => {
  const read = (f: string) => readXdpRunConfigs(new Uint8Array(fs.readFileSync(path.join(objDir, f))));
  assert.deepEqual(
    [...read('disp_count.bpf.o')],
    [['xdp_count', { priority: 10, chainCallActions: 1 << 2 }]],
  );
  assert.deepEqual(
    [...read('disp_redir.bpf.o')],
    [['xdp_redir8', { priority: 60, chainCallActions: (1 << 1) | (1 << 2) }]],
  );
  assert.equal(read('disp_drop.bpf.o').size, 0);
  assert.equal(read('redirect.bpf.o').size, 0);
});

void test('a chain runs in libxdp order; the last continuing return gives XDP_PASS; counts per program', async () => {
  // Written out of order: the BTF priorities (count 10, drop9 default 50, redir 60) decide.
  const input = await load(scenario([{ program: 'redir' }, { program: 'drop9' }, { program: 'count' }]));
  const r = new Simulation(input, { maxSteps: 1000 }).run();
  const dev = r.topology.devices.find((d) => d.name === 'r1')!;
  assert.deepEqual(
    dev.xdp!.dispatcher!.components.map((c) => [c.program, c.priority, c.chainCallActions.join('|')]),
    [
      ['count', 10, 'XDP_PASS'],
      ['drop9', 50, 'XDP_PASS'],
      ['redir', 60, 'XDP_DROP|XDP_PASS'],
    ],
  );
  assert.equal(dev.xdp!.program, 'count');
  const dispId = dev.xdp!.progId;
  assert.ok(!r.topology.programs.some((p) => p.id === dispId), 'the dispatcher has its own id');
  // Port 7: redir drops, but XDP_DROP continues its chain and it is the last → XDP_PASS.
  // Port 8: redirect. Port 9: drop9. Port 10: count rewrites it to 9 → drop9. Port 11: pass.
  assert.deepEqual(r.summary.actions.r1, { XDP_PASS: 4, XDP_REDIRECT: 2, XDP_DROP: 4 });
  const d = r.summary.dispatchers!.r1!;
  assert.equal(d.progId, dispId);
  assert.deepEqual(
    d.components.map((c) => [c.program, c.runs, c.actions, c.decided]),
    [
      ['count', 10, { XDP_PASS: 10 }, 0],
      ['drop9', 10, { XDP_DROP: 4, XDP_PASS: 6 }, 4],
      ['redir', 6, { XDP_DROP: 2, XDP_REDIRECT: 2, XDP_PASS: 2 }, 2],
    ],
  );
  assert.equal(d.passedThrough, 4);
  // The redirect tracepoint names the attached program: the dispatcher.
  const redirects = r.events
    .map((e) => formatEvent(e.event))
    .filter((l) => l.startsWith('xdp:xdp_redirect:'));
  assert.equal(redirects.length, 2);
  for (const l of redirects) assert.match(l, new RegExp(`^xdp:xdp_redirect: prog_id=${dispId} `));
  assert.equal(r.summary.devices.c0!.stack, 2);
  // The timeline's run step says what each component returned and which one decided.
  const runs = r.timeline.filter((s) => s.k === 'run' && s.device === 'r1');
  const nine = runs.find((s) => s.k === 'run' && s.frame === 5);
  assert.ok(nine && nine.k === 'run');
  assert.deepEqual(nine.chain, [
    { program: 'count', action: 2 },
    { program: 'drop9', action: 1 },
  ]);
  assert.equal(nine.decidedBy, 'drop9');
  const seven = runs.find((s) => s.k === 'run' && s.frame === 1);
  assert.ok(seven && seven.k === 'run' && seven.decidedBy === undefined && seven.action === 2);
  // The programs' own maps saw it: count (10 frames), redir (what reached it).
  const seen = (input.objects.get('disp_count.bpf.o') as ElfObject).map('disp_seen')!;
  const after = (input.objects.get('disp_redir.bpf.o') as ElfObject).map('disp_after')!;
  const u64 = (m: BpfMap, k: number) =>
    [...(m.userLookup(new Uint8Array([k, 0, 0, 0])) as Uint8Array)].reduceRight((n, b) => n * 256 + b, 0);
  assert.deepEqual(
    [7, 0, 1, 2, 3].map((k) => u64(seen, k)),
    [2, 2, 2, 2, 2],
  );
  assert.deepEqual(
    [7, 0, 1, 3].map((k) => u64(after, k)),
    [2, 2, 0, 2],
  );
});

void test("the scenario's priority and chainCallActions override the object's run config", async () => {
  const input = await load(
    scenario([
      { program: 'redir', priority: 5, chainCallActions: ['XDP_PASS'] },
      { program: 'drop9' },
      { program: 'count' },
    ]),
  );
  const r = new Simulation(input).run();
  const d = r.summary.dispatchers!.r1!;
  assert.deepEqual(
    d.components.map((c) => c.program),
    ['redir', 'count', 'drop9'],
  );
  // redir first now: port 7 → its XDP_DROP no longer continues; 9 and 10 (rewritten) → drop9.
  assert.deepEqual(r.summary.actions.r1, { XDP_DROP: 6, XDP_REDIRECT: 2, XDP_PASS: 2 });
  assert.equal(d.components[0]!.decided, 4);
});

void test('chain entries are validated with the JSON path named', () => {
  const bad = (xdp: unknown, re: RegExp) =>
    assert.throws(
      () => parseScenario({ ...scenario(xdp), programs: programs.map((p) => ({ ...p })) }),
      (e: unknown) => e instanceof ScenarioError && re.test(e.message),
    );
  bad([], /\$\.devices\[1\]\.xdp: needs at least 1 items/);
  bad([{ program: 'nope' }], /\$\.devices\[1\]\.xdp\[0\]\.program: no program named 'nope'/);
  bad(
    [{ program: 'count', chainCallActions: ['PASS'] }],
    /\$\.devices\[1\]\.xdp\[0\]\.chainCallActions\[0\]/,
  );
  bad([{ program: 'count', priority: -1 }], /\$\.devices\[1\]\.xdp\[0\]\.priority: must be ≥ 0/);
  bad(
    [{ program: 'count' }, { program: 'drop9', mode: 'generic' }],
    /\$\.devices\[1\]\.xdp: native and generic XDP can't be active at the same time/,
  );
  bad(
    Array.from({ length: 11 }, () => ({ program: 'count' })),
    /\$\.devices\[1\]\.xdp: has 11 items, at most 10/,
  );
  const ok = parseScenario(scenario([{ program: 'count', chainCallActions: ['XDP_DROP', 'XDP_PASS'] }]));
  assert.deepEqual(ok.devices[1]!.xdp, {
    program: 'count',
    mode: 'native',
    chain: [{ program: 'count', chainCallActions: [1, 2], path: '$.devices[1].xdp[0]' }],
  });
});

void test('one packet: a head moved by one program is what the next sees; ties go by function name', () => {
  const seen: number[] = [];
  // Both at libxdp's default priority 50: b_pop runs before c_look by name, whatever the order written.
  const r = simulate(
    {
      devices: [...pair('a0', 'r1', { r1: { xdp: [{ program: 'c_look' }, { program: 'b_pop' }] } })],
      traffic: [{ from: 'a0', count: 2, frame: { udp: { dport: 9 } } }],
    },
    {
      // bpf_xdp_adjust_head(ctx, 14): the Ethernet header popped.
      b_pop: prog('b_pop', (b) => {
        b.data += 14;
        return 2;
      }),
      c_look: prog('c_look', (b) => {
        seen.push(b.dataEnd - b.data, b.bytes[b.data] ?? -1);
        return 2;
      }),
    },
  );
  assert.deepEqual(seen, [50, 0x45, 50, 0x45], 'c_look starts at the IPv4 header');
  assert.deepEqual(
    r.summary.dispatchers!.r1!.components.map((c) => c.program),
    ['b_pop', 'c_look'],
  );
  assert.equal(r.summary.dispatchers!.r1!.passedThrough, 2);
});
