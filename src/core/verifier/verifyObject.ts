// Entry point: loads a BPF object as libbpf would (maps relocated, sub-programs linked) and runs
// the verifier over each XDP program, answering as Linux 6.18's verifier would (bpf_check).
import { Btf } from '../elf/btf';
import { parseElf } from '../elf/elfFile';
import { loadObject } from '../elf/loadObject';
import type { BpfMap } from '../maps/bpfMap';
import type { Insn } from '../vm/isa';
import * as I from '../vm/isa';
import { ADDR_BASE } from '../vm/memory';
import type { XdpProgram } from '../vm/xdpProgram';
import { buildCfg, CfgError } from './cfg';
import { pseudoBtfIdRefusal } from './ksymVars';
import type { TypedKsym } from './ksymVars';
import { doCheck } from './doCheck';
import type { LdImm64Target, VerifierEnv } from './env';
import type { GlobalFunc } from './globalFuncs';
import { globalFuncsOf } from './globalFuncs';
import { LD_ABS_RETURN_MESSAGE, ldAbsInNonIntSubprog } from './funcInfo';
import { libbpfLayout, textBaseOf } from './libbpfLayout';
import { kernelBtfRefusal } from './btfLoad';
import { kfuncLoadRefusal } from './kfuncs';
import type { MapField } from './mapFields';
import { mapValueFields } from './mapFields';
import type { VMap } from './regState';
import { BPF_COMPLEXITY_LIMIT_INSNS, PROGRAM_TOO_LONG_MESSAGE } from './verdict';
import type { BranchStep, ProgramVerdict, VerifyOptions, VerifyReport } from './verdict';

/** license_is_gpl_compatible */
const GPL_LICENSES = [
  'GPL',
  'GPL v2',
  'GPL and additional rights',
  'Dual BSD/GPL',
  'Dual MIT/GPL',
  'Dual MPL/GPL',
];

function toVMap(m: BpfMap): VMap {
  const d = m.def;
  const v: VMap = {
    name: m.name,
    type: d.type,
    keySize: d.keySize,
    valueSize: d.valueSize,
    maxEntries: d.maxEntries,
    flags: d.flags,
  };
  if (d.inner)
    v.inner = {
      name: d.inner.name,
      type: d.inner.type,
      keySize: d.inner.keySize,
      valueSize: d.inner.valueSize,
      maxEntries: d.inner.maxEntries,
      flags: d.inner.flags,
    };
  return v;
}

interface ProgramInput {
  name: string;
  /** The object's BTF (the local types bpf_obj_new allocates). */
  btf?: Btf;
  section: string;
  attach: 'xdp' | 'devmap' | 'cpumap';
  insns: readonly Insn[];
  ldImm64(pc: number): LdImm64Target | undefined;
  /** The kfunc a kfunc call at `pc` names (none: the program calls no kfunc). */
  kfuncAt?(pc: number): string | undefined;
  /** The typed `__ksym` variable a BPF_PSEUDO_BTF_ID ld_imm64 at `pc` loads (ksymVars.ts). */
  ksymAt?(pc: number): TypedKsym | undefined;
  /** The poisoned CO-RE relocation at `pc`, as bpf_core_format_spec prints it (none: not poisoned). */
  coreFailureAt?(pc: number): string | undefined;
  /** Length of the program's own function (the rest is appended .text); 0: unknown. */
  mainLength?: number;
  /** Global sub-programs by first instruction (none: every sub-program is static). */
  globalFuncs?: ReadonlyMap<number, GlobalFunc>;
  /**
   * The kernel's index of instruction `pc` where libbpf's layout of the sub-programs differs from
   * ours (libbpfLayout.ts): the instruction numbers inside messages are the kernel's.
   */
  kernelInsn?(pc: number): number | undefined;
  /** A reached sub-program with LD_ABS/LD_IND returns no int by its BTF (funcInfo.ts). */
  ldAbsInNonIntSubprog?: boolean;
  sourceOf(pc: number): { file: string; line: number; column: number } | undefined;
}

