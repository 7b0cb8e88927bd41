// A reader of the DWARF 5 clang writes for `-target bpf -g` into a relocatable object: .debug_abbrev,
// .debug_info, .debug_str(_offsets), .debug_addr, .debug_loclists and .debug_rnglists, with the
// .rel.debug_* relocations applied (addresses are section-relative: each one carries its ELF section).
import { ElfError } from '../elf/elfFile';
import type { ElfFile, ElfSection } from '../elf/elfFile';

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

export class DwarfError extends ElfError {}

export const DW_TAG = {
  array_type: 0x01,
  enumeration_type: 0x04,
  formal_parameter: 0x05,
  lexical_block: 0x0b,
  member: 0x0d,
  pointer_type: 0x0f,
  compile_unit: 0x11,
  structure_type: 0x13,
  subroutine_type: 0x15,
  typedef: 0x16,
  union_type: 0x17,
  inlined_subroutine: 0x1d,
  subrange_type: 0x21,
  base_type: 0x24,
  const_type: 0x26,
  enumerator: 0x28,
  subprogram: 0x2e,
  variable: 0x34,
  volatile_type: 0x35,
  restrict_type: 0x37,
  atomic_type: 0x47,
} as const;

export const DW_AT = {
  location: 0x02,
  name: 0x03,
  byte_size: 0x0b,
  bit_size: 0x0d,
  low_pc: 0x11,
  high_pc: 0x12,
  const_value: 0x1c,
  upper_bound: 0x2f,
  abstract_origin: 0x31,
  count: 0x37,
  data_member_location: 0x38,
  decl_line: 0x3b,
  encoding: 0x3e,
  frame_base: 0x40,
  specification: 0x47,
  type: 0x49,
  ranges: 0x55,
  data_bit_offset: 0x6b,
  str_offsets_base: 0x72,
  addr_base: 0x73,
  rnglists_base: 0x74,
  loclists_base: 0x8c,
} as const;

const FORM = {
  addr: 0x01,
  block2: 0x03,
  block4: 0x04,
  data2: 0x05,
  data4: 0x06,
  data8: 0x07,
  string: 0x08,
  block: 0x09,
  block1: 0x0a,
  data1: 0x0b,
  flag: 0x0c,
  sdata: 0x0d,
  strp: 0x0e,
  udata: 0x0f,
  ref_addr: 0x10,
  ref1: 0x11,
  ref2: 0x12,
  ref4: 0x13,
  ref8: 0x14,
  ref_udata: 0x15,
  indirect: 0x16,
  sec_offset: 0x17,
  exprloc: 0x18,
  flag_present: 0x19,
  strx: 0x1a,
  addrx: 0x1b,
  ref_sup4: 0x1c,
  strp_sup: 0x1d,
  data16: 0x1e,
  line_strp: 0x1f,
  ref_sig8: 0x20,
  implicit_const: 0x21,
  loclistx: 0x22,
  rnglistx: 0x23,
  strx1: 0x25,
  strx2: 0x26,
  strx3: 0x27,
  strx4: 0x28,
  addrx1: 0x29,
  addrx2: 0x2a,
  addrx3: 0x2b,
  addrx4: 0x2c,
} as const;
export const DW_FORM_loclistx = FORM.loclistx;

const R_BPF_64_ABS64 = 2;
const R_BPF_64_ABS32 = 3;
const R_BPF_64_NODYLD32 = 4;

/** Little-endian cursor over one section; every read past the end is a DwarfError naming the section. */
export class Cursor {
  readonly dv: DataView;
  constructor(
    readonly b: Uint8Array,
    public o: number,
    readonly what: string,
  ) {
    this.dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }
  private need(n: number): void {
    if (this.o < 0 || this.o + n > this.b.length)
      throw new DwarfError(
        `${this.what}: read of ${n} bytes at offset ${this.o} runs past its end (${this.b.length} bytes)`,
      );
  }
  u8(): number {
    this.need(1);
    return this.dv.getUint8(this.o++);
  }
  u16(): number {
    this.need(2);
    const v = this.dv.getUint16(this.o, true);
    this.o += 2;
    return v;
  }
  u24(): number {
    return this.u16() | (this.u8() << 16);
  }
  u32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.o, true);
    this.o += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.dv.getBigUint64(this.o, true);
    this.o += 8;
    return v;
  }
  uleb(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.u8();
      v += (b & 0x7f) * mul;
      mul *= 128;
      if (!(b & 0x80)) return v;
    }
    throw new DwarfError(`${this.what}: ULEB128 at offset ${this.o} is too long`);
  }
  sleb(): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.u8();
      v += (b & 0x7f) * mul;
      mul *= 128;
      if (!(b & 0x80)) return b & 0x40 ? v - mul : v;
    }
    throw new DwarfError(`${this.what}: SLEB128 at offset ${this.o} is too long`);
  }
  bytes(n: number): Uint8Array {
    this.need(n);
    const v = this.b.subarray(this.o, this.o + n);
    this.o += n;
    return v;
  }
  cstr(): string {
    let s = '';
    for (;;) {
      const c = this.u8();
      if (c === 0) return s;
      s += String.fromCharCode(c);
    }
  }
}

