// The dynptr kfuncs in the VM (bpf_dynptr_from_xdp, _slice, _size, _adjust, _clone) against the
// kernel: the verifier fixtures that use them, run by `bpftool prog run` and by the VM on both tiers
// over the same frames (a TTL decision read through a slice of a narrowed clone, short frames, ARP).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { loadObject } from '../../src/core/elf/loadObject';
import { buildFrame } from '../../src/core/packet/frameBuilder';
import { BpfSystem } from '../../src/core/vm/bpfSystem';
import { loadAll, progRun } from './lib/bpftool';
import { compileBpf } from './lib/compile';
import { withLab } from './lib/lab';
import { probe } from './lib/probe';

const fixtureDir = path.resolve(__dirname, '../fixtures/verifier');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

const FRAMES: [string, Uint8Array][] = [
  [
    'ipv4 udp, ttl 64',
    buildFrame({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2', ttl: 64 }, udp: { sport: 1, dport: 2 } }),
  ],
  [
    'ipv4 udp, ttl 1',
    buildFrame({ ipv4: { src: '10.0.0.1', dst: '10.0.0.2', ttl: 1 }, udp: { sport: 1, dport: 2 } }),
  ],
  ['ipv6 udp', buildFrame({ ipv6: {}, udp: { sport: 1, dport: 2 } })],
  ['arp', buildFrame({ arp: {} })],
  ['ipv4 header cut at 20 bytes', buildFrame({ ipv4: { ttl: 1 }, udp: {} }).slice(0, 20)],
];

for (const [file, prog] of [
  ['accept_dynptr_slice', 'xdp_dynptr_slice'],
  ['accept_clone_xdp', 'xdp_clone_xdp'],
] as const)
  void test(`dynptr kfuncs in the VM equal the kernel: ${file}`, { skip: probe() }, async () => {
    await withLab('xldp-', (lab) => {
      const obj = compileBpf(path.join(fixtureDir, `${file}.bpf.c`), path.join(lab.tmp, `${file}.o`), {
        includeDirs: [fixtureDir],
      });
      const kernel = loadAll(obj, lab.pinDir(file.slice(-8)));
      for (const tier of ['js', 'wasm'] as const) {
        const vm = loadObject(new Uint8Array(fs.readFileSync(obj)), {
          name: file,
          system: new BpfSystem({ tier }),
        });
        for (const [label, frame] of FRAMES) {
          const k = progRun(kernel.progs[prog]!.pin, frame, lab.tmp);
          const v = vm.program(prog)!.testRun(frame, { cpu: 0 });
          assert.equal(v.fault, undefined, `${label}: ${v.fault?.message}`);
          assert.deepEqual(
            { retval: v.retval, out: hex(v.dataOut) },
            { retval: k.retval, out: hex(k.dataOut) },
            `${file} ${tier}: ${label}`,
          );
        }
      }
    });
  });
