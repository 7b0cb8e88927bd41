// A reader of the DWARF 5 clang writes for `-target bpf -g` into a relocatable object: the DIE tree
// of .debug_info (with .debug_abbrev, .debug_str(_offsets) and .debug_addr), the .rel.debug_*
// relocations applied (addresses are section-relative: each one carries its ELF section).
import type { ElfFile, ElfSection } from '../elf/elfFile';
import { DW_AT, DW_FORM as FORM, DW_TAG } from './dwarfConstants';
import { Cursor, DwarfError } from './dwarfCursor';
import { readLocationList, readRangeList } from './dwarfLists';
import type { AddrRange, ListContext, LocationListEntry } from './dwarfLists';

/** An address in a relocatable object: a byte offset inside one ELF section. */
export interface SectionAddr {
  section: number;
  offset: number;
}

export type AttrValue = number | bigint | string | Uint8Array | SectionAddr;

export interface Die {
  offset: number;
  tag: number;
  attrs: Map<number, AttrValue>;
  /** Forms of the attributes (a DW_FORM_loclistx location is an index, not an offset). */
  forms: Map<number, number>;
  children: Die[];
  parent: Die | undefined;
}

const R_BPF_64_ABS64 = 2;
const R_BPF_64_ABS32 = 3;
const R_BPF_64_NODYLD32 = 4;

/** A debug section with its relocations applied, and the ELF section each relocated word points into. */
export interface RelocatedSection {
  data: Uint8Array;
  targets: Map<number, number>;
}

/** Applies the REL relocations of a debug section: S + A, with A the in-place value (R_BPF_64_ABS32/64). */
function relocated(elf: ElfFile, sec: ElfSection | undefined): RelocatedSection {
  if (!sec) return { data: new Uint8Array(0), targets: new Map() };
  const data = sec.data.slice();
  const dv = new DataView(data.buffer);
  const targets = new Map<number, number>();
  for (const r of elf.relocationsFor(sec.index)) {
    const sym = elf.symbols[r.sym];
    if (!sym || r.offset < 0) continue;
    const value = Math.max(0, sym.value);
    if (r.type === R_BPF_64_ABS64 && r.offset + 8 <= data.length) {
      dv.setBigUint64(r.offset, dv.getBigUint64(r.offset, true) + BigInt(value), true);
      targets.set(r.offset, sym.shndx);
    } else if ((r.type === R_BPF_64_ABS32 || r.type === R_BPF_64_NODYLD32) && r.offset + 4 <= data.length) {
      dv.setUint32(r.offset, (dv.getUint32(r.offset, true) + value) >>> 0, true);
      targets.set(r.offset, sym.shndx);
    }
  }
  return { data, targets };
}

interface Abbrev {
  tag: number;
  children: boolean;
  specs: { at: number; form: number; implicit: number }[];
}

function readAbbrevs(b: Uint8Array, off: number): Map<number, Abbrev> {
  const c = new Cursor(b, off, '.debug_abbrev');
  const out = new Map<number, Abbrev>();
  for (;;) {
    const code = c.uleb();
    if (code === 0) return out;
    const tag = c.uleb();
    const children = c.u8() === 1;
    const specs: Abbrev['specs'] = [];
    for (;;) {
      const at = c.uleb();
      const form = c.uleb();
      if (at === 0 && form === 0) break;
      specs.push({ at, form, implicit: form === FORM.implicit_const ? c.sleb() : 0 });
    }
    out.set(code, { tag, children, specs });
  }
}

/** One compile unit with the bases its indexed forms resolve against. */
export interface CompileUnit {
  root: Die;
  addrBase: number;
  strOffsetsBase: number;
  loclistsBase: number;
  rnglistsBase: number;
}

/** The debug info of one object: compile units, DIEs by offset, and the resolvers of indexed forms. */
export class DwarfInfo {
  readonly units: CompileUnit[] = [];
  private readonly byOffset = new Map<number, Die>();
  private readonly str: Uint8Array;
  private readonly lineStr: Uint8Array;
  private readonly strOffsets: RelocatedSection;
  private readonly addr: RelocatedSection;
  private readonly loclists: RelocatedSection;
  private readonly rnglists: RelocatedSection;

