// CO-RE relocations against the bundled kernel BTF (the kernel tier checks the same fixtures against
// the running kernel with bpftool): every relocation kind of corerelo.bpf.c, its values written into
// the packet; the poisoned instruction of corepoison.bpf.c faulting with its source line; flavors.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import test from 'node:test';
import { Btf, BTF_KIND, essentialNameLength } from './btf';
import { bundledBtf, BUNDLED_BTF_KERNEL, decodeBase64 } from './bundledBtf';
import { CORE_RELO, coreReloKindName } from './coreSpec';
import fc from 'fast-check';
import { globalValueText } from './globals';
import { ElfError, LoadError, loadObject } from './loadObject';
import { TestRunError } from '../vm/xdpBuffer';
import { buildFrame } from '../packet/frameBuilder';
import { patchCoreReloKinds } from '../../../test/kernel/lib/btfExtPatch';

const objDir = path.resolve(__dirname, '../../../test/fixtures/programs/obj');
const obj = (name: string): Uint8Array => new Uint8Array(fs.readFileSync(path.join(objDir, name)));
const synFrame = (): Uint8Array => buildFrame({ tcp: { sport: 5555, dport: 80, flags: 'S' }, length: 200 });
const u32s = (b: Uint8Array, from: number, n: number): number[] => {
  const dv = new DataView(b.buffer, b.byteOffset + from, n * 4);
  return Array.from({ length: n }, (_, i) => dv.getUint32(i * 4, true));
};

void test('essential names drop a ___flavor suffix as libbpf does', () => {
  assert.equal(essentialNameLength('sk_buff___x'), 7);
  assert.equal(essentialNameLength('sk_buff'), 7);
  assert.equal(essentialNameLength('a___b___c'), 5, 'only the last flavor goes');
  assert.equal(essentialNameLength('____x'), 5, 'no X before the separator');
  assert.equal(essentialNameLength('x___'), 4, 'no Y after the separator');
});

void test('the bundled BTF holds the XDP types with their kernel layout', () => {
  assert.deepEqual(decodeBase64('aGVsbG8='), new TextEncoder().encode('hello'));
  const btf = new Btf(bundledBtf());
  const ids = (n: string): readonly number[] => btf.idsByEssentialName(n);
  for (const name of [
    'xdp_md',
    'ethhdr',
    'iphdr',
    'ipv6hdr',
    'tcphdr',
    'udphdr',
    'sk_buff',
    'net_device',
    'xdp_action',
  ])
    assert.equal(ids(name).length >= 1, true, `${name} is bundled`);
  const iph = btf.type(ids('iphdr')[0] as number);
  assert.equal(iph && btf.sizeOf(iph.id), 20);
  // A map read through its pointer (`map->max_entries`) relocates against struct bpf_map, whole (not
  // a forward declaration), and an array map's struct bpf_array begins with it (issue 11).
  const map = btf.findByNameKind('bpf_map', BTF_KIND.STRUCT);
  for (const f of ['map_type', 'key_size', 'value_size', 'max_entries', 'map_flags', 'id', 'name'])
    assert.ok(
      map?.members.some((m) => m.name === f),
      `struct bpf_map.${f} is bundled`,
    );
  const array = btf.findByNameKind('bpf_array', BTF_KIND.STRUCT);
  assert.equal(array?.members[0]?.name, 'map');
  assert.equal(array?.members[0] && btf.resolve(array.members[0].type)?.name, 'bpf_map');
  assert.match(BUNDLED_BTF_KERNEL, /^\d+\.\d+/);
});

void test('every CO-RE relocation kind resolves against the bundled BTF, values as libbpf computes them', () => {
  const o = loadObject(obj('corerelo.bpf.o'), { name: 'corerelo' });
  assert.match(o.targetBtfName ?? '', /bundled BTF of Linux/);
  const kinds = new Set(o.coreRelocations.map((r) => r.kind));
  // Every kind up to enumval_value in libbpf's own names (type_matches: the test below patches it in).
  for (let k = CORE_RELO.FIELD_BYTE_OFFSET; k <= CORE_RELO.ENUMVAL_VALUE; k++)
    assert.ok(kinds.has(coreReloKindName(k)), `a ${coreReloKindName(k)} relocation`);
  const r = o.programs[0]?.testRun(synFrame(), {});
  assert.ok(r && !r.fault, JSON.stringify(r?.fault));
  assert.equal(r.retval, 3);
  const v = u32s(r.dataOut, 64, 25);
  const sk = o.coreRelocations.find((x) => x.kind === 'target_type_id');
  assert.deepEqual(v, [
    1, // field exists sk_buff.len
    0, // field exists sk_buff.no_such_field
    4, // field size sk_buff.len
    1, // net_device.ifindex is signed
    0, // net_device.mtu is not
    Number(
      o.coreRelocations.find((x) => x.spec === 'struct net_device___x.mtu' && x.kind === 'byte_off')?.value,
    ),
    8, // local type id of sk_buff___x in the object's BTF
    Number(sk?.value), // target type id of sk_buff in the bundled BTF
    1, // type exists net_device
    0, // type exists xdplab_no_such_type
    20, // sizeof(struct iphdr)
    0, // size of a missing type
    1, // XDP_REDIRECT exists
    0, // XDP_NO_SUCH_ACTION does not
    4, // XDP_REDIRECT's value in the kernel, not the local 99
    64, // iph->ttl read at the kernel's offset 8
    0xba00, // iph->tot_len: the u32 load shrunk to the kernel's __be16 (186 bytes, big-endian)
    0x0200000a, // iph->daddr at offset 16 (10.0.0.2)
    4, // BPF_CORE_READ_BITFIELD(iph, version)
    5, // ihl
    1, // tcp syn
    5, // tcp doff
    0x5000, // th->dest at offset 2 (port 80, big-endian)
    0xfeed, // the existence check kept the poisoned load dead
    1, // type exists iphdr
  ]);
  const dead = o.coreRelocations.find((x) => x.poisoned);
  assert.equal(dead?.spec, 'struct sk_buff___x.no_such_field');
  assert.match(dead?.line ?? '', /corerelo\.bpf\.c:\d+/);
});

