// CO-RE on the real kernel (issue 13 item 3): the corerelo fixture (every relocation kind, values
// written into the packet) runs under `bpftool prog run` (libbpf resolves against
// /sys/kernel/btf/vmlinux) and in the VM given the same BTF: retval and data_out must be equal, also
// with relocations turned into type_matches; an unresolvable relocation on a reachable path makes the
// kernel refuse the load and the VM fault at that line. No netns: pins under /sys/fs/bpf/xlcore-*.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadObject } from '../../src/core/elf/loadObject';
import { buildFrame } from '../../src/core/packet/frameBuilder';
import type { XdpProgram } from '../../src/core/vm/xdpProgram';

type XdpTestRun = ReturnType<XdpProgram['testRun']>;
import { loadAll, progRun } from './lib/bpftool';
import { patchCoreReloKinds } from './lib/btfExtPatch';
import { compileBpf } from './lib/compile';
import { CommandError } from './lib/exec';
import { withLab } from './lib/lab';
import { probe } from './lib/probe';

const root = path.resolve(import.meta.dirname, '../..');
const fixture = (f: string): string => path.join(root, 'test/fixtures/programs', f);
const VMLINUX = '/sys/kernel/btf/vmlinux';
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const skip = probe() ?? (fs.existsSync(VMLINUX) ? undefined : `no ${VMLINUX}`);

const FRAMES: [string, Uint8Array][] = [
  ['tcp syn 200', buildFrame({ tcp: { sport: 5555, dport: 80, flags: 'S' }, length: 200 })],
  ['tcp ack 160', buildFrame({ tcp: { sport: 1, dport: 443, flags: 'A' }, ipv4: { ttl: 3 }, length: 160 })],
  ['udp 300', buildFrame({ udp: { sport: 7, dport: 9 }, length: 300 })],
  ['short 100 (aborted)', buildFrame({ udp: {}, length: 100 })],
];

function compare(lab: { tmp: string; pinDir(n: string): string }, bytes: Uint8Array, tag: string): void {
  const file = path.join(lab.tmp, `${tag}.o`);
  fs.writeFileSync(file, bytes);
  const kprog = loadAll(file, lab.pinDir(tag)).progs.xdp_core;
  assert.ok(kprog, 'the kernel loaded xdp_core');
  const vm = loadObject(bytes, { name: tag, targetBtf: new Uint8Array(fs.readFileSync(VMLINUX)) });
  const prog: XdpProgram | undefined = vm.program('xdp_core');
  assert.ok(prog);
  for (const [name, frame] of FRAMES) {
    const k = progRun(kprog.pin, frame, lab.tmp);
    const v: XdpTestRun = prog.testRun(frame, {});
    assert.equal(v.fault, undefined, `${tag} ${name}: ${v.fault?.message}`);
    assert.equal(v.retval, k.retval, `${tag} ${name}: retval`);
    assert.equal(hex(v.dataOut), hex(k.dataOut), `${tag} ${name}: data_out`);
  }
}

void test(
  'every CO-RE relocation kind: the VM with the running kernel BTF equals libbpf + the kernel',
  { skip },
  async () => {
    await withLab('xlcore-', (lab) => {
      const obj = fs.readFileSync(compileBpf(fixture('corerelo.bpf.c'), path.join(lab.tmp, 'corerelo.o')));
      compare(lab, new Uint8Array(obj), 'relo');
      // clang 14 cannot emit type_matches: the same records turned into it, for libbpf and the VM alike.
      const matches = patchCoreReloKinds(new Uint8Array(obj), (type, kind) =>
        kind === 8 && ['net_device___x', 'iphdr___x', 'xdplab_no_such_type'].includes(type) ? 12 : undefined,
      );
      compare(lab, matches, 'matches');
    });
  },
);

void test(
  'an unresolvable relocation on a reachable path: the kernel refuses the load, the VM faults there',
  { skip },
  async () => {
    await withLab('xlcore-', (lab) => {
      const file = compileBpf(fixture('corepoison.bpf.c'), path.join(lab.tmp, 'poison.o'));
      assert.throws(
        () => loadAll(file, lab.pinDir('poison')),
        (e: unknown) =>
          e instanceof CommandError &&
          /invalid func unknown#195896080|invalid CO-RE relocation|failed to resolve CO-RE relocation/.test(
            e.message,
          ),
      );
      const vm = loadObject(new Uint8Array(fs.readFileSync(file)), {
        targetBtf: new Uint8Array(fs.readFileSync(VMLINUX)),
      });
      const r = vm.programs[0]?.testRun(buildFrame({ length: 80 }), {});
      assert.match(r?.fault?.message ?? '', /poisoned by an unresolved CO-RE relocation/);
      assert.match(r?.fault?.line ?? '', /corepoison\.bpf\.c:22/);
    });
  },
);
