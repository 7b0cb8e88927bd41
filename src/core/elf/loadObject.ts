// Loads a clang-built BPF object the way libbpf + the kernel would: maps (btfMaps.ts, legacyMaps.ts,
// pinnedMaps.ts), global data as array maps (globals.ts), XDP programs linked with their .text
// sub-programs, relocations and CO-RE (coreApply.ts) applied; anything unsupported is refused by name.
import { secByName, xdpSecInfo } from '../bpf/secNames';
import {
  helperArgs,
  helperDirect,
  helperImpl,
  TAIL_CALL_HELPER_ID,
  unsupportedHelper,
} from '../helpers/helperTable';
import type { BpfMap, MapDef } from '../maps/bpfMap';
import { MapType } from '../maps/bpfMap';
import { MapCreateError } from '../maps/createMap';
import { BpfSystem } from '../vm/bpfSystem';
import type { BpfSystemOptions } from '../vm/bpfSystem';
import * as I from '../vm/isa';
import { REGION_FUNC } from '../vm/machine';
import { LoadError } from '../vm/vmFault';
import { kfuncDirect, kfuncImpl, kfuncReturnsObject, vmKfuncArgs } from '../vm/kfuncs';
import { XdpProgram } from '../vm/xdpProgram';
import { NF_CONN_6_18, nfConnLayout } from '../xdp/nfConn';
import { Btf, BTF_KIND } from './btf';
import { coreContext } from './coreApply';
import type { CoreRelocationReport } from './coreApply';
import { CORE_POISON_HELPER } from './coreRelo';
import { btfMapDef, initProgArrays } from './btfMaps';
import { parseBtfExt } from './btfExt';
import { sectionGlobals } from './globals';
import { collectExterns, KCONFIG_SEC, KconfigError, resolveKconfig } from './kconfig';
import type { KconfigSource, KernelFacts } from './kconfig';
import { ksymVmNote, resolveKsyms } from './ksyms';
import type { KsymResolution } from './ksyms';
import { internalMapFlags, isReadOnlyInternal } from './internalMaps';
import { CILIUM_CONFIG_SECTION, ciliumConfigValues } from './ciliumConfig';
import {
  CILIUM_PIN_REPLACE,
  createLegacyMaps,
  elfInnerTemplates,
  fillTailCallSections,
  parseLegacyMaps,
} from './legacyMaps';
import type { LegacyMapDef } from './legacyMaps';
import { LIBBPF_PIN_ROOT, pinMap, reusePinned, TC_GLOBALS } from './pinnedMaps';
import type { GlobalVar } from './globals';
import type { BtfExt } from './btfExt';
import { decodeSection, linkProgram } from './linkProgram';
import {
  ElfError,
  parseElf,
  SHF_EXECINSTR,
  SHT_NOBITS,
  SHT_PROGBITS,
  STB_GLOBAL,
  STT_FUNC,
  STT_NOTYPE,
  STT_SECTION,
} from './elfFile';
import type { ElfSection, ElfSymbol } from './elfFile';

export { ElfError, LoadError };
export type { CoreRelocationReport };

export interface LoadOptions {
  /** The simulated kernel to load into (shared maps/ids with other objects); a new one by default. */
  system?: BpfSystem;
  systemOptions?: BpfSystemOptions;
  /** Object name (libbpf: file name up to the first '.'), used to name global-data maps. */
  name?: string;
  /**
   * The kernel BTF CO-RE relocations resolve against (the host reads /sys/kernel/btf/vmlinux);
   * absent → the bundled BTF of a recent kernel (bundledBtf.ts), as in the browser or on macOS.
   * A function is called only when a relocation needs the target (reading vmlinux costs ~0.2 s);
   * when it returns undefined the bundled BTF is used.
   */
  targetBtf?: Uint8Array | Btf | (() => Uint8Array | Btf | undefined);
  /** What targetBtf is, for messages (default "the running kernel's BTF"). */
  targetBtfName?: string;
  /**
   * Load for the verifier: programs whose helpers or kfuncs the VM lacks (running them faults) load too.
   */
  forVerifier?: boolean;
  /**
   * max_entries by map name, set before the maps are created (libbpf's bpf_map__set_max_entries, what
   * a program's loader does for maps it sizes at run time, e.g. xdp-bench's per-CPU counters).
   */
  mapSizes?: Readonly<Record<string, number>>;
  /**
   * The kernel config `.kconfig` externs read (kconfig.ts): the text and where it came from, or a
   * function the loader calls only when an object has a CONFIG_* extern (the host reads
   * /boot/config-$(uname -r), else /proc/config.gz, as libbpf does; or the file the user gave).
   * Absent or undefined: weak CONFIG_* externs read 0, a strong one refuses the load by name.
   */
  kconfig?: KconfigSource | (() => KconfigSource | undefined);
  /**
   * A config read before `kconfig` (libbpf's bpf_object_open_opts.kconfig: the user's --kconfig FILE
   * or setting); `kconfig` is then read only for externs it leaves unset, as libbpf does.
   */
  kconfigExtra?: KconfigSource;
  /** LINUX_KERNEL_VERSION and why there is no config (the host's uname; kconfig.ts). */
  kernelFacts?: KernelFacts;
}