/** Verifies one program's linked instructions (exported for tests over hand-built programs). */
export function verifyProgram(p: ProgramInput, opts: VerifyOptions & { gpl?: boolean } = {}): ProgramVerdict {
  const base = { name: p.name, section: p.section };
  const reject = (
    message: string,
    insn: number,
    processed: number,
    steps: BranchStep[],
    states?: number,
    withLine = true,
    peak?: number,
  ): ProgramVerdict => {
    // check_cfg's refusals come before any walk: the kernel prints no source line for them.
    const src = withLine ? p.sourceOf(insn) : undefined;
    return {
      ...base,
      verdict: 'rejected',
      insnsProcessed: processed,
      ...(states !== undefined ? { statesExplored: states } : {}),
      ...(peak !== undefined ? { peakStates: peak } : {}),
      error: {
        message,
        insn,
        ...(src ? { file: src.file, line: src.line, column: src.column } : {}),
        path: steps,
      },
    };
  };
  // bpf_prog_load: a program longer than the limit is refused (E2BIG) before bpf_check, with no log.
  if (p.insns.length > BPF_COMPLEXITY_LIMIT_INSNS)
    return reject(PROGRAM_TOO_LONG_MESSAGE, 0, 0, [], undefined, false);
  // resolve_pseudo_ldimm64, before check_cfg: a map reference that is a raw fd number (no map
  // relocation: hand-written `ld_imm64 r1, fd` of a map the loader never created) names no map.
  const badFd = rawMapFd(p);
  if (badFd)
    return reject(`fd ${badFd.fd} is not pointing to valid bpf_map`, badFd.pc, 0, [], undefined, false);
  // __check_pseudo_btf_id, in the same pass: a typed __ksym variable kallsyms cannot find.
  const ksymFail = p.ksymAt ? pseudoBtfIdRefusal(p.insns, (pc) => p.ksymAt?.(pc)) : undefined;
  if (ksymFail) return reject(ksymFail.message, ksymFail.pc, 0, [], undefined, false);
  // check_btf_func, before check_cfg: LD_ABS/LD_IND in a sub-program that returns no int.
  if (p.ldAbsInNonIntSubprog) return reject(LD_ABS_RETURN_MESSAGE, 0, 0, [], undefined, false);
  let cfg;
  try {
    cfg = buildCfg(p.insns, p.mainLength ?? 0);
  } catch (e) {
    if (e instanceof CfgError) return reject(e.message, e.insn, 0, [], undefined, false);
    throw e;
  }
  const env: VerifierEnv = {
    auxPtrTypes: new Map(),
    insns: p.insns,
    cfg,
    ldImm64: (pc) => p.ldImm64(pc),
    kfuncAt: (pc) => p.kfuncAt?.(pc),
    coreFailureAt: (pc) => p.coreFailureAt?.(pc),
    idGen: 0,
    counts: { jmps: 0, prevJmps: 0, prevProcessed: 0 },
    gpl: opts.gpl ?? true,
    attach: p.attach,
    globalFuncs: p.globalFuncs ?? new Map(),
    calledGlobals: [],
    ...(p.btf ? { btf: p.btf } : {}),
    onInsn: opts.onInsn,
  };
  const kfuncs: string[] = [];
  p.insns.forEach((_, pc) => {
    const k = p.kfuncAt?.(pc);
    if (k !== undefined) kfuncs.push(k);
  });
  const unresolved = kfuncLoadRefusal(kfuncs);
  if (unresolved) return reject(unresolved, 0, 0, [], undefined, false);
  const limit = opts.insnLimit ?? BPF_COMPLEXITY_LIMIT_INSNS;
  let res = doCheck(env, limit);
  // do_check_subprogs: each global sub-program the program calls, on its own.
  for (let k = 0; !res.error && k < env.calledGlobals.length; k++) {
    const sub = doCheck(env, limit, env.calledGlobals[k], res.processed);
    res = { ...sub, states: res.states + sub.states, peak: Math.max(res.peak, sub.peak) };
  }
  if (!res.error)
    return {
      ...base,
      verdict: 'accepted',
      insnsProcessed: res.processed,
      statesExplored: res.states,
      peakStates: res.peak,
    };
  const steps: BranchStep[] = [];
  for (let s = res.error.path; s; s = s.prev) {
    const src = p.sourceOf(s.insn);
    steps.push({
      insn: s.insn,
      ...(src ? { line: src.line, file: src.file } : {}),
      taken: s.taken,
      text: jumpText(p.insns[s.insn] as Insn),
    });
  }
  steps.reverse();
  // check_reference_leak's alloc_insn and is_state_visited's loop head are printed as the kernel
  // numbers the instructions, in libbpf's layout of the sub-programs.
  const message = res.error.lines
    .join('\n')
    .replace(
      /(alloc_insn=|^infinite loop detected at insn )(\d+)/g,
      (m, what: string, n: string) => `${what}${p.kernelInsn?.(Number(n)) ?? n}`,
    );
  return reject(message, res.error.insn, res.processed, steps, res.states, true, res.peak);
}

