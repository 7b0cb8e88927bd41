// Scenario files (../shared/specs/scenario.md): the spec's own example is accepted, defaults are
// applied, and every bad input is an error naming its JSON path — never a crash.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ScenarioError, parseScenario, parseScenarioText } from './scenarioParse';
import { scenarioJsonSchema } from './scenarioSchema';
import { starterScenario } from './starterScenario';

// The example of scenario.md, verbatim apart from the elided hex frame and JSONC comments.
const specExample = {
  version: 1,
  cpus: 2,
  programs: [
    { name: 'redir', file: 'redir.o', function: 'xdp_redir' },
    { name: 'pass', file: 'redir.o', function: 'xdp_pass' },
    { name: 'cpu_prog', file: 'redir.o', function: 'cpu_prog' },
  ],
  devices: [
    { name: 'a0', kind: 'veth', peer: 'r1' },
    { name: 'r1', kind: 'veth', peer: 'a0', xdp: { program: 'redir', mode: 'native' } },
    { name: 'r2', kind: 'veth', peer: 'c0' },
    { name: 'c0', kind: 'veth', peer: 'r2', xdp: { program: 'pass', mode: 'native' } },
    {
      name: 'eth0',
      kind: 'nic',
      driver: 'mlx5',
      queues: 4,
      up: true,
      mtu: 1500,
      features: { ndoXmit: true, ndoXmitSg: false, rxSg: false },
    },
  ],
  maps: {
    tx_port: [{ key: 0, value: 'r2' }],
    cpu_map: [{ key: 1, value: { qsize: 2048, program: 'cpu_prog' } }],
    xsks: [{ key: 0, value: { xsk: 'sock0' } }],
  },
  xsks: [{ name: 'sock0', device: 'eth0', queue: 0, rxRing: 2048 }],
  traffic: [
    { from: 'a0', count: 100, frame: { udp: { dst: '10.0.0.2', dport: 9 } } },
    {
      rx: 'eth0',
      queue: 1,
      cpu: 1,
      count: 64,
      burst: 16,
      frame: 'ffffffffffff020000000001080045000014000000004011000000000000000000000000',
    },
    { rx: 'eth0', pcap: 'capture.pcap' },
  ],
};

function errorOf(raw: unknown): ScenarioError {
  try {
    parseScenario(raw);
  } catch (e) {
    assert.ok(e instanceof ScenarioError, `expected a ScenarioError, got ${String(e)}`);
    return e;
  }
  assert.fail('expected the scenario to be refused');
}

