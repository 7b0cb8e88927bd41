// The record layout tables BTF rewriters use (typeIdFields, nameFields) against the decoder: on every
// type of the bundled kernel BTF they point at the ids and names type() decodes.
import assert from 'node:assert/strict';
import test from 'node:test';
import { Btf, BTF_KIND, nameFields, typeIdFields } from './btf';
import { bundledBtf } from './bundledBtf';

void test("typeIdFields and nameFields point at each record's type ids and names", () => {
  const btf = new Btf(bundledBtf());
  assert.ok(btf.count > 600);
  for (let id = 1; id < btf.count; id++) {
    const t = btf.type(id);
    const rec = btf.record(id);
    assert.ok(t && rec, `type ${id}`);
    const u32 = (off: number): number =>
      new DataView(rec.buffer, rec.byteOffset, rec.byteLength).getUint32(off, true);
    const ids = typeIdFields(t.kind, t.vlen).map(u32);
    for (const ref of ids) assert.ok(ref < btf.count, `type ${id} (${t.name}) refers to ${ref}`);
    const names = nameFields(t.kind, t.vlen).map((f) => btf.str(u32(f)));
    assert.equal(names[0], t.name);
    if (t.kind === BTF_KIND.STRUCT || t.kind === BTF_KIND.UNION) {
      assert.deepEqual(
        names.slice(1),
        t.members.map((m) => m.name),
      );
      assert.deepEqual(
        ids,
        t.members.map((m) => m.type),
      );
    }
    if (t.kind === BTF_KIND.ENUM || t.kind === BTF_KIND.ENUM64)
      assert.deepEqual(
        names.slice(1),
        t.enumerators?.map((e) => e.name),
      );
    if (t.kind === BTF_KIND.FUNC_PROTO) {
      assert.deepEqual(
        names.slice(1),
        t.params?.map((p) => p.name),
      );
      assert.deepEqual(ids, [t.sizeOrType, ...(t.params ?? []).map((p) => p.type)]);
    }
    if (t.kind === BTF_KIND.ARRAY) assert.equal(ids[0], t.array?.type);
    if (t.kind === BTF_KIND.PTR || t.kind === BTF_KIND.TYPEDEF) assert.deepEqual(ids, [t.sizeOrType]);
  }
  assert.equal(btf.record(0), undefined, 'void has no record');
  assert.equal(btf.record(btf.count), undefined);
});
