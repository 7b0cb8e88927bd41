// The visualizer on a device where libxdp's dispatcher runs several programs (issue 13 item 6): the
// device's band stacks them in run order with priorities and returns, each drop names the program
// whose return was the verdict, and a timeline step says what each program returned. Real objects
// (test/fixtures/programs/dispatch, prebuilt) through the real simulator.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { CoreHost } from '../../src/core/host';
import { loadScenario } from '../../src/core/scenario/scenarioLoad';
import { Simulation } from '../../src/core/xdp/simulation';
import { nodeId, visModel } from '../../src/protocol/visualizer';
import { simulationToViewModel } from '../../src/protocol/visualizerFromSimulation';
import { buildGraph } from '../../src/webview/visualizer/graphModel';
import { describeEvent } from '../../src/webview/visualizer/timelineView';

const objDir = path.resolve(import.meta.dirname, '../fixtures/programs/obj');
const host: CoreHost = {
  nowNs: () => 0n,
  log: () => undefined,
  readFile: async (p) => new Uint8Array(await fs.promises.readFile(p)),
  resolvePath: (base, rel) => path.resolve(path.dirname(base), rel),
};

void test('a dispatcher chain is drawn in run order and drops name the deciding program', async () => {
  const text = JSON.stringify({
    version: 1,
    programs: [
      { name: 'redir', file: 'disp_redir.bpf.o', function: 'xdp_redir8' },
      { name: 'peer', file: 'disp_redir.bpf.o', function: 'xdp_pass_peer' },
      { name: 'count', file: 'disp_count.bpf.o' },
      { name: 'drop9', file: 'disp_drop.bpf.o' },
    ],
    devices: [
      { name: 'a0', kind: 'veth', peer: 'r1' },
      {
        name: 'r1',
        kind: 'veth',
        peer: 'a0',
        xdp: [{ program: 'redir' }, { program: 'drop9' }, { program: 'count' }],
      },
      { name: 'r2', kind: 'veth', peer: 'c0' },
      { name: 'c0', kind: 'veth', peer: 'r2', xdp: { program: 'peer' } },
    ],
    maps: { disp_tx: [{ key: 0, value: 'r2' }] },
    traffic: [7, 8, 9].map((dport) => ({ from: 'a0', count: 3, frame: { udp: { dport } } })),
  });
  const input = await loadScenario(path.join(objDir, 'v.xdpscenario.json'), text, { host });
  const result = new Simulation(input, { maxSteps: 1000 }).run();
  const model = simulationToViewModel({
    result,
    scenario: input.scenario,
    title: 'chain',
    programSources: new Map([['drop9', { file: '/w/disp_drop.bpf.c', line: 12 }]]),
  });
  assert.equal(visModel.check(model, 'model'), undefined);
  const r1 = model.devices.find((d) => d.name === 'r1')!;
  assert.deepEqual(
    r1.xdp?.chain?.map((k) => [k.program, k.priority, k.runs, k.decided]),
    [
      ['count', 10, 9, 0],
      ['drop9', 50, 9, 3],
      ['redir', 60, 6, 3],
    ],
  );
  assert.deepEqual(
    model.drops.filter((d) => d.device === 'r1'),
    [
      {
        device: 'r1',
        program: 'drop9',
        reason: 'XDP_DROP',
        count: 3,
        source: { file: '/w/disp_drop.bpf.c', line: 12 },
      },
    ],
  );
  const band = buildGraph(model).nodes.find((n) => n.id === nodeId.device('r1'))!.program!;
  assert.equal(band.name, 'libxdp dispatcher drv');
  assert.deepEqual(band.lines, [
    '1. count() (10) → PASS 9',
    '2. drop9() (50) → PASS 6 · DROP 3',
    '3. redir() (60) DROP 3 · REDIRECT 3',
    'verdict: DROP 3 · PASS 3 · REDIRECT 3',
  ]);
  const dropped = model.timeline.find((e) => e.k === 'run' && e.device === 'r1' && e.decidedBy === 'drop9');
  assert.match(
    describeEvent(dropped),
    /^CPU 0: frame \d+ on r1: libxdp dispatcher ran count PASS → drop9 DROP; drop9\(\) decided XDP_DROP$/,
  );
  const passed = model.timeline.find(
    (e) => e.k === 'run' && e.device === 'r1' && e.chain?.endsWith('redir DROP'),
  );
  assert.match(describeEvent(passed), /every program continued: XDP_PASS$/);
});