  constructor(elf: ElfFile) {
    const info = relocated(elf, elf.section('.debug_info'));
    if (!info.data.length)
      throw new DwarfError('the object has no .debug_info: build it with -g to debug it by source');
    this.str = elf.section('.debug_str')?.data ?? new Uint8Array(0);
    this.lineStr = elf.section('.debug_line_str')?.data ?? new Uint8Array(0);
    this.strOffsets = relocated(elf, elf.section('.debug_str_offsets'));
    this.addr = relocated(elf, elf.section('.debug_addr'));
    this.loclists = relocated(elf, elf.section('.debug_loclists'));
    this.rnglists = relocated(elf, elf.section('.debug_rnglists'));
    const abbrevSec = elf.section('.debug_abbrev')?.data ?? new Uint8Array(0);
    const c = new Cursor(info.data, 0, '.debug_info');
    while (c.o + 11 <= info.data.length) {
      const unitStart = c.o;
      const length = c.u32();
      if (length === 0xffffffff) throw new DwarfError('.debug_info: 64-bit DWARF is not supported');
      const end = c.o + length;
      const version = c.u16();
      if (version !== 5)
        throw new DwarfError(
          `.debug_info: DWARF version ${version} (the debugger reads DWARF 5, clang's default since 14)`,
        );
      const unitType = c.u8();
      const addrSize = c.u8();
      const abbrevOff = c.u32();
      if (unitType !== 1 /* DW_UT_compile */) {
        c.o = end;
        continue;
      }
      const abbrevs = readAbbrevs(abbrevSec, abbrevOff);
      const unit: CompileUnit = {
        root: undefined as never,
        addrBase: 8,
        strOffsetsBase: 8,
        loclistsBase: 12,
        rnglistsBase: 12,
      };
      const stack: Die[] = [];
      while (c.o < end) {
        const dieOff = c.o;
        const code = c.uleb();
        if (code === 0) {
          stack.pop();
          continue;
        }
        const ab = abbrevs.get(code);
        if (!ab) throw new DwarfError(`.debug_info: DIE at ${dieOff} uses unknown abbreviation ${code}`);
        const die: Die = {
          offset: dieOff,
          tag: ab.tag,
          attrs: new Map(),
          forms: new Map(),
          children: [],
          parent: stack[stack.length - 1],
        };
        for (const s of ab.specs) {
          die.attrs.set(s.at, this.readForm(c, s.form, s.implicit, unitStart, addrSize, info.targets));
          die.forms.set(s.at, s.form);
        }
        if (die.tag === DW_TAG.compile_unit) {
          unit.root = die;
          const n = (at: number, d: number): number => {
            const v = die.attrs.get(at);
            return typeof v === 'number' ? v : d;
          };
          unit.addrBase = n(DW_AT.addr_base, 8);
          unit.strOffsetsBase = n(DW_AT.str_offsets_base, 8);
          unit.loclistsBase = n(DW_AT.loclists_base, 12);
          unit.rnglistsBase = n(DW_AT.rnglists_base, 12);
        }
        die.parent?.children.push(die);
        this.byOffset.set(dieOff, die);
        if (ab.children) stack.push(die);
      }
      if (unit.root) {
        this.resolveIndexed(unit.root, unit);
        this.units.push(unit);
      }
      c.o = end;
    }
  }

  die(offset: number): Die | undefined {
    return this.byOffset.get(offset);
  }

  /** Reads one attribute value; strx/addrx stay indexes until the unit's bases are known. */
  private readForm(
    c: Cursor,
    form: number,
    implicit: number,
    unitStart: number,
    addrSize: number,
    targets: Map<number, number>,
  ): AttrValue {
    switch (form) {
      case FORM.addr: {
        const at = c.o;
        const v = addrSize === 8 ? Number(c.u64()) : c.u32();
        return { section: targets.get(at) ?? 0, offset: v };
      }
      case FORM.data1:
      case FORM.ref1:
      case FORM.flag:
        return form === FORM.ref1 ? unitStart + c.u8() : c.u8();
      case FORM.data2:
        return c.u16();
      case FORM.ref2:
        return unitStart + c.u16();
      case FORM.data4:
      case FORM.sec_offset:
      case FORM.ref_addr:
      case FORM.ref_sup4:
        return c.u32();
      case FORM.ref4:
        return unitStart + c.u32();
      case FORM.data8:
      case FORM.ref_sig8:
        return c.u64();
      case FORM.ref8:
        return unitStart + Number(c.u64());
      case FORM.data16:
        return c.bytes(16);
      case FORM.sdata:
        return c.sleb();
      case FORM.udata:
        return c.uleb();
      case FORM.ref_udata:
        return unitStart + c.uleb();
      case FORM.string:
        return c.cstr();
      case FORM.strp:
      case FORM.strp_sup:
        return new Cursor(this.str, c.u32(), '.debug_str').cstr();
      case FORM.line_strp:
        return new Cursor(this.lineStr, c.u32(), '.debug_line_str').cstr();
      case FORM.exprloc:
      case FORM.block:
        return c.bytes(c.uleb());
      case FORM.block1:
        return c.bytes(c.u8());
      case FORM.block2:
        return c.bytes(c.u16());
      case FORM.block4:
        return c.bytes(c.u32());
      case FORM.flag_present:
        return 1;
      case FORM.implicit_const:
        return implicit;
      case FORM.strx:
      case FORM.addrx:
      case FORM.loclistx:
      case FORM.rnglistx:
        return c.uleb();
      case FORM.strx1:
      case FORM.addrx1:
        return c.u8();
      case FORM.strx2:
      case FORM.addrx2:
        return c.u16();
      case FORM.strx3:
      case FORM.addrx3:
        return c.u24();
      case FORM.strx4:
      case FORM.addrx4:
        return c.u32();
      case FORM.indirect:
        return this.readForm(c, c.uleb(), implicit, unitStart, addrSize, targets);
      default:
        throw new DwarfError(`.debug_info: unknown attribute form 0x${form.toString(16)} at offset ${c.o}`);
    }
  }