/** The first map-fd or map-value ld_imm64 the loader resolved to no map, with its raw fd. */
function rawMapFd(p: ProgramInput): { pc: number; fd: number } | undefined {
  for (let pc = 0; pc < p.insns.length; pc++) {
    const insn = p.insns[pc] as Insn;
    if (!I.isLdImm64(insn)) continue;
    if ((insn.src === I.PSEUDO_MAP_FD || insn.src === I.PSEUDO_MAP_VALUE) && !p.ldImm64(pc))
      return { pc, fd: insn.imm };
    pc++;
  }
  return undefined;
}

const JMP_OPS: Record<number, string> = {
  0x10: '==',
  0x20: '>',
  0x30: '>=',
  0x40: '&',
  0x50: '!=',
  0x60: 's>',
  0x70: 's>=',
  0xa0: '<',
  0xb0: '<=',
  0xc0: 's<',
  0xd0: 's<=',
};

/** The condition as the kernel's log prints it (print_bpf_insn). */
function jumpText(i: Insn): string {
  const off = `pc${i.off >= 0 ? '+' : ''}${i.off}`;
  if (i.op === MAY_GOTO_OP) return `may_goto ${off}`;
  const w = (i.op & 7) === I.BPF_JMP32 ? 'w' : 'r';
  // "0x%x" of the immediate: a negative one prints as its 32-bit pattern.
  const rhs = i.op & I.BPF_X ? `${w}${i.src}` : `0x${(i.imm >>> 0).toString(16)}`;
  return `if ${w}${i.dst} ${JMP_OPS[i.op & 0xf0] ?? '?'} ${rhs} goto ${off}`;
}

/** BPF_JMP | BPF_JCOND: may_goto (the only JCOND, src_reg BPF_MAY_GOTO). */
const MAY_GOTO_OP = 0xe5;

/** The maps behind ld_imm64 instructions, as the loader resolved them. */
function ldImm64Resolver(
  prog: XdpProgram,
  maps: readonly BpfMap[],
  fields: ReadonlyMap<string, MapField[]>,
  ksymAt: (pc: number) => TypedKsym | undefined,
): (pc: number) => LdImm64Target | undefined {
  const toVMapCached = (m: BpfMap): VMap => {
    let v = vmapCache.get(m);
    if (!v) {
      v = toVMap(m);
      const f = fields.get(m.name);
      if (f) v.fields = f;
      vmapCache.set(m, v);
    }
    return v;
  };
  const opts = (
    prog as unknown as {
      compileOptions: { resolveLdImm64?: (pc: number, i: Insn, n: Insn) => { hi: number; lo: number } };
    }
  ).compileOptions;
  const byHandle = new Map<number, BpfMap>();
  const byValueRegion = new Map<number, BpfMap>();
  for (const m of maps) {
    byHandle.set(m.handle.id, m);
    if (m.def.maxEntries === 1 && m.def.keySize === 4) {
      try {
        const r = m.lookup(new Uint8Array(4), 0);
        if (r) byValueRegion.set(r.id, m);
        // libbpf freezes .rodata (BPF_F_RDONLY_PROG) after filling it.
        if (r && m.def.flags & 0x80 && !vmapCache.has(m))
          vmapCache.set(m, { ...toVMap(m), frozenData: r.u8.slice() });
      } catch {
        // not a global-data array
      }
    }
  }
  return (pc) => {
    const insn = prog.insns[pc];
    const next = prog.insns[pc + 1];
    if (!insn || !next) return undefined;
    if (insn.src === I.PSEUDO_FUNC) return { kind: 'func', target: pc + insn.imm + 1 };
    if (insn.src === I.PSEUDO_BTF_ID) {
      const k = ksymAt(pc);
      return k ? { kind: 'ksym', ksym: k } : undefined;
    }
    let r;
    try {
      r = opts.resolveLdImm64?.(pc, insn, next);
    } catch {
      return undefined; // no relocation: a raw fd (rawMapFd)
    }
    if (!r) return undefined;
    if (insn.src === I.PSEUDO_MAP_FD) {
      const m = byHandle.get(r.hi);
      return m ? { kind: 'map', map: toVMapCached(m) } : undefined;
    }
    if (insn.src === I.PSEUDO_MAP_VALUE) {
      const m = byValueRegion.get(r.hi);
      return m ? { kind: 'map_value', map: toVMapCached(m), off: r.lo - ADDR_BASE } : undefined;
    }
    return undefined;
  };
}

