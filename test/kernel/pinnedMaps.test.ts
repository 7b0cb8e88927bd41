// Older map sections and maps pinned by name on the real kernel (issue 13 item 5). libbpf >= 1.0
// (bpftool, iproute2 6.x here) refuses `maps` sections, so the legacy fixtures are compared with
// their BTF twins (-DXDPLAB_BTF_TWIN: the same maps as BTF maps) loaded by bpftool: same retvals,
// same map contents. Pinning: two objects pinning maps by name share them in the kernel (libbpf
// reuses the pin) and in one VM system; a tail call crosses objects. Pins: /sys/fs/bpf/xlpin-* and
// the by-name pins the fixtures declare (xlpin_jmp, xlpin_hits, xdplab_elf_cnt), removed after.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadObject } from '../../src/core/elf/loadObject';
import type { LoadedObject } from '../../src/core/elf/loadObject';
import { dumpMaps } from '../../src/core/maps/mapPreload';
import { buildFrame } from '../../src/core/packet/frameBuilder';
import { BpfSystem } from '../../src/core/vm/bpfSystem';
import { loadAll, mapDump, progRun } from './lib/bpftool';
import { compileBpf } from './lib/compile';
import { run } from './lib/exec';
import { withLab } from './lib/lab';
import { probe } from './lib/probe';

const root = path.resolve(import.meta.dirname, '../..');
const fixture = (f: string): string => path.join(root, 'test/fixtures/programs', f);
const BY_NAME = ['xlpin_jmp', 'xlpin_hits', 'xdplab_elf_cnt'].map((n) => `/sys/fs/bpf/${n}`);
const removeByName = (): void => BY_NAME.forEach((p) => fs.rmSync(p, { force: true }));
const FRAMES = [
  buildFrame({ udp: { sport: 1, dport: 9 } }),
  buildFrame({ udp: { sport: 1, dport: 9 }, ipv4: { src: '10.0.0.7' } }),
  buildFrame({ tcp: { sport: 1, dport: 80 } }),
  buildFrame({ arp: {} }),
];

/** `bpftool prog loadall OBJ DIR` without pinmaps (by-name pins and a pinmaps dir conflict in libbpf). */
function loadByName(obj: string, dir: string): string {
  const progs = path.join(dir, 'progs');
  run(['bpftool', 'prog', 'loadall', obj, progs]);
  return progs;
}

/** bpftool's JSON dump as {key hex: value as a number} (u32 keys, u64 values). */
function kernelCounts(pin: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const e of mapDump(pin) as { key: number | string[]; value: number | string[] }[]) {
    const bytes = (v: number | string[]): Buffer =>
      Array.isArray(v)
        ? Buffer.from(v.map((x) => Number(x)))
        : Buffer.from(new BigUint64Array([BigInt(v)]).buffer);
    const k = typeof e.key === 'number' ? Buffer.from(new Uint32Array([e.key]).buffer) : bytes(e.key);
    out[k.toString('hex')] = Number(bytes(e.value).readBigUInt64LE());
  }
  return out;
}
function vmCounts(o: LoadedObject, map: string): Record<string, number> {
  return Object.fromEntries(
    (dumpMaps(o.maps)[map] ?? []).map((e) => [e.key, Number(Buffer.from(e.value, 'hex').readBigUInt64LE())]),
  );
}