  /** Turns strx and addrx indexes into strings and section addresses (after the unit's bases are read). */
  private resolveIndexed(die: Die, unit: CompileUnit): void {
    for (const [at, form] of die.forms) {
      const v = die.attrs.get(at);
      if (typeof v !== 'number') continue;
      if (form === FORM.strx || (form >= FORM.strx1 && form <= FORM.strx4))
        die.attrs.set(at, this.strx(unit, v));
      else if (form === FORM.addrx || (form >= FORM.addrx1 && form <= FORM.addrx4))
        die.attrs.set(at, this.addrx(unit, v));
    }
    for (const ch of die.children) this.resolveIndexed(ch, unit);
  }

  strx(unit: CompileUnit, index: number): string {
    const off = new Cursor(this.strOffsets.data, unit.strOffsetsBase + 4 * index, '.debug_str_offsets').u32();
    return new Cursor(this.str, off, '.debug_str').cstr();
  }

  addrx(unit: CompileUnit, index: number): SectionAddr {
    const at = unit.addrBase + 8 * index;
    const v = new Cursor(this.addr.data, at, '.debug_addr').u64();
    return { section: this.addr.targets.get(at) ?? 0, offset: Number(v) };
  }

  /** The location list at `value` (a DW_FORM_loclistx index or a section offset). */
  locationList(unit: CompileUnit, value: number, isIndex: boolean): LocationListEntry[] {
    return readLocationList(this.listContext(unit, this.loclists, unit.loclistsBase), value, isIndex);
  }

  /** The address ranges of DW_AT_ranges (a DW_FORM_rnglistx index or a section offset). */
  rangeList(unit: CompileUnit, value: number, isIndex: boolean): AddrRange[] {
    return readRangeList(this.listContext(unit, this.rnglists, unit.rnglistsBase), value, isIndex);
  }

  private listContext(unit: CompileUnit, section: RelocatedSection, listsBase: number): ListContext {
    return { section, listsBase, base: unitBase(unit), addrx: (index) => this.addrx(unit, index) };
  }
}

function unitBase(unit: CompileUnit): SectionAddr {
  const low = unit.root.attrs.get(DW_AT.low_pc);
  return isSectionAddr(low) ? low : { section: 0, offset: 0 };
}

/** An attribute of a DIE or of the DIE its DW_AT_abstract_origin / DW_AT_specification names. */
export function attrOf(info: DwarfInfo, die: Die, at: number): AttrValue | undefined {
  let d: Die | undefined = die;
  for (let i = 0; d && i < 8; i++) {
    const v = d.attrs.get(at);
    if (v !== undefined) return v;
    const origin: AttrValue | undefined =
      d.attrs.get(DW_AT.abstract_origin) ?? d.attrs.get(DW_AT.specification);
    d = typeof origin === 'number' ? info.die(origin) : undefined;
  }
  return undefined;
}

export const isSectionAddr = (v: AttrValue | undefined): v is SectionAddr =>
  typeof v === 'object' && v !== null && !(v instanceof Uint8Array);

/** A string attribute, or `fallback` when the attribute is missing or not a string. */
export const strAttr = (v: AttrValue | undefined, fallback: string): string =>
  typeof v === 'string' ? v : fallback;
