// The DWARF 5 location lists (.debug_loclists, DW_LLE_*) and range lists (.debug_rnglists,
// DW_RLE_*): one entry decoder for both, since the two encodings are the same but for the location
// list's DW_LLE_default_location and the expression that follows each of its entries (DWARF 5 §7.7.3).
import { Cursor, DwarfError } from './dwarfCursor';
import type { RelocatedSection, SectionAddr } from './dwarfReader';

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

/** Where a unit's lists resolve: its list section, its DW_AT_*lists_base, the base address, its addrx. */
export interface ListContext {
  section: RelocatedSection;
  /** DW_AT_loclists_base or DW_AT_rnglists_base: the unit's offset table. */
  listsBase: number;
  /** DWARF 5 §2.17.3: without DW_LLE/RLE_base_address*, the base is the unit's DW_AT_low_pc. */
  base: SectionAddr;
  addrx(index: number): SectionAddr;
}

type ListSection = '.debug_loclists' | '.debug_rnglists';

// The entry kinds by their DW_LLE_* codes. DW_RLE_* has the same codes up to offset_pair (4) and
// no default_location, so DW_RLE_base_address (5), start_end (6) and start_length (7) are the
// DW_LLE_* code minus one.
const LLE = {
  end_of_list: 0,
  base_addressx: 1,
  startx_endx: 2,
  startx_length: 3,
  offset_pair: 4,
  default_location: 5,
  base_address: 6,
  start_end: 7,
  start_length: 8,
} as const;

/** The location list at `value` (a DW_FORM_loclistx index or a section offset). */
export function readLocationList(cx: ListContext, value: number, isIndex: boolean): LocationListEntry[] {
  const c = listCursor(cx, '.debug_loclists', value, isIndex);
  const out: LocationListEntry[] = [];
  // Each bounded entry and the default location carry a counted DWARF expression (DW_FORM_exprloc).
  decodeEntries(c, cx, '.debug_loclists', (r) => out.push({ ...r, expr: c.bytes(c.uleb()) }));
  return out;
}

/** The address ranges of DW_AT_ranges (a DW_FORM_rnglistx index or a section offset). */
export function readRangeList(cx: ListContext, value: number, isIndex: boolean): AddrRange[] {
  const c = listCursor(cx, '.debug_rnglists', value, isIndex);
  const out: AddrRange[] = [];
  decodeEntries(c, cx, '.debug_rnglists', (r) => out.push(r));
  return out;
}

/** A cursor at a list: an index goes through the unit's offset table (offsets relative to its base). */
function listCursor(cx: ListContext, what: ListSection, value: number, isIndex: boolean): Cursor {
  const b = cx.section.data;
  const off = isIndex ? cx.listsBase + new Cursor(b, cx.listsBase + 4 * value, what).u32() : value;
  return new Cursor(b, off, what);
}

/** Decodes entries up to DW_LLE/RLE_end_of_list, handing each range to `entry` (which reads what follows it). */
function decodeEntries(c: Cursor, cx: ListContext, what: ListSection, entry: (r: AddrRange) => void): void {
  const targets = cx.section.targets;
  let baseAddr = cx.base;
  for (let guard = 0; guard < 100000; guard++) {
    const raw = c.u8();
    const kind = what === '.debug_rnglists' && raw >= LLE.default_location ? raw + 1 : raw;
    switch (kind) {
      case LLE.end_of_list:
        return;
      case LLE.base_addressx:
        baseAddr = cx.addrx(c.uleb());
        break;
      case LLE.startx_endx: {
        const lo = cx.addrx(c.uleb());
        const hi = cx.addrx(c.uleb());
        entry({ section: lo.section, lo: lo.offset, hi: hi.offset });
        break;
      }
      case LLE.startx_length: {
        const lo = cx.addrx(c.uleb());
        entry({ section: lo.section, lo: lo.offset, hi: lo.offset + c.uleb() });
        break;
      }
      case LLE.offset_pair: {
        const lo = c.uleb();
        const hi = c.uleb();
        entry({ section: baseAddr.section, lo: baseAddr.offset + lo, hi: baseAddr.offset + hi });
        break;
      }
      case LLE.default_location:
        entry({ section: -1, lo: 0, hi: Infinity });
        break;
      case LLE.base_address: {
        // A relocated 8-byte address: its ELF section is the relocation's target.
        const at = c.o;
        baseAddr = { section: targets.get(at) ?? 0, offset: Number(c.u64()) };
        break;
      }
      case LLE.start_end: {
        const at = c.o;
        const lo = Number(c.u64());
        entry({ section: targets.get(at) ?? 0, lo, hi: Number(c.u64()) });
        break;
      }
      case LLE.start_length: {
        const at = c.o;
        const lo = Number(c.u64());
        entry({ section: targets.get(at) ?? 0, lo, hi: lo + c.uleb() });
        break;
      }
      default:
        throw new DwarfError(`${what}: unknown entry kind ${raw} at offset ${c.o - 1}`);
    }
  }
}
