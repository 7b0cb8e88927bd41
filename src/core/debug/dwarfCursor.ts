// The little-endian byte cursor every DWARF reader here walks a section with (.debug_info, the
// location and range lists, location expressions), and the error it throws: a read past the end
// names the section and the offset instead of a RangeError from a DataView.
import { ElfError } from '../elf/elfFile';

export class DwarfError extends ElfError {}

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
  /** Checks that n bytes remain, moves past them and returns where they start. */
  private take(n: number): number {
    if (this.o < 0 || this.o + n > this.b.length)
      throw new DwarfError(
        `${this.what}: read of ${n} bytes at offset ${this.o} runs past its end (${this.b.length} bytes)`,
      );
    const at = this.o;
    this.o += n;
    return at;
  }
  u8(): number {
    return this.dv.getUint8(this.take(1));
  }
  u16(): number {
    return this.dv.getUint16(this.take(2), true);
  }
  u24(): number {
    return this.u16() | (this.u8() << 16);
  }
  u32(): number {
    return this.dv.getUint32(this.take(4), true);
  }
  u64(): bigint {
    return this.dv.getBigUint64(this.take(8), true);
  }
  uleb(): number {
    return this.leb(false);
  }
  sleb(): number {
    return this.leb(true);
  }
  /** LEB128 (DWARF 5 §7.6), at most 10 bytes; a signed one extends its last byte's bit 6. */
  private leb(signed: boolean): number {
    let v = 0;
    let mul = 1;
    for (let i = 0; i < 10; i++) {
      const b = this.u8();
      v += (b & 0x7f) * mul;
      mul *= 128;
      if (!(b & 0x80)) return signed && b & 0x40 ? v - mul : v;
    }
    throw new DwarfError(`${this.what}: ${signed ? 'S' : 'U'}LEB128 at offset ${this.o} is too long`);
  }
  bytes(n: number): Uint8Array {
    const at = this.take(n);
    return this.b.subarray(at, at + n);
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
