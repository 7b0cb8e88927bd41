// Special fields of a map value (kernel/bpf/btf.c btf_parse_fields → struct btf_record): where the
// value's BTF puts a bpf_spin_lock, a bpf_timer, a bpf_wq or a kptr, and check_map_access's rule
// that loads, stores and helpers may not touch them (kptrs: one aligned 8-byte BPF_MEM access).
import { BTF_KIND } from '../elf/btf';
import type { Btf } from '../elf/btf';
import { fail } from './env';
import type { Reg } from './regState';
import { tnumIsConst } from './tnum';

/** enum btf_field_type, the kinds an XDP program's map values meet. */
export type MapFieldKind = 'spin_lock' | 'res_spin_lock' | 'timer' | 'wq' | 'kptr' | 'kptr_untrusted';

export interface MapField {
  readonly kind: MapFieldKind;
  /** Byte offset in the value. */
  readonly off: number;
  readonly size: number;
  /** A kptr's pointee (the struct the type tag sits on). */
  readonly kptrType?: string;
  /** The pointee's id and size in the program's BTF (a local type bpf_obj_new allocates). */
  readonly kptrTypeId?: number;
  readonly kptrSize?: number;
}

/** btf_field_type_name */
export function fieldName(kind: MapFieldKind): string {
  switch (kind) {
    case 'spin_lock':
      return 'bpf_spin_lock';
    case 'res_spin_lock':
      return 'bpf_res_spin_lock';
    case 'timer':
      return 'bpf_timer';
    case 'wq':
      return 'bpf_wq';
    default:
      return 'kptr';
  }
}

const BY_STRUCT: Record<string, { kind: MapFieldKind; size: number }> = {
  bpf_spin_lock: { kind: 'spin_lock', size: 4 },
  bpf_res_spin_lock: { kind: 'res_spin_lock', size: 8 },
  bpf_timer: { kind: 'timer', size: 16 },
  bpf_wq: { kind: 'wq', size: 16 },
};

/**
 * btf_find_kptr: a pointer whose first modifier is a "kptr"/"kptr_untrusted" type tag, to a struct.
 * A pointee clang wrote only as a forward declaration gives no kptr field (Linux 6.18 then says
 * "R1 has no valid kptr" to bpf_kptr_xchg and loads the field as a scalar).
 */
function kptrOf(
  btf: Btf,
  typeId: number,
): { kind: MapFieldKind; name: string; id: number; size: number } | undefined {
  const p = btf.type(typeId);
  if (!p || p.kind !== BTF_KIND.PTR) return undefined;
  const tag = btf.type(p.sizeOrType);
  if (!tag || tag.kind !== BTF_KIND.TYPE_TAG) return undefined;
  const kind = tag.name === 'kptr' ? 'kptr' : tag.name === 'kptr_untrusted' ? 'kptr_untrusted' : undefined;
  if (!kind) return undefined;
  const t = btf.resolve(tag.sizeOrType);
  if (!t || t.kind !== BTF_KIND.STRUCT) return undefined;
  return { kind, name: t.name, id: t.id, size: t.sizeOrType };
}

/** Types visited per map value at most: nested arrays of structs in a fuzzed BTF stay cheap. */
const VISIT_BUDGET = 4096;

/** btf_find_field over a struct (nested structs and arrays of fields included), at byte `base`. */
function collect(
  btf: Btf,
  typeId: number,
  base: number,
  out: MapField[],
  depth: number,
  budget: { left: number },
): void {
  const t = btf.resolve(typeId);
  if (!t || depth > 8 || --budget.left < 0) return;
  if (t.kind === BTF_KIND.ARRAY && t.array) {
    const esz = btf.sizeOf(t.array.type) ?? 0;
    const n = Math.min(t.array.nelems, 64);
    for (let i = 0; i < n && esz > 0; i++) collect(btf, t.array.type, base + i * esz, out, depth + 1, budget);
    return;
  }
  if (t.kind !== BTF_KIND.STRUCT && t.kind !== BTF_KIND.UNION) return;
  for (const m of t.members) {
    const off = base + Math.floor(m.offset / 8);
    const kptr = kptrOf(btf, m.type);
    if (kptr) {
      out.push({
        kind: kptr.kind,
        off,
        size: 8,
        kptrType: kptr.name,
        kptrTypeId: kptr.id,
        kptrSize: kptr.size,
      });
      continue;
    }
    const mt = btf.resolve(m.type);
    if (!mt) continue;
    const special = mt.kind === BTF_KIND.STRUCT ? BY_STRUCT[mt.name] : undefined;
    if (special) out.push({ kind: special.kind, off, size: special.size });
    else collect(btf, m.type, off, out, depth + 1, budget);
  }
}

/** The fields of each BTF-defined map's value (`.maps`), by map name; maps without BTF are absent. */
export function mapValueFields(btf: Btf | undefined): Map<string, MapField[]> {
  const out = new Map<string, MapField[]>();
  const ds = btf?.findDatasec('.maps');
  if (!btf || !ds?.vars) return out;
  for (const v of ds.vars) {
    const vt = btf.type(v.type);
    const def = vt ? btf.resolve(vt.sizeOrType) : undefined;
    if (!vt || !def || def.kind !== BTF_KIND.STRUCT) continue;
    const value = def.members.find((m) => m.name === 'value');
    const ptr = value ? btf.resolve(value.type) : undefined;
    const fields: MapField[] = [];
    if (ptr && ptr.kind === BTF_KIND.PTR) collect(btf, ptr.sizeOrType, 0, fields, 0, { left: VISIT_BUDGET });
    out.set(vt.name, fields);
  }
  return out;
}

/** The fixed part of a pointer's variable offset, when it is a constant. */
export function constVarOff(r: Reg): number | undefined {
  return tnumIsConst(r.varOff) ? Number(BigInt.asIntN(64, r.varOff.value)) : undefined;
}

/**
 * check_map_access's loop over the value's btf_record: an access of `size` bytes at `off` from `reg`
 * (a map value) may not overlap a special field, except a kptr through one aligned BPF_DW load or
 * store. Returns the kptr the access is to, if any (check_map_kptr_access checks the rest).
 */
export function checkMapFields(reg: Reg, off: number, size: number, direct: boolean): MapField | undefined {
  const fields = reg.map?.fields;
  if (!fields?.length) return undefined;
  const lo = Number(reg.smin) + off;
  const hi = Number(reg.umax) + off + size;
  let kptr: MapField | undefined;
  for (const f of fields) {
    if (!(lo < f.off + f.size && f.off < hi)) continue;
    const name = fieldName(f.kind);
    if (f.kind !== 'kptr' && f.kind !== 'kptr_untrusted')
      fail(`${name} cannot be accessed directly by load/store`);
    if (!direct) fail(`${name} cannot be accessed indirectly by helper`);
    const c = constVarOff(reg);
    if (c === undefined) fail(`${name} access cannot have variable offset`);
    if (f.off !== off + c) fail(`${name} access misaligned expected=${f.off} off=${off + c}`);
    if (size !== 8) fail(`${name} access size must be BPF_DW`);
    kptr = f;
  }
  return kptr;
}
