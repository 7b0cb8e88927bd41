// libbpf's `__ksym` extern variables on the real kernel: each fixture of test/fixtures/programs/ksym
// (and bad/ksymvar.bpf.c) compiled, loaded by libbpf (bpftool, this machine's /sys/kernel/btf/vmlinux
// and /proc/kallsyms) and judged by our verifier with the same BTF and kallsyms: same verdict, message,
// source line and processed count. Typed ones need their address from the kernel's kallsyms
// (__check_pseudo_btf_id), which lists data symbols only with CONFIG_KALLSYMS_ALL; typeless ones are
// kallsyms addresses libbpf writes as constants, and a run gives the kernel's bytes. No netns: pins
// under /sys/fs/bpf/xlksym-*.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { loadObject } from '../../src/core/elf/loadObject';
import { buildFrame } from '../../src/core/packet/frameBuilder';
import { verifyObject } from '../../src/core/verifier/verifyObject';
import { kernelBtfOptions } from '../../src/node/kernelBtf';
import { hostKallsyms } from '../../src/node/kernelConfig';
import { kernelVerifyObject } from '../../src/node/kernelVerify';
import { loadAll, progRun } from './lib/bpftool';
import { compileBpf } from './lib/compile';
import { run } from './lib/exec';
import { withLab } from './lib/lab';
import { probe } from './lib/probe';

const root = path.resolve(import.meta.dirname, '../..');
const fixtures = path.join(root, 'test/fixtures/programs');
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const skip = probe() ?? (fs.existsSync('/sys/kernel/btf/vmlinux') ? undefined : 'this kernel has no BTF');

void test(
  'typed and typeless __ksym variables: our verdict, message, line and count are the kernel’s',
  { skip },
  async () => {
    await withLab('xlksym-', async (lab) => {
      const cases = ['bad/ksymvar', 'ksym/percpu_struct', 'ksym/typeless'];
      const kallsymsAll = hostKallsyms('bpf_prog_active') !== undefined;
      for (const c of cases) {
        const obj = compileBpf(
          path.join(fixtures, `${c}.bpf.c`),
          path.join(lab.tmp, `${path.basename(c)}.o`),
        );
        const kernel = (await kernelVerifyObject(obj, {})).programs[0];
        const ours = verifyObject(new Uint8Array(fs.readFileSync(obj)), { ...kernelBtfOptions() })
          .programs[0];
        assert.ok(kernel && ours, c);
        assert.equal(ours.verdict, kernel.verdict, `${c}: verdict`);
        assert.equal(ours.error?.message, kernel.error?.message, `${c}: message`);
        assert.equal(ours.error?.line, kernel.error?.line, `${c}: line`);
        assert.equal(ours.insnsProcessed, kernel.insnsProcessed, `${c}: processed insns`);
        // Without CONFIG_KALLSYMS_ALL (this machine's kernel) the typed ones are refused before the walk.
        if (c !== 'ksym/typeless' && !kallsymsAll)
          assert.match(kernel.error?.message ?? '', /ldimm64 failed to find the address for kernel symbol/);
      }
    });
  },
);

void test(
  'a typeless __ksym reads the kallsyms address in the kernel and in the VM alike',
  { skip },
  async () => {
    await withLab('xlksym-', (lab) => {
      const obj = compileBpf(path.join(fixtures, 'ksym/typeless.bpf.c'), path.join(lab.tmp, 'typeless.o'));
      const k = loadAll(obj, lab.pinDir('typeless'), { type: 'xdp' });
      const vm = loadObject(new Uint8Array(fs.readFileSync(obj)), {
        name: 'typeless',
        ...kernelBtfOptions(),
      });
      const frame = buildFrame({ udp: { dport: 53 }, length: 64 });
      const kr = progRun(k.progs.xdp_ksym_typeless?.pin ?? '', frame, lab.tmp);
      const vr = vm.programs[0]?.testRun(frame, {});
      assert.ok(vr && !vr.fault, vr?.fault?.message);
      assert.equal(vr.retval, kr.retval, 'retval');
      assert.equal(hex(vr.dataOut), hex(kr.dataOut), 'data_out: the addresses libbpf wrote');
      const stext = hostKallsyms('_stext') ?? 0n;
      assert.equal(Buffer.from(vr.dataOut).readBigUInt64LE(14), stext, '_stext as /proc/kallsyms lists it');
    });
  },
);

void test(
  'a strong typed __ksym missing from the kernel BTF: libbpf refuses the object, in its words',
  { skip },
  async () => {
    await withLab('xlksym-', (lab) => {
      const obj = compileBpf(path.join(fixtures, 'ksym/missing.bpf.c'), path.join(lab.tmp, 'missing.o'));
      const r = run(['bpftool', 'prog', 'load', obj, lab.pinDir('missing'), 'type', 'xdp'], {
        allowFailure: true,
      });
      assert.notEqual(r.status, 0);
      const libbpf = /libbpf: (extern \(var ksym\) 'xdp_lab_no_such_variable': not found in kernel BTF)/.exec(
        r.stderr,
      )?.[1];
      assert.ok(libbpf, r.stderr);
      assert.throws(
        () => verifyObject(new Uint8Array(fs.readFileSync(obj)), { ...kernelBtfOptions() }),
        (e: unknown) => (e as Error).message.startsWith(libbpf),
      );
    });
  },
);