const vmapCache = new WeakMap<BpfMap, VMap>();

/** Verifies every XDP program of the object (a malformed ELF throws the loader's error). */
export function verifyObject(bytes: Uint8Array, opts: VerifyOptions = {}): VerifyReport {
  const obj = loadObject(bytes, {
    forVerifier: true,
    ...(opts.objectName !== undefined ? { name: opts.objectName } : {}),
    ...(opts.targetBtf ? { targetBtf: opts.targetBtf, targetBtfName: opts.targetBtfName } : {}),
    ...(opts.kconfig ? { kconfig: opts.kconfig } : {}),
    ...(opts.kconfigExtra ? { kconfigExtra: opts.kconfigExtra } : {}),
    ...(opts.kernelFacts ? { kernelFacts: opts.kernelFacts } : {}),
  });
  const elf = parseElf(bytes);
  const lic = elf.section('license');
  const license = lic ? String.fromCharCode(...lic.data.subarray(0, 128)).replace(/\0.*$/s, '') : '';
  const gpl = GPL_LICENSES.includes(license);
  const btfSec = elf.section('.BTF');
  let fields = new Map<string, MapField[]>();
  let btf: Btf | undefined;
  let btfRefused = false;
  try {
    btf = btfSec ? new Btf(btfSec.data) : undefined;
    // BTF the kernel refuses (btfLoad.ts): libbpf goes on without it, and so do we.
    btfRefused = btf !== undefined && kernelBtfRefusal(btf) !== undefined;
    if (btfRefused) btf = undefined;
    fields = mapValueFields(btf);
  } catch {
    // A malformed .BTF: the loader already said what it could; maps are then without BTF here.
  }
  const programs: ProgramVerdict[] = [];
  for (const p of obj.programs) {
    if (opts.program !== undefined && p.name !== opts.program) continue;
    const textBase = textBaseOf(elf, p.name, p.section);
    programs.push(
      verifyProgram(
        {
          name: p.name,
          ...(btf ? { btf } : {}),
          section: p.section,
          attach: p.attach,
          insns: p.insns,
          ldImm64: ldImm64Resolver(p, obj.maps, fields, (pc) => obj.ksymAt(p.name, pc)),
          kfuncAt: (pc) => obj.kfuncAt(p.name, pc),
          ksymAt: (pc) => obj.ksymAt(p.name, pc),
          coreFailureAt: (pc) => obj.poisonAt(p.name, pc)?.formatted,
          mainLength: textBase,
          kernelInsn: libbpfLayout(elf, p.insns, textBase).toKernel,
          // Without BTF no func info (every sub-program static) and no line info.
          ...(btfRefused
            ? {}
            : {
                globalFuncs: globalFuncsOf(elf, textBase),
                ldAbsInNonIntSubprog: ldAbsInNonIntSubprog(elf, p.insns, textBase),
              }),
          sourceOf: (pc) => (btfRefused ? undefined : p.sourceOf(pc)),
        },
        { ...opts, gpl },
      ),
    );
  }
  return { programs };
}