void test(
  'legacy struct bpf_map_def maps in the VM count as their BTF twin does in the kernel',
  { skip: probe() },
  async () => {
    await withLab('xlpin-', (lab) => {
      const legacy = compileBpf(fixture('legacymaps.bpf.c'), path.join(lab.tmp, 'legacy.o'));
      const twin = compileBpf(fixture('legacymaps.bpf.c'), path.join(lab.tmp, 'twin.o'), {
        extraArgs: ['-DXDPLAB_BTF_TWIN'],
      });
      const k = loadAll(twin, lab.pinDir('legacy'));
      const kprog = k.progs.xdp_legacy;
      assert.ok(kprog);
      const vm = loadObject(new Uint8Array(fs.readFileSync(legacy)), { name: 'legacy' });
      const prog = vm.program('xdp_legacy');
      assert.ok(prog);
      for (const f of FRAMES) assert.equal(prog.testRun(f, {}).retval, progRun(kprog.pin, f, lab.tmp).retval);
      for (const m of ['proto_count', 'src_count']) {
        const kc = kernelCounts(k.maps[m]?.pin ?? '');
        const vc = vmCounts(vm, m);
        const nonzero = (c: Record<string, number>) =>
          Object.fromEntries(Object.entries(c).filter(([, v]) => v));
        assert.deepEqual(nonzero(vc), nonzero(kc), m);
      }
    });
  },
);

void test(
  'maps pinned by name are shared across objects: the kernel and one VM system agree',
  { skip: probe() },
  async () => {
    removeByName();
    try {
      await withLab('xlpin-', (lab) => {
        // PIN_GLOBAL_NS (VM, bpf_elf_map) vs LIBBPF_PIN_BY_NAME (kernel, the twin): two loads, one counter.
        const elf = compileBpf(fixture('elfmaps.bpf.c'), path.join(lab.tmp, 'elf.o'));
        const twin = compileBpf(fixture('elfmaps.bpf.c'), path.join(lab.tmp, 'elftwin.o'), {
          extraArgs: ['-DXDPLAB_BTF_TWIN'],
        });
        const d1 = loadByName(twin, lab.pinDir('elf1'));
        const d2 = loadByName(twin, lab.pinDir('elf2'));
        const system = new BpfSystem();
        const v1 = loadObject(new Uint8Array(fs.readFileSync(elf)), { name: 'a', system });
        const v2 = loadObject(new Uint8Array(fs.readFileSync(elf)), { name: 'b', system });
        for (const [dir, vm] of [
          [d1, v1],
          [d2, v2],
          [d1, v1],
        ] as const)
          assert.equal(
            vm.programs[0]?.testRun(FRAMES[0]!, {}).retval,
            progRun(`${dir}/xdp_elf`, FRAMES[0]!, lab.tmp).retval,
          );
        assert.deepEqual(vmCounts(v1, 'xdplab_elf_cnt'), kernelCounts('/sys/fs/bpf/xdplab_elf_cnt'));
        assert.equal(kernelCounts('/sys/fs/bpf/xdplab_elf_cnt')['00000000'], 3);

        // A tail call through a prog array the other object filled, in both load orders.
        for (const order of [
          ['pinentry', 'pintarget'],
          ['pintarget', 'pinentry'],
        ]) {
          removeByName();
          const vsys = new BpfSystem();
          const vms: Record<string, LoadedObject> = {};
          const dirs: Record<string, string> = {};
          for (const n of order) {
            const o = compileBpf(fixture(`${n}.bpf.c`), path.join(lab.tmp, `${n}.o`));
            dirs[n] = loadByName(o, lab.pinDir(`${order[0]}-${n}`));
            vms[n] = loadObject(new Uint8Array(fs.readFileSync(o)), { name: n, system: vsys });
          }
          const entry = `${dirs.pinentry}/xdp_entry`;
          for (const f of FRAMES.slice(0, 2)) {
            const k = progRun(entry, f, lab.tmp);
            const v = vms.pinentry?.program('xdp_entry')?.testRun(f, {});
            assert.equal(v?.retval, k.retval, `${order.join(' then ')}`);
            assert.equal(k.retval, 3, 'XDP_TX from the other object');
          }
          assert.deepEqual(vmCounts(vms.pinentry!, 'xlpin_hits'), kernelCounts('/sys/fs/bpf/xlpin_hits'));
        }
      });
    } finally {
      removeByName();
    }
  },
);
