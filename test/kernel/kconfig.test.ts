// `.kconfig` externs on the real kernel: the kconfig fixture (CONFIG_HZ, a weak missing CONFIG, a
// tristate, a string, LINUX_KERNEL_VERSION, LINUX_HAS_BPF_COOKIE) loaded by libbpf (bpftool, this
// machine's /boot/config-$(uname -r) or /proc/config.gz) and by us with the same config read the same
// way: the .kconfig map libbpf makes (name, size, read-only to the program, frozen), the same
// `bpftool prog run` retval and data_out (the program copies the values into the frame), and the
// verifier's verdict and processed count, also with a --kconfig file libbpf reads first
// (bpf_object_open_opts.kconfig). No netns: pins under /sys/fs/bpf/xlkcfg-*.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { loadObject } from '../../src/core/elf/loadObject';
import { preloadMaps } from '../../src/core/maps/mapPreload';
import { buildFrame } from '../../src/core/packet/frameBuilder';
import { verifyObject } from '../../src/core/verifier/verifyObject';
import { kernelBtfOptions } from '../../src/node/kernelBtf';
import { systemKconfig } from '../../src/node/kernelConfig';
import { kernelVerifyObject } from '../../src/node/kernelVerify';
import { loadAll, progRun } from './lib/bpftool';
import { compileBpf } from './lib/compile';
import { run } from './lib/exec';
import { withLab } from './lib/lab';
import { probe } from './lib/probe';

const root = path.resolve(import.meta.dirname, '../..');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const skip =
  probe() ??
  (systemKconfig() ? undefined : 'this kernel has no /boot/config-$(uname -r) nor /proc/config.gz');

void test('a .kconfig extern reads the same value in the kernel and in the VM', { skip }, async () => {
  await withLab('xlkcfg-', (lab) => {
    const obj = compileBpf(
      path.join(root, 'test/fixtures/programs/kconfig.bpf.c'),
      path.join(lab.tmp, 'kconfig.o'),
    );
    const bytes = new Uint8Array(fs.readFileSync(obj));
    const k = loadAll(obj, lab.pinDir('run'), { type: 'xdp' });
    const pin = k.maps.kconfig_kconfig?.pin;
    assert.ok(
      pin,
      `libbpf's .kconfig map is pinned as kconfig_kconfig (maps: ${Object.keys(k.maps).join(', ')})`,
    );
    const info = JSON.parse(run(['bpftool', '-j', 'map', 'show', 'pinned', pin]).stdout) as {
      name: string;
      flags: number;
      bytes_value: number;
      max_entries: number;
      frozen?: number;
    };
    const vm = loadObject(bytes, { name: 'kconfig', ...kernelBtfOptions() });
    const m = vm.map(info.name);
    assert.ok(
      m,
      `our map is named as libbpf names it (${info.name}); ours: ${vm.maps.map((x) => x.name).join(', ')}`,
    );
    assert.equal(m.def.valueSize, info.bytes_value);
    assert.equal(m.def.maxEntries, info.max_entries);
    assert.equal(info.frozen, 1, 'libbpf freezes the .kconfig map');
    assert.equal(m.def.flags, info.flags, 'BPF_F_RDONLY_PROG | BPF_F_MMAPABLE, as libbpf makes it');
    assert.ok(m.frozen, 'ours is frozen too');
    for (const frame of [buildFrame({ udp: { dport: 53 }, length: 80 }), new Uint8Array(64)]) {
      const kr = progRun(k.progs.xdp_kconfig?.pin ?? '', frame, lab.tmp);
      const vr = vm.programs[0]?.testRun(frame, {});
      assert.ok(vr && !vr.fault, vr?.fault?.message);
      assert.equal(vr.retval, kr.retval, 'retval');
      assert.equal(hex(vr.dataOut), hex(kr.dataOut), 'data_out: the values the program read');
    }
  });
});

