// parseBpftoolLoad on the lines `bpftool -d prog loadall` printed on Linux 6.18 (bpftool 7.1, libbpf
// 1.1) for the verifier fixtures reject_no_iph_check and accept_iph_check, shortened in the middle.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parseBpftoolLoad } from './bpftoolLoadLog';

const rejected = `libbpf: loading /tmp/x/prog.o
libbpf: sec 'xdp': found program 'xdp_no_iph_check' at insn offset 0 (0 bytes), code size 18 insns (144 bytes)
libbpf: collected 0 externs total
libbpf: prog 'xdp_no_iph_check': BPF program load failed: Permission denied
libbpf: prog 'xdp_no_iph_check': -- BEGIN PROG LOAD LOG --
func#0 @0
; if (iph->ttl <= 1) @ reject_no_iph_check.bpf.c:17
12: (71) r1 = *(u8 *)(r1 +22)
invalid access to packet, off=22 size=1, R1(id=0,off=22,r=14)
R1 offset is outside of the packet
processed 13 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
-- END PROG LOAD LOG --
libbpf: prog 'xdp_no_iph_check': failed to load: -13
libbpf: failed to load object '/tmp/x/prog.o'
Error: failed to load object file
`;

const accepted = `libbpf: loading /tmp/x/prog.o
libbpf: prog 'xdp_iph_check': -- BEGIN PROG LOAD LOG --
func#0 @0
0: R1=ctx() R10=fp0
processed 26 insns (limit 1000000) max_states_per_insn 0 total_states 2 peak_states 2 mark_read 0
-- END PROG LOAD LOG --
`;

void test('a refused program: its log, errno and the text libbpf gave', () => {
  const r = parseBpftoolLoad(rejected);
  assert.equal(r.objectError, undefined);
  assert.equal(r.programs.length, 1);
  const p = r.programs[0];
  assert.equal(p?.name, 'xdp_no_iph_check');
  assert.equal(p?.errno, 13);
  assert.equal(p?.strerror, 'Permission denied');
  assert.match(p?.log ?? '', /^func#0 @0\n[\s\S]*R1 offset is outside of the packet\nprocessed 13 insns/);
  assert.doesNotMatch(p?.log ?? '', /END PROG LOAD LOG/);
});

void test('an accepted program: errno 0 and its statistics', () => {
  const r = parseBpftoolLoad(accepted);
  assert.deepEqual(
    r.programs.map((p) => [p.name, p.errno]),
    [['xdp_iph_check', 0]],
  );
  assert.match(r.programs[0]?.log ?? '', /processed 26 insns/);
});

void test('an object refused before any program reached the kernel: why, in libbpf words', () => {
  const r = parseBpftoolLoad(
    "libbpf: loading /tmp/x/prog.o\nlibbpf: map 'tx': failed to create: Invalid argument(-22)\nlibbpf: failed to load object '/tmp/x/prog.o'\nError: failed to load object file\n",
  );
  assert.deepEqual(r.programs, []);
  assert.equal(r.objectError, "map 'tx': failed to create: Invalid argument(-22)");
});
