// Global (non-static) sub-programs, which the kernel verifies on their own (verifier.c
// do_check_subprogs, btf_prepare_func_args): where they start in the linked program and what
// their BTF prototype says each argument is — a scalar, the context, or nullable sized memory.
import { Btf, BTF_KIND } from '../elf/btf';
import type { ElfFile } from '../elf/elfFile';
import { SHF_EXECINSTR, STT_FUNC } from '../elf/elfFile';

export type ParamKind =
  { kind: 'scalar' } | { kind: 'ctx' } | { kind: 'mem'; size: number } | { kind: 'bad'; why: string };

export interface GlobalFunc {
  name: string;
  params: ParamKind[];
}

const STB_GLOBAL = 1;
const CTX_TYPES = new Set(['xdp_md']);

/** FUNC_PROTO parameter type ids by proto id (the Btf reader skips them). */
function protoParams(raw: Uint8Array): Map<number, number[]> {
  const out = new Map<number, number[]>();
  const dv = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  const hdr = dv.getUint32(4, true);
  let o = hdr + dv.getUint32(8, true);
  const end = o + dv.getUint32(12, true);
  for (let id = 1; o + 12 <= end && o + 12 <= raw.length; id++) {
    const info = dv.getUint32(o + 4, true);
    const kind = (info >> 24) & 0x1f;
    const vlen = info & 0xffff;
    o += 12;
    switch (kind) {
      case BTF_KIND.INT:
      case BTF_KIND.VAR:
      case BTF_KIND.DECL_TAG:
        o += 4;
        break;
      case BTF_KIND.ARRAY:
        o += 12;
        break;
      case BTF_KIND.STRUCT:
      case BTF_KIND.UNION:
      case BTF_KIND.DATASEC:
      case BTF_KIND.ENUM64:
        o += 12 * vlen;
        break;
      case BTF_KIND.ENUM:
        o += 8 * vlen;
        break;
      case BTF_KIND.FUNC_PROTO: {
        const ps: number[] = [];
        for (let i = 0; i < vlen && o + 8 <= raw.length; i++, o += 8) ps.push(dv.getUint32(o + 4, true));
        out.set(id, ps);
        break;
      }
      default:
        break;
    }
  }
  return out;
}

/** btf_prepare_func_args for one parameter type. */
function paramKind(btf: Btf, typeId: number, i: number): ParamKind {
  const t = btf.resolve(typeId);
  if (!t) return { kind: 'bad', why: `arg#${i} type is unknown` };
  if (t.kind === BTF_KIND.INT || t.kind === BTF_KIND.ENUM || t.kind === BTF_KIND.ENUM64)
    return { kind: 'scalar' };
  if (t.kind === BTF_KIND.PTR) {
    const target = btf.resolve(t.sizeOrType);
    if (
      target &&
      (target.kind === BTF_KIND.STRUCT || target.kind === BTF_KIND.UNION) &&
      CTX_TYPES.has(target.name)
    )
      return { kind: 'ctx' };
    const size = target ? btf.sizeOf(target.id) : undefined;
    if (size) return { kind: 'mem', size };
    return { kind: 'bad', why: `arg#${i} reference type('UNKNOWN ') size cannot be determined` };
  }
  return { kind: 'scalar' };
}

/** Global functions of `.text` by their first instruction in a program linked at `textBase`. */
export function globalFuncsOf(elf: ElfFile, textBase: number): Map<number, GlobalFunc> {
  const out = new Map<number, GlobalFunc>();
  const text = elf.section('.text');
  const btfSec = elf.section('.BTF');
  if (!text || !(text.flags & SHF_EXECINSTR) || !btfSec) return out;
  let btf: Btf;
  let params: Map<number, number[]>;
  try {
    btf = new Btf(btfSec.data);
    params = protoParams(btfSec.data);
  } catch {
    return out;
  }
  for (const s of elf.symbols) {
    if (s.shndx !== text.index || s.type !== STT_FUNC || s.bind !== STB_GLOBAL) continue;
    const fn = btf.types.find((t) => t.kind === BTF_KIND.FUNC && t.name === s.name);
    const ps = fn ? (params.get(fn.sizeOrType) ?? []) : [];
    out.set(textBase + s.value / 8, { name: s.name, params: ps.map((p, i) => paramKind(btf, p, i)) });
  }
  return out;
}
