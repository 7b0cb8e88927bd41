// Loads a clang-built BPF object (`clang -O2 -g -target bpf`) the way libbpf + the kernel would:
// maps from `.maps` (BTF) and the legacy `maps` section, global data (.rodata/.data/.bss…) as
// single-entry array maps, XDP programs by libbpf's SEC names linked with their `.text`
// sub-programs, relocations applied, BTF line info attached. Anything unsupported (CO-RE against
// kernel types, kfuncs, externs, unknown relocations) is refused naming section, instruction, feature.
import { xdpSecInfo } from '../bpf/secNames';
import { helperArgs, TAIL_CALL_HELPER_ID, unsupportedHelper } from '../helpers/helperTable';
import type { BpfMap, MapDef } from '../maps/bpfMap';
import { MapType } from '../maps/bpfMap';
import { MapCreateError } from '../maps/createMap';
import { MapOfMaps } from '../maps/mapInMap';
import { CpuMap } from '../maps/cpumap';
import { DevMap } from '../maps/devmap';
import { ProgArrayMap } from '../maps/progArray';
import { BpfSystem } from '../vm/bpfSystem';
import type { BpfSystemOptions } from '../vm/bpfSystem';
import * as I from '../vm/isa';
import type { Insn } from '../vm/isa';
import { REGION_FUNC } from '../vm/machine';
import { ADDR_BASE } from '../vm/memory';
import { LoadError } from '../vm/vmFault';
import { XdpProgram } from '../vm/xdpProgram';
import type { SourceLine } from '../vm/xdpProgram';
import { Btf, BTF_KIND } from './btf';
import { parseBtfExt } from './btfExt';
import type { BtfExt } from './btfExt';
import {
  ElfError,
  parseElf,
  SHF_EXECINSTR,
  SHN_UNDEF,
  SHT_NOBITS,
  SHT_PROGBITS,
  STT_FUNC,
  STT_SECTION,
} from './elfFile';
import type { ElfFile, ElfSection, ElfSymbol } from './elfFile';

export { ElfError, LoadError };

export interface LoadOptions {
  /** The simulated kernel to load into (shared maps/ids with other objects); a new one by default. */
  system?: BpfSystem;
  systemOptions?: BpfSystemOptions;
  /** Object name (libbpf: file name up to the first '.'), used to name global-data maps. */
  name?: string;
  /**
   * Load for the verifier: programs whose helpers the VM lacks (running them faults), and maps
   * left at max_entries 0 for user space to size, sized to the possible CPUs as their loaders do.
   */
  forVerifier?: boolean;
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
}

const R_BPF_64_64 = 1;
const R_BPF_64_32 = 10;

/** UAPI structs whose layout the kernel never changes: CO-RE field relocations against them are identity. */
const STABLE_TYPES = new Set([
  'xdp_md',
  'ethhdr',
  'iphdr',
  'ipv6hdr',
  'udphdr',
  'tcphdr',
  'icmphdr',
  'icmp6hdr',
  'vlan_hdr',
  'arphdr',
  'in6_addr',
  'bpf_fib_lookup',
]);

/** libbpf's name for a global-data map: object-name prefix + section, cut to 15 characters. */
export function globalDataMapName(objName: string, section: string): string {
  if (section.indexOf('.', 1) >= 0) return section.slice(0, 15);
  const pfx = Math.min(15 - section.length, objName.length);
  return (objName.slice(0, Math.max(0, pfx)) + section).slice(0, 15);
}

const isDataSection = (s: ElfSection): boolean =>
  (s.type === SHT_PROGBITS || s.type === SHT_NOBITS) &&
  !(s.flags & SHF_EXECINSTR) &&
  /^\.(rodata|data|bss)(\.|$)/.test(s.name) &&
  s.size > 0;

function readU32s(b: Uint8Array, n: number): number[] {
  const dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  return Array.from({ length: n }, (_, i) => (i * 4 + 4 <= b.length ? dv.getUint32(i * 4, true) : 0));
}

