// Loader tests on prebuilt clang objects (test/fixtures/programs/obj, rebuilt by build-fixtures.sh):
// what a real object yields, and that every kind of bad input is a clear error, never a crash.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import fc from 'fast-check';
import { defaultSizedNote, ElfError, LoadError, loadObject } from './loadObject';
import { parseElf } from './elfFile';
import { buildFrame } from '../packet/frameBuilder';
import { TestRunError } from '../vm/xdpBuffer';

const objDir = path.resolve(__dirname, '../../../test/fixtures/programs/obj');
const obj = (name: string): Uint8Array => new Uint8Array(fs.readFileSync(path.join(objDir, name)));
const expectRefusal = (bytes: Uint8Array, pattern: RegExp): void => {
  assert.throws(
    () => loadObject(bytes),
    (e: unknown) => (e instanceof ElfError || e instanceof LoadError) && pattern.test(e.message),
  );
};

void test('the example object: programs, maps, kernel-like ids, line info', () => {
  const o = loadObject(obj('redirect.bpf.o'), { name: 'redirect' });
  assert.deepEqual(
    o.programs.map((p) => [p.name, p.section, p.attach, p.frags]),
    [
      ['xdp_redirect_udp', 'xdp', 'xdp', false],
      ['xdp_pass', 'xdp', 'xdp', false],
    ],
  );
  assert.deepEqual(
    o.programs.map((p) => p.id),
    [1, 2],
  );
  const tx = o.map('tx_port')!;
  assert.deepEqual([tx.type, tx.def.keySize, tx.def.valueSize, tx.def.maxEntries], [14, 4, 4, 8]);
  const rx = o.map('rx_count')!;
  assert.deepEqual([rx.type, rx.def.keySize, rx.def.valueSize, rx.def.maxEntries], [6, 4, 8, 8]);
  assert.match(o.programs[0]!.lineOf(0) ?? '', /^redirect\.bpf\.c:\d+$/);
  assert.match(o.programs[0]!.sourceOf(0)?.text ?? '', /xdp_redirect_udp|ctx->data/);
});

void test('global data becomes array maps named as libbpf names them, with initial contents', () => {
  const o = loadObject(obj('globals.bpf.o'), { name: 'globals' });
  assert.deepEqual(o.maps.map((m) => m.name).sort(), ['globals.bss', 'globals.data', 'globals.rodata']);
  const ro = o.map('globals.rodata')!.dump()[0]!.value;
  assert.ok(ro.includes(53), '.rodata holds blocked_port = 53');
  const prog = o.programs[0]!;
  const frame = buildFrame({ udp: { dport: 53 } });
  assert.equal(prog.testRun(frame).retval, 1, 'blocked port → XDP_DROP from .rodata');
  const data = o.map('globals.data')!.dump()[0]!.value;
  assert.equal(new DataView(data.buffer).getBigUint64(0, true), 101n, '.data counter incremented from 100');
});

void test('a PROG_ARRAY initialised in .maps holds the programs; tail calls run them', () => {
  const o = loadObject(obj('tailcall.bpf.o'), { name: 'tailcall' });
  assert.deepEqual(
    o
      .map('jump')!
      .dump()
      .map((e) => e.key[0]),
    [1, 2],
  );
  const dispatch = o.program('xdp_dispatch')!;
  assert.equal(dispatch.testRun(buildFrame({ udp: {} })).retval, 1, 'UDP → xdp_udp → DROP');
  assert.equal(dispatch.testRun(buildFrame({ tcp: {} })).retval, 3, 'TCP → xdp_chain ×33 → TX');
  const stats = o
    .map('stats')!
    .dump()
    .map((e) => new DataView(e.value.buffer).getBigUint64(0, true));
  assert.deepEqual(stats, [2n, 1n, 33n, 0n]);
});

void test("pre-10 clang's objects: a NOTYPE entry symbol, e_machine EM_NONE, a section named by the program", () => {
  // oldclang_notype: section xdp1, entry `xdp_old_count` a NOTYPE global (samples/bpf xdp1_kern.o's shape).
  const bytes = obj('oldclang_notype.bpf.o');
  bytes.fill(0, 18, 20); // old LLVM's e_machine EM_NONE (libbpf's bpf_object__elf_init accepts it)
  const o = loadObject(bytes, { name: 'old' });
  assert.deepEqual(
    o.programs.map((p) => [p.name, p.section, p.attach]),
    [['xdp_old_count', 'xdp1', 'xdp']],
  );
  const prog = o.program('xdp_old_count')!;
  assert.equal(prog.testRun(buildFrame({ udp: {} }), { cpu: 0 }).retval, 1, 'UDP → XDP_DROP');
  assert.equal(prog.testRun(buildFrame({ tcp: {} }), { cpu: 0 }).retval, 2, 'TCP → XDP_PASS');
  const counts = o
    .map('rxcnt')!
    .dump()
    .filter((e) => e.values?.some((v) => v.some((x) => x)));
  assert.deepEqual(
    counts.map((e) => e.key[0]),
    [6, 17],
  );
  // No global symbol at the section's start (bpf_load.c needs none): the program is named by its section.
  const sym = parseElf(bytes).symbols.find((x) => x.name === 'xdp_old_count')!;
  const symtab = parseElf(bytes).sections.find((x) => x.type === 2)!;
  const local = bytes.slice();
  local[symtab.offset + sym.index * 24 + 4] = 0; // STB_LOCAL, STT_NOTYPE
  assert.deepEqual(
    loadObject(local).programs.map((p) => [p.name, p.section]),
    [['xdp1', 'xdp1']],
  );
});

