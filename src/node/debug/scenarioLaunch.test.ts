// F5 in a scenario (issue 14's configuration provider): the launch arguments scenarioLaunch fills name
// the program on the frame's receiving device and the frame itself, and a session launched with them
// runs that frame in the scenario's context to the simulator's verdict; a frame that cannot be
// debugged is a sentence, never an exception.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import type { DapEvent } from '../../core/debug/dapMessages';
import { DapSession } from '../../core/debug/dapSession';
import { prepareLaunch } from './debugLaunch';
import { scenarioLaunch } from './scenarioLaunch';

const examples = path.resolve(__dirname, '../../../examples');
const file = path.join(examples, 'redirect.xdpscenario.json');
const text = fs.readFileSync(file, 'utf8');
const hasClang = spawnSync('clang', ['--version']).status === 0;

/** The refusal's sentence (a filled launch here fails the test). */
function why(r: ReturnType<typeof scenarioLaunch>): string {
  assert.equal(typeof r, 'string', JSON.stringify(r));
  return r as string;
}

void test('a scenario in the editor names the program on the receiving device and the frame', () => {
  assert.deepEqual(scenarioLaunch(file, text, 1), {
    program: path.join(examples, 'redirect.bpf.c'),
    function: 'xdp_redirect_udp', // r1 (a0's peer) runs 'redir'
    frame: { scenario: file, index: 1 },
  });
  assert.match(why(scenarioLaunch(file, text, 999)), /^the scenario's traffic has 80 frames, not 999/);
  assert.match(why(scenarioLaunch(file, '{ "version": 1,', 1)), /JSON|Unexpected|expected/i);
  // A device without a program: the frame would go to the stack, there is nothing to debug.
  const bare = JSON.parse(text) as { devices: { xdp?: unknown }[] };
  for (const d of bare.devices) delete d.xdp;
  assert.match(why(scenarioLaunch(file, JSON.stringify(bare), 1)), /^no XDP program is attached to r1/);
});

void test(
  'the filled configuration launches: frame 65 meets tx_port key 1, as the simulator sends it',
  { skip: !hasClang && 'clang is not installed (the scenario names a .c program)' },
  async () => {
    const filled = scenarioLaunch(file, text, 65);
    assert.ok(typeof filled !== 'string', filled as string);
    const events: DapEvent[] = [];
    let seq = 1;
    const s = new DapSession({
      prepare: (args) => prepareLaunch(args),
      send: (m) => {
        if (m.type === 'event') events.push(m);
        else if (m.type === 'response') assert.ok(m.success, `${m.command}: ${m.message}`);
      },
    });
    for (const [command, args] of [
      ['initialize', {}],
      ['launch', { ...filled }],
      ['configurationDone', {}],
    ] as const)
      await s.handle({ seq: seq++, type: 'request', command, arguments: args });
    const out = events.map((e) => (e.body as { output?: string } | undefined)?.output ?? '').join('');
    assert.match(out, /on frame 65 of redirect\.xdpscenario\.json/);
    assert.match(out, /XDP_REDIRECT to map 'tx_port' key 1 \(return value 4\)/);
  },
);
