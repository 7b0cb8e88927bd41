// A debug session resolves CO-RE against the BTF `xdp-lab run` and `verify` use (issue 14 follow-up):
// the running kernel's /sys/kernel/btf/vmlinux when the host has one, else the bundled BTF — so a
// CO-RE program runs alike in `run` and under the debugger, and the console says which BTF it was.
import { strict as assert } from 'node:assert';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import type { DapEvent, DapMessage } from '../../core/debug/dapMessages';
import { DapSession } from '../../core/debug/dapSession';
import { DebugTarget } from '../../core/debug/debugTarget';
import { loadObject } from '../../core/elf/loadObject';
import { buildFrame } from '../../core/packet/frameBuilder';
import { KERNEL_BTF_PATH, kernelBtfOptions } from '../kernelBtf';
import { prepareLaunch } from './debugLaunch';

const object = path.resolve(__dirname, '../../../test/fixtures/programs/obj/corerelo.bpf.o');
const skip = fs.existsSync(KERNEL_BTF_PATH) ? undefined : `no ${KERNEL_BTF_PATH} on this host`;

void test(
  "the launch carries the running kernel's BTF, and the session's run equals `run`'s",
  { skip },
  async () => {
    const dir = fs.mkdtempSync(path.join(fs.realpathSync('/tmp'), 'xdp-dbg-btf-'));
    try {
      const frame = buildFrame({ tcp: { sport: 5555, dport: 80, flags: 'S' }, length: 200 });
      fs.writeFileSync(path.join(dir, 'syn.bin'), frame);
      const input = await prepareLaunch({ program: object, frame: 'syn.bin' }, { cwd: dir });
      assert.equal(input.targetBtfName, `the running kernel's BTF (${KERNEL_BTF_PATH})`);
      assert.ok(input.targetBtf?.()?.length, 'the reader returns the kernel BTF');

      const sent: DapMessage[] = [];
      const s = new DapSession({ prepare: () => Promise.resolve(input), send: (m) => sent.push(m) });
      let seq = 1;
      const req = (command: string, args: Record<string, unknown> = {}) =>
        s.handle({ seq: seq++, type: 'request', command, arguments: args });
      await req('initialize');
      await req('launch', { program: object });
      await req('configurationDone');
      const out = sent
        .filter((m): m is DapEvent => m.type === 'event' && m.event === 'output')
        .map((m) => (m.body as { output: string }).output)
        .join('');
      assert.match(out, /CO-RE resolved against the running kernel's BTF \(\/sys\/kernel\/btf\/vmlinux\)/);
      assert.match(out, /XDP_TX \(return value 3\)/);
      // What `xdp-lab run` computes (cli/commands/run.ts: loadObject with kernelBtfOptions): the same bytes.
      const run = loadObject(new Uint8Array(fs.readFileSync(object)), {
        name: 'corerelo',
        ...kernelBtfOptions(),
      })
        .program('xdp_core')
        ?.testRun(frame, {});
      assert.ok(run);
      const end = new DebugTarget(input).endMemory.buffer;
      assert.deepEqual(Array.from(end.bytes.subarray(end.data, end.dataEnd)), Array.from(run.dataOut));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  },
);

void test("a .c program goes through the host's compile hook (the extension's: the object its pre-launch check made)", async () => {
  const calls: string[] = [];
  const bytes = new Uint8Array(fs.readFileSync(object));
  const input = await prepareLaunch(
    { program: 'never-compiled.bpf.c' },
    {
      cwd: '/tmp',
      clang: { extraArgs: ['-DX'] },
      compile: (file, clang) => {
        calls.push(`${file} ${clang.extraArgs?.join(' ')}`);
        return Promise.resolve(bytes);
      },
    },
  );
  assert.deepEqual(calls, ['/tmp/never-compiled.bpf.c -DX']);
  assert.equal(input.object, bytes);
  // An object is read, never compiled.
  await prepareLaunch(
    { program: object },
    { compile: () => Promise.reject(new Error('compiled an object')) },
  );
});