/** A map the object left at max_entries 0 for its loader to size, sized here to the possible CPUs. */
export interface DefaultSizedMap {
  name: string;
  maxEntries: number;
}

/** What to tell the user about a map sized by default (the shells print it as a note). */
export function defaultSizedNote(m: DefaultSizedMap): string {
  return (
    `map '${m.name}' has max_entries 0 in the object (its loader sizes it before load): sized to ` +
    `${m.maxEntries} (the possible CPUs); give another size with --map-size ${m.name}=N`
  );
}

/** A program section that was not loaded, and why (non-XDP programs). */
export interface SkippedProgram {
  name: string;
  section: string;
  reason: string;
}

export interface LoadedObject {
  readonly name: string;
  readonly system: BpfSystem;
  /** XDP programs in section order. Programs of one object share its maps. */
  readonly programs: XdpProgram[];
  readonly skipped: SkippedProgram[];
  /** Maps in declaration order (BTF/legacy maps, then global data). */
  readonly maps: BpfMap[];
  map(name: string): BpfMap | undefined;
  program(name: string): XdpProgram | undefined;
  /** The poisoned CO-RE relocation at `pc` of program `prog`, if that is what a fault reached. */
  poisonAt(prog: string, pc: number): CoreRelocationReport | undefined;
  /** Non-static global variables of .rodata/.data/.bss (set them with globals.ts setGlobal before a run). */
  readonly globals: GlobalVar[];
  /** CO-RE relocations applied to the loaded programs, in order. */
  readonly coreRelocations: CoreRelocationReport[];
  /** The BTF CO-RE resolved against, when the object has CO-RE relocations needing one. */
  readonly targetBtfName?: string;
  /** Maps left at max_entries 0 in the object and sized to the possible CPUs (no mapSizes entry). */
  readonly defaultSized: DefaultSizedMap[];
  /** The kfunc a call at `pc` of program `prog` names (forVerifier loads keep kfunc calls). */
  kfuncAt(prog: string, pc: number): string | undefined;
  /** The typed `__ksym` variable a BPF_PSEUDO_BTF_ID ld_imm64 at `pc` of program `prog` loads (ksyms.ts). */
  ksymAt(prog: string, pc: number): (KsymResolution & { kind: 'btf' }) | undefined;
  /** What the VM gives the object's typed `__ksym` variables (a zeroed object each): said with a run. */
  readonly ksymNotes: string[];
}

/** uapi enum bpf_map_type. */
const BPF_MAP_TYPE_PERF_EVENT_ARRAY = 4;
/** RINGBUF, USER_RINGBUF: sized in bytes (rounded up as libbpf does), never by CPU count. */
export const RING_BUFFERS: ReadonlySet<number> = new Set([27, 31]);
const PAGE_SIZE = 4096;
/** Map types the kernel creates with max_entries 0 only (cgroup storage, sk/inode/task/cgrp storage). */
export const ZERO_ENTRIES: ReadonlySet<number> = new Set([19, 21, 24, 28, 29, 32]);

/**
 * libbpf's name for a global-data map (internal_map_name): object-name prefix + section, cut to 15
 * characters, the section counted as at least 7 long (".rodata"), so a ".bss" map of the object
 * "verifier_cfg" is "verifier.bss".
 */
