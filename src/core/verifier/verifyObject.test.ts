// verifyObject over clang-built objects (prebuilt in test/fixtures/verifier/obj, so no clang is
// needed): the verdict, the kernel's words and the source line Linux 6.18 gave for each.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { verifyObject } from './verifyObject';

const obj = (name: string): Uint8Array =>
  new Uint8Array(readFileSync(path.join(__dirname, '../../../test/fixtures/verifier/obj', `${name}.bpf.o`)));

describe('verifyObject', () => {
  it('accepts the parser that checks the IP header against data_end', () => {
    const [p] = verifyObject(obj('accept_iph_check')).programs;
    assert.equal(p?.verdict, 'accepted');
    assert.ok((p?.insnsProcessed ?? 0) > 0);
  });

  it('rejects the parser without the IP header check on its line, with the branch path', () => {
    const [p] = verifyObject(obj('reject_no_iph_check')).programs;
    assert.equal(p?.verdict, 'rejected');
    assert.equal(
      p?.error?.message,
      'invalid access to packet, off=22 size=1, R1(id=0,off=22,r=14)\nR1 offset is outside of the packet',
    );
    assert.equal(p?.error?.line, 17);
    assert.ok(p?.error?.file?.endsWith('reject_no_iph_check.bpf.c'));
    assert.ok((p?.error?.path.length ?? 0) > 0);
    assert.equal(p?.error?.path[0]?.taken, false);
  });

  it("rejects a map value dereference before its NULL check as 'map_value_or_null'", () => {
    const [p] = verifyObject(obj('reject_map_value_or_null')).programs;
    assert.equal(p?.error?.message, "R0 invalid mem access 'map_value_or_null'");
    assert.equal(p?.error?.line, 18);
  });

  it('reports no XDP program for a tc object and throws the loader error for garbage', () => {
    assert.deepEqual(verifyObject(obj('tc_only')).programs, []);
    assert.throws(() => verifyObject(new Uint8Array([1, 2, 3, 4])));
  });
});

describe('verifyObject: CO-RE, resolved as libbpf resolves it before the kernel verifies', () => {
  it('reads a map through its CO-RE struct bpf_map against the bundled BTF (no kernel BTF given)', () => {
    const [p] = verifyObject(obj('accept_core_map_fields')).programs;
    assert.equal(p?.verdict, 'accepted', p?.error?.message);
  });

  it("names an unresolved relocation in libbpf's words, on its line (fixup_log_failed_core_relo)", () => {
    const [p] = verifyObject(obj('reject_core_field_missing')).programs;
    assert.equal(p?.verdict, 'rejected');
    assert.equal(
      p?.error?.message,
      'failed to resolve CO-RE relocation <byte_off> [19] struct bpf_map.xdplab_not_in_any_kernel (0:0 @ offset 0)',
    );
    assert.equal(p?.error?.line, 23);
  });

  it('resolves against the target BTF it is given, as run does (an empty BTF: no bpf_map, poisoned)', () => {
    // A BTF blob of no types: header only (magic, version 1, hdr_len 24, empty sections; one NUL string).
    const empty = new Uint8Array([
      0x9f, 0xeb, 1, 0, 24, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0,
    ]);
    const [p] = verifyObject(obj('accept_core_map_fields'), {
      targetBtf: empty,
      targetBtfName: 'an empty BTF',
    }).programs;
    assert.equal(p?.verdict, 'rejected');
    assert.match(
      p?.error?.message ?? '',
      /^failed to resolve CO-RE relocation <byte_off> \[\d+\] struct bpf_map\.max_entries/,
    );
  });
});

describe('verifyObject: kfunc calls', () => {
  it('checks conntrack kfuncs as calls (memory with its size, a reference released)', () => {
    const [p] = verifyObject(obj('accept_ct_lookup_kfunc')).programs;
    assert.equal(p?.verdict, 'accepted', p?.error?.message);
  });

  it('refuses the metadata kfuncs outside a device-bound program as the kernel does, before any insn', () => {
    const [p] = verifyObject(obj('reject_xdp_metadata_kfunc')).programs;
    assert.equal(p?.verdict, 'rejected');
    assert.equal(p?.error?.message, 'the program could not be loaded: Invalid argument');
    assert.equal(p?.insnsProcessed, 0);
  });

  it('refuses a kfunc the kernel lacks as libbpf does, before any instruction', () => {
    const bytes = obj('accept_ct_lookup_kfunc');
    // Rename the extern (same length) so that no kernel has it.
    const text = Buffer.from(bytes).toString('latin1').replaceAll('bpf_xdp_ct_lookup', 'bpf_xdp_ct_lookux');
    const [q] = verifyObject(new Uint8Array(Buffer.from(text, 'latin1'))).programs;
    assert.equal(q?.verdict, 'rejected');
    assert.equal(
      q?.error?.message,
      "libbpf: extern (func ksym) 'bpf_xdp_ct_lookux': not found in kernel or module BTFs",
    );
    assert.equal(q?.insnsProcessed, 0);
    assert.equal(q?.error?.line, undefined);
  });
});
