// `xdp-lab import` from a host's snapshot: the fixture is the import script's real output on Linux
// 6.18 (three namespaces a ⇄ r ⇄ b, examples/redirect.bpf.c's programs attached native on r/veth0
// and b/veth0 and generic on a bridge, tx_port[0] filled) — the scenario it gives parses, names
// the devices per namespace, matches the programs by tag and simulates like the host forwards.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { progTags } from '../bpf/progTag';
import { loadObject } from '../elf/loadObject';
import { BpfSystem } from '../vm/bpfSystem';
import { Simulation } from '../xdp/simulation';
import { importHost, type LocalProgram } from './hostImport';
import { parseHostSnapshot, snapshotMissing } from './hostSnapshot';
import { parseScenario } from './scenarioParse';

const root = path.resolve(import.meta.dirname, '../../..');
const snapshotText = readFileSync(path.join(root, 'test/fixtures/import/three-netns.snapshot.txt'), 'utf8');
const objFile = path.join(root, 'test/fixtures/programs/obj/redirect.bpf.o');

function localPrograms(): LocalProgram[] {
  const obj = loadObject(new Uint8Array(readFileSync(objFile)), {
    system: new BpfSystem({ possibleCpus: 2 }),
    name: 'redirect',
  });
  return obj.programs.map((p) => ({
    file: 'redirect.bpf.o',
    function: p.name,
    tags: progTags(p.insns),
    maps: obj.maps.map((m) => m.name),
  }));
}

describe('importHost', () => {
  it('names devices per namespace, finds veth peers across them, matches programs by tag', () => {
    const r = importHost(parseHostSnapshot(snapshotText), localPrograms(), 'lab');
    const sc = parseScenario(r.scenario);
    const dev = (n: string) => sc.devices.find((d) => d.name === n);
    assert.equal(dev('s4i-a/veth0')?.peer, 's4i-r/veth0');
    assert.equal(dev('veth1')?.peer, 's4i-b/veth0');
    assert.equal(dev('veth1')?.netns, 's4i-r');
    assert.equal(dev('s4i-r/lo')?.kind, 'loopback');
    assert.equal(dev('eth0')?.driver, 'virtio_net');
    assert.equal(dev('ifb0')?.kind, 'other');
    assert.equal(dev('br7')?.xdp?.mode, 'generic');
    assert.deepEqual(dev('s4i-r/veth0')?.xdp, { program: 'xdp_redirect_udp', mode: 'native' });
    assert.deepEqual(
      sc.programs.map((p) => [p.name, p.file, p.function]),
      [
        ['xdp_pass', 'redirect.bpf.o', 'xdp_pass'],
        ['xdp_redirect_udp', 'redirect.bpf.o', 'xdp_redirect_udp'],
      ],
    );
    // tx_port[0] held ifindex 3: in r's namespace (where the program using it runs) that is veth1.
    assert.deepEqual(r.scenario.maps, { tx_port: [{ key: 0, value: 'veth1' }] });
    assert.match(r.notes.join('\n'), /rx_count \(percpu_array/);
  });

  it('a program without a local object is listed by name, id and tag', () => {
    const r = importHost(parseHostSnapshot(snapshotText), [], 'lab');
    const sc = parseScenario(r.scenario);
    assert.deepEqual(sc.programs[0], { name: 'xdp_pass', id: 279129, tag: '614b434cd8324ecc' });
    assert.equal(r.scenario.maps, undefined);
    assert.match(r.notes[0] ?? '', /matches no local object/);
  });

  it('simulates the imported host with traffic added: port 8 crosses r into b', () => {
    const r = importHost(parseHostSnapshot(snapshotText), localPrograms(), 'lab');
    r.scenario.traffic = [{ from: 's4i-a/veth0', count: 5, frame: { udp: { dst: '10.0.0.2', dport: 8 } } }];
    const scenario = parseScenario(r.scenario);
    const system = new BpfSystem({ possibleCpus: scenario.cpus });
    const obj = loadObject(new Uint8Array(readFileSync(objFile)), { system, name: 'redirect' });
    const result = new Simulation({ scenario, objects: new Map([['redirect.bpf.o', obj]]) }).run();
    assert.equal(result.summary.tracepoints['xdp:xdp_redirect'], 5);
    assert.equal(result.summary.devices['s4i-b/veth0']?.stack, 5);
  });

  it('an unnamed login namespace and a container namespace nobody named (captured on 6.18)', () => {
    // Login in the init namespace (no name): xs4i0 ⇄ s4i-q/veth0; s4i-q's cont0 ⇄ eth0 of an
    // `unshare --net` process; vo0 ⇄ vo1 between two named namespaces; another lab moving veths mid-capture.
    const text = readFileSync(
      path.join(root, 'test/fixtures/import/login-and-anonymous-netns.snapshot.txt'),
      'utf8',
    );
    const r = importHost(parseHostSnapshot(text), [], 'lab');
    r.scenario.traffic = [
      { from: 'xs4i0', count: 3, frame: { udp: {} } },
      { from: 'cont0', count: 2, frame: { udp: {} } },
    ];
    // What-if: cont0 was down when captured; bring it up in the scenario.
    const cont0 = (r.scenario.devices as Array<Record<string, unknown>>).find((d) => d.name === 'cont0');
    assert.equal(cont0?.up, false);
    if (cont0) cont0.up = true;
    const sc = parseScenario(r.scenario);
    const dev = (n: string) => sc.devices.find((d) => d.name === n);
    assert.equal(dev('veth0')?.peer, 'xs4i0', 'found from the login side pointing back');
    assert.equal(dev('xs4i0')?.netns, 'host');
    assert.equal(dev('vo0')?.peer, 'vo1');
    // A pair inside one namespace: `ip -j` names the peer ("link") instead of giving link_index.
    assert.equal(dev('xlsim-r/xsa1')?.peer, 'xlsim-r/xsa0');
    assert.equal(dev('cont0')?.peer, undefined);
    assert.equal(dev('cont0')?.peerIfindex, 2);
    assert.match(dev('cont0')?.note ?? '', /nsid 2/);
    const result = new Simulation({ scenario: sc, objects: new Map() }).run();
    assert.equal(result.summary.devices.veth0?.stack, 3);
    assert.deepEqual(
      { tx: result.summary.devices.cont0?.txFrames, drops: result.summary.devices.cont0?.drops },
      { tx: 2, drops: 0 },
    );
  });

  it('names what the host lacks', () => {
    assert.equal(snapshotMissing('@@xdp-lab missing bpftool\n'), 'bpftool');
    assert.equal(snapshotMissing(snapshotText), undefined);
    assert.match(snapshotMissing('@@xdp-lab kernel\n6.1\n') ?? '', /did not finish/);
  });
});