/** `bpftool map update` of key 0 on a pinned one-entry array: the errno text it prints, '' when it succeeds. */
function kernelUpdateError(pin: string, valueSize: number): string {
  const r = run(
    ['bpftool', 'map', 'update', 'pinned', pin, 'key', 'hex', '00', '00', '00', '00', 'value', 'hex'].concat(
      Array.from({ length: valueSize }, () => '00'),
    ),
    { allowFailure: true },
  );
  return r.status === 0 ? '' : (r.stderr.match(/update failed: (.*)/)?.[1] ?? r.stderr.trim());
}

void test(
  'user space cannot update the frozen .kconfig and .rodata maps, in the kernel and in the VM (EPERM)',
  { skip },
  async () => {
    await withLab('xlkcfg-', (lab) => {
      for (const [fixture, name, mapPin] of [
        ['kconfig', 'kconfig', 'kconfig_kconfig'],
        ['knobs', 'knobs', 'knobs_rodata'],
      ] as const) {
        const obj = compileBpf(
          path.join(root, `test/fixtures/programs/${fixture}.bpf.c`),
          path.join(lab.tmp, `${fixture}.o`),
        );
        const k = loadAll(obj, lab.pinDir(fixture), { type: 'xdp' });
        const pin = k.maps[mapPin]?.pin;
        assert.ok(pin, `${mapPin} is pinned (maps: ${Object.keys(k.maps).join(', ')})`);
        const info = JSON.parse(run(['bpftool', '-j', 'map', 'show', 'pinned', pin]).stdout) as {
          name: string;
          flags: number;
          bytes_value: number;
        };
        const vm = loadObject(new Uint8Array(fs.readFileSync(obj)), { name, ...kernelBtfOptions() });
        const m = vm.map(info.name);
        assert.ok(m, `our ${info.name}`);
        assert.equal(m.def.flags, info.flags, `${info.name}: map_flags`);
        assert.equal(kernelUpdateError(pin, info.bytes_value), 'Operation not permitted');
        assert.throws(
          () => preloadMaps({ [info.name]: [{ key: 0, value: '00'.repeat(info.bytes_value) }] }, vm.maps),
          new RegExp(`map '${info.name.replace('.', '\\.')}' entry 0: the update fails with EPERM`),
        );
      }
    });
  },
);

void test(
  'the verifier judges a .kconfig program as the kernel does, on the system config and on a --kconfig file',
  { skip },
  async () => {
    await withLab('xlkcfg-', async (lab) => {
      const obj = compileBpf(
        path.join(root, 'test/fixtures/programs/kconfig.bpf.c'),
        path.join(lab.tmp, 'kconfig.o'),
      );
      const bytes = new Uint8Array(fs.readFileSync(obj));
      const hz1000 = path.join(lab.tmp, 'hz1000.config');
      fs.writeFileSync(hz1000, 'CONFIG_HZ=1000\nCONFIG_NF_CONNTRACK=n\n');
      // Only HZ: the rest comes from the system config, in libbpf as here. Gzip, as /proc/config.gz.
      const hz300 = path.join(lab.tmp, 'hz300.config.gz');
      fs.writeFileSync(hz300, gzipSync('# a comment\nCONFIG_HZ=300\n'));
      const counts = new Set<number>();
      for (const file of [undefined, hz1000, hz300]) {
        const kernel = (await kernelVerifyObject(obj, file ? { kconfigFile: file } : {})).programs[0];
        const ours = verifyObject(bytes, { objectName: 'kconfig', ...kernelBtfOptions(file) }).programs[0];
        assert.ok(kernel && ours);
        assert.equal(ours.verdict, kernel.verdict, `${file ?? 'system config'}: verdict`);
        assert.equal(
          ours.insnsProcessed,
          kernel.insnsProcessed,
          `${file ?? 'system config'}: processed insns`,
        );
        counts.add(ours.insnsProcessed);
      }
      assert.equal(counts.size, 3, 'each config walks another number of instructions (the values are read)');
    });
  },
);
