// Redirect-map misses (issue 13 item 8): the one wording, the slot the real bpf_redirect_map helper
// fills (the last lookup of a run takes precedence, as __bpf_xdp_redirect_map's comment says), and
// the simulator counting misses always but making timeline steps of them only while recording.
// Real objects: test/fixtures/programs/redirects.bpf.c (the UDP port picks map, key and fallback).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { loadObject } from '../elf/loadObject';
import type { CoreHost } from '../host';
import { buildFrame } from '../packet/frameBuilder';
import { loadScenario } from '../scenario/scenarioLoad';
import { BpfSystem } from '../vm/bpfSystem';
import { testRunBuffer } from '../vm/xdpBuffer';
import { RedirectInfo } from './redirectInfo';
import {
  explainRedirectMiss,
  MAX_MISS_ROWS,
  RedirectMissCounter,
  RedirectMissSlot,
  redirectMissText,
} from './redirectMiss';
import { Simulation } from './simulation';
import { summaryText } from './summaryText';

const objDir = path.resolve(__dirname, '../../../test/fixtures/programs/obj');
const host: CoreHost = {
  nowNs: () => 0n,
  log: () => undefined,
  readFile: async (p) => new Uint8Array(await fs.promises.readFile(p)),
  resolvePath: (base, rel) => path.resolve(path.dirname(base), rel),
};

void test('the wording names the map type, map, key and the fallback the flags gave', () => {
  const m = { mapType: 'DEVMAP', map: 'tx_port', key: 2, fallback: 2 };
  assert.equal(redirectMissText(m), 'DEVMAP tx_port key 2 not found → XDP_PASS (flags)');
  assert.match(
    explainRedirectMiss(m),
    /^DEVMAP tx_port key 2 not found → XDP_PASS \(flags\) — .*not redirected/,
  );
  assert.match(explainRedirectMiss(m), /fill key 2 of tx_port/);
});

for (const tier of ['js', 'wasm'] as const)
  void test(`bpf_redirect_map fills the run slot on a miss of each map type and clears it on a hit (${tier} tier)`, () => {
    const o = loadObject(new Uint8Array(fs.readFileSync(path.join(objDir, 'redirects.bpf.o'))), {
      name: 'redirects',
      system: new BpfSystem({ tier }),
    });
    const p = o.programs[0]!;
    assert.equal(o.map('devs')!.userUpdate(new Uint8Array(4), new Uint8Array([9, 0, 0, 0]), 0), 0);
    const miss = new RedirectMissSlot();
    const ctx = {
      ingressIfindex: 1,
      rxQueueIndex: 0,
      egressIfindex: 0,
      cpu: 0,
      redirect: new RedirectInfo(),
      miss,
    };
    const run = (dport: number): number => p.run(testRunBuffer(buildFrame({ udp: { dport } })), ctx).action;
    const seen = () => (miss.missed ? `${miss.mapType} ${miss.map}[${miss.key}] → ${miss.fallback}` : 'hit');
    assert.equal(run(2), 2);
    assert.equal(seen(), 'DEVMAP devs[3] → 2');
    assert.equal(run(1), 4);
    assert.equal(seen(), 'hit', 'a later lookup that hits clears the miss');
    assert.equal(run(3), 3);
    assert.equal(seen(), 'DEVMAP devs[9] → 3', 'a key beyond max_entries misses too');
    assert.equal(run(8), 1);
    assert.equal(seen(), 'DEVMAP_HASH devs_hash[2] → 1');
    assert.equal(run(10), 1);
    assert.equal(seen(), 'CPUMAP cpus[1] → 1');
    // The run result's notes: the same words, once per map and key.
    run(2);
    assert.deepEqual(
      o.system.notes.filter((n) => n.startsWith('DEVMAP devs key 3')),
      [explainRedirectMiss({ mapType: 'DEVMAP', map: 'devs', key: 3, fallback: 2 })],
    );
  });

/** a0 → r1 runs xdp_redirects; devs[0] = r2 (its peer c0 takes frames with GRO). */
const scenario = {
  version: 1,
  programs: [{ name: 'redir', file: 'redirects.bpf.o', function: 'xdp_redirects' }],
  devices: [
    { name: 'a0', kind: 'veth', peer: 'r1' },
    { name: 'r1', kind: 'veth', peer: 'a0', xdp: { program: 'redir' } },
    { name: 'r2', kind: 'veth', peer: 'c0' },
    { name: 'c0', kind: 'veth', peer: 'r2', gro: true },
  ],
  maps: { devs: [{ key: 0, value: 'r2' }] },
  traffic: [
    { from: 'a0', count: 3, frame: { udp: { dport: 1 } } },
    { from: 'a0', count: 5, frame: { udp: { dport: 2 } } },
  ],
};

void test('the simulator counts misses always; timeline steps explain them only while recording', async () => {
  const input = await loadScenario(path.join(objDir, 'x.xdpscenario.json'), JSON.stringify(scenario), {
    host,
  });
  const recorded = new Simulation(input, { maxSteps: 10_000 }).run();
  const row = {
    device: 'r1',
    program: 'redir',
    mapType: 'DEVMAP',
    map: 'devs',
    key: 3,
    fallback: 2,
    frames: 5,
  };
  assert.deepEqual(recorded.summary.redirectMisses, { frames: 5, rows: [row] });
  const misses = recorded.timeline.filter((s) => s.k === 'run' && s.miss);
  assert.equal(misses.length, 5);
  const first = misses[0];
  assert.ok(first?.k === 'run' && first.action === 2);
  assert.deepEqual(first.miss, { mapType: 'DEVMAP', map: 'devs', key: 3, fallback: 2 });
  assert.equal(recorded.summary.devices.r1?.stack, 5, 'the missed frames went up the stack (XDP_PASS)');

  const input2 = await loadScenario(path.join(objDir, 'x.xdpscenario.json'), JSON.stringify(scenario), {
    host,
  });
  const counted = new Simulation(input2).run();
  assert.equal(counted.timeline.length, 0, 'no timeline asked for');
  assert.deepEqual(counted.summary.redirectMisses, { frames: 5, rows: [row] });
});

void test('a run that never misses has no redirectMisses in its summary', async () => {
  const input = await loadScenario(
    path.join(objDir, 'x.xdpscenario.json'),
    JSON.stringify({ ...scenario, traffic: [scenario.traffic[0]] }),
    { host },
  );
  assert.equal(new Simulation(input).run().summary.redirectMisses, undefined);
});

void test('the counter keeps the first places with their own counts and every miss in the total', () => {
  const c = new RedirectMissCounter();
  const slot = new RedirectMissSlot();
  slot.mapType = 'DEVMAP';
  slot.map = 'm';
  for (let k = 0; k < MAX_MISS_ROWS + 10; k++) {
    slot.key = k;
    c.count('d', 'p', slot);
    c.count('d', 'p', slot);
  }
  assert.equal(c.summary.frames, 2 * (MAX_MISS_ROWS + 10));
  assert.equal(c.summary.rows.length, MAX_MISS_ROWS);
  assert.ok(c.summary.rows.every((r) => r.frames === 2));
});

void test('the CLI text of a summary lists the misses in the same words', async () => {
  const input = await loadScenario(path.join(objDir, 'x.xdpscenario.json'), JSON.stringify(scenario), {
    host,
  });
  const text = summaryText(new Simulation(input).run().summary);
  assert.match(text, /redirect-map misses \(the fallback action became the verdict\): 5\n/);
  assert.match(text, / 5 {2}at r1 · redir\(\): DEVMAP devs key 3 not found → XDP_PASS \(flags\)\n/);
});
