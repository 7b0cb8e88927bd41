// Links one XDP program as libbpf's bpf_object__relocate() does: its own instructions plus the .text
// sub-programs it calls, each ELF relocation resolved (maps, global data, Cilium's config constants,
// callbacks, bpf-to-bpf calls, kfuncs), BTF line info attached and CO-RE applied (coreApply.ts).
import type { BpfMap } from '../maps/bpfMap';
import { CpuMap } from '../maps/cpumap';
import { DevMap } from '../maps/devmap';
import type { BpfSystem } from '../vm/bpfSystem';
import * as I from '../vm/isa';
import type { Insn } from '../vm/isa';
import { ADDR_BASE } from '../vm/memory';
import { LoadError } from '../vm/vmFault';
import type { SourceLine } from '../vm/xdpProgram';
import { kfuncRefusal, vmKfuncId } from '../vm/kfuncs';
import type { Btf } from './btf';
import { applyCoreRelocations } from './coreApply';
import type { CoreContext } from './coreApply';
import { configValueAt } from './ciliumConfig';
import type { ConfigValue } from './ciliumConfig';
import type { BtfExt } from './btfExt';
import type { KsymResolution } from './ksyms';
import { SHN_UNDEF, STT_SECTION } from './elfFile';
import type { ElfFile, ElfSection, ElfSymbol } from './elfFile';

const R_BPF_64_64 = 1;
const R_BPF_64_32 = 10;

export function decodeSection(s: ElfSection): Insn[] {
  if (s.size % 8)
    throw new LoadError(`section ${s.name}: ${s.size} bytes is not a whole number of instructions`);
  return I.decodeInsns(s.data);
}

export interface LinkContext {
  mapAt: Map<string, BpfMap>;
  dataMap: Map<number, BpfMap>;
  ext: BtfExt | undefined;
  btf: Btf | undefined;
  system: BpfSystem;
  frags: boolean;
  core: CoreContext;
  /** Keep kfunc calls (as BPF_PSEUDO_KFUNC_CALL, their names in `kfuncs`) for the verifier. */
  keepKfuncs: boolean;
  /**
   * The `.kconfig` map and each kcfg extern's offset in it by symbol index (kconfig.ts); the `.ksyms`
   * extern variables by symbol index, as libbpf resolved them (ksyms.ts).
   */
  kconfig?: { map: BpfMap; offsets: ReadonlyMap<number, number> };
  ksymVars?: ReadonlyMap<number, KsymResolution>;
  /** Cilium's .rodata.config: its ld_imm64s become constants. */
  ciliumConfig?: { shndx: number; values: ReadonlyMap<number, ConfigValue> };
}

