// Global knobs on the real kernel (issue 13 item 4): the knobs fixture's `const volatile` .rodata and
// .data values set before load by libbpf (scenarios/knobload.c: bpf_map__initial_value, as a
// skeleton does) and by the VM (globals.ts setGlobal, what `xdp-lab run --global` uses): the same
// `bpftool prog run` retval and data_out. No netns: pins under /sys/fs/bpf/xlknob-*.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { setGlobal } from '../../src/core/elf/globals';
import type { GlobalValue } from '../../src/core/elf/globals';
import { loadObject } from '../../src/core/elf/loadObject';
import { buildFrame } from '../../src/core/packet/frameBuilder';
import { progRun } from './lib/bpftool';
import { compileBpf } from './lib/compile';
import { run } from './lib/exec';
import { withLab } from './lib/lab';
import { probe } from './lib/probe';

const root = path.resolve(import.meta.dirname, '../..');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** Each case: the values as a user gives them (VM) and the bytes libbpf writes (kernel, by hand). */
const CASES: { name: string; vm: Record<string, GlobalValue>; kernel: Record<string, string> }[] = [
  { name: 'defaults', vm: {}, kernel: {} },
  {
    name: 'every shape',
    vm: {
      port: '0x1f90',
      delta: -7,
      mode: 'MODE_TX',
      label: 'xdp-lab',
      allowed: '9,8,7',
      pair: '0x0a000b00',
      hits: 41,
    },
    kernel: {
      port: '901f',
      delta: 'f9',
      mode: '03000000',
      label: '7864702d6c616200',
      allowed: '09000000080000000700000000000000',
      pair: '0a000b00',
      hits: '29000000',
    },
  },
  { name: 'disabled', vm: { enabled: 'false', mode: 1 }, kernel: { enabled: '00', mode: '01000000' } },
  { name: 'drop by action name', vm: { mode: 'XDP_DROP' }, kernel: { mode: '01000000' } },
];

void test(
  'a knob set by libbpf before load and by the VM gives the same run',
  { skip: probe() },
  async () => {
    await withLab('xlknob-', (lab) => {
      const obj = compileBpf(
        path.join(root, 'test/fixtures/programs/knobs.bpf.c'),
        path.join(lab.tmp, 'knobs.o'),
      );
      const loader = path.join(lab.tmp, 'knobload');
      run(['gcc', '-O1', '-o', loader, path.join(root, 'test/kernel/scenarios/knobload.c'), '-lbpf']);
      const frame = buildFrame({ udp: { dport: 53 }, length: 80 });
      for (const c of CASES) {
        const dir = lab.pinDir(c.name.replace(/\W/g, ''));
        run([loader, obj, dir, ...Object.entries(c.kernel).map(([k, v]) => `${k}=${v}`)]);
        const k = progRun(path.join(dir, 'xdp_knobs'), frame, lab.tmp);
        const vm = loadObject(new Uint8Array(fs.readFileSync(obj)), { name: 'knobs' });
        for (const [name, value] of Object.entries(c.vm)) setGlobal(vm.globals, name, value);
        const v = vm.programs[0]?.testRun(frame, {});
        assert.ok(v && !v.fault, `${c.name}: ${v?.fault?.message}`);
        assert.equal(v.retval, k.retval, `${c.name}: retval`);
        assert.equal(hex(v.dataOut), hex(k.dataOut), `${c.name}: data_out`);
      }
    });
  },
);
