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

/** `xdp-lab simulate SCENARIO --json [ARGS…]`'s summary (the built CLI, dist/cli.js). */
function cliSummary(scenario: string, ...args: string[]): unknown {
  const cli = spawnSync(
    process.execPath,
    [path.join(root, 'dist/cli.js'), 'simulate', scenario, '--json', ...args],
    {
      encoding: 'utf8',
    },
  );
  assert.equal(cli.status, 0, cli.stderr);
  return JSON.parse(cli.stdout) as unknown;
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
      assert.deepEqual(
        JSON.parse(JSON.stringify(r.summary)),
        cliSummary(path.join(root, 'examples/redirect.xdpscenario.json')),
      );
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

  // An object with a strong `extern int CONFIG_HZ __kconfig` (the kconfig fixture): a browser has no
  // config, so it runs only with one the user opened, and then as `xdp-lab simulate --kconfig` runs it.
  const kconfigObject = new Uint8Array(
    fs.readFileSync(path.join(root, 'test/fixtures/programs/obj/kconfig.bpf.o')),
  );
  const kconfigScenario = JSON.stringify({
    version: 1,
    programs: [{ name: 'k', file: 'kconfig.bpf.o', function: 'xdp_kconfig' }],
    devices: [
      { name: 'a0', kind: 'veth', peer: 'b0' },
      { name: 'b0', kind: 'veth', peer: 'a0', xdp: { program: 'k', mode: 'native' } },
    ],
    traffic: [{ from: 'a0', count: 3, frame: { udp: { dst: '10.0.0.2', dport: 9 } } }],
  });

  it('refuses an object with a strong CONFIG_ extern until a kernel config is opened, and says how', async () => {
    await assert.rejects(
      runScenarioInMemory({
        scenarioName: 'k.xdpscenario.json',
        scenarioText: kconfigScenario,
        files: new Map([['kconfig.bpf.o', kconfigObject]]),
        maxSteps: 10,
      }),
      (e: Error) =>
        /extern 'CONFIG_HZ' \(strong\): not resolved: no kernel config to read it from \(a browser has no kernel config\)/.test(
          e.message,
        ) && /"Open files…"/.test(e.message),
    );
  });

  it('runs it with the kernel config the user opened, as xdp-lab simulate --kconfig does', async () => {
    const config = 'CONFIG_HZ=1000\nCONFIG_NF_CONNTRACK=m\n';
    const r = await runScenarioInMemory({
      scenarioName: 'k.xdpscenario.json',
      scenarioText: kconfigScenario,
      files: new Map([['kconfig.bpf.o', kconfigObject]]),
      maxSteps: 10,
      kconfig: { name: 'config-lab', text: config },
    });
    // CONFIG_HZ 1000 takes the XDP_TX branch (250 would pass): the value came from the config.
    assert.equal(r.summary.actions.b0?.XDP_TX, 3);
    assert.match(r.verdicts[0]?.text ?? '', /kconfig\.bpf\.o · xdp_kconfig: ✓ verifier: accepted/);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-simrun-kconfig-'));
    try {
      fs.writeFileSync(path.join(dir, 'config-lab'), config);
      fs.writeFileSync(path.join(dir, 'kconfig.bpf.o'), kconfigObject);
      fs.writeFileSync(path.join(dir, 'k.xdpscenario.json'), kconfigScenario);
      assert.deepEqual(
        JSON.parse(JSON.stringify(r.summary)),
        cliSummary(path.join(dir, 'k.xdpscenario.json'), '--kconfig', path.join(dir, 'config-lab')),
      );
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
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