export function linkProgram(
  elf: ElfFile,
  sec: ElfSection,
  fn: ElfSymbol,
  text: ElfSection | undefined,
  textInsns: Insn[],
  cx: LinkContext,
): {
  insns: Insn[];
  lines: Map<number, SourceLine>;
  resolved: Map<number, { hi: number; lo: number }>;
  poisoned: Set<number>;
  kfuncs: Map<number, string>;
  ksyms: Map<number, KsymResolution & { kind: 'btf' }>;
} {
  const all = decodeSection(sec);
  const start = fn.value / 8;
  const size = fn.size > 0 ? fn.size / 8 : all.length - start;
  if (!Number.isInteger(start) || start + size > all.length)
    throw new LoadError(`program ${fn.name}: symbol range is outside section ${sec.name}`);
  const own = all.slice(start, start + size).map((i) => ({ ...i }));
  const textBase = own.length;
  const relocs = elf
    .relocationsFor(sec.index)
    .filter((r) => r.offset >= fn.value && r.offset < fn.value + size * 8);
  const textRelocs = text ? elf.relocationsFor(text.index) : [];
  const needsText =
    textRelocs.length > 0 ||
    relocs.some((r) => elf.symbols[r.sym]?.shndx === text?.index) ||
    own.some((i) => i.op === (I.BPF_JMP | I.JMP_CALL) && i.src === I.PSEUDO_CALL);
  const insns = needsText ? [...own, ...textInsns.map((i) => ({ ...i }))] : own;
  const resolved = new Map<number, { hi: number; lo: number }>();
  const kfuncs = new Map<number, string>();
  const ksyms = new Map<number, KsymResolution & { kind: 'btf' }>();
  const where = (secName: string, pc: number): string =>
    `section ${secName}, program ${fn.name}, instruction ${pc}`;

  const apply = (secName: string, pc: number, r: { sym: number; type: number }): void => {
    const insn = insns[pc];
    const sym = elf.symbols[r.sym];
    if (!insn || !sym)
      throw new LoadError(
        `${where(secName, pc)}: relocation points outside the program or at a missing symbol`,
      );
    if (sym.shndx === SHN_UNDEF && cx.keepKfuncs && insn.op === (I.BPF_JMP | I.JMP_CALL)) {
      // An `extern … __ksym` function: libbpf resolves it against the kernel's BTF into a kfunc call.
      insn.src = I.PSEUDO_KFUNC_CALL;
      insn.imm = 0;
      kfuncs.set(pc, sym.name);
      return;
    }
    if (sym.shndx === SHN_UNDEF && insn.op === (I.BPF_JMP | I.JMP_CALL)) {
      // A kfunc the VM runs (vm/kfuncs.ts) gets its id, as libbpf writes the kernel's BTF id.
      const why = kfuncRefusal(sym.name);
      if (why) throw new LoadError(`${where(secName, pc)}: ${why}`);
      insn.src = I.PSEUDO_KFUNC_CALL;
      insn.imm = vmKfuncId(sym.name) as number;
      kfuncs.set(pc, sym.name);
      return;
    }
    const kcfgOff = sym.shndx === SHN_UNDEF ? cx.kconfig?.offsets.get(r.sym) : undefined;
    if (kcfgOff !== undefined && cx.kconfig && I.isLdImm64(insn)) {
      // RELO_EXTERN_LD64 of an EXT_KCFG (bpf_object__relocate_data): BPF_PSEUDO_MAP_VALUE into the
      // .kconfig map at the extern's kcfg.data_off (insn[1].imm; the addend is not kept).
      const region = cx.kconfig.map.lookup(new Uint8Array(4), 0);
      if (!region) throw new LoadError(`${where(secName, pc)}: no value for ${cx.kconfig.map.name}`);
      insn.src = I.PSEUDO_MAP_VALUE;
      resolved.set(pc, { hi: region.id, lo: ADDR_BASE + kcfgOff });
      return;
    }
    const ksym = sym.shndx === SHN_UNDEF ? cx.ksymVars?.get(r.sym) : undefined;
    if (ksym && I.isLdImm64(insn)) {
      // RELO_EXTERN_LD64 of an EXT_KSYM (bpf_object__relocate_data).
      const next = insns[pc + 1];
      if (!next) throw new LoadError(`${where(secName, pc)}: ld_imm64 has no second half`);
      if (ksym.kind === 'addr') {
        // Typeless (or an unresolved weak typed one): the address, a plain constant.
        insn.src = 0;
        insn.imm = Number(BigInt.asIntN(32, ksym.addr));
        next.imm = Number(BigInt.asIntN(32, ksym.addr >> 32n));
        return;
      }
      // Typed: BPF_PSEUDO_BTF_ID of the kernel VAR (insn[1].imm: the BTF object fd, 0 for vmlinux).
      insn.src = I.PSEUDO_BTF_ID;
      insn.imm = ksym.btfId;
      next.imm = 0;
      ksyms.set(pc, ksym);
      if (ksym.region !== undefined) resolved.set(pc, { hi: ksym.region, lo: ADDR_BASE });
      return;
    }
    if (sym.shndx === SHN_UNDEF) {
      if (insn.op === (I.BPF_JMP | I.JMP_CALL))
        throw new LoadError(
          `${where(secName, pc)}: kfunc call to '${sym.name}' is not supported by the XDP Lab VM`,
        );
      // Neither a .kconfig nor a .ksyms variable: libbpf's bpf_object__collect_externs finds no BTF
      // for it (an object built without -g) or no such DATASEC, and refuses the object.
      throw new LoadError(
        `${where(secName, pc)}: extern '${sym.name}': ${cx.btf ? 'not in a .kconfig or .ksyms section (libbpf: unrecognized extern section)' : 'no BTF describes it (libbpf: failed to find BTF for extern; build with -g)'}`,
      );
    }
    if (r.type === R_BPF_64_64 && I.isLdImm64(insn)) {
      const map = cx.mapAt.get(`${sym.shndx}:${sym.value}`);
      if (map) {
        insn.src = I.PSEUDO_MAP_FD;
        resolved.set(pc, { hi: map.handle.id, lo: ADDR_BASE });
        if (map instanceof DevMap || map instanceof CpuMap) {
          // §5: the first program referencing a DEVMAP/CPUMAP owns it; others must match its frags flag.
          if (!map.owner) map.owner = { frags: cx.frags };
          else if (map.owner.frags !== cx.frags)
            throw new LoadError(
              `${where(secName, pc)}: map '${map.name}' is already owned by a program ${map.owner.frags ? 'with' : 'without'} frags (the kernel refuses the load: EINVAL)`,
            );
        }
        return;
      }
      if (cx.ciliumConfig?.shndx === sym.shndx) {
        const v = configValueAt(
          cx.ciliumConfig.values,
          (sym.type === STT_SECTION ? 0 : sym.value) + insn.imm,
        );
        const next = insns[pc + 1];
        if (!next) throw new LoadError(`${where(secName, pc)}: ld_imm64 has no second half`);
        insn.src = 0;
        insn.imm = v.lo;
        next.imm = v.hi;
        return;
      }
      const data = cx.dataMap.get(sym.shndx);
      if (data) {
        const off = (sym.type === STT_SECTION ? 0 : sym.value) + insn.imm;
        if (off < 0 || off >= data.def.valueSize)
          throw new LoadError(`${where(secName, pc)}: global data offset ${off} is outside ${data.name}`);
        const region = data.lookup(new Uint8Array(4), 0);
        if (!region) throw new LoadError(`${where(secName, pc)}: no value for ${data.name}`);
        insn.src = I.PSEUDO_MAP_VALUE;
        resolved.set(pc, { hi: region.id, lo: ADDR_BASE + off });
        return;
      }
      if (text && sym.shndx === text.index) {
        const target = textBase + (sym.value + insn.imm) / 8;
        if (!Number.isInteger(target))
          throw new LoadError(`${where(secName, pc)}: callback address is not instruction-aligned`);
        insn.src = I.PSEUDO_FUNC;
        insn.imm = target - pc - 1;
        return;
      }
      const s = elf.sections[sym.shndx];
      throw new LoadError(
        `${where(secName, pc)}: ld_imm64 relocation against '${sym.name || s?.name}' in section ${s?.name ?? sym.shndx} is not supported`,
      );
    }
    if (r.type === R_BPF_64_32 && insn.op === (I.BPF_JMP | I.JMP_CALL)) {
      if (!text || sym.shndx !== text.index)
        throw new LoadError(
          `${where(secName, pc)}: call into section ${elf.sections[sym.shndx]?.name ?? sym.shndx} (only .text sub-programs can be called)`,
        );
      const target = textBase + sym.value / 8 + insn.imm + 1;
      insn.src = I.PSEUDO_CALL;
      insn.imm = target - pc - 1;
      return;
    }
    throw new LoadError(
      `${where(secName, pc)}: unknown relocation type ${r.type} for opcode 0x${insn.op.toString(16)}`,
    );
  };
  for (const r of relocs) apply(sec.name, (r.offset - fn.value) / 8, r);
  if (needsText && text) for (const r of textRelocs) apply('.text', textBase + r.offset / 8, r);

  const lines = new Map<number, SourceLine>();
  const addLines = (secName: string, lo: number, hi: number, base: number): void => {
    for (const l of cx.ext?.lines.get(secName) ?? [])
      if (l.insnOff >= lo && l.insnOff < hi)
        lines.set(base + (l.insnOff - lo) / 8, {
          file: l.file,
          line: l.line,
          column: l.column,
          text: l.text,
        });
  };
  addLines(sec.name, fn.value, fn.value + size * 8, 0);
  if (needsText && text) addLines('.text', 0, text.size, textBase);

  // CO-RE (libbpf.c bpf_object__relocate_core): every record of the program's instructions.
  const poisoned = new Set<number>();
  if (cx.btf && cx.ext) {
    const core = {
      insns,
      localBtf: cx.btf,
      ext: cx.ext,
      core: cx.core,
      program: fn.name,
      lines,
      where,
      poisoned,
    };
    applyCoreRelocations(core, sec.name, fn.value, fn.value + size * 8, 0);
    if (needsText && text) applyCoreRelocations(core, '.text', 0, text.size, textBase);
  }
  return { insns, lines, resolved, poisoned, kfuncs, ksyms };
}
