// Issue 11 in the visualizer: a scenario whose program our verifier rejects still runs, and the
// panel's model carries the rejection as a banner line (checked against the schema the view validates).
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { runScenarioForView } from '../../src/extension/visualizer/runner';
import { visModel } from '../../src/protocol/visualizer';

const objDir = path.resolve(__dirname, '../fixtures/verifier/obj');

async function modelFor(object: string, fn: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-vis-verifier-'));
  try {
    fs.copyFileSync(path.join(objDir, object), path.join(dir, 'prog.o'));
    const scenarioPath = path.join(dir, 's.xdpscenario.json');
    fs.writeFileSync(
      scenarioPath,
      JSON.stringify({
        version: 1,
        programs: [{ name: 'p', file: 'prog.o', function: fn }],
        devices: [
          { name: 'a0', kind: 'veth', peer: 'r1' },
          { name: 'r1', kind: 'veth', peer: 'a0', xdp: { program: 'p', mode: 'native' } },
        ],
        traffic: [{ from: 'a0', count: 3, frame: { udp: { dst: '10.0.0.2', dport: 9 } } }],
      }),
    );
    const out = await runScenarioForView({
      scenarioPath,
      maxEvents: 100,
      clangPath: 'clang',
      includePaths: [],
      clangArgs: [],
    });
    assert.equal(visModel.check(out.model, 'model'), undefined);
    return out.model;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

test('the visualizer model names a program the verifier rejects (it still ran); none for an accepted one', async () => {
  const rejected = await modelFor('reject_no_iph_check.bpf.o', 'xdp_no_iph_check');
  assert.equal(rejected.warnings?.length, 1);
  assert.match(
    rejected.warnings?.[0] ?? '',
    /^the kernel's verifier would reject xdp_no_iph_check: \S*reject_no_iph_check\.bpf\.c:17: invalid access to packet/,
  );
  assert.equal(rejected.devices.find((d) => d.name === 'r1')?.counters.xdpRx, 3, 'it still ran');
  const accepted = await modelFor('accept_iph_check.bpf.o', 'xdp_iph_check');
  assert.equal(accepted.warnings, undefined);
});