/** A debug section with its relocations applied, and the ELF section each relocated word points into. */
interface RelocatedSection {
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
          die.attrs.set(s.at, this.readForm(c, s.form, s.implicit, unitStart, addrSize, info.targets, unit));
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
    _unit: CompileUnit,
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
        return this.readForm(c, c.uleb(), implicit, unitStart, addrSize, targets, _unit);
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
    const b = this.loclists.data;
    const base = unit.loclistsBase;
    const off = isIndex ? base + new Cursor(b, base + 4 * value, '.debug_loclists').u32() : value;
    const c = new Cursor(b, off, '.debug_loclists');
    const out: LocationListEntry[] = [];
    // DWARF 5 §2.17.3: without DW_LLE/RLE_base_address*, the base is the unit's DW_AT_low_pc.
    let baseAddr: SectionAddr = unitBase(unit);
    for (let guard = 0; guard < 100000; guard++) {
      const kind = c.u8();
      switch (kind) {
        case 0: // DW_LLE_end_of_list
          return out;
        case 1: // DW_LLE_base_addressx
          baseAddr = this.addrx(unit, c.uleb());
          break;
        case 2: {
          // DW_LLE_startx_endx
          const lo = this.addrx(unit, c.uleb());
          const hi = this.addrx(unit, c.uleb());
          out.push({ section: lo.section, lo: lo.offset, hi: hi.offset, expr: c.bytes(c.uleb()) });
          break;
        }
        case 3: {
          // DW_LLE_startx_length
          const lo = this.addrx(unit, c.uleb());
          const len = c.uleb();
          out.push({ section: lo.section, lo: lo.offset, hi: lo.offset + len, expr: c.bytes(c.uleb()) });
          break;
        }
        case 4: {
          // DW_LLE_offset_pair
          const lo = c.uleb();
          const hi = c.uleb();
          out.push({
            section: baseAddr.section,
            lo: baseAddr.offset + lo,
            hi: baseAddr.offset + hi,
            expr: c.bytes(c.uleb()),
          });
          break;
        }
        case 5: // DW_LLE_default_location
          out.push({ section: -1, lo: 0, hi: Infinity, expr: c.bytes(c.uleb()) });
          break;
        case 6: {
          // DW_LLE_base_address
          const at = c.o;
          baseAddr = { section: this.loclists.targets.get(at) ?? 0, offset: Number(c.u64()) };
          break;
        }
        case 7: {
          // DW_LLE_start_end
          const at = c.o;
          const lo = Number(c.u64());
          const hi = Number(c.u64());
          out.push({ section: this.loclists.targets.get(at) ?? 0, lo, hi, expr: c.bytes(c.uleb()) });
          break;
        }
        case 8: {
          // DW_LLE_start_length
          const at = c.o;
          const lo = Number(c.u64());
          const len = c.uleb();
          out.push({
            section: this.loclists.targets.get(at) ?? 0,
            lo,
            hi: lo + len,
            expr: c.bytes(c.uleb()),
          });
          break;
        }
        default:
          throw new DwarfError(`.debug_loclists: unknown entry kind ${kind} at offset ${c.o - 1}`);
      }
    }
    return out;
  }

  /** The address ranges of DW_AT_ranges (a DW_FORM_rnglistx index or a section offset). */
  rangeList(unit: CompileUnit, value: number, isIndex: boolean): AddrRange[] {
    const b = this.rnglists.data;
    const base = unit.rnglistsBase;
    const off = isIndex ? base + new Cursor(b, base + 4 * value, '.debug_rnglists').u32() : value;
    const c = new Cursor(b, off, '.debug_rnglists');
    const out: AddrRange[] = [];
    // DWARF 5 §2.17.3: without DW_LLE/RLE_base_address*, the base is the unit's DW_AT_low_pc.
    let baseAddr: SectionAddr = unitBase(unit);
    for (let guard = 0; guard < 100000; guard++) {
      const kind = c.u8();
      switch (kind) {
        case 0:
          return out;
        case 1:
          baseAddr = this.addrx(unit, c.uleb());
          break;
        case 2: {
          const lo = this.addrx(unit, c.uleb());
          const hi = this.addrx(unit, c.uleb());
          out.push({ section: lo.section, lo: lo.offset, hi: hi.offset });
          break;
        }
        case 3: {
          const lo = this.addrx(unit, c.uleb());
          out.push({ section: lo.section, lo: lo.offset, hi: lo.offset + c.uleb() });
          break;
        }
        case 4: {
          const lo = c.uleb();
          const hi = c.uleb();
          out.push({ section: baseAddr.section, lo: baseAddr.offset + lo, hi: baseAddr.offset + hi });
          break;
        }
        case 5: {
          const at = c.o;
          baseAddr = { section: this.rnglists.targets.get(at) ?? 0, offset: Number(c.u64()) };
          break;
        }
        case 6: {
          const at = c.o;
          const lo = Number(c.u64());
          out.push({ section: this.rnglists.targets.get(at) ?? 0, lo, hi: Number(c.u64()) });
          break;
        }
        case 7: {
          const at = c.o;
          const lo = Number(c.u64());
          out.push({ section: this.rnglists.targets.get(at) ?? 0, lo, hi: lo + c.uleb() });
          break;
        }
        default:
          throw new DwarfError(`.debug_rnglists: unknown entry kind ${kind} at offset ${c.o - 1}`);
      }
    }
    return out;
  }
}

function unitBase(unit: CompileUnit): SectionAddr {
  const low = unit.root.attrs.get(DW_AT.low_pc);
  return isSectionAddr(low) ? low : { section: 0, offset: 0 };
}

/** One entry of a location list: the expression holds for byte offsets [lo, hi) of `section`. */
export interface LocationListEntry {
  /** ELF section index; -1 for DW_LLE_default_location. */
  section: number;
  lo: number;
  hi: number;
  expr: Uint8Array;
}

export interface AddrRange {
  section: number;
  lo: number;
  hi: number;
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
