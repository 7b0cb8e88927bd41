// `xdp-lab run` on production-sized and absurd maps (issue 13.1–2), on the built bundle: a 32 M-entry
// array loads and runs, its JSON dump lists the non-zero entries only; an absurd map is one line
// naming the map and its size, exit 2, never a V8 abort.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import test, { after } from 'node:test';
import { buildFrame } from '../../core/packet/frameBuilder';

const root = path.resolve(__dirname, '../../..');
const obj = (n: string): string => path.join(root, 'test/fixtures/programs/obj', n);
const cli = (args: string[]) =>
  spawnSync(process.execPath, [path.join(root, 'dist/cli.js'), ...args], { encoding: 'utf8' });
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xlmaps-cli-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const frame = path.join(tmp, 'udp.bin');
fs.writeFileSync(frame, buildFrame({ udp: { src: '10.0.0.1', dst: '10.0.0.2', sport: 4096, dport: 80 } }));

void test('run: a program with a 32 M-entry array and a 16 M-entry hash runs; huge arrays dump non-zero entries', () => {
  const maps = path.join(tmp, 'maps.json');
  fs.writeFileSync(
    maps,
    JSON.stringify({ ring: [{ key: 30_000_000, value: 7 }], hits: [{ key: 3, value: 1 }] }),
  );
  const r = cli(['run', obj('bigmaps.bpf.o'), '--data', frame, '--maps', maps, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as {
    retval: number;
    maps: Record<string, { key: string; value: string }[]>;
  };
  assert.equal(out.retval, 2);
  assert.deepEqual(out.maps.ring, [{ key: '80c3c901', value: '07000000' }]);
  assert.equal(out.maps.flows!.length, 1);
  const text = cli(['run', obj('bigmaps.bpf.o'), '--data', frame, '--maps', maps]);
  assert.equal(text.status, 0, text.stderr);
  assert.match(text.stdout, /^map ring: 33554944 entries \(1 non-zero shown\)$/m);
});

void test('run: an absurd map is one line naming the map and its size, exit 2', () => {
  const r = cli(['run', obj('hugemap.bpf.o'), '--data', frame]);
  assert.equal(r.status, 2);
  assert.equal(r.stdout, '');
  assert.match(
    r.stderr,
    /^xdp-lab: .*hugemap\.bpf\.o : map 'huge': 4294967295 entries of 1048576 bytes \(4194304\.0 GiB\) exceed what any kernel could allocate .*\n$/,
  );
});

void test('run: a huge input file is refused before it is read, exit 2', () => {
  const huge = path.join(tmp, 'huge.o');
  fs.writeFileSync(huge, '');
  fs.truncateSync(huge, 300 * 2 ** 20); // sparse: no disk used
  const r = cli(['run', huge, '--data', frame]);
  assert.equal(r.status, 2);
  assert.match(
    r.stderr,
    /^xdp-lab: .*huge\.o : the object is 300 MiB, more than the 256 MiB xdp-lab reads\n$/,
  );
});
