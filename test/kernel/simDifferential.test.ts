// The simulator's kernel differential tier (issue #4): every scenario of test/kernel/scenarios/ runs
// in the simulator and, for real, on veth pairs in a network namespace (prefix xlsim-, ifindexes
// 4001-4099 assigned explicitly so the scenario's ifindexes are the kernel's). Frames are sent
// with raw AF_PACKET sockets (one frame per NAPI poll); the kernel's xdp:* tracepoints are captured
// with bpftrace, printed in perf-script text and read by the same parser and summary fold the
// simulator's --events output uses. Per-frame tracepoint counts, errno histograms and the
// devmap/cpumap sums must be equal; a table of both sides is printed for every scenario. The
// machinery is lib/simKernel.ts (shared with runs of objects kept outside the repository).
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadScenario } from '../../src/core/scenario/scenarioLoad';
import { runSimulation } from '../../src/core/xdp/simulation';
import { createNodeHost } from '../../src/node/nodeHost';
import { loadAll } from './lib/bpftool';
import { run } from './lib/exec';
import { withLab } from './lib/lab';
import { probe } from './lib/probe';
import { compareScenario, compiledObject, SCENARIO_DIR } from './lib/simKernel';

const DIR = SCENARIO_DIR;
const PREFIX = 'xlsim-';

const skip = probe();
const scenarioFiles = fs.existsSync(DIR)
  ? fs
      .readdirSync(DIR)
      .filter((f) => f.endsWith('.xdpscenario.json'))
      .sort()
  : [];

void test('the differential tier has at least 12 scenarios', { skip }, () => {
  assert.ok(scenarioFiles.length >= 12, `only ${scenarioFiles.length} scenarios in ${DIR}`);
});

for (const f of scenarioFiles) {
  void test(`simulator = kernel: ${f.replace('.xdpscenario.json', '')}`, { skip }, async () => {
    await withLab(PREFIX, (lab) => compareScenario(path.join(DIR, f), lab));
  });
}

void test(
  'simulator = kernel: a non-frags native attach under a peer MTU of 9000 is refused with ERANGE (§1.4)',
  { skip },
  async () => {
    const scenario = {
      version: 1,
      programs: [{ name: 'pass', file: 'diff.bpf.c', function: 'pass' }],
      devices: [
        { name: 'xsa1', kind: 'veth', peer: 'xsa0', ifindex: 4001, mtu: 9000 },
        { name: 'xsa0', kind: 'veth', peer: 'xsa1', ifindex: 4002, xdp: { program: 'pass' } },
      ],
    };
    await withLab(PREFIX, async (lab) => {
      const obj = compiledObject(lab.tmp);
      const input = await loadScenario(path.join(DIR, 'erange.xdpscenario.json'), JSON.stringify(scenario), {
        host: createNodeHost(() => undefined),
        compileC: () => Promise.resolve(new Uint8Array(fs.readFileSync(obj))),
      });
      const sim = runSimulation(input);
      assert.match(sim.summary.warnings.join('\n'), /ERANGE \(Peer MTU is too large to set XDP/);
      assert.equal(sim.topology.devices.find((d) => d.name === 'xsa0')?.xdp?.attachError?.errno, 'ERANGE');

      lab.netns('r');
      lab.veth({ name: 'xsa1', index: 4001, ns: 'r', mtu: 9000 }, { name: 'xsa0', index: 4002, ns: 'r' });
      const prog = loadAll(obj, lab.pinDir('erange')).progs.pass as { pin: string };
      const r = run(lab.nsArgv('r', ['ip', 'link', 'set', 'dev', 'xsa0', 'xdpdrv', 'pinned', prog.pin]), {
        allowFailure: true,
      });
      console.log(`  ERANGE attach, real kernel: ip exited ${r.status}: ${r.stderr.trim()}`);
      assert.notEqual(r.status, 0, 'the kernel refuses the attach too');
      assert.match(r.stderr, /Peer MTU is too large to set XDP|Numerical result out of range/);
    });
  },
);