/** Parses one BTF map definition struct (`__uint`, `__type`, `__array` members). */
function btfMapDef(btf: Btf, structId: number, name: string): MapDef {
  const st = btf.resolve(structId);
  if (!st || st.kind !== BTF_KIND.STRUCT)
    throw new LoadError(`map '${name}': its .maps definition is not a struct`);
  const def: MapDef = { name, type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0 };
  const uintOf = (typeId: number, member: string): number => {
    const p = btf.resolve(typeId);
    const arr = p && p.kind === BTF_KIND.PTR ? btf.resolve(p.sizeOrType) : undefined;
    if (!arr || arr.kind !== BTF_KIND.ARRAY || !arr.array)
      throw new LoadError(`map '${name}': member '${member}' is not an __uint() (int (*)[N])`);
    return arr.array.nelems;
  };
  for (const m of st.members) {
    switch (m.name) {
      case 'type':
        def.type = uintOf(m.type, m.name);
        break;
      case 'max_entries':
        def.maxEntries = uintOf(m.type, m.name);
        break;
      case 'map_flags':
        def.flags = uintOf(m.type, m.name);
        break;
      case 'key_size':
        def.keySize = uintOf(m.type, m.name);
        break;
      case 'value_size':
        def.valueSize = uintOf(m.type, m.name);
        break;
      case 'key':
      case 'value': {
        const p = btf.resolve(m.type);
        const size = p && p.kind === BTF_KIND.PTR ? btf.sizeOf(p.sizeOrType) : undefined;
        if (size === undefined) throw new LoadError(`map '${name}': cannot size the ${m.name} type`);
        if (m.name === 'key') def.keySize = size;
        else def.valueSize = size;
        break;
      }
      case 'values': {
        // __array(values, struct inner): an array of pointers to the inner map's definition.
        const arr = btf.resolve(m.type);
        const ptr = arr?.array ? btf.resolve(arr.array.type) : undefined;
        const inner = ptr && ptr.kind === BTF_KIND.PTR ? btf.resolve(ptr.sizeOrType) : undefined;
        if (inner && inner.kind === BTF_KIND.STRUCT) def.inner = btfMapDef(btf, inner.id, `${name}.inner`);
        // libbpf: PROG_ARRAY and map-in-map values are 4-byte fds/ids when no size is given.
        if (!def.valueSize) def.valueSize = 4;
        break;
      }
      default:
        break; // pinning, numa_node, map_extra: ignored (pinning is the CLI's business)
    }
  }
  return def;
}

