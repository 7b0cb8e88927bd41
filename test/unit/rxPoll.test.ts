// The receive loop made per program (src/core/xdp/rxPoll.ts) against the verdict's general path: a
// poll whose DEVMAP hits fill the bulk queue mid-poll — its egress program, on the receiving
// program's own machine, runs between two of the poll's runs and writes a map the next frames read —
// misses, XDP_TX and XDP_ABORTED give the same summary whether nobody asks for events (the loop's
// in-line DEVMAP enqueue), events are streamed (each verdict through nativeVerdict) or a timeline is
// recorded (napiPoll.ts's own loop), on both VM tiers.
import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { loadScenario } from '../../src/core/scenario/scenarioLoad';
import { Simulation } from '../../src/core/xdp/simulation';
import { compileBpfC } from '../../src/node/clang';
import { createNodeHost } from '../../src/node/nodeHost';

const haveClang = spawnSync('clang', ['--version']).status === 0;
const file = path.resolve(import.meta.dirname, '../fixtures/sim/egresscount.bpf.c');

/** a0 → r1 (ingress) → DEVMAP tx_prog[0] = r2 with the egress program → c0 (GRO). */
const scenario = (burst: number) => ({
  version: 1,
  cpus: 2,
  programs: [
    { name: 'in', file, function: 'ingress' },
    { name: 'eg', file, function: 'egress' },
  ],
  devices: [
    { name: 'a0', kind: 'veth', peer: 'r1' },
    { name: 'r1', kind: 'veth', peer: 'a0', xdp: { program: 'in' } },
    { name: 'r2', kind: 'veth', peer: 'c0' },
    { name: 'c0', kind: 'veth', peer: 'r2', gro: true },
  ],
  maps: { tx_prog: [{ key: 0, value: { ifindex: 'r2', program: 'eg' } }] },
  traffic: [
    { from: 'a0', count: 150, burst, frame: { udp: { dst: '10.0.0.2', dport: 1 } } },
    { from: 'a0', count: 20, burst, frame: { udp: { dst: '10.0.0.2', dport: 2 } } },
    { from: 'a0', count: 20, burst, frame: { udp: { dst: '10.0.0.2', dport: 3 } } },
    { from: 'a0', count: 10, burst, frame: { udp: { dst: '10.0.0.2', dport: 4 } } },
    { from: 'a0', count: 70, burst, frame: { udp: { dst: '10.0.0.2', dport: 1 } } },
  ],
});

for (const tier of ['js', 'wasm'] as const)
  void test(
    `rxPoll's loop gives the general path's counts (${tier} tier)`,
    { skip: !haveClang },
    async () => {
      const { object } = await compileBpfC(file);
      const host = createNodeHost(() => undefined);
      const load = (burst: number) =>
        loadScenario(path.join(path.dirname(file), 'x.xdpscenario.json'), JSON.stringify(scenario(burst)), {
          host,
          compileC: () => Promise.resolve(object),
          tier,
        });
      for (const burst of [64, 17]) {
        const quiet = new Simulation(await load(burst), { maxEvents: 0 }).run().summary;
        const streamed = new Simulation(await load(burst), { maxEvents: 0, onEvent: () => undefined }).run()
          .summary;
        const recorded = new Simulation(await load(burst), { maxSteps: 1_000_000 }).run().summary;
        assert.deepEqual(quiet.warnings, []);
        assert.deepEqual(quiet, streamed, `burst ${burst}: quiet vs streamed`);
        assert.deepEqual(quiet, recorded, `burst ${burst}: quiet vs recorded`);
        const r1 = quiet.devices.r1!;
        assert.equal(r1.xdpRx, 270);
        // The egress program's count reached 40 inside a poll: later frames saw it (some dropped
        // at r1), and every frame it passed reached c0.
        assert.ok((r1.dropReasons.xdp_drop ?? 0) > 0, JSON.stringify(r1));
        assert.equal(r1.dropReasons.xdp_aborted, 10);
        assert.equal(quiet.devices.c0!.rxFrames, quiet.devmapXmit?.sent ?? quiet.devices.c0!.rxFrames);
      }
    },
  );
