// What the debugger knows of one linked XDP program: where each pc came from (ELF section and byte
// offset — the loader appends `.text` after the program, loadObject.ts linkProgram), its source line
// (BTF line info), the DWARF function and the C variables in scope there, and each function's stack size.
import { Btf } from '../elf/btf';
import { parseBtfExt } from '../elf/btfExt';
import type { BtfExt } from '../elf/btfExt';
import { STT_FUNC } from '../elf/elfFile';
import type { ElfFile } from '../elf/elfFile';
import * as I from '../vm/isa';
import type { XdpProgram } from '../vm/xdpProgram';
import { DW_AT, DW_FORM, DW_TAG } from './dwarfConstants';
import type { AddrRange, LocationListEntry } from './dwarfLists';
import { attrOf, DwarfInfo, isSectionAddr, strAttr } from './dwarfReader';
import type { CompileUnit, Die } from './dwarfReader';

export interface SourcePos {
  /** Absolute path when the object says where it was built (DW_AT_comp_dir), else as clang saw it. */
  path: string;
  line: number;
  column: number;
}

/** Where a variable lives: one DWARF expression, a location list, or nowhere (optimised out). */
export type VarLocation =
  | { kind: 'expr'; expr: Uint8Array }
  | { kind: 'list'; entries: LocationListEntry[] }
  | { kind: 'const'; value: bigint }
  | { kind: 'none' };

export interface DebugVariable {
  name: string;
  /** Offset of the type DIE in .debug_info. */
  type: number | undefined;
  param: boolean;
  location: VarLocation;
}

/** A lexical scope: a function body, a block or an inlined call, with the variables it declares. */
export interface DebugScope {
  ranges: AddrRange[];
  vars: DebugVariable[];
  children: DebugScope[];
  /** The inlined function's name for DW_TAG_inlined_subroutine scopes. */
  inlined?: string;
}

export interface DebugFunction {
  name: string;
  section: number;
  lo: number;
  hi: number;
  scope: DebugScope;
  unit: CompileUnit;
}

/** The DWARF of a whole object (shared by its programs). */
export class ObjectDebugInfo {
  readonly functions: DebugFunction[] = [];
  readonly ext: BtfExt | undefined;
  readonly dwarf: DwarfInfo | undefined;
  /** Why there are no locals (no -g, unreadable DWARF), for the Locals scope. */
  dwarfProblem: string | undefined;
  readonly compDir: string | undefined;

  constructor(readonly elf: ElfFile) {
    const btfSec = elf.section('.BTF');
    const extSec = elf.section('.BTF.ext');
    let ext: BtfExt | undefined;
    try {
      ext = btfSec && extSec ? parseBtfExt(extSec.data, new Btf(btfSec.data)) : undefined;
    } catch {
      ext = undefined;
    }
    this.ext = ext;
    let dwarf: DwarfInfo | undefined;
    let problem: string | undefined;
    try {
      dwarf = new DwarfInfo(elf);
    } catch (e) {
      problem = e instanceof Error ? e.message : String(e);
    }
    this.dwarf = dwarf;
    this.dwarfProblem = problem;
    const cu = dwarf?.units[0]?.root;
    const dir = cu?.attrs.get(0x1b /* DW_AT_comp_dir */);
    this.compDir = typeof dir === 'string' ? dir : undefined;
    try {
      if (dwarf) for (const u of dwarf.units) this.collect(dwarf, u, u.root);
    } catch (e) {
      // A malformed tree (nesting too deep for the stack, bad references): no locals, say why.
      this.functions.length = 0;
      this.dwarfProblem = `unreadable DWARF: ${e instanceof Error ? e.message : String(e)}`;
    }
  }

