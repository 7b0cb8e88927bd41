// Loading a scenario's objects (issue 13 items 4, 5): a program's `globals` set before the run
// (programs of one file share them), and objects that pin a map by name sharing it, so a tail call
// crosses objects in a simulation.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { globalValueText } from '../elf/globals';
import type { LoadedObject } from '../elf/loadObject';
import type { CoreHost } from '../host';
import { Simulation } from '../xdp/simulation';
import { loadScenario } from './scenarioLoad';
import { ScenarioError } from './scenarioParse';

const objDir = path.resolve(__dirname, '../../../test/fixtures/programs/obj');
const host: CoreHost = {
  nowNs: () => 0n,
  log: () => undefined,
  readFile: async (p) => new Uint8Array(await fs.promises.readFile(p)),
  resolvePath: (base, rel) => path.resolve(path.dirname(base), rel),
};
const scenarioPath = path.join(objDir, 'x.xdpscenario.json');
const load = (s: unknown) => loadScenario(scenarioPath, JSON.stringify(s), { host });
const veths = (prog: string) => [
  { name: 'a0', kind: 'veth', peer: 'r1' },
  { name: 'r1', kind: 'veth', peer: 'a0', xdp: { program: prog, mode: 'native' } },
];

void test("a scenario program's globals are set before the run", async () => {
  const input = await load({
    version: 1,
    programs: [{ name: 'k', file: 'knobs.bpf.o', globals: { mode: 'XDP_DROP', port: 9, label: 'sim' } }],
    devices: veths('k'),
    traffic: [{ from: 'a0', count: 3, frame: { udp: { dport: 9 } } }],
  });
  const obj = input.objects.get('knobs.bpf.o') as LoadedObject;
  assert.deepEqual(
    ['mode', 'port', 'label'].map((n) => globalValueText(obj.globals.find((g) => g.name === n)!)),
    ['MODE_DROP', '9', 'sim'],
  );
  const r = new Simulation(input).run();
  assert.deepEqual(r.summary.actions.r1, { XDP_DROP: 3 });
});

void test('bad or conflicting globals name the JSON path', async () => {
  const refuse = async (programs: unknown[], re: RegExp) =>
    assert.rejects(
      load({ version: 1, programs, devices: [] }),
      (e: unknown) => e instanceof ScenarioError && re.test(e.message),
    );
  await refuse(
    [{ name: 'k', file: 'knobs.bpf.o', globals: { nope: 1 } }],
    /\$\.programs\[0\]\.globals\.nope: no global variable 'nope' \(the object has: port, /,
  );
  await refuse(
    [{ name: 'k', file: 'knobs.bpf.o', globals: { port: 'x' } }],
    /\$\.programs\[0\]\.globals\.port: .*'x' is not an integer/,
  );
  await refuse(
    [
      { name: 'k', file: 'knobs.bpf.o', globals: { port: 1 } },
      { name: 'k2', file: 'knobs.bpf.o', globals: { port: 2 } },
    ],
    /\$\.programs\[1\]\.globals\.port: \$\.programs\[0\]\.globals\.port sets it to 1 in the same object \(knobs\.bpf\.o\); programs of one file share its globals/,
  );
  await refuse(
    [{ name: 'k', file: 'knobs.bpf.o', globals: { port: { a: 1 } } }],
    /\$\.programs\[0\]\.globals\.port/,
  );
});

void test('objects pinning the same map share it: a tail call crosses objects in a simulation', async () => {
  const input = await load({
    version: 1,
    programs: [
      { name: 'entry', file: 'pinentry.bpf.o' },
      { name: 'target', file: 'pintarget.bpf.o' },
    ],
    devices: veths('entry'),
    traffic: [{ from: 'a0', count: 4, frame: { udp: {} } }],
  });
  const a = input.objects.get('pinentry.bpf.o') as LoadedObject;
  const b = input.objects.get('pintarget.bpf.o') as LoadedObject;
  assert.equal(a.map('xlpin_jmp'), b.map('xlpin_jmp'));
  const r = new Simulation(input).run();
  assert.deepEqual(r.summary.actions.r1, { XDP_TX: 4 });
});

void test("a scenario fills a prog array with another object's program: the tail call crosses objects", async () => {
  const input = await load({
    version: 1,
    programs: [
      { name: 'entry', file: 'pinentry.bpf.o' },
      { name: 'knobs', file: 'knobs.bpf.o', globals: { mode: 'XDP_DROP' } },
    ],
    devices: veths('entry'),
    maps: { xlpin_jmp: [{ key: 1, value: { program: 'knobs' } }] },
    traffic: [{ from: 'a0', count: 2, frame: { udp: { dport: 53 }, length: 80 } }],
  });
  assert.deepEqual(new Simulation(input).run().summary.actions.r1, { XDP_DROP: 2 });
  await assert.rejects(
    load({
      version: 1,
      programs: [{ name: 'entry', file: 'pinentry.bpf.o' }],
      maps: { xlpin_jmp: [{ key: 1, value: { program: 'nope' } }] },
    }),
    /\$\.maps\.xlpin_jmp\[0\]\.value\.program: no program named 'nope'/,
  );
});

void test("a scenario's conntrack entries are what bpf_xdp_ct_lookup finds; an inserted entry serves later frames", async () => {
  const input = await load({
    version: 1,
    programs: [{ name: 'ct', file: 'conntrack.bpf.o' }],
    devices: veths('ct'),
    conntrack: [{ proto: 'tcp', src: '10.0.0.2', sport: 80, dst: '10.0.0.1', dport: 40000, mark: 42 }],
    traffic: [
      // Untracked UDP to port 9: the first frame allocates and inserts it (XDP_TX), the rest find it.
      { from: 'a0', count: 3, frame: { udp: { sport: 5000, dport: 9 } } },
      // The reply direction of the scenario's entry: found.
      {
        from: 'a0',
        count: 2,
        frame: { ipv4: { src: '10.0.0.1', dst: '10.0.0.2' }, tcp: { sport: 40000, dport: 80 } },
      },
      { from: 'a0', count: 1, frame: { tcp: { sport: 1, dport: 22 } } },
    ],
  });
  const r = new Simulation(input).run();
  assert.deepEqual(r.summary.actions.r1, { XDP_TX: 1, XDP_PASS: 4, XDP_DROP: 1 });
  assert.equal(input.system.conntrack.entries.length, 2);
  await assert.rejects(
    load({
      version: 1,
      devices: [],
      conntrack: [{ proto: 'udp', src: '10.0.0.1', sport: 1, dst: 'fd00::1', dport: 2 }],
    }),
    (e: unknown) =>
      e instanceof ScenarioError &&
      /\$\.conntrack\[0\]: src and dst are not of the same address family/.test(e.message),
  );
  await assert.rejects(
    load({
      version: 1,
      devices: [],
      conntrack: [{ proto: 'udp', src: '10.0.0.1', sport: 1, dst: '10.0.0.2', dport: 2, status: ['NOPE'] }],
    }),
    (e: unknown) =>
      e instanceof ScenarioError &&
      /^\$\.conntrack\[0\]\.status: 'NOPE' is not a conntrack status bit/.test(e.message),
  );
});
