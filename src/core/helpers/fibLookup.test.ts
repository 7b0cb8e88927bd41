// bpf_fib_lookup without a route table answers as a host that does not forward (Linux's default):
// FWD_DISABLED for IPv4 and global IPv6, NOT_FWDED for link-local IPv6 (rt6_need_strict first),
// -EAFNOSUPPORT for another family — the codes Linux 6.18 gave on the cil_fib_disabled fixture.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { loadObject } from '../elf/loadObject';
import { buildFrame } from '../packet/frameBuilder';
import { BpfSystem } from '../vm/bpfSystem';

const objFile = path.resolve(__dirname, '../../../test/fixtures/programs/obj/cil_fib_disabled.bpf.o');

void test('no route table: FWD_DISABLED, NOT_FWDED for link-local, -EAFNOSUPPORT, with a note', () => {
  const system = new BpfSystem();
  const prog = loadObject(new Uint8Array(fs.readFileSync(objFile)), { system }).program('cil_fib');
  assert.ok(prog);
  const r = prog.testRun(buildFrame({ udp: { sport: 1, dport: 9 } }), {});
  assert.equal(r.retval, 3);
  assert.deepEqual([...new Int8Array(r.dataOut.buffer, r.dataOut.byteOffset, 4)], [5, 5, 4, -97]);
  assert.ok(
    system.notes.some((n) => /no route table was given, answered BPF_FIB_LKUP_RET_FWD_DISABLED/.test(n)),
  );
});

void test('with a route table: the matching route succeeds, no match is NOT_FWDED', () => {
  const system = new BpfSystem({
    routes: [
      {
        family: 'ipv4',
        dst: '10.0.0.0/24',
        ifindex: 3,
        smac: '02:00:00:00:00:01',
        dmac: '02:00:00:00:00:02',
      },
    ],
  });
  const prog = loadObject(new Uint8Array(fs.readFileSync(objFile)), { system }).program('cil_fib');
  const r = prog?.testRun(buildFrame({ udp: { sport: 1, dport: 9 } }), {});
  assert.deepEqual(
    [...new Int8Array(r?.dataOut.buffer ?? new ArrayBuffer(4), r?.dataOut.byteOffset, 4)],
    [0, 4, 4, -97],
  );
});
