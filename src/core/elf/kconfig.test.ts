// `.kconfig` externs (kconfig.ts): the layout libbpf gives the map, values by libbpf's per-type rules
// from config text, its messages for bad text, and the loader's .kconfig map and refusals.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { Btf } from './btf';
import { parseElf } from './elfFile';
import {
  collectExterns,
  DEFAULT_KERNEL_VERSION,
  kernelVersionCode,
  kernelVersionOf,
  parseU64,
  resolveKconfig,
} from './kconfig';
import type { KcfgExtern } from './kconfig';
import { loadObject, LoadError } from './loadObject';
import { setGlobal } from './globals';
import { preloadMaps } from '../maps/mapPreload';
import { verifyObject } from '../verifier/verifyObject';
import { buildFrame } from '../packet/frameBuilder';

const objDir = path.resolve(__dirname, '../../../test/fixtures/programs/obj');
const bytes = new Uint8Array(fs.readFileSync(path.join(objDir, 'kconfig.bpf.o')));
const externs = (): KcfgExtern[] => {
  const elf = parseElf(bytes);
  const btf = new Btf(elf.section('.BTF')?.data ?? new Uint8Array());
  return collectExterns(elf, btf).kcfg;
};
const CONFIG = 'CONFIG_HZ=250\n# CONFIG_FOO is not set\nCONFIG_NF_CONNTRACK=m\nCONFIG_LOCALVERSION="-lab"\n';
const src = (text: string) => ({ text, name: 'test.config' });
const resolve = (text: string | undefined, ext = externs()) => {
  const size = Math.max(...ext.map((e) => e.offset + e.size));
  const data = new Uint8Array(size);
  resolveKconfig(ext, data, text === undefined ? {} : { system: src(text) }, {
    kernelVersion: 0x61200,
  });
  const at = (n: string) => ext.find((e) => e.name === n) as KcfgExtern;
  const u32 = (n: string) => new DataView(data.buffer).getUint32(at(n).offset, true);
  return { data, at, u32 };
};

void test('the .kconfig layout is libbpf’s: alignment descending, size ascending, then name', () => {
  assert.deepEqual(
    externs().map((e) => [e.name, e.type, e.offset, e.size, e.weak]),
    [
      ['CONFIG_HZ', 'int', 0, 4, false],
      ['CONFIG_NF_CONNTRACK', 'tristate', 4, 4, true],
      ['LINUX_KERNEL_VERSION', 'int', 8, 4, false],
      ['CONFIG_XDP_LAB_NO_SUCH_OPTION', 'bool', 12, 1, true],
      ['LINUX_HAS_BPF_COOKIE', 'bool', 13, 1, true],
      ['LINUX_HAS_SYSCALL_WRAPPER', 'bool', 14, 1, true],
      ['CONFIG_LOCALVERSION', 'chars', 15, 12, true],
    ],
  );
});

void test('values: int, tristate m, string, weak missing 0, virtual externs', () => {
  const { data, at, u32 } = resolve(CONFIG);
  assert.equal(u32('CONFIG_HZ'), 250);
  assert.equal(u32('CONFIG_NF_CONNTRACK'), 2); // TRI_MODULE
  assert.equal(u32('LINUX_KERNEL_VERSION'), 0x61200);
  assert.equal(data[at('CONFIG_XDP_LAB_NO_SUCH_OPTION').offset], 0);
  assert.equal(data[at('LINUX_HAS_BPF_COOKIE').offset], 1);
  assert.equal(data[at('LINUX_HAS_SYSCALL_WRAPPER').offset], 1);
  const s = at('CONFIG_LOCALVERSION');
  assert.equal(Buffer.from(data.subarray(s.offset, s.offset + 5)).toString('latin1'), '-lab\0');
});