  private collect(dwarf: DwarfInfo, unit: CompileUnit, die: Die): void {
    for (const ch of die.children) {
      if (ch.tag !== DW_TAG.subprogram) continue;
      const low = ch.attrs.get(DW_AT.low_pc);
      if (!isSectionAddr(low)) continue; // declarations (helpers) have no code
      const high = ch.attrs.get(DW_AT.high_pc);
      const hi = isSectionAddr(high) ? high.offset : low.offset + (typeof high === 'number' ? high : 0);
      this.functions.push({
        name: strAttr(attrOf(dwarf, ch, DW_AT.name), '?'),
        section: low.section,
        lo: low.offset,
        hi,
        scope: this.scope(dwarf, unit, ch, [{ section: low.section, lo: low.offset, hi }]),
        unit,
      });
    }
  }

  private scope(dwarf: DwarfInfo, unit: CompileUnit, die: Die, ranges: AddrRange[]): DebugScope {
    const s: DebugScope = { ranges, vars: [], children: [] };
    if (die.tag === DW_TAG.inlined_subroutine) s.inlined = strAttr(attrOf(dwarf, die, DW_AT.name), '?');
    for (const ch of die.children) {
      if (ch.tag === DW_TAG.variable || ch.tag === DW_TAG.formal_parameter) {
        const name = attrOf(dwarf, ch, DW_AT.name);
        if (typeof name !== 'string') continue;
        const type = attrOf(dwarf, ch, DW_AT.type);
        s.vars.push({
          name,
          type: typeof type === 'number' ? type : undefined,
          param: ch.tag === DW_TAG.formal_parameter,
          location: this.location(dwarf, unit, ch),
        });
      } else if (ch.tag === DW_TAG.lexical_block || ch.tag === DW_TAG.inlined_subroutine) {
        s.children.push(this.scope(dwarf, unit, ch, this.rangesOf(dwarf, unit, ch, ranges[0]?.section ?? 0)));
      }
    }
    return s;
  }

  private rangesOf(dwarf: DwarfInfo, unit: CompileUnit, die: Die, section: number): AddrRange[] {
    const low = die.attrs.get(DW_AT.low_pc);
    if (isSectionAddr(low)) {
      const high = die.attrs.get(DW_AT.high_pc);
      const hi = isSectionAddr(high) ? high.offset : low.offset + (typeof high === 'number' ? high : 0);
      return [{ section: low.section, lo: low.offset, hi }];
    }
    const r = die.attrs.get(DW_AT.ranges);
    if (typeof r === 'number') {
      try {
        return dwarf.rangeList(unit, r, die.forms.get(DW_AT.ranges) === DW_FORM.rnglistx);
      } catch {
        return [];
      }
    }
    return [{ section, lo: 0, hi: Infinity }];
  }

  private location(dwarf: DwarfInfo, unit: CompileUnit, die: Die): VarLocation {
    const loc = die.attrs.get(DW_AT.location);
    if (loc instanceof Uint8Array) return { kind: 'expr', expr: loc };
    if (typeof loc === 'number') {
      try {
        return {
          kind: 'list',
          entries: dwarf.locationList(unit, loc, die.forms.get(DW_AT.location) === DW_FORM.loclistx),
        };
      } catch {
        return { kind: 'none' };
      }
    }
    const cv = die.attrs.get(DW_AT.const_value);
    if (typeof cv === 'number') return { kind: 'const', value: BigInt(cv) };
    if (typeof cv === 'bigint') return { kind: 'const', value: cv };
    return { kind: 'none' };
  }

  /** Absolute path of a file name from line info. */
  absolute(file: string): string {
    if (file.startsWith('/') || !this.compDir) return file;
    return `${this.compDir.replace(/\/$/, '')}/${file.replace(/^\.\//, '')}`;
  }
}

/** A variable visible at a pc, with the scope depth it was found at (inner shadows outer). */
export interface VisibleVariable extends DebugVariable {
  /** Name of the inlined function it belongs to, if any. */
  inlined?: string;
}

const inRange = (r: AddrRange, section: number, off: number): boolean =>
  r.section === section && off >= r.lo && off < r.hi;