export function loadObject(bytes: Uint8Array, opts: LoadOptions = {}): LoadedObject {
  const elf = parseElf(bytes);
  const objName = opts.name ?? 'obj';
  const system = opts.system ?? new BpfSystem(opts.systemOptions);
  const btfSec = elf.section('.BTF');
  const btf = btfSec ? new Btf(btfSec.data) : undefined;
  const extSec = elf.section('.BTF.ext');
  const ext: BtfExt | undefined = btf && extSec ? parseBtfExt(extSec.data, btf) : undefined;

  const maps: BpfMap[] = [];
  /** Map by (section index, symbol offset). */
  const mapAt = new Map<string, BpfMap>();
  const dataMap = new Map<number, BpfMap>();
  const create = (def: MapDef, initial?: Uint8Array): BpfMap => {
    try {
      const sized =
        opts.forVerifier && def.maxEntries === 0 ? { ...def, maxEntries: system.possibleCpus } : def;
      const m = system.createMap(sized, initial);
      maps.push(m);
      return m;
    } catch (e) {
      if (e instanceof MapCreateError) throw new LoadError(`${e.message} (errno ${e.errno})`);
      throw e;
    }
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
      mapAt.set(`${mapsSec.index}:${sym.value}`, create(btfMapDef(btf, varT.sizeOrType, sym.name)));
    }
  }
  // Legacy `maps` section: struct bpf_map_def { type, key_size, value_size, max_entries, map_flags }.
  const legacy = elf.section('maps');
  if (legacy) {
    const syms = elf.symbols
      .filter((s) => s.shndx === legacy.index && s.type !== STT_SECTION && s.name)
      .sort((a, b) => a.value - b.value);
    const stride = syms.length ? Math.floor(legacy.size / syms.length) : 0;
    if (syms.length && stride < 20)
      throw new LoadError(
        `section maps: ${legacy.size} bytes for ${syms.length} maps is too small for struct bpf_map_def`,
      );
    for (const sym of syms) {
      const [type, keySize, valueSize, maxEntries, flags] = readU32s(
        legacy.data.subarray(sym.value, sym.value + stride),
        5,
      ) as [number, number, number, number, number];
      mapAt.set(
        `${legacy.index}:${sym.value}`,
        create({ name: sym.name, type, keySize, valueSize, maxEntries, flags }),
      );
    }
  }
  // Global data.
  for (const s of elf.sections.filter(isDataSection)) {
    const ro = s.name.startsWith('.rodata');
    dataMap.set(
      s.index,
      create(
        {
          name: globalDataMapName(objName, s.name),
          type: MapType.ARRAY,
          keySize: 4,
          valueSize: s.size,
          maxEntries: 1,
          flags: ro ? 0x80 /* BPF_F_RDONLY_PROG */ : 0,
        },
        s.type === SHT_NOBITS ? undefined : s.data,
      ),
    );
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
    const funcs = elf.symbols
      .filter((s) => s.shndx === sec.index && s.type === STT_FUNC)
      .sort((a, b) => a.value - b.value);
    const info = xdpSecInfo(sec.name) ?? legacyXdpSec(sec.name);
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
      });
      programs.push(
        new XdpProgram(system, {
          name: fn.name,
          section: sec.name,
          attach: info.attach ?? 'xdp',
          frags: info.frags,
          insns: prog.insns,
          lines: prog.lines,
          compileOptions: {
            tailCallHelper: TAIL_CALL_HELPER_ID,
            helperArgs,
            checkHelper: (id, pc) => {
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

  return {
    name: objName,
    system,
    programs,
    skipped,
    maps,
    map: (name) => maps.find((m) => m.name === name),
    program: (name) => programs.find((p) => p.name === name),
  };
}

/** Pre-1.0 libbpf spellings of egress program sections ("xdp_devmap/…", "xdp_cpumap/…"). */
function legacyXdpSec(name: string): { frags: boolean; attach: 'devmap' | 'cpumap' } | undefined {
  if (name.startsWith('xdp_devmap')) return { frags: false, attach: 'devmap' };
  if (name.startsWith('xdp_cpumap')) return { frags: false, attach: 'cpumap' };
  return undefined;
}

function decodeSection(s: ElfSection): Insn[] {
  if (s.size % 8)
    throw new LoadError(`section ${s.name}: ${s.size} bytes is not a whole number of instructions`);
  return I.decodeInsns(s.data);
}

interface LinkContext {
  mapAt: Map<string, BpfMap>;
  dataMap: Map<number, BpfMap>;
  ext: BtfExt | undefined;
  btf: Btf | undefined;
  system: BpfSystem;
  frags: boolean;
}

function linkProgram(
  elf: ElfFile,
  sec: ElfSection,
  fn: ElfSymbol,
  text: ElfSection | undefined,
  textInsns: Insn[],
  cx: LinkContext,
): { insns: Insn[]; lines: Map<number, SourceLine>; resolved: Map<number, { hi: number; lo: number }> } {
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
  const where = (secName: string, pc: number): string =>
    `section ${secName}, program ${fn.name}, instruction ${pc}`;

  const apply = (secName: string, pc: number, r: { sym: number; type: number }): void => {
    const insn = insns[pc];
    const sym = elf.symbols[r.sym];
    if (!insn || !sym)
      throw new LoadError(
        `${where(secName, pc)}: relocation points outside the program or at a missing symbol`,
      );
    if (sym.shndx === SHN_UNDEF) {
      const what =
        insn.op === (I.BPF_JMP | I.JMP_CALL)
          ? `kfunc call to '${sym.name}'`
          : `extern symbol '${sym.name}' (.kconfig/.ksyms)`;
      throw new LoadError(`${where(secName, pc)}: ${what} is not supported by the XDP Lab VM`);
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

  // CO-RE: field relocations against stable UAPI structs keep the offsets clang compiled in.
  const checkCore = (secName: string, lo: number, hi: number, base: number): void => {
    for (const c of cx.ext?.coreRelos.get(secName) ?? []) {
      if (c.insnOff < lo || c.insnOff >= hi) continue;
      const t = cx.btf?.resolve(c.typeId);
      if (c.kind <= 1 && t && STABLE_TYPES.has(t.name)) continue;
      throw new LoadError(
        `${where(secName, base + (c.insnOff - lo) / 8)}: CO-RE relocation (kind ${c.kind}, access ${c.access}) against '${t?.name ?? c.typeId}' needs the kernel's BTF, which the VM does not have`,
      );
    }
  };
  checkCore(sec.name, fn.value, fn.value + size * 8, 0);
  if (needsText && text) checkCore('.text', 0, text.size, textBase);

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
  return { insns, lines, resolved };
}

/** `.values = { [i] = &prog }` of a PROG_ARRAY in .maps: libbpf fills the slots after loading. */
function initProgArrays(
  elf: ElfFile,
  mapsSec: ElfSection,
  btf: Btf,
  mapAt: Map<string, BpfMap>,
  programs: XdpProgram[],
): void {
  const relocs = elf.relocationsFor(mapsSec.index);
  if (!relocs.length) return;
  const starts = [...mapAt.entries()]
    .filter(([k]) => k.startsWith(`${mapsSec.index}:`))
    .map(([k, m]) => ({ off: Number(k.split(':')[1]), map: m }));
  for (const r of relocs) {
    const owner = starts.filter((s) => s.off <= r.offset).sort((a, b) => b.off - a.off)[0];
    const sym = elf.symbols[r.sym];
    if (!owner || !sym) continue;
    const isMapOfMaps = owner.map instanceof MapOfMaps;
    if (!(owner.map instanceof ProgArrayMap) && !isMapOfMaps) continue;
    const ds = btf.findDatasec('.maps');
    const v = ds?.vars?.find((x) => btf.type(x.type)?.name === owner.map.name);
    const st = v ? btf.resolve(btf.type(v.type)?.sizeOrType ?? 0) : undefined;
    const valuesMember = st?.members.find((m) => m.name === 'values');
    if (!valuesMember) continue;
    const slot = (r.offset - owner.off - valuesMember.offset / 8) / 8;
    if (!Number.isInteger(slot)) continue;
    const key = new Uint8Array(new Uint32Array([slot]).buffer);
    // Map-in-map: the slot names another map of .maps; PROG_ARRAY: a program of this object.
    const target = isMapOfMaps
      ? mapAt.get(`${sym.shndx}:${sym.value}`)
      : programs.find((p) => p.name === sym.name);
    if (target) owner.map.userUpdate(key, target, 0);
  }
}
