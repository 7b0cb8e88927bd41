// A bounds-checked reader of 64-bit little-endian ELF relocatable objects (what `clang -target bpf`
// writes): sections, the symbol table and REL relocations. Every malformed field is an ElfError that
// says what and where — never an exception from a typed array.

export class ElfError extends Error {}

export const EM_BPF = 247;
export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_NOBITS = 8;
export const SHT_REL = 9;
export const SHF_EXECINSTR = 4;
export const STT_NOTYPE = 0;
export const STT_OBJECT = 1;
export const STT_FUNC = 2;
export const STT_SECTION = 3;
export const SHN_UNDEF = 0;
export const STB_GLOBAL = 1;
/** e_machine of objects written by LLVM before 3.9 (libbpf accepts it beside EM_BPF). */
export const EM_NONE = 0;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: number;
  offset: number;
  size: number;
  link: number;
  info: number;
  /** The section's bytes (zeros for NOBITS). */
  data: Uint8Array;
}

export interface ElfSymbol {
  index: number;
  name: string;
  /** STT_* */
  type: number;
  /** STB_* (0 local, 1 global, 2 weak) */
  bind: number;
  shndx: number;
  value: number;
  size: number;
}

export interface ElfRel {
  offset: number;
  sym: number;
  type: number;
}

export interface ElfFile {
  sections: ElfSection[];
  symbols: ElfSymbol[];
  section(name: string): ElfSection | undefined;
  /** Relocations that apply to section `index`. */
  relocationsFor(index: number): ElfRel[];
}

const MAX_SECTION_NAME = 256;

function cstr(b: Uint8Array, off: number, what: string): string {
  if (off < 0 || off >= b.length)
    throw new ElfError(`${what}: string offset ${off} is outside the string table (${b.length} bytes)`);
  let s = '';
  for (let i = off; i < b.length && s.length < 4096; i++) {
    const c = b[i] as number;
    if (c === 0) return s;
    s += String.fromCharCode(c);
  }
  throw new ElfError(`${what}: unterminated string at offset ${off}`);
}

export function parseElf(bytes: Uint8Array): ElfFile {
  if (bytes.length < 64)
    throw new ElfError(`not an ELF object: ${bytes.length} bytes is shorter than an ELF header`);
  if (bytes[0] !== 0x7f || bytes[1] !== 0x45 || bytes[2] !== 0x4c || bytes[3] !== 0x46)
    throw new ElfError('not an ELF object (bad magic)');
  if (bytes[4] !== 2) throw new ElfError('32-bit ELF: BPF objects are ELF64');
  if (bytes[5] !== 1)
    throw new ElfError(
      'big-endian ELF: only little-endian BPF objects (-target bpf on x86/arm64, or bpfel) are supported',
    );
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const machine = dv.getUint16(18, true);
  // libbpf's bpf_object__elf_init: "Old LLVM set e_machine to EM_NONE".
  if (machine !== EM_BPF && machine !== EM_NONE)
    throw new ElfError(
      `wrong machine ${machine}: not a BPF object (expected EM_BPF = 247; build with clang -target bpf)`,
    );
  const u64 = (o: number): number => {
    const v = dv.getBigUint64(o, true);
    if (v > BigInt(Number.MAX_SAFE_INTEGER))
      throw new ElfError(`field at 0x${o.toString(16)} is out of range`);
    return Number(v);
  };
  const shoff = u64(0x28);
  const shentsize = dv.getUint16(0x3a, true);
  const shnum = dv.getUint16(0x3c, true);
  const shstrndx = dv.getUint16(0x3e, true);
  if (shnum === 0) throw new ElfError('the object has no sections');
  if (shentsize < 64) throw new ElfError(`section header size ${shentsize} is too small`);
  if (shoff + shnum * shentsize > bytes.length)
    throw new ElfError(
      `section headers (${shnum} at 0x${shoff.toString(16)}) run past the end of the file (${bytes.length} bytes): truncated?`,
    );
  const raw = Array.from({ length: shnum }, (_, i) => {
    const o = shoff + i * shentsize;
    const type = dv.getUint32(o + 4, true);
    const offset = u64(o + 24);
    const size = u64(o + 32);
    if (type === SHT_NOBITS && size > 1 << 26)
      throw new ElfError(`section ${i} reserves ${size} bytes of zeros: more than the 64 MiB the VM accepts`);
    if (type !== SHT_NOBITS && type !== 0 && offset + size > bytes.length)
      throw new ElfError(
        `section ${i} (offset 0x${offset.toString(16)}, ${size} bytes) runs past the end of the file: truncated?`,
      );
    return {
      nameOff: dv.getUint32(o, true),
      type,
      flags: u64(o + 8),
      offset,
      size,
      link: dv.getUint32(o + 40, true),
      info: dv.getUint32(o + 44, true),
    };
  });
  const shstr = raw[shstrndx];
  if (!shstr) throw new ElfError(`section-name table index ${shstrndx} does not exist`);
  const names = bytes.subarray(shstr.offset, shstr.offset + shstr.size);
  const sections: ElfSection[] = raw.map((s, index) => ({
    index,
    name: index === 0 ? '' : cstr(names, s.nameOff, `name of section ${index}`).slice(0, MAX_SECTION_NAME),
    type: s.type,
    flags: s.flags,
    offset: s.offset,
    size: s.size,
    link: s.link,
    info: s.info,
    data: s.type === SHT_NOBITS ? new Uint8Array(s.size) : bytes.subarray(s.offset, s.offset + s.size),
  }));
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  const symbols: ElfSymbol[] = [];
  if (symtab) {
    const strs = sections[symtab.link];
    if (!strs) throw new ElfError(`the symbol table's string table (section ${symtab.link}) does not exist`);
    const sdv = new DataView(symtab.data.buffer, symtab.data.byteOffset, symtab.data.byteLength);
    for (let o = 0, i = 0; o + 24 <= symtab.data.length; o += 24, i++) {
      const info = sdv.getUint8(o + 4);
      const value = sdv.getBigUint64(o + 8, true);
      const size = sdv.getBigUint64(o + 16, true);
      symbols.push({
        index: i,
        name: cstr(strs.data, sdv.getUint32(o, true), `name of symbol ${i}`),
        type: info & 15,
        bind: info >> 4,
        shndx: sdv.getUint16(o + 6, true),
        value: value > 0xffffffffn ? -1 : Number(value),
        size: size > 0xffffffffn ? -1 : Number(size),
      });
    }
  }
  const rels = new Map<number, ElfRel[]>();
  for (const s of sections) {
    if (s.type !== SHT_REL) continue;
    const list: ElfRel[] = [];
    const rdv = new DataView(s.data.buffer, s.data.byteOffset, s.data.byteLength);
    for (let o = 0; o + 16 <= s.data.length; o += 16) {
      const info = rdv.getBigUint64(o + 8, true);
      const off = rdv.getBigUint64(o, true);
      list.push({
        offset: off > 0xffffffffn ? -1 : Number(off),
        sym: Number(info >> 32n),
        type: Number(info & 0xffffffffn),
      });
    }
    rels.set(s.info, [...(rels.get(s.info) ?? []), ...list]);
  }
  return {
    sections,
    symbols,
    section: (name) => sections.find((s) => s.name === name),
    relocationsFor: (index) => rels.get(index) ?? [],
  };
}