/** One linked program of the object: pc ↔ section offsets, lines, functions, stack sizes. */
export class ProgramDebugInfo {
  /** Instructions of the program's own section; `.text` follows from here (loadObject.ts linkProgram). */
  readonly textBase: number;
  private readonly progSection: number;
  private readonly progStart: number;
  private readonly textSection: number;
  /** Line-info records by pc (where a new line starts). */
  readonly lineStarts = new Map<number, SourcePos>();
  private readonly stackSizes = new Map<DebugFunction, number>();

  constructor(
    readonly object: ObjectDebugInfo,
    readonly program: XdpProgram,
  ) {
    const elf = object.elf;
    const sec = elf.sections.find((s) => s.name === program.section);
    const fn = elf.symbols.find(
      (s) => s.type === STT_FUNC && s.shndx === sec?.index && s.name === program.name,
    );
    this.progSection = sec?.index ?? -1;
    this.progStart = fn?.value ?? 0;
    const own = fn && fn.size > 0 ? fn.size / 8 : (sec?.size ?? 0) / 8 - this.progStart / 8;
    this.textBase = Math.min(own, program.insns.length);
    this.textSection = elf.section('.text')?.index ?? -1;
    const add = (secName: string, lo: number, hi: number, base: number): void => {
      for (const l of object.ext?.lines.get(secName) ?? [])
        if (l.insnOff >= lo && l.insnOff < hi && l.line > 0)
          this.lineStarts.set(base + (l.insnOff - lo) / 8, {
            path: object.absolute(l.file),
            line: l.line,
            column: l.column,
          });
    };
    add(program.section, this.progStart, this.progStart + this.textBase * 8, 0);
    if (program.insns.length > this.textBase)
      add('.text', 0, (program.insns.length - this.textBase) * 8, this.textBase);
  }

  /** The ELF section and byte offset of linked pc. */
  origin(pc: number): { section: number; offset: number } {
    return pc < this.textBase
      ? { section: this.progSection, offset: this.progStart + pc * 8 }
      : { section: this.textSection, offset: (pc - this.textBase) * 8 };
  }

  /** The linked pc of a section offset, or -1 when it is not part of this program. */
  pcOf(section: number, offset: number): number {
    if (
      section === this.progSection &&
      offset >= this.progStart &&
      offset < this.progStart + this.textBase * 8
    )
      return (offset - this.progStart) / 8;
    if (section === this.textSection && this.textBase < this.program.insns.length)
      return this.textBase + offset / 8;
    return -1;
  }

  /** The source line of pc: the nearest line-info record at or before it (within its function). */
  lineOf(pc: number): SourcePos | undefined {
    const fn = this.functionAt(pc);
    const lo = fn ? Math.max(0, this.pcOf(fn.section, fn.lo)) : 0;
    for (let p = pc; p >= lo; p--) {
      const l = this.lineStarts.get(p);
      if (l) return l;
    }
    return undefined;
  }

  functionAt(pc: number): DebugFunction | undefined {
    const o = this.origin(pc);
    return this.object.functions.find((f) => f.section === o.section && o.offset >= f.lo && o.offset < f.hi);
  }

  /** Name of the function of pc: DWARF's, else the ELF symbol's, else the program's. */
  functionName(pc: number): string {
    const fn = this.functionAt(pc);
    if (fn) return fn.name;
    const o = this.origin(pc);
    const sym = this.object.elf.symbols.find(
      (s) =>
        s.type === STT_FUNC &&
        s.shndx === o.section &&
        o.offset >= s.value &&
        o.offset < s.value + Math.max(8, s.size),
    );
    return sym?.name ?? this.program.name;
  }