describe('scenario files (scenario.md)', () => {
  it('accepts the example of the spec with its defaults', () => {
    const s = parseScenario(specExample);
    assert.deepEqual(
      s.devices.map((d) => [d.name, d.ifindex]),
      [
        ['a0', 2],
        ['r1', 3],
        ['r2', 4],
        ['c0', 5],
        ['eth0', 6],
      ],
      'ifindexes in device order from 2',
    );
    assert.equal(s.devices[0]!.up, true);
    assert.equal(s.devices[0]!.mtu, 1500);
    assert.equal(s.traffic[0]!.burst, 1, "'from' defaults to one frame per poll");
    assert.equal(s.traffic[1]!.burst, 16);
    assert.equal(s.traffic[2]!.burst, 64, "'rx' defaults to 64");
    assert.equal(s.traffic[0]!.frame!.length, 64, 'structured frames default to 64 bytes');
    assert.equal(s.xsks[0]!.fillRing, 2048);
  });

  it('explicit ifindexes are kept and the others skip them', () => {
    const s = parseScenario({
      version: 1,
      devices: [
        { name: 'x', kind: 'nic' },
        { name: 'y', kind: 'nic', ifindex: 2 },
      ],
    });
    assert.deepEqual(
      s.devices.map((d) => d.ifindex),
      [3, 2],
    );
  });

  const cases: Array<[string, unknown, string, RegExp]> = [
    ['unknown top-level field', { version: 1, devics: [] }, '$.devics', /unknown field 'devics'/],
    [
      'unknown nested field',
      { version: 1, devices: [{ name: 'a', kind: 'nic', xdp: { program: 'p', mod: 'native' } }] },
      '$.devices[0].xdp.mod',
      /unknown field/,
    ],
    ['wrong version', { version: 2 }, '$.version', /must be 1/],
    [
      'bad mode',
      { version: 1, devices: [{ name: 'a', kind: 'nic', xdp: { program: 'p', mode: 'skb' } }] },
      '$.devices[0].xdp.mode',
      /one of "native", "generic"/,
    ],
    [
      'veth without peer',
      { version: 1, devices: [{ name: 'a', kind: 'veth' }] },
      '$.devices[0]',
      /needs 'peer'/,
    ],
    [
      'peer missing',
      { version: 1, devices: [{ name: 'a', kind: 'veth', peer: 'b' }] },
      '$.devices[0].peer',
      /no device named 'b'/,
    ],
    [
      'unknown program',
      { version: 1, devices: [{ name: 'a', kind: 'nic', xdp: { program: 'nope' } }] },
      '$.devices[0].xdp.program',
      /no program named 'nope'/,
    ],
    [
      'duplicate ifindex',
      {
        version: 1,
        devices: [
          { name: 'a', kind: 'nic', ifindex: 7 },
          { name: 'b', kind: 'nic', ifindex: 7 },
        ],
      },
      '$.devices[1].ifindex',
      /used twice/,
    ],
    [
      'count too large',
      { version: 1, devices: [{ name: 'a', kind: 'nic' }], traffic: [{ rx: 'a', count: 1e12, frame: {} }] },
      '$.traffic[0].count',
      /≤ 10000000/,
    ],
    [
      'bad hex frame',
      { version: 1, devices: [{ name: 'a', kind: 'nic' }], traffic: [{ rx: 'a', frame: 'zz' }] },
      '$.traffic[0].frame',
      /match/,
    ],
    [
      'runt frame',
      { version: 1, devices: [{ name: 'a', kind: 'nic' }], traffic: [{ rx: 'a', frame: 'ffff' }] },
      '$.traffic[0].frame',
      /shorter than an Ethernet header/,
    ],
    [
      'bad IPv4',
      {
        version: 1,
        devices: [{ name: 'a', kind: 'nic' }],
        traffic: [{ rx: 'a', frame: { udp: { dst: '10.0.0.256' } } }],
      },
      '$.traffic[0].frame',
      /not an IPv4 address/,
    ],
    [
      'cpu out of range',
      { version: 1, devices: [{ name: 'a', kind: 'nic' }], traffic: [{ rx: 'a', cpu: 3, frame: {} }] },
      '$.traffic[0].cpu',
      /1 CPU/,
    ],
    [
      'from on a NIC',
      { version: 1, devices: [{ name: 'a', kind: 'nic' }], traffic: [{ from: 'a', frame: {} }] },
      '$.traffic[0].from',
      /not a veth/,
    ],
    [
      'map value shape',
      { version: 1, maps: { m: [{ key: 0, value: { qsize: 1, xsk: 'x' } }] } },
      '$.maps.m[0].value.xsk',
      /unknown field 'xsk'/,
    ],
    ['not an object', [1, 2], '$', /must be object/],
    ['null', null, '$', /must be object/],
  ];
  for (const [name, raw, path, why] of cases)
    it(`refuses: ${name} (names ${path})`, () => {
      const e = errorOf(raw);
      assert.equal(e.path, path);
      assert.match(e.why, why);
    });

  it('malformed JSON and hostile input are clear errors, not crashes or hangs', () => {
    assert.throws(
      () => parseScenarioText('{"version": 1,'),
      (e: unknown) => e instanceof ScenarioError && /not valid JSON/.test(e.why),
    );
    // Where, as an editor says it (issue 12): line and column, not V8's character position.
    assert.throws(
      () => parseScenarioText('{\n  "version": 1,\n  "devices": [ {"name": "a" "kind": "veth"} ]\n}'),
      (e: unknown) =>
        e instanceof ScenarioError &&
        /^not valid JSON: line 3, column 29: /.test(e.why) &&
        !/position/.test(e.why),
    );
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    assert.throws(() => parseScenarioText(deep), ScenarioError);
    const many = {
      version: 1,
      devices: Array.from({ length: 5000 }, (_, i) => ({ name: `d${i}`, kind: 'nic' })),
    };
    assert.throws(
      () => parseScenario(many),
      (e: unknown) => e instanceof ScenarioError && /at most 4096/.test(e.why),
    );
  });

  it('the schema describes every field the parser accepts (one source)', () => {
    assert.equal(scenarioJsonSchema.additionalProperties, false);
    assert.ok(scenarioJsonSchema.properties?.traffic);
  });

  it('the starter scenario of the example program is a valid scenario with its devmap entry', () => {
    const src = `
struct { __uint(type, BPF_MAP_TYPE_DEVMAP); __uint(max_entries, 8); } tx_port SEC(".maps");
SEC("xdp") int xdp_redirect_udp(struct xdp_md *ctx) { return 0; }
SEC("xdp") int xdp_pass(struct xdp_md *ctx) { return 2; }`;
    const s = parseScenarioText(starterScenario('p.bpf.c', src));
    assert.deepEqual(
      s.programs.map((p) => p.function),
      ['xdp_redirect_udp', 'xdp_pass'],
    );
    assert.deepEqual(
      s.maps.tx_port?.map((e) => e.value),
      ['r2'],
    );
    assert.equal(s.devices.find((d) => d.name === 'c0')?.xdp?.program, 'pass');
  });
});

