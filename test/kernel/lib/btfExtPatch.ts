// Rewrites the kind of CO-RE relocation records in an object's .BTF.ext (clang 14 cannot emit
// bpf_core_type_matches: tests turn a type_exists record into a type_matches one, for the VM and for
// libbpf alike). Used by src/core/elf/coreRelo.test.ts and test/kernel/coreRelo.test.ts.
import { Btf } from '../../../src/core/elf/btf';
import { parseElf } from '../../../src/core/elf/elfFile';

/** A copy of `object` where every CO-RE record for which `kindFor(typeName, kind)` answers gets that kind. */
export function patchCoreReloKinds(
  object: Uint8Array,
  kindFor: (typeName: string, kind: number) => number | undefined,
): Uint8Array {
  const out = object.slice();
  const elf = parseElf(out);
  const btfSec = elf.section('.BTF');
  const ext = elf.section('.BTF.ext');
  if (!btfSec || !ext) throw new Error('the object has no .BTF/.BTF.ext');
  const btf = new Btf(btfSec.data);
  const base = ext.data.byteOffset;
  const dv = new DataView(out.buffer, 0);
  const hdrLen = dv.getUint32(base + 4, true);
  const start = base + hdrLen + dv.getUint32(base + 24, true);
  const end = start + dv.getUint32(base + 28, true);
  const recSize = dv.getUint32(start, true);
  let patched = 0;
  for (let o = start + 4; o + 8 <= end;) {
    const n = dv.getUint32(o + 4, true);
    o += 8;
    for (let i = 0; i < n; i++, o += recSize) {
      const name = btf.type(dv.getUint32(o + 4, true))?.name ?? '';
      const kind = kindFor(name, dv.getUint32(o + 12, true));
      if (kind !== undefined) {
        dv.setUint32(o + 12, kind, true);
        patched++;
      }
    }
  }
  if (!patched) throw new Error('no CO-RE record matched');
  return out;
}
