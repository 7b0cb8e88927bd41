// CO-RE applied to one linked program (libbpf.c bpf_object__relocate_core): each .BTF.ext record of
// the program's instructions resolved against the target BTF (the running kernel's, given by the
// host, or the bundled one) and patched in place; poisoned instructions and a report per relocation.
import type { Insn } from '../vm/isa';
import { LoadError } from '../vm/vmFault';
import type { SourceLine } from '../vm/xdpProgram';
import { Btf } from './btf';
import type { BtfExt } from './btfExt';
import { BUNDLED_BTF_KERNEL, bundledBtf } from './bundledBtf';
import { calcReloInsn, CoreReloError, patchInsn } from './coreRelo';
import type { CandidateCache } from './coreRelo';
import { CORE_RELO, coreReloKindName } from './coreSpec';
import { ElfError } from './elfFile';

/** One CO-RE relocation as applied (libbpf's debug log "relo #N: ... → ..."). */
export interface CoreRelocationReport {
  program: string;
  /** Instruction index in the linked program. */
  insn: number;
  kind: string;
  /** The local access: `struct iphdr.ttl`, `enum xdp_action::XDP_TX`. */
  spec: string;
  /** The same as libbpf's bpf_core_format_spec prints it: `<byte_off> [5] struct iphdr.ttl (0:5 @ offset 8)`. */
  formatted: string;
  /** The value written into the instruction (absent when poisoned). */
  value?: string;
  poisoned: boolean;
  /** Why no target matched (value 0 of an existence check, or the poison). */
  missing?: string;
  line?: string;
}

export interface CoreContext {
  target(): Btf;
  targetName: string;
  used: boolean;
  cache: CandidateCache;
  reports: CoreRelocationReport[];
}

/** The target BTF (read and parsed on first need) and what the relocations of one object resolved to. */
export function coreContext(opts: {
  targetBtf?: Uint8Array | Btf | (() => Uint8Array | Btf | undefined);
  targetBtfName?: string;
}): CoreContext {
  let target: Btf | undefined;
  const bundledName = `the bundled BTF of Linux ${BUNDLED_BTF_KERNEL}`;
  const cx: CoreContext = {
    targetName: opts.targetBtf ? (opts.targetBtfName ?? "the running kernel's BTF") : bundledName,
    used: false,
    cache: new Map(),
    reports: [],
    target: () => {
      cx.used = true;
      if (target) return target;
      let t = opts.targetBtf;
      if (typeof t === 'function') t = t();
      if (!t) cx.targetName = bundledName;
      try {
        target = t instanceof Btf ? t : new Btf(t ?? bundledBtf());
      } catch (e) {
        if (e instanceof ElfError) throw new LoadError(`${cx.targetName}: ${e.message}`);
        throw e;
      }
      return target;
    },
  };
  return cx;
}

/** One program's view for applying its relocations. */
export interface CoreProgram {
  insns: Insn[];
  localBtf: Btf;
  ext: BtfExt;
  core: CoreContext;
  program: string;
  lines: Map<number, SourceLine>;
  where: (section: string, pc: number) => string;
  poisoned: Set<number>;
}

/** The file:line of `pc` (the nearest line record at or before it). */
function lineAt(lines: Map<number, SourceLine>, pc: number): string | undefined {
  for (let p = pc; p >= 0; p--) {
    const l = lines.get(p);
    if (l && l.line > 0) return `${l.file.split('/').pop() ?? l.file}:${l.line}`;
  }
  return undefined;
}

/** Applies the records of section `secName` in [lo, hi) (byte offsets) to instructions from `base`. */
export function applyCoreRelocations(
  p: CoreProgram,
  secName: string,
  lo: number,
  hi: number,
  base: number,
): void {
  const relos = p.ext.coreRelos.get(secName) ?? [];
  relos.forEach((c, idx) => {
    if (c.insnOff < lo || c.insnOff >= hi) return;
    const pc = base + (c.insnOff - lo) / 8;
    const fail = (why: string): never => {
      throw new LoadError(
        `${p.where(secName, pc)}: CO-RE relocation #${idx} (${coreReloKindName(c.kind)}): ${why}`,
      );
    };
    if (!Number.isInteger(pc)) fail('instruction offset is not a multiple of 8');
    let out;
    try {
      const target = c.kind === CORE_RELO.TYPE_ID_LOCAL ? p.localBtf : p.core.target();
      out = calcReloInsn(c, p.localBtf, target, p.core.cache);
      patchInsn(p.insns, pc, out.res);
    } catch (e) {
      if (e instanceof CoreReloError) fail(`${e.message} (against ${p.core.targetName})`);
      throw e;
    }
    if (out.res.poison) p.poisoned.add(pc);
    const line = lineAt(p.lines, pc);
    p.core.reports.push({
      program: p.program,
      insn: pc,
      kind: coreReloKindName(c.kind),
      spec: out.local,
      formatted: out.formatted,
      ...(out.res.poison ? {} : { value: String(out.res.newVal) }),
      poisoned: out.res.poison,
      ...(out.missing ? { missing: out.missing } : {}),
      ...(line ? { line } : {}),
    });
  });
}