export function globalDataMapName(objName: string, section: string): string {
  if (section.indexOf('.', 1) >= 0) return section.slice(0, 15);
  const sfx = Math.min(Math.max(7, section.length), 15);
  const pfx = Math.min(16 - sfx - 1, objName.length);
  return (objName.slice(0, Math.max(0, pfx)) + section).slice(0, 15);
}

const isDataSection = (s: ElfSection): boolean =>
  (s.type === SHT_PROGBITS || s.type === SHT_NOBITS) &&
  !(s.flags & SHF_EXECINSTR) &&
  /^\.(rodata|data|bss)(\.|$)/.test(s.name) &&
  s.size > 0;

/** A stable name for an object's PIN_OBJECT_NS directory (iproute2 uses the object's SHA-1; FNV-1a here). */
function objectHash(b: Uint8Array): string {
  let h = 0x811c9dc5;
  for (const x of b) h = Math.imul(h ^ x, 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}

export function loadObject(bytes: Uint8Array, opts: LoadOptions = {}): LoadedObject {
  const elf = parseElf(bytes);
  const objName = opts.name ?? 'obj';
  const system = opts.system ?? new BpfSystem(opts.systemOptions);
  const btfSec = elf.section('.BTF');
  const btf = btfSec ? new Btf(btfSec.data) : undefined;
  const extSec = elf.section('.BTF.ext');
  const ext: BtfExt | undefined = btf && extSec ? parseBtfExt(extSec.data, btf) : undefined;
  const core = coreContext(opts);

  const maps: BpfMap[] = [];
  /** Map by (section index, symbol offset). */
  const mapAt = new Map<string, BpfMap>();
  const dataMap = new Map<number, BpfMap>();
  const defaultSized: DefaultSizedMap[] = [];
  const kfuncsByProgram = new Map<string, Map<number, string>>();
  const ksymsByProgram = new Map<string, Map<number, KsymResolution & { kind: 'btf' }>>();
  let ctLayoutSet = false;
  const create = (def: MapDef, initial?: Uint8Array): BpfMap => {
    try {
      // bpf_map__set_max_entries from the caller first. libbpf's bpf_object__create_map sizes a
      // PERF_EVENT_ARRAY left at max_entries 0 to the possible CPUs; any other map left at 0 is one
      // its loader sizes before load (xdp-bench's per-CPU counters: the possible CPUs, or multiples
      // of them): sized to the possible CPUs too, and reported so that the user can size it.
      const asked = Object.prototype.hasOwnProperty.call(opts.mapSizes ?? {}, def.name)
        ? opts.mapSizes?.[def.name]
        : undefined;
      let sized = def;
      if (asked !== undefined) sized = { ...def, maxEntries: asked };
      else if (RING_BUFFERS.has(def.type)) {
        // libbpf's adjust_ringbuf_sz: a ring's size becomes the next power-of-two number of pages.
        let size = PAGE_SIZE;
        while (size < def.maxEntries && size <= 0x7fffffff) size *= 2;
        if (size !== def.maxEntries) sized = { ...def, maxEntries: size };
      } else if (def.maxEntries === 0 && !ZERO_ENTRIES.has(def.type)) {
        sized = { ...def, maxEntries: system.possibleCpus };
        if (def.type !== BPF_MAP_TYPE_PERF_EVENT_ARRAY)
          defaultSized.push({ name: def.name, maxEntries: system.possibleCpus });
      }
      const m = system.createMap(sized, initial);
      maps.push(m);
      return m;
    } catch (e) {
      if (e instanceof MapCreateError) throw new LoadError(`${e.message} (errno ${e.errno})`);
      throw e;
    }
  };

  /** A map that may be pinned: reuses a compatible pinned map of the same system (pinnedMaps.ts). */
  const createPinned = (def: MapDef, path: string | undefined): BpfMap => {
    const reused = path ? reusePinned(system, path, def) : undefined;
    if (reused) {
      maps.push(reused);
      return reused;
    }
    const m = create(def);
    if (path) pinMap(system, path, m);
    return m;
  };

  // BTF-defined maps.
  const mapsSec = elf.section('.maps');
  if (mapsSec) {
    if (!btf) throw new LoadError('section .maps: BTF-defined maps need the .BTF section (build with -g)');
    const ds = btf.findDatasec('.maps');
    const syms = elf.symbols
      .filter((s) => s.shndx === mapsSec.index && s.type !== STT_SECTION && s.name)
      .sort((a, b) => a.value - b.value);
    for (const sym of syms) {
      // clang leaves DATASEC offsets for libbpf to fix up from the symbol table: match by name.
      const v = ds?.vars?.find((x) => btf.type(x.type)?.name === sym.name);
      const varT = v ? btf.type(v.type) : undefined;
      if (!varT || varT.kind !== BTF_KIND.VAR)
        throw new LoadError(`map '${sym.name}': no BTF variable describes it in .maps`);
      const pin = { pinning: 0 };
      const def = btfMapDef(btf, varT.sizeOrType, sym.name, pin);
      // Cilium's CILIUM_PIN_REPLACE (1 << 4) on a BTF map (Cilium ≥ 1.16 objects): its loader
      // (pkg/bpf collection.go) makes a new map and replaces the pin after attaching, as for `maps`.
      if (pin.pinning === CILIUM_PIN_REPLACE) {
        const m = create(def);
        pinMap(system, `${TC_GLOBALS}/${sym.name}`, m);
        mapAt.set(`${mapsSec.index}:${sym.value}`, m);
        continue;
      }
      // libbpf: LIBBPF_PIN_BY_NAME (1) pins at pin_root_path/NAME; any other value is refused.
      if (pin.pinning > 1) throw new LoadError(`map '${sym.name}': invalid pinning value ${pin.pinning}`);
      mapAt.set(
        `${mapsSec.index}:${sym.value}`,
        createPinned(def, pin.pinning ? `${LIBBPF_PIN_ROOT}/${sym.name}` : undefined),
      );
    }
  }
  // Legacy `maps` section: libbpf's struct bpf_map_def or iproute2's struct bpf_elf_map (legacyMaps.ts).
  const legacy = elf.section('maps');
  const byDef = new Map<LegacyMapDef, BpfMap>();
  if (legacy) {
    const syms = elf.symbols
      .filter((s) => s.shndx === legacy.index && s.type !== STT_SECTION && s.name)
      .sort((a, b) => a.value - b.value);
    const defs = parseLegacyMaps(legacy.data, syms);
    elfInnerTemplates(defs);
    for (const [d, m] of createLegacyMaps(defs, `/sys/fs/bpf/tc/${objectHash(bytes)}`, {
      create,
      createPinned,
      pin: (path, m) => pinMap(system, path, m),
    })) {
      byDef.set(d, m);
      mapAt.set(`${legacy.index}:${d.offset}`, m);
    }
  }
  // Global data; Cilium's .rodata.config is inlined as constants instead (ciliumConfig.ts).
  const cfgSec = elf.section(CILIUM_CONFIG_SECTION);
  const ciliumConfig = cfgSec && btf ? ciliumConfigValues(btf, cfgSec.data) : undefined;
  const globals: GlobalVar[] = [];
  for (const s of elf.sections.filter(isDataSection)) {
    if (ciliumConfig && s === cfgSec) continue;
    const map = create(
      {
        name: globalDataMapName(objName, s.name),
        type: MapType.ARRAY,
        keySize: 4,
        valueSize: s.size,
        maxEntries: 1,
        flags: internalMapFlags(btf, s.name),
      },
      s.type === SHT_NOBITS ? undefined : s.data,
    );
    // bpf_object__populate_internal_map freezes .rodata once filled: user space can no longer update it.
    if (isReadOnlyInternal(s.name)) map.frozen = true;
    dataMap.set(s.index, map);
    if (btf)
      globals.push(
        ...sectionGlobals(
          btf,
          s.name,
          map,
          (name) =>
            elf.symbols.find((x) => x.shndx === s.index && x.name === name && x.type !== STT_SECTION)?.value,
        ),
      );
  }

  // The .kconfig map (bpf_object__init_kconfig_map, after the global data maps): read-only to programs,
  // mmapable (0x480) and frozen, so the verifier reads its values as constants (bpf_map_direct_read)
  // and user space cannot update it (EPERM).
  let kconfig: { map: BpfMap; offsets: Map<number, number> } | undefined;
  let ksymVars = new Map<number, KsymResolution>();
  const ksymNotes: string[] = [];
  try {
    const externs = collectExterns(elf, btf);
    ksymVars = resolveKsyms(
      externs.ksyms,
      () => core.target(),
      () => core.targetName,
      opts.kernelFacts?.kallsyms,
    );
    if (!opts.forVerifier)
      for (const r of ksymVars.values()) {
        if (r.kind !== 'btf') continue;
        // The VM has no kernel memory: a zeroed, read-only object of the VAR's size (ksymVmNote says so).
        r.region = system.machine.allocRegion(
          'kernelObject',
          new Uint8Array(r.size),
          false,
          `kernel variable '${r.name}' (zeroed by the VM)`,
        ).id;
        ksymNotes.push(ksymVmNote(r));
      }
    if (externs.kcfgSize > 0) {
      const data = new Uint8Array(externs.kcfgSize);
      resolveKconfig(
        externs.kcfg,
        data,
        {
          ...(opts.kconfigExtra ? { extra: opts.kconfigExtra } : {}),
          ...(opts.kconfig ? { system: opts.kconfig } : {}),
        },
        opts.kernelFacts,
      );
      const map = create(
        {
          name: globalDataMapName(objName, KCONFIG_SEC),
          type: MapType.ARRAY,
          keySize: 4,
          valueSize: externs.kcfgSize,
          maxEntries: 1,
          flags: internalMapFlags(btf, KCONFIG_SEC),
        },
        data,
      );
      map.frozen = true;
      kconfig = { map, offsets: new Map(externs.kcfg.map((e) => [e.symIndex, e.offset])) };
    }
  } catch (e) {
    // The cause stays: a host that can give a config (the playground) tells this refusal apart.
    if (e instanceof KconfigError) throw new LoadError(e.message, { cause: e });
    throw e;
  }

  // Programs.
  const text = elf.section('.text');
  const textInsns = text && text.size ? decodeSection(text) : [];
  const programs: XdpProgram[] = [];
  const skipped: SkippedProgram[] = [];
  const execSections = elf.sections.filter(
    (s) => s.type === SHT_PROGBITS && s.flags & SHF_EXECINSTR && s.name !== '.text' && s.size > 0,
  );
  for (const sec of execSections) {
    // An iproute2-style object (a legacy `maps` section): `ip link set dev X xdp obj F sec S` loads any
    // section S as XDP, so unknown section names are XDP programs here.
    const info =
      legacyXdpSec(sec.name) ??
      xdpSecInfo(sec.name) ??
      (legacy && !secByName(sec.name) ? { frags: false, attach: 'xdp' as const } : undefined);
    const funcs = programSymbols(
      elf.symbols,
      sec,
      (legacyXdpSec(sec.name) ?? xdpSecInfo(sec.name)) !== undefined,
    );
    for (const fn of funcs) {
      if (!info) {
        skipped.push({
          name: fn.name,
          section: sec.name,
          reason: `section '${sec.name}' is not an XDP program type`,
        });
        continue;
      }
      const prog = linkProgram(elf, sec, fn, text, textInsns, {
        mapAt,
        dataMap,
        ext,
        btf,
        system,
        frags: info.frags,
        core,
        keepKfuncs: opts.forVerifier === true,
        ...(kconfig ? { kconfig } : {}),
        ksymVars,
        ...(ciliumConfig && cfgSec ? { ciliumConfig: { shndx: cfgSec.index, values: ciliumConfig } } : {}),
      });
      kfuncsByProgram.set(fn.name, prog.kfuncs);
      ksymsByProgram.set(fn.name, prog.ksyms);
      // The conntrack kfuncs hand out struct nf_conn as the kernel CO-RE resolves against lays it out.
      if (prog.kfuncs.size && !opts.forVerifier && !ctLayoutSet) {
        ctLayoutSet = true;
        system.conntrack.setLayout(nfConnLayout(core.target()) ?? NF_CONN_6_18);
      }
      programs.push(
        new XdpProgram(system, {
          name: fn.name,
          section: sec.name,
          attach: info.attach ?? 'xdp',
          frags: info.frags,
          insns: prog.insns,
          lines: prog.lines,
          lazy: opts.forVerifier === true,
          compileOptions: {
            tailCallHelper: TAIL_CALL_HELPER_ID,
            helperImpl,
            helperDirect,
            kfuncImpl,
            kfuncDirect,
            kfuncReturnsObject,
            kfuncArgs: vmKfuncArgs,
            lookupTable: (region) => system.machine.R[region]?.lookupTable,
            helperArgs: (id) => (id === CORE_POISON_HELPER ? 0 : helperArgs(id)),
            checkHelper: (id, pc) => {
              // A poisoned CO-RE relocation faults when reached (the kernel: "invalid func unknown#195896080").
              if (id === CORE_POISON_HELPER && prog.poisoned.has(pc)) return undefined;
              const why = opts.forVerifier ? undefined : unsupportedHelper(id, true);
              return why ? `section ${sec.name}, program ${fn.name}, instruction ${pc}: ${why}` : undefined;
            },
            resolveLdImm64: (pc, insn) => {
              const r = prog.resolved.get(pc);
              if (r) return r;
              if (insn.src === I.PSEUDO_FUNC) return { hi: REGION_FUNC, lo: pc + insn.imm + 1 };
              throw new LoadError(
                `section ${sec.name}, program ${fn.name}, instruction ${pc}: ld_imm64 with src_reg ${insn.src} has no relocation`,
              );
            },
          },
        }),
      );
    }
  }
  if (!programs.length && !skipped.length && !maps.length)
    throw new LoadError('the object has no programs and no maps');
  // Prog arrays initialised in .maps (`.values = { [0] = &prog }`): relocations in .rel.maps.
  if (mapsSec && btf) initProgArrays(elf, mapsSec, btf, mapAt, programs);
  // iproute2/Cilium tail-call sections "ID/KEY" fill the `maps` PROG_ARRAY whose id is ID.
  if (byDef.size) fillTailCallSections(byDef, programs);

  return {
    name: objName,
    system,
    programs,
    skipped,
    maps,
    map: (name) => maps.find((m) => m.name === name),
    program: (name) => programs.find((p) => p.name === name),
    globals,
    coreRelocations: core.reports,
    defaultSized,
    kfuncAt: (prog, pc) => kfuncsByProgram.get(prog)?.get(pc),
    ksymAt: (prog, pc) => ksymsByProgram.get(prog)?.get(pc),
    ksymNotes,
    poisonAt: (prog, pc) => core.reports.find((r) => r.poisoned && r.program === prog && r.insn === pc),
    ...(core.used ? { targetBtfName: core.targetName } : {}),
  };
}

/**
 * The entry points of an executable section: its STT_FUNC symbols. Objects of clang before 10 (samples/bpf,
 * prototype-kernel, PREVAIL's corpus) mark no symbol STT_FUNC; their loaders (samples/bpf bpf_load.c,
 * iproute2's bpf_legacy.c) take the whole section as one program, named by pre-0.2 libbpf's
 * bpf_object__init_prog_names after the section's global symbol at offset 0. Such a section of an XDP
 * section name (`withLegacy`; not the other sections of an iproute2 object, which its own loader may give
 * another type, as Open vSwitch's tail-call sections) becomes one program: that symbol's name, else the section's, spanning the section.
 */
function programSymbols(symbols: readonly ElfSymbol[], sec: ElfSection, withLegacy: boolean): ElfSymbol[] {
  const funcs = symbols
    .filter((s) => s.shndx === sec.index && s.type === STT_FUNC)
    .sort((a, b) => a.value - b.value);
  if (funcs.length || !withLegacy) return funcs;
  const entry = symbols.find(
    (s) => s.shndx === sec.index && s.bind === STB_GLOBAL && s.type === STT_NOTYPE && s.value === 0 && s.name,
  );
  return [
    {
      index: entry?.index ?? -1,
      name: entry?.name ?? sec.name,
      type: STT_FUNC,
      bind: STB_GLOBAL,
      shndx: sec.index,
      value: 0,
      size: sec.size,
    },
  ];
}

/** Pre-1.0 libbpf spellings of egress program sections ("xdp_devmap/…", "xdp_cpumap/…"). */
function legacyXdpSec(name: string): { frags: boolean; attach: 'devmap' | 'cpumap' } | undefined {
  if (name.startsWith('xdp_devmap/')) return { frags: false, attach: 'devmap' };
  if (name.startsWith('xdp_cpumap/')) return { frags: false, attach: 'cpumap' };
  return undefined;
}