void test('LINUX_HAS_SYSCALL_WRAPPER is the host’s probe (a host without kprobes says 0), asked once', () => {
  const ext = externs();
  const at = (n: string) => (ext.find((e) => e.name === n) as KcfgExtern).offset;
  let asked = 0;
  const data = new Uint8Array(27);
  resolveKconfig(ext, data, { system: src(CONFIG) }, { hasSyscallWrapper: () => (asked++, false) });
  assert.deepEqual([asked, data[at('LINUX_HAS_SYSCALL_WRAPPER')]], [1, 0]);
  resolveKconfig(ext, data, { system: src(CONFIG) }, { hasSyscallWrapper: true });
  assert.equal(data[at('LINUX_HAS_SYSCALL_WRAPPER')], 1);
});

void test('a string longer than the array is truncated with its NUL, as libbpf does', () => {
  const { data, at } = resolve('CONFIG_HZ=100\nCONFIG_LOCALVERSION="0123456789abcdef"\n');
  const s = at('CONFIG_LOCALVERSION');
  assert.equal(Buffer.from(data.subarray(s.offset, s.offset + 12)).toString('latin1'), '0123456789a\0');
});

void test('libbpf’s refusals, in its words', () => {
  const bad: [string | undefined, RegExp][] = [
    ['CONFIG_HZ=y\n', /extern \(kcfg\) 'CONFIG_HZ': value 'y' implies bool, tristate, or char type/],
    ['CONFIG_HZ=abc\n', /extern \(kcfg\) 'CONFIG_HZ': value 'abc' isn't a valid integer/],
    ['CONFIG_HZ=99999999999\n', /extern \(kcfg\) 'CONFIG_HZ': value '99999999999' doesn't fit in 4 bytes/],
    ['CONFIG_HZ="x"\n', /value '"x"' implies char array type/],
    ['CONFIG_HZ=1\nCONFIG_XDP_LAB_NO_SUCH_OPTION=m\n', /value 'm' implies tristate or char type/],
    ['CONFIG_HZ=1\nCONFIG_XDP_LAB_NO_SUCH_OPTION=2\n', /value '2' implies integer type/],
    ['CONFIG_HZ=1\nCONFIG_LOCALVERSION="unterminated\n', /invalid string config '"unterminated'/],
    ['CONFIG_OTHER\n', /line 1 of test.config 'CONFIG_OTHER': failed to parse 'CONFIG_OTHER': no separator/],
    ['CONFIG_HZ=1\nCONFIG_OTHER=\n', /line 2 .*failed to parse 'CONFIG_OTHER': no value/],
    [
      '# CONFIG_HZ is not set\n',
      /extern 'CONFIG_HZ' \(strong\): not resolved: CONFIG_HZ is not set in test.config/,
    ],
    [undefined, /extern 'CONFIG_HZ' \(strong\): not resolved: no kernel config .*--kconfig FILE/],
  ];
  for (const [text, re] of bad) assert.throws(() => resolve(text), re, String(text));
});

void test('without a config, weak CONFIG_ externs read 0 and the virtual ones are still set', () => {
  const ext = externs().filter((e) => e.name !== 'CONFIG_HZ');
  const { data, at, u32 } = resolve(undefined, ext);
  assert.equal(u32('CONFIG_NF_CONNTRACK'), 0);
  assert.equal(data[at('LINUX_HAS_BPF_COOKIE').offset], 1);
});

void test('libbpf’s order: the given config first, the system one only for what it leaves unset', () => {
  const ext = externs();
  const data = new Uint8Array(27);
  let read = 0;
  const system = () => (read++, src('CONFIG_HZ=100\nCONFIG_NF_CONNTRACK=y\n'));
  resolveKconfig(ext, data, { extra: { text: 'CONFIG_HZ=300\n', name: 'extra' }, system });
  assert.equal(read, 1);
  const dv = new DataView(data.buffer);
  assert.deepEqual([dv.getUint32(0, true), dv.getUint32(4, true)], [300, 1]);
  // Everything set by the given config: the system one is never read.
  const all = 'CONFIG_HZ=1\nCONFIG_NF_CONNTRACK=n\nCONFIG_XDP_LAB_NO_SUCH_OPTION=y\nCONFIG_LOCALVERSION=""\n';
  resolveKconfig(ext, new Uint8Array(27), { extra: { text: all, name: 'extra' }, system });
  assert.equal(read, 1);
  // Neither sets a strong one: both are named.
  assert.throws(
    () => resolveKconfig(ext, new Uint8Array(27), { extra: { text: '', name: 'a.config' }, system: src('') }),
    /CONFIG_HZ is not set in a.config nor in test.config/,
  );
});

void test('huge lines and odd bytes never crash: a long value is read in 4095-byte pieces as fgets does', () => {
  const long = 'CONFIG_HZ=' + '1'.repeat(5000) + '\n';
  assert.throws(() => resolve(long), /isn't a valid integer/);
  // A long comment or unrelated line is skipped; the rest still applies.
  const { u32 } = resolve('#' + 'x'.repeat(100000) + '\n\0\u00ff\r\nCONFIG_HZ=0x3e8\n');
  assert.equal(u32('CONFIG_HZ'), 1000);
  // The first value wins (libbpf skips an extern already set).
  assert.equal(resolve('CONFIG_HZ=100\nCONFIG_HZ=300\n').u32('CONFIG_HZ'), 100);
});

void test('strtoull’s numbers: decimal, hex, octal, a sign, leading blanks; 65 bits are ERANGE', () => {
  assert.equal(parseU64('250'), 250n);
  assert.equal(parseU64('0x1F'), 31n);
  assert.equal(parseU64('010'), 8n);
  assert.equal(parseU64(' +7'), 7n);
  assert.equal(parseU64('-1'), (1n << 64n) - 1n);
  assert.equal(parseU64('0x10000000000000000'), undefined);
  assert.equal(parseU64('12abc'), undefined);
  assert.equal(parseU64(''), undefined);
});

void test('LINUX_KERNEL_VERSION as get_kernel_version computes it', () => {
  assert.equal(
    kernelVersionOf({ release: '6.18.44-fc-v1272', version: '#1 SMP' }),
    kernelVersionCode(6, 18, 44),
  );
  assert.equal(
    kernelVersionOf({ release: '4.19.0-22-amd64', version: '#1 SMP Debian 4.19.260-1 (2022-09-29)' }),
    kernelVersionCode(4, 19, 255),
  );
  assert.equal(
    kernelVersionOf({ release: '5.15.0-91-generic', signature: 'Ubuntu 5.15.0-91.101-generic 5.15.131\n' }),
    kernelVersionCode(5, 15, 131),
  );
  assert.equal(kernelVersionOf({ release: 'weird' }), 0);
  assert.equal(DEFAULT_KERNEL_VERSION, 0x61200);
});

void test('the loader makes the read-only .kconfig map and the program reads it', () => {
  const obj = loadObject(bytes, {
    name: 'kconfig',
    kconfig: src(CONFIG),
    kernelFacts: { kernelVersion: 0x61200 },
  });
  const m = obj.map('kconfig.kconfig');
  assert.ok(m);
  assert.deepEqual([m.def.valueSize, m.def.maxEntries, m.def.flags], [27, 1, 0x480]);
  const r = obj.programs[0]?.testRun(buildFrame({ udp: { dport: 53 }, length: 80 }), {});
  assert.ok(r && !r.fault, r?.fault?.message);
  assert.equal(r.retval, 2); // XDP_PASS: conntrack built as a module, HZ 250
  assert.equal(Buffer.from(r.dataOut.subarray(14, 18)).readUInt32LE(), 250);
  assert.equal(r.dataOut[19], 2);
  // HZ 1000: the other branch.
  const tx = loadObject(bytes, { kconfig: src('CONFIG_HZ=1000\nCONFIG_NF_CONNTRACK=y\n') });
  assert.equal(tx.programs[0]?.testRun(buildFrame({ udp: { dport: 53 }, length: 80 }), {}).retval, 3);
  // Conntrack not set: XDP_DROP; a lazy reader is called since the object has CONFIG_ externs.
  let calls = 0;
  const drop = loadObject(bytes, { kconfig: () => (calls++, src('CONFIG_HZ=100\n')) });
  assert.equal(calls, 1);
  assert.equal(drop.programs[0]?.testRun(buildFrame({ udp: { dport: 53 }, length: 80 }), {}).retval, 1);
});

void test('the loader refuses a strong CONFIG_ extern it cannot resolve, naming it', () => {
  assert.throws(
    () => loadObject(bytes, {}),
    (e: unknown) => e instanceof LoadError && /CONFIG_HZ' \(strong\)/.test(e.message),
  );
  assert.throws(() => loadObject(bytes, { kconfig: src('CONFIG_HZ=y\n') }), LoadError);
});

void test('the verifier reads the frozen .kconfig values as constants: the HZ-bounded loop is accepted', () => {
  const v = verifyObject(bytes, { kconfig: src(CONFIG), kernelFacts: { kernelVersion: 0x61200 } });
  assert.equal(v.programs[0]?.verdict, 'accepted');
  // A bigger HZ loops more: a different processed count shows the value was read.
  const v2 = verifyObject(bytes, { kconfig: src('CONFIG_HZ=1000\nCONFIG_NF_CONNTRACK=y\n') });
  assert.equal(v2.programs[0]?.verdict, 'accepted');
  assert.notEqual(v.programs[0]?.insnsProcessed, v2.programs[0]?.insnsProcessed);
});

void test('the .kconfig map is made as libbpf makes it: 0x480 and frozen; so is .rodata, and user space gets EPERM', () => {
  const obj = loadObject(bytes, { name: 'kconfig', kconfig: src(CONFIG) });
  const kcfg = obj.map('kconfig.kconfig');
  assert.equal(kcfg?.def.flags, 0x480, 'BPF_F_RDONLY_PROG | BPF_F_MMAPABLE');
  assert.ok(kcfg.frozen);
  assert.throws(
    () => preloadMaps({ 'kconfig.kconfig': [{ key: 0, value: '00'.repeat(kcfg.def.valueSize) }] }, obj.maps),
    /map 'kconfig\.kconfig' entry 0: the update fails with EPERM \(as the kernel's would\)/,
  );
  // knobs.bpf.c: .rodata of global knobs (0x480, frozen); .data/.bss with globals (0x400, writable).
  const knobs = loadObject(new Uint8Array(fs.readFileSync(path.join(objDir, 'knobs.bpf.o'))), {
    name: 'knobs',
  });
  for (const m of knobs.maps.filter((x) => /\.(rodata|data|bss)$/.test(x.name)))
    assert.deepEqual(
      [m.def.flags, m.frozen],
      m.name.endsWith('.rodata') ? [0x480, true] : [0x400, false],
      m.name,
    );
  // setGlobal is libbpf's pre-freeze fill (skel->rodata->knob = …): it still works on the frozen map.
  const g = knobs.globals.find((x) => x.section === '.rodata');
  assert.ok(g);
  setGlobal(knobs.globals, g.name, g.shape.kind === 'int' && g.shape.bool ? 'false' : '1');
});

void test('an extern without BTF (built without -g) is refused as libbpf refuses it', () => {
  const nobtf = new Uint8Array(fs.readFileSync(path.join(objDir, 'kconfig-nobtf.bpf.o')));
  assert.throws(
    () => loadObject(nobtf, { kconfig: src(CONFIG) }),
    /instruction 6: extern 'CONFIG_HZ': no BTF describes it \(libbpf: failed to find BTF for extern; build with -g\)/,
  );
});