void test('bad input is refused with a reason: garbage, truncation, wrong machine, big-endian', () => {
  expectRefusal(new Uint8Array(0), /shorter than an ELF header/);
  expectRefusal(
    new TextEncoder().encode('#include <linux/bpf.h>\nint main() {}\n'.repeat(4)),
    /not an ELF object/,
  );
  const good = obj('parser.bpf.o');
  const machine = good.slice();
  machine[18] = 62; // EM_X86_64
  expectRefusal(machine, /wrong machine 62/);
  const be = good.slice();
  be[5] = 2;
  expectRefusal(be, /big-endian/);
  for (let n = 1; n < good.length; n += Math.max(1, Math.floor(good.length / 97))) {
    try {
      loadObject(good.subarray(0, n));
    } catch (e) {
      assert.ok(e instanceof ElfError || e instanceof LoadError, `truncated at ${n}: ${String(e)}`);
    }
  }
});

void test('missing BTF and kfuncs are refused naming section, instruction, feature', () => {
  expectRefusal(obj('parser-nobtf.bpf.o'), /\.maps: BTF-defined maps need the \.BTF section/);
  expectRefusal(
    obj('kfunc.bpf.o'),
    /section xdp, program xdp_kfunc, instruction \d+: kfunc call to 'bpf_xdp_metadata_rx_timestamp'/,
  );
});

void test("CO-RE against a kernel type loads with the target's offset (coreRelo.test.ts has every kind)", () => {
  const o = loadObject(obj('core.bpf.o'));
  const r = o.coreRelocations.find((x) => x.spec === 'struct net_device.mtu');
  assert.ok(r && !r.poisoned && Number(r.value) > 4, JSON.stringify(o.coreRelocations));
});

void test('an unknown relocation type is refused', () => {
  const bytes = obj('parser.bpf.o');
  // Find .rel.xdp's first entry and change its type (low 32 bits of r_info) to 99.
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shnum = dv.getUint16(0x3c, true);
  const strOff = Number(dv.getBigUint64(shoff + dv.getUint16(0x3e, true) * 64 + 24, true));
  let patched = false;
  for (let i = 0; i < shnum && !patched; i++) {
    const h = shoff + i * 64;
    let name = '';
    for (let c = strOff + dv.getUint32(h, true); bytes[c]; c++) name += String.fromCharCode(bytes[c]!);
    if (name === '.relxdp' || name === '.rel.xdp' || name === '.relxdp') {
      dv.setUint32(Number(dv.getBigUint64(h + 24, true)) + 8, 99, true);
      patched = true;
    }
  }
  assert.ok(patched, 'the object has relocations for section xdp');
  expectRefusal(bytes, /unknown relocation type 99/);
});

void test('property: random bytes and mutated objects never crash the loader or the VM', () => {
  const good = obj('parser.bpf.o');
  const frame = buildFrame({ udp: { dport: 7 } });
  const runAll = (bytes: Uint8Array): void => {
    let o;
    try {
      o = loadObject(bytes);
    } catch (e) {
      assert.ok(e instanceof ElfError || e instanceof LoadError, `loader threw ${String(e)}`);
      return;
    }
    for (const p of o.programs) {
      try {
        const r = p.testRun(frame, { budget: 10_000 });
        assert.equal(typeof r.action, 'number');
      } catch (e) {
        assert.ok(e instanceof TestRunError, `run threw ${String(e)}`);
      }
    }
  };
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 2048 }), (b) => runAll(b)),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), {
        minLength: 1,
        maxLength: 8,
      }),
      (flips) => {
        const b = good.slice();
        for (const [at, v] of flips) b[at] = v;
        runAll(b);
      },
    ),
    { numRuns: 400 },
  );
});

void test('maps left at max_entries 0 are sized to the possible CPUs, reported, or sized by mapSizes', () => {
  const o = loadObject(obj('sizedmaps.bpf.o'), { systemOptions: { possibleCpus: 4 } });
  assert.deepEqual(
    o.defaultSized.map((m) => [m.name, m.maxEntries]),
    [
      ['rx_cnt', 4],
      ['err_cnt', 4],
    ],
  );
  assert.match(defaultSizedNote(o.defaultSized[0]!), /'rx_cnt' has max_entries 0.*--map-size rx_cnt=N/);
  // CPU 0's error key is 3: inside 4 entries; CPU 1's is 7: a miss → XDP_ABORTED, as in the kernel.
  const prog = o.programs[0]!;
  assert.equal(prog.testRun(buildFrame({ udp: {} }), { cpu: 0 }).retval, 2);
  assert.equal(prog.testRun(buildFrame({ udp: {} }), { cpu: 1 }).retval, 0);
  const sized = loadObject(obj('sizedmaps.bpf.o'), {
    systemOptions: { possibleCpus: 4 },
    mapSizes: { err_cnt: 16 },
  });
  assert.deepEqual(
    sized.defaultSized.map((m) => m.name),
    ['rx_cnt'],
  );
  assert.equal(sized.map('err_cnt')?.def.maxEntries, 16);
  assert.equal(sized.programs[0]!.testRun(buildFrame({ udp: {} }), { cpu: 1 }).retval, 2);
});
