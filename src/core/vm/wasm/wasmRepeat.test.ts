// The wasm tier's test-run loop inside its module (wasmTier.ts repeatRuns) and its inline
// bpf_redirect_map hits give what the js tier gives for every repeat count: retval, frame, redirect
// record, instruction count, maps and notes — on programs whose repetitions differ.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { loadObject } from '../../elf/loadObject';
import { buildFrame } from '../../packet/frameBuilder';
import { BpfSystem } from '../bpfSystem';
import type { DevmapEntry } from '../../maps/devmap';

const objDir = path.resolve(__dirname, '../../../../test/fixtures/programs/obj');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const u32 = (v: number): Uint8Array => new Uint8Array(new Uint32Array([v]).buffer);

/** Every observable of `repeat` test runs of `prog` in a fresh system of `tier`. */
function outcome(
  tier: 'js' | 'wasm',
  file: string,
  prog: string,
  fill: Record<string, [number, unknown][]>,
  frame: Uint8Array,
  repeat: number,
): unknown {
  const system = new BpfSystem({ tier });
  const obj = loadObject(new Uint8Array(fs.readFileSync(path.join(objDir, file))), { name: prog, system });
  for (const [map, entries] of Object.entries(fill))
    for (const [k, v] of entries) assert.equal(obj.map(map)!.userUpdate(u32(k), v, 0), 0, `${map}[${k}]`);
  const p = obj.program(prog)!;
  const runs = [1, repeat].map((n) => {
    const r = p.testRun(frame, { repeat: n });
    const ri = r.redirect;
    return {
      retval: r.retval,
      fault: r.fault?.message,
      insns: r.insns,
      out: hex(r.dataOut),
      redirect: [ri.tgtIndex, ri.mapId, ri.mapType, ri.flags, (ri.tgtValue as DevmapEntry | undefined)?.key],
    };
  });
  const maps = obj.maps.map((m) => m.dump().map((e) => [hex(e.key), hex(e.value)]));
  return { runs, maps, notes: [...system.notes] };
}

const CASES: {
  file: string;
  prog: string;
  fill: Record<string, [number, unknown][]>;
  frames: Uint8Array[];
}[] = [
  {
    file: 'redirectcycle.bpf.o',
    prog: 'xdp_redirect_cycle',
    fill: {
      ports: [
        [0, u32(1)],
        [1, u32(1)],
      ],
    },
    frames: [buildFrame({ udp: { dport: 9 } })],
  },
  {
    file: 'redirects.bpf.o',
    prog: 'xdp_redirects',
    fill: { devs: [[0, u32(1)]], devs_hash: [[1, u32(1)]] },
    frames: Array.from({ length: 13 }, (_, port) => buildFrame({ udp: { dport: port } })),
  },
  {
    file: 'redirect.bpf.o',
    prog: 'xdp_redirect_udp',
    fill: { tx_port: [[1, u32(1)]] },
    frames: [8, 9, 10].map((dport) => buildFrame({ udp: { dport } })),
  },
  { file: 'flowcount.bpf.o', prog: 'xdp_flowcount', fill: {}, frames: [buildFrame({ udp: { dport: 80 } })] },
  { file: 'adjust.bpf.o', prog: 'xdp_adjust', fill: {}, frames: [buildFrame({ udp: { dport: 9 } })] },
];

void test('test runs repeated inside the wasm module equal the js tier’s, repeat 1 to 9', () => {
  for (const c of CASES)
    for (const [f, frame] of c.frames.entries())
      for (const repeat of [2, 3, 4, 7, 9]) {
        const js = outcome('js', c.file, c.prog, c.fill, frame, repeat);
        const wasm = outcome('wasm', c.file, c.prog, c.fill, frame, repeat);
        assert.deepEqual(wasm, js, `${c.file} frame ${f} repeat ${repeat}`);
      }
});