  /**
   * The function's stack size: clang's BPF DWARF addresses locals from the bottom of the frame
   * (DW_OP_fbreg / DW_OP_breg10 +N means r10 - stack_size + N), so the debugger needs it. LLVM's
   * frame is the lowest r10-relative byte the function touches, rounded up to 8 (BPFFrameLowering).
   */
  stackSize(fn: DebugFunction): number {
    const known = this.stackSizes.get(fn);
    if (known !== undefined) return known;
    const lo = this.pcOf(fn.section, fn.lo);
    const hi = lo + (fn.hi - fn.lo) / 8;
    let min = 0;
    const copies = new Map<number, number>(); // register → offset from r10 it holds
    for (let pc = Math.max(0, lo); pc < hi && pc < this.program.insns.length; pc++) {
      const i = this.program.insns[pc] as I.Insn;
      const cls = I.opClass(i.op);
      if ((cls === I.BPF_STX || cls === I.BPF_ST) && i.dst === 10) min = Math.min(min, i.off);
      else if (cls === I.BPF_LDX && i.src === 10) min = Math.min(min, i.off);
      else if (cls === I.BPF_STX && copies.has(i.dst))
        min = Math.min(min, (copies.get(i.dst) as number) + i.off);
      if (cls === I.BPF_ALU64 && (i.op & 0xf0) === I.ALU_MOV && i.op & I.BPF_X && i.src === 10)
        copies.set(i.dst, 0);
      else if (cls === I.BPF_ALU64 && (i.op & 0xf0) === I.ALU_ADD && !(i.op & I.BPF_X) && copies.has(i.dst)) {
        const off = (copies.get(i.dst) as number) + i.imm;
        copies.set(i.dst, off);
        min = Math.min(min, off);
      } else if (cls === I.BPF_ALU64 || cls === I.BPF_ALU || cls === I.BPF_LDX || I.isLdImm64(i))
        copies.delete(i.dst);
      else if (cls === I.BPF_JMP && (i.op & 0xf0) === I.JMP_CALL)
        for (let r = 0; r <= 5; r++) copies.delete(r);
    }
    const size = (-min + 7) & ~7;
    this.stackSizes.set(fn, size);
    return size;
  }

  /** The C variables in scope at pc, innermost first; an inner declaration hides an outer one. */
  variablesAt(pc: number): VisibleVariable[] {
    const fn = this.functionAt(pc);
    if (!fn) return [];
    const o = this.origin(pc);
    const chain: DebugScope[] = [];
    let s: DebugScope | undefined = fn.scope;
    while (s) {
      chain.push(s);
      s = s.children.find((c) => c.ranges.some((r) => inRange(r, o.section, o.offset)));
    }
    const seen = new Set<string>();
    const out: VisibleVariable[] = [];
    for (const sc of chain.reverse())
      for (const v of sc.vars) {
        if (seen.has(v.name)) continue;
        seen.add(v.name);
        out.push(sc.inlined ? { ...v, inlined: sc.inlined } : v);
      }
    return out;
  }

  /** The expression that locates `v` at pc, or undefined where DWARF gives none (optimised out). */
  locationAt(v: DebugVariable, pc: number): Uint8Array | bigint | undefined {
    const loc = v.location;
    if (loc.kind === 'expr') return loc.expr;
    if (loc.kind === 'const') return loc.value;
    if (loc.kind === 'none') return undefined;
    const o = this.origin(pc);
    for (const e of loc.entries)
      if ((e.section === -1 || e.section === o.section) && o.offset >= e.lo && o.offset < e.hi) return e.expr;
    return undefined;
  }

  /** Pcs where a line-info record for `line` of `path` starts (breakpoint targets). */
  pcsOfLine(path: string, line: number): number[] {
    const out: number[] = [];
    for (const [pc, l] of this.lineStarts) if (l.line === line && samePath(l.path, path)) out.push(pc);
    return out.sort((a, b) => a - b);
  }

  /** Lines with code of `path`, ascending. */
  linesOf(path: string): number[] {
    const s = new Set<number>();
    for (const l of this.lineStarts.values()) if (samePath(l.path, path)) s.add(l.line);
    return [...s].sort((a, b) => a - b);
  }
}

/** Same source file: equal paths, or equal base names when one side is relative (objects built elsewhere). */
export function samePath(a: string, b: string): boolean {
  if (a === b) return true;
  const base = (p: string): string => p.split('/').pop() ?? p;
  return base(a) === base(b);
}
