// `xdp-lab simulate` on a libxdp dispatcher chain (issue 13 item 6): --json carries per-program
// counts under `dispatchers`, the text lists the programs in run order, generic mode runs the same
// chain, and a chain the scenario gets wrong exits 2 naming the JSON path. Prebuilt fixture objects.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { main } from '../../src/cli/main';

const objDir = path.resolve(import.meta.dirname, '../fixtures/programs/obj');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-disp-'));
test.after(() => fs.rmSync(tmp, { recursive: true, force: true }));

async function simulate(xdp: unknown, ...flags: string[]) {
  const file = path.join(tmp, 'd.xdpscenario.json');
  fs.writeFileSync(
    file,
    JSON.stringify({
      version: 1,
      programs: [
        { name: 'count', file: path.join(objDir, 'disp_count.bpf.o') },
        { name: 'drop9', file: path.join(objDir, 'disp_drop.bpf.o') },
      ],
      devices: [
        { name: 'eth0', kind: 'nic', xdp },
        { name: 'eth1', kind: 'nic' },
      ],
      traffic: [8, 9, 10].map((dport) => ({ rx: 'eth0', count: 5, frame: { udp: { dport } } })),
    }),
  );
  let stdout = '';
  let stderr = '';
  const code = await main(['simulate', file, ...flags], {
    stdout: (t) => void (stdout += t),
    stderr: (t) => void (stderr += t),
    readStdin: () => Promise.resolve(''),
    signal: new AbortController().signal,
  });
  return { code, stdout, stderr };
}

void test('simulate --json and text report each program of the chain; generic mode runs it too', async () => {
  for (const mode of ['native', 'generic']) {
    const r = await simulate(
      [
        { program: 'drop9', mode },
        { program: 'count', mode },
      ],
      '--json',
    );
    assert.equal(r.code, 0, r.stderr);
    const s = JSON.parse(r.stdout) as {
      actions: Record<string, Record<string, number>>;
      dispatchers: Record<string, { components: { program: string; runs: number; decided: number }[] }>;
    };
    // count (priority 10) rewrites port 10 to 9 before drop9 (50) looks: 10 drops, 5 passes.
    assert.deepEqual(s.actions.eth0, { XDP_DROP: 10, XDP_PASS: 5 }, mode);
    assert.deepEqual(
      s.dispatchers.eth0!.components.map((c) => [c.program, c.runs, c.decided]),
      [
        ['count', 15, 0],
        ['drop9', 15, 10],
      ],
    );
  }
  const text = await simulate([{ program: 'drop9' }, { program: 'count', priority: 99 }]);
  assert.match(
    text.stdout,
    /libxdp dispatcher on eth0 \(prog id \d+\), in run order:\n {2}1\. drop9 .*\n.*\n {2}2\. count /,
  );
});

void test('a chain naming an unknown program or mixing modes exits 2 naming the JSON path', async () => {
  const bad = await simulate([{ program: 'count' }, { program: 'nope' }]);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /\$\.devices\[0\]\.xdp\[1\]\.program : no program named 'nope'/);
  const mixed = await simulate([{ program: 'count' }, { program: 'drop9', mode: 'generic' }]);
  assert.equal(mixed.code, 2);
  assert.match(mixed.stderr, /can't be active at the same time/);
});