void test('type_matches: members by name with matching sizes and signedness (relo_core.c __bpf_core_types_match)', () => {
  const bytes = patchCoreReloKinds(obj('corerelo.bpf.o'), (type, kind) =>
    kind === 8 && (type === 'net_device___x' || type === 'iphdr___x' || type === 'xdplab_no_such_type')
      ? 12
      : undefined,
  );
  const o = loadObject(bytes);
  assert.equal(o.coreRelocations.filter((x) => x.kind === 'type_matches').length > 0, true);
  const r = o.programs[0]?.testRun(synFrame(), {});
  assert.ok(r && !r.fault);
  const v = u32s(r.dataOut, 64, 25);
  assert.deepEqual(
    [v[8], v[9], v[24]],
    [1, 0, 0],
    'net_device matches; a missing type and iphdr (tot_len) do not',
  );
});

void test('a reachable poisoned relocation faults with its source line; an unreached one runs', () => {
  const o = loadObject(obj('corepoison.bpf.o'), { name: 'corepoison' });
  const prog = o.programs[0];
  assert.ok(prog);
  assert.equal(prog.testRun(buildFrame({ length: 60 }).slice(0, 40), {}).retval, 2, 'short frame: XDP_PASS');
  const r = prog.testRun(buildFrame({ length: 80 }), {});
  assert.ok(r.fault);
  assert.match(r.fault.message, /poisoned by an unresolved CO-RE relocation .*0xbad2310/);
  assert.match(r.fault.line ?? '', /corepoison\.bpf\.c:22/);
  const relo = o.poisonAt(prog.name, r.fault.pc);
  assert.equal(relo?.spec, 'struct sk_buff___gone.xdplab_not_in_any_kernel');
  assert.match(relo?.missing ?? '', /no candidate among 1 struct sk_buff/);
  assert.equal(prog.insns[r.fault.pc]?.imm, 0xbad2310);
});

void test('a CO-RE relocation libbpf refuses is a load error naming the relocation', () => {
  // An ALU relocation whose immediate does not hold the value clang computed: libbpf's
  // "unexpected insn #N (ALU/ALU64) value" refusal. Corrupt the first `r3 = 1` of field_exists.
  const bytes = obj('corerelo.bpf.o');
  const o = loadObject(bytes);
  const first = o.coreRelocations[0];
  assert.ok(first);
  const dv = new DataView(bytes.buffer, bytes.byteOffset);
  // The xdp section: the one executable section past 1000 bytes (e_shoff, e_shnum; sh_flags, sh_offset, sh_size).
  const shoff = Number(dv.getBigUint64(0x28, true));
  const shnum = dv.getUint16(0x3c, true);
  let xdpOff = -1;
  for (let i = 0; i < shnum; i++) {
    const sh = shoff + i * 64;
    const flags = Number(dv.getBigUint64(sh + 8, true));
    const size = Number(dv.getBigUint64(sh + 32, true));
    if (flags & 4 && size > 1000) xdpOff = Number(dv.getBigUint64(sh + 24, true));
  }
  assert.ok(xdpOff > 0);
  const pc = first.insn;
  dv.setInt32(xdpOff + pc * 8 + 4, 77, true);
  assert.throws(
    () => loadObject(bytes),
    (e: unknown) =>
      e instanceof LoadError &&
      /section xdp, program xdp_core, instruction \d+: CO-RE relocation #0 \(field_exists\): unexpected insn #\d+ \(ALU\/ALU64\) value: got 77/.test(
        e.message,
      ),
  );
});

void test('property: mutated CO-RE, legacy-map and globals objects never crash the loader or the VM', () => {
  const frame = buildFrame({ tcp: { sport: 5555, dport: 80, flags: 'S' }, length: 200 });
  for (const name of ['corerelo.bpf.o', 'elfmaps.bpf.o', 'knobs.bpf.o']) {
    const good = obj(name);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(good.length - 1), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 8,
        }),
        (flips) => {
          const b = good.slice();
          for (const [at, v] of flips) b[at] = v;
          let o;
          try {
            o = loadObject(b);
          } catch (e) {
            assert.ok(e instanceof ElfError || e instanceof LoadError, `${name}: loader threw ${String(e)}`);
            return;
          }
          for (const g of o.globals) globalValueText(g);
          for (const p of o.programs) {
            try {
              p.testRun(frame, { budget: 10_000 });
            } catch (e) {
              assert.ok(e instanceof TestRunError, `${name}: run threw ${String(e)}`);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  }
});
