// Hostile scenario input never crashes or hangs the parser (scenario.md: "Unknown fields are an
// error with the JSON path named"): random JSON values and random mutations of a valid scenario
// either parse or throw a ScenarioError with a JSON path — nothing else.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ScenarioError, parseScenario, parseScenarioText } from './scenarioParse';

const valid = {
  version: 1,
  cpus: 2,
  programs: [{ name: 'p', file: 'p.o', function: 'f' }],
  devices: [
    { name: 'a0', kind: 'veth', peer: 'r1' },
    { name: 'r1', kind: 'veth', peer: 'a0', xdp: { program: 'p' } },
    { name: 'eth0', kind: 'nic', driver: 'ice', queues: 2 },
  ],
  maps: { m: [{ key: 0, value: 'a0' }] },
  xsks: [{ name: 's', device: 'eth0', queue: 1 }],
  traffic: [
    { from: 'a0', count: 3, frame: { udp: { dst: '10.0.0.2' } } },
    { rx: 'eth0', queue: 1, frame: 'ffffffffffff000000000000' + '0800' + '00'.repeat(50) },
  ],
};

function onlyScenarioErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof ScenarioError, `unexpected ${e instanceof Error ? e.stack : String(e)}`);
    assert.match(e.path, /^\$/);
    assert.ok(e.why.length > 0 && e.why.length < 2000);
  }
}

/** Sets `value` at a random path inside `root` (a deep copy). */
function mutate(root: unknown, path: number[], value: unknown): unknown {
  const copy = JSON.parse(JSON.stringify(root)) as unknown;
  let node = copy as Record<string, unknown> | unknown[];
  for (let i = 0; i < path.length; i++) {
    const keys = Object.keys(node);
    if (!keys.length) break;
    const k = keys[(path[i] as number) % keys.length] as string;
    const child = (node as Record<string, unknown>)[k];
    if (i === path.length - 1 || child === null || typeof child !== 'object') {
      (node as Record<string, unknown>)[k] = value;
      break;
    }
    node = child as Record<string, unknown>;
  }
  return copy;
}

describe('scenario parser under hostile input', () => {
  it('the base scenario is valid', () => {
    assert.equal(parseScenario(valid).devices.length, 3);
  });

  it('random JSON values: parse or a ScenarioError, never another exception', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => onlyScenarioErrors(() => parseScenario(v))),
      { numRuns: 500 },
    );
  });

  it('random mutations of a valid scenario: parse or a ScenarioError naming a path', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat(50), { minLength: 1, maxLength: 5 }),
        fc.jsonValue({ maxDepth: 2 }),
        (path, value) => onlyScenarioErrors(() => parseScenario(mutate(valid, path, value))),
      ),
      { numRuns: 1000 },
    );
  });

  it('random text: parse or a ScenarioError', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), (t) => onlyScenarioErrors(() => parseScenarioText(t))),
      { numRuns: 300 },
    );
  });
});
