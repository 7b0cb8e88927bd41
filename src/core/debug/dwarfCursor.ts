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
