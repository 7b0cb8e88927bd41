// Cilium's `.rodata.config` constants (bpf/lib/static_data.h DECLARE_CONFIG / CONFIG()): Cilium's Go
// loader (pkg/bpf/collection.go inlineGlobalData) rewrites every ld_imm64 of a variable there into an
// ld_imm64 of the variable's value and creates no map for the section; XDP Lab loads them the same way.
import { LoadError } from '../vm/vmFault';
import { BTF_KIND } from './btf';
import type { Btf } from './btf';

/** Cilium's globalDataMap. */
export const CILIUM_CONFIG_SECTION = '.rodata.config';
/** DECLARE_CONFIG's variable prefix (Cilium's constantPrefix). */
const CONFIG_PREFIX = '__config_';

/** A constant as the two 32-bit halves of an ld_imm64 (insn.imm, next.imm). */
export interface ConfigValue {
  lo: number;
  hi: number;
}

/**
 * The section's values by offset (globalData: each variable of the DATASEC read as 1, 2, 4 or 8
 * little-endian bytes) when it is Cilium's — every variable named `__config_*`; undefined otherwise
 * (a `.rodata.config` of another program stays a global-data map, as libbpf makes it).
 */
export function ciliumConfigValues(btf: Btf, data: Uint8Array): Map<number, ConfigValue> | undefined {
  const ds = btf.findDatasec(CILIUM_CONFIG_SECTION);
  const vars = ds?.vars ?? [];
  if (!vars.length) return undefined;
  const names = vars.map((v) => btf.type(v.type));
  if (names.some((t) => t?.kind !== BTF_KIND.VAR || !t.name.startsWith(CONFIG_PREFIX))) return undefined;
  // Later Cilium objects hold variables no ld_imm64 can carry (an IPv6 address, 16 bytes): their
  // loader keeps the section as a frozen read-only map (cilium/ebpf's Variables), as libbpf does.
  if (vars.some((v) => v.size > 8)) return undefined;
  const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
  const out = new Map<number, ConfigValue>();
  vars.forEach((v, i) => {
    const name = names[i]?.name ?? '';
    if (![1, 2, 4, 8].includes(v.size) || v.offset + v.size > data.length)
      throw new LoadError(`${CILIUM_CONFIG_SECTION}: ${name}: invalid variable size ${v.size}`);
    const lo =
      v.size === 1
        ? dv.getUint8(v.offset)
        : v.size === 2
          ? dv.getUint16(v.offset, true)
          : dv.getInt32(v.offset, true);
    out.set(v.offset, { lo, hi: v.size === 8 ? dv.getInt32(v.offset + 4, true) : 0 });
  });
  return out;
}

/** The value an ld_imm64 at `off` of the section becomes (Cilium's error when no variable starts there). */
export function configValueAt(values: ReadonlyMap<number, ConfigValue>, off: number): ConfigValue {
  const v = values.get(off);
  if (!v) throw new LoadError(`no global constant found in ${CILIUM_CONFIG_SECTION} at offset ${off}`);
  return v;
}