describe('scenarios of a real host (scenario.md)', () => {
  const bad = (raw: unknown, path: string, why: RegExp): void =>
    assert.throws(
      () => parseScenario(raw),
      (e: unknown) => e instanceof ScenarioError && e.path === path && why.test(e.why),
    );

  it('NETNS/NAME devices number their ifindexes per namespace, the loopback taking 1', () => {
    const s = parseScenario({
      version: 1,
      devices: [
        { name: 'a/lo', netns: 'a', kind: 'loopback' },
        { name: 'a/eth0', netns: 'a', kind: 'veth', peer: 'b/eth0' },
        { name: 'b/lo', netns: 'b', kind: 'loopback' },
        { name: 'b/eth0', netns: 'b', kind: 'veth', peer: 'a/eth0', mtu: 65536 },
        { name: 'br0', kind: 'bridge', driver: 'bridge' },
        { name: 'tap0', kind: 'tun', driver: 'tun', xdp: { program: 'p', mode: 'offload' } },
      ],
      programs: [{ name: 'p', id: 7, tag: 'a04f5eef06a7f555' }],
    });
    assert.deepEqual(
      s.devices.map((d) => [d.name, d.ifindex]),
      [
        ['a/lo', 1],
        ['a/eth0', 2],
        ['b/lo', 1],
        ['b/eth0', 2],
        ['br0', 2],
        ['tap0', 3],
      ],
    );
    // One host-wide index each for the simulator: later namespaces' collisions move above the rest.
    assert.equal(new Set(s.devices.map((d) => d.simIfindex)).size, 6);
    assert.equal(s.devices[0]?.simIfindex, 1);
    assert.equal(s.devices[3]?.mtu, 65536);
    assert.deepEqual(s.programs[0], { name: 'p', id: 7, tag: 'a04f5eef06a7f555' });
  });

  it('a veth whose peer is outside takes "peer": null with peerIfindex', () => {
    const s = parseScenario({
      version: 1,
      devices: [{ name: 'v', kind: 'veth', peer: null, peerIfindex: 12, note: 'peer in another netns' }],
    });
    assert.equal(s.devices[0]?.peer, undefined);
    assert.equal(s.devices[0]?.peerIfindex, 12);
  });

  it('refuses what a host cannot have, naming the path', () => {
    bad(
      {
        version: 1,
        devices: [
          { name: 'a', kind: 'veth', peer: 'b', peerIfindex: 3 },
          { name: 'b', kind: 'veth', peer: 'a' },
        ],
      },
      '$.devices[0].peerIfindex',
      /outside the scenario/,
    );
    bad(
      { version: 1, devices: [{ name: 'x', kind: 'dummy', ifindex: 1 }] },
      '$.devices[0].ifindex',
      /loopback/,
    );
    bad(
      {
        version: 1,
        devices: [
          { name: 'n/x', netns: 'n', kind: 'dummy', ifindex: 4 },
          { name: 'n/y', netns: 'n', kind: 'dummy', ifindex: 4 },
        ],
      },
      '$.devices[1].ifindex',
      /used twice in netns n/,
    );
    bad({ version: 1, devices: [{ name: 'a/b/c', kind: 'dummy' }] }, '$.devices[0].name', /does not match/);
    bad({ version: 1, programs: [{ name: 'p', function: 'f' }] }, '$.programs[0]', /need 'file'/);
    bad({ version: 1, programs: [{ name: 'p', tag: 'xyz' }] }, '$.programs[0].tag', /does not match/);
    bad(
      {
        version: 1,
        devices: [{ name: 'v', kind: 'veth', peer: null }],
        traffic: [{ rx: 'v', frame: 'ffffffffffff000000000000ffff' }],
      },
      '$.traffic[0].rx',
      /is a veth/,
    );
  });
});
