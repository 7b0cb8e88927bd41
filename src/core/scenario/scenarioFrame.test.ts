// scenarioFrame: the N-th traffic frame's entry, receiving device and program.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { scenarioFrame } from './scenarioFrame';
import { parseScenarioText } from './scenarioParse';

const scenario = parseScenarioText(
  JSON.stringify({
    version: 1,
    programs: [{ name: 'redir', file: 'redirect.bpf.c', function: 'xdp_redirect_udp' }],
    devices: [
      { name: 'a0', kind: 'veth', peer: 'r1' },
      { name: 'r1', kind: 'veth', peer: 'a0', xdp: { program: 'redir' } },
      { name: 'eth0', kind: 'nic', driver: 'mlx5' },
    ],
    traffic: [
      { from: 'a0', count: 3, frame: { udp: { dport: 9 } } },
      { rx: 'eth0', count: 2, frame: { udp: { dport: 8 } } },
    ],
  }),
);

void test('a veth frame arrives at the peer and meets its program; a NIC frame at the NIC', () => {
  const third = scenarioFrame(scenario, 3);
  assert.ok(typeof third !== 'string');
  assert.equal(third.rx?.name, 'r1');
  assert.equal(third.program?.function, 'xdp_redirect_udp');
  const fourth = scenarioFrame(scenario, 4);
  assert.ok(typeof fourth !== 'string');
  assert.equal(fourth.rx?.name, 'eth0');
  assert.equal(fourth.program, undefined);
});

void test('numbers outside the traffic say why', () => {
  const why = (n: number): string => {
    const r = scenarioFrame(scenario, n);
    return typeof r === 'string' ? r : 'found';
  };
  assert.match(why(6), /has 5 frames, not 6/);
  assert.match(why(0), /not a frame number/);
});
