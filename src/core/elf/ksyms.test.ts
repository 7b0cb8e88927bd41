// `__ksym` extern variables (ksyms.ts): libbpf's resolution (kernel BTF for typed ones, kallsyms for
// typeless ones) and refusals, what the VM gives them, and the verifier's __check_pseudo_btf_id.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { loadObject } from './loadObject';
import { parseElf } from './elfFile';
import { verifyObject } from '../verifier/verifyObject';

const objDir = path.resolve(__dirname, '../../../test/fixtures/programs/obj');
const obj = (name: string): Uint8Array => new Uint8Array(fs.readFileSync(path.join(objDir, `${name}.bpf.o`)));
const VMLINUX = '/sys/kernel/btf/vmlinux';
const hostBtf = fs.existsSync(VMLINUX) ? new Uint8Array(fs.readFileSync(VMLINUX)) : undefined;
const noBtf = hostBtf ? false : 'this host has no kernel BTF with per-CPU variables';
const STEXT = 0xffffffff81000000n;
const kallsyms = (known: Record<string, bigint>) => (name: string) => known[name];

void test('a typed __ksym the kernel BTF lacks: libbpf’s refusal, naming the BTF', () => {
  assert.throws(
    () => loadObject(obj('ksymvar')),
    /^Error: extern \(var ksym\) 'bpf_prog_active': not found in kernel BTF \(the bundled BTF of Linux/,
  );
  assert.throws(() => loadObject(obj('ksym_missing')), /'xdp_lab_no_such_variable': not found in kernel BTF/);
});

void test('a typeless __ksym is the kallsyms address, a weak missing one 0; a strong missing one is refused', () => {
  const o = loadObject(obj('ksym_typeless'), { kernelFacts: { kallsyms: kallsyms({ _stext: STEXT }) } });
  const r = o.programs[0]?.testRun(new Uint8Array(64), {});
  assert.ok(r && !r.fault, r?.fault?.message);
  assert.equal(r.retval, 2, 'XDP_PASS: the weak one read 0');
  assert.equal(Buffer.from(r.dataOut).readBigUInt64LE(14), STEXT);
  assert.equal(Buffer.from(r.dataOut).readBigUInt64LE(22), 0n);
  assert.deepEqual(o.ksymNotes, [], 'nothing modelled: real addresses');
  assert.throws(
    () => loadObject(obj('ksym_typeless'), { kernelFacts: { kallsyms: kallsyms({}) } }),
    /extern '_stext' \(strong\): not resolved/,
  );
  // The verifier sees constants: accepted.
  const v = verifyObject(obj('ksym_typeless'), { kernelFacts: { kallsyms: kallsyms({ _stext: STEXT }) } });
  assert.equal(v.programs[0]?.verdict, 'accepted');
});

void test(
  'a typed per-CPU __ksym: refused where kallsyms lacks it, as the kernel does; otherwise said to be unmodelled',
  { skip: noBtf },
  () => {
    const btf = { targetBtf: hostBtf as Uint8Array, targetBtfName: VMLINUX };
    for (const [name, sym] of [
      ['ksymvar', 'bpf_prog_active'],
      ['ksym_percpu_struct', 'runqueues'],
    ] as const) {
      const missing = verifyObject(obj(name), { ...btf, kernelFacts: { kallsyms: kallsyms({}) } })
        .programs[0];
      assert.equal(missing?.verdict, 'rejected');
      assert.equal(missing.error?.message, `ldimm64 failed to find the address for kernel symbol '${sym}'.`);
      assert.equal(missing.insnsProcessed, 0);
      assert.equal(missing.error?.line, undefined, 'before the walk: no source line');
      // Found (a kernel with CONFIG_KALLSYMS_ALL): PTR_TO_BTF_ID | MEM_PERCPU is not modelled, and says so.
      const found = verifyObject(obj(name), { ...btf, kernelFacts: { kallsyms: kallsyms({ [sym]: 1n }) } })
        .programs[0];
      assert.match(
        found?.error?.message ?? '',
        new RegExp(`does not model per-CPU kernel variable '${sym}'`),
      );
      // The VM runs neither bpf_this_cpu_ptr nor bpf_per_cpu_ptr yet: the run's load says so by name.
      assert.throws(
        () => loadObject(obj(name), { ...btf }),
        /helper bpf_(this|per)_cpu_ptr \(15[34]\) is not supported by the XDP Lab VM/,
      );
    }
  },
);

void test('a typed plain __ksym is PTR_TO_MEM | MEM_RDONLY of its size; the VM reads a zeroed object and says so', () => {
  // knobs.bpf.o's BTF as the "kernel" BTF: its VAR `port` (a __u16 in .rodata, not per-CPU).
  const knobs = obj('knobs');
  const elfBtf = parseElf(knobs).section('.BTF');
  assert.ok(elfBtf);
  const btf = { targetBtf: elfBtf.data, targetBtfName: 'knobs.bpf.o' };
  const facts = { kernelFacts: { kallsyms: kallsyms({ port: 1n }) } };
  const v = verifyObject(obj('ksym_plainvar'), { ...btf, ...facts }).programs;
  const by = (n: string) => v.find((p) => p.name === n);
  assert.equal(by('xdp_ksym_read')?.verdict, 'accepted');
  assert.match(by('xdp_ksym_write')?.error?.message ?? '', /^R\d cannot write into rdonly_mem$/);
  assert.equal(
    by('xdp_ksym_oob')?.error?.message,
    'invalid access to memory, mem_size=2 off=2 size=1\nR1 min value is outside of the allowed memory range',
  );
  const run = loadObject(obj('ksym_plainvar'), { ...btf });
  assert.deepEqual(run.ksymNotes, [
    "kernel variable 'port' (unsigned short, 2 bytes): the VM has no kernel memory; it points at a zeroed, read-only object of that size",
  ]);
  assert.equal(run.program('xdp_ksym_read')?.testRun(new Uint8Array(64), {}).retval, 2, 'zero: XDP_PASS');
  const w = run.program('xdp_ksym_write')?.testRun(new Uint8Array(64), {});
  assert.ok(w?.fault, 'the VM refuses the write too');
});
