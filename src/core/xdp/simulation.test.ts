// Scenarios of a real host (scenario.md, "Scenarios of a real host"): namespaces whose ifindexes
// collide, redirect-map ifindexes resolved in the namespace of the device whose program uses the
// map, `PROGRAM/MAP` keys, a veth whose peer is outside the scenario and a program without an object.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseScenario } from '../scenario/scenarioParse';
import { devmap, prog, redirectMap, system, udp } from '../../../test/unit/xdp/programDoubles';
import type { BpfMap } from '../maps/bpfMap';
import type { XdpProgramHandle } from '../vm/xdpRun';
import { Simulation, type LoadedObject } from './simulation';

/** Two objects (r.o and s.o), each with its own `tx_port` devmap, and a program redirecting to key 0. */
function hostObjects(): { objects: Map<string, LoadedObject>; maps: BpfMap[] } {
  const sys = system(1);
  const rMap = devmap(sys);
  const sMap = devmap(sys);
  const redir = (m: BpfMap): XdpProgramHandle => prog('xdp_redir', (_b, c) => redirectMap(c, m, 0));
  const objects = new Map<string, LoadedObject>([
    ['r.o', { programs: [redir(rMap), prog('xdp_pass', () => 2)], maps: [rMap] }],
    ['s.o', { programs: [redir(sMap)], maps: [sMap] }],
  ]);
  return { objects, maps: [rMap, sMap] };
}

/** a ⇄ r ⇄ b across three namespaces, every namespace numbering from 2 (as the kernel does). */
const threeNamespaces = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  version: 1,
  programs: [
    { name: 'redir', file: 'r.o', function: 'xdp_redir' },
    { name: 'pass', file: 'r.o', function: 'xdp_pass' },
    { name: 'other', file: 's.o', function: 'xdp_redir' },
  ],
  devices: [
    { name: 'a/lo', netns: 'a', kind: 'loopback' },
    { name: 'a/veth0', netns: 'a', kind: 'veth', ifindex: 2, peer: 'r/veth0' },
    { name: 'r/lo', netns: 'r', kind: 'loopback' },
    { name: 'r/veth0', netns: 'r', kind: 'veth', ifindex: 2, peer: 'a/veth0', xdp: { program: 'redir' } },
    { name: 'r/veth1', netns: 'r', kind: 'veth', ifindex: 3, peer: 'b/veth0' },
    {
      name: 'r/up0',
      netns: 'r',
      kind: 'veth',
      ifindex: 4,
      peer: null,
      peerIfindex: 9,
      note: 'peer in netns 7',
    },
    { name: 'b/veth0', netns: 'b', kind: 'veth', ifindex: 2, peer: 'r/veth1', xdp: { program: 'pass' } },
  ],
  traffic: [{ from: 'a/veth0', count: 3, frame: udp }],
  ...extra,
});

function run(raw: Record<string, unknown>): ReturnType<Simulation['run']> {
  const { objects } = hostObjects();
  return new Simulation({ scenario: parseScenario(raw), objects }).run();
}

describe('scenarios of a real host', () => {
  it("resolves a map's integer ifindex in the namespace of the device whose program uses it", () => {
    // ifindex 3 in netns r is r/veth1 (netns a and b have no 3; 2 would be ambiguous without the rule).
    const r = run(threeNamespaces({ maps: { 'redir/tx_port': [{ key: 0, value: 3 }] } }));
    assert.equal(r.summary.devices['b/veth0']?.xdpRx, 3);
    assert.equal(r.summary.devices['b/veth0']?.stack, 3);
    const veth1 = r.topology.devices.find((d) => d.name === 'r/veth1');
    assert.equal(veth1?.netns, 'r');
    // Colliding ifindexes get a host-wide index of their own; the namespace's one is kept beside it.
    const b = r.topology.devices.find((d) => d.name === 'b/veth0');
    assert.equal(b?.nsIfindex, 2);
    assert.notEqual(b?.ifindex, 2);
  });

  it('PROGRAM/MAP keys tell two objects’ maps of one name apart', () => {
    const sc = threeNamespaces({
      maps: {
        'redir/tx_port': [{ key: 0, value: 'r/veth1' }],
        'other/tx_port': [{ key: 0, value: 'r/up0' }],
      },
    });
    const { objects, maps } = hostObjects();
    new Simulation({ scenario: parseScenario(sc), objects }).run();
    assert.equal(maps[0]?.dump().length, 1);
    assert.equal(maps[1]?.dump().length, 1);
    assert.notDeepEqual(maps[0]?.dump()[0]?.value, maps[1]?.dump()[0]?.value);
    assert.throws(
      () => run(threeNamespaces({ maps: { 'nope/tx_port': [] } })),
      /no program 'nope' in \$\.programs/,
    );
  });

  it('frames sent towards a peer outside the scenario leave it: counted as sent, not dropped', () => {
    const r = run(threeNamespaces({ maps: { 'redir/tx_port': [{ key: 0, value: 'r/up0' }] } }));
    const up0 = r.summary.devices['r/up0'];
    assert.equal(up0?.txFrames, 3);
    assert.equal(up0?.drops, 0);
    assert.equal(r.topology.devices.find((d) => d.name === 'r/up0')?.peerOutside, true);
  });

  it('a program without a local object is drawn and its frames reported as unknown, not guessed', () => {
    const sc = threeNamespaces({ maps: { 'redir/tx_port': [{ key: 0, value: 'r/veth1' }] } });
    (sc.programs as unknown[]).push({ name: 'lb', id: 42, tag: '0123456789abcdef' });
    (sc.devices as Array<Record<string, unknown>>)[6] = {
      name: 'b/veth0',
      netns: 'b',
      kind: 'veth',
      ifindex: 2,
      peer: 'r/veth1',
      xdp: { program: 'lb' },
    };
    const r = run(sc);
    assert.equal(r.summary.devices['b/veth0']?.dropReasons.unknown_program, 3);
    assert.ok(r.summary.warnings.some((w) => w.includes('unknown program (tag 0123456789abcdef, id 42)')));
    const lb = r.topology.programs.find((p) => p.name === 'lb');
    assert.equal(lb?.tag, '0123456789abcdef');
    assert.equal(lb?.file, undefined);
  });

  it('other device kinds: generic XDP everywhere, native refused where the driver has none', () => {
    const r = run({
      version: 1,
      programs: [{ name: 'pass', file: 'r.o', function: 'xdp_pass' }],
      devices: [
        { name: 'br0', kind: 'bridge', xdp: { program: 'pass', mode: 'generic' } },
        { name: 'd0', kind: 'dummy', xdp: { program: 'pass', mode: 'native' } },
        { name: 'lo', kind: 'loopback' },
      ],
      traffic: [{ rx: 'br0', count: 2, frame: udp }],
    });
    assert.equal(r.summary.devices.br0?.xdpRx, 2);
    assert.match(r.summary.warnings.join('\n'), /driver dummy has no native XDP/);
    const lo = r.topology.devices.find((d) => d.name === 'lo');
    assert.equal(lo?.ifindex, 1);
    assert.equal(lo?.mtu, 65536);
  });
});
