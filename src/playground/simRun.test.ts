// The playground's in-memory simulation equals the CLI's: the example scenario, whose programs name
// redirect.bpf.c, runs the object of the same base name (clang builds it here, as the playground's
// build does) and gives the summary `xdp-lab simulate --json` prints; without the object the error
// says plainly that clang is not available in a browser and how to build it.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runScenarioInMemory } from './simRun';

const root = path.resolve(import.meta.dirname, '../..');
const scenarioText = fs.readFileSync(path.join(root, 'examples/redirect.xdpscenario.json'), 'utf8');

function buildExample(): Uint8Array | undefined {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-simrun-'));
  try {
    const out = path.join(dir, 'redirect.bpf.o');
    const arch = spawnSync('uname', ['-m'], { encoding: 'utf8' }).stdout.trim();
    const r = spawnSync('clang', [
      '-O2',
      '-g',
      '-target',
      'bpf',
      `-I/usr/include/${arch}-linux-gnu`,
      '-c',
      path.join(root, 'examples/redirect.bpf.c'),
      '-o',
      out,
    ]);
    return r.status === 0 ? new Uint8Array(fs.readFileSync(out)) : undefined;
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('playground simulation (in memory)', () => {
  const object = buildExample();

  it(
    'runs the object of the C file’s base name and equals xdp-lab simulate --json',
    { skip: object ? false : 'clang is not installed' },
    async () => {
      const r = await runScenarioInMemory({
        scenarioName: 'redirect.xdpscenario.json',
        scenarioText,
        files: new Map([['redirect.bpf.o', object as Uint8Array]]),
        maxSteps: 1000,
      });
      assert.deepEqual(r.substituted, ['redirect.bpf.c']);
      // Our verifier's verdict on each program of the object it ran (the kernel accepts them all).
      assert.deepEqual(
        r.verdicts.map((v) => v.text.replace(/\(\d+ insns\)/, '(N insns)')),
        ['xdp_redirect_udp', 'xdp_pass'].map((n) => `redirect.bpf.o · ${n}: ✓ verifier: accepted (N insns)`),
      );
      const cli = spawnSync(
        process.execPath,
        [
          path.join(root, 'dist/cli.js'),
          'simulate',
          path.join(root, 'examples/redirect.xdpscenario.json'),
          '--json',
        ],
        { encoding: 'utf8' },
      );
      assert.equal(cli.status, 0, cli.stderr);
      assert.deepEqual(JSON.parse(JSON.stringify(r.summary)), JSON.parse(cli.stdout));
      assert.equal(r.model.title, 'redirect');
      assert.ok(r.model.drops.some((d) => d.errno === 'EOPNOTSUPP'));
    },
  );

  it('says clang is not available in a browser, and how to build the object, when it is missing', async () => {
    await assert.rejects(
      runScenarioInMemory({
        scenarioName: 'redirect.xdpscenario.json',
        scenarioText,
        files: new Map(),
        maxSteps: 10,
      }),
      (e: Error) =>
        /\$\.programs\[0\]\.file/.test(e.message) &&
        /clang is not available in a browser/.test(e.message) &&
        /clang -O2 -g -target bpf .* -c redirect\.bpf\.c -o redirect\.bpf\.o/.test(e.message),
    );
  });

  it('refuses a file that is not an ELF object with the loader’s reason', async () => {
    await assert.rejects(
      runScenarioInMemory({
        scenarioName: 'redirect.xdpscenario.json',
        scenarioText,
        files: new Map([['redirect.bpf.o', new TextEncoder().encode('not an object')]]),
        maxSteps: 10,
      }),
      /cannot load redirect\.bpf\.c/,
    );
  });
});
