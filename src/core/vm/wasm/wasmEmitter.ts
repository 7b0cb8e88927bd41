// A minimal WebAssembly binary writer (core spec 2.0 subset): LEB128, a byte sink for function
// bodies with the opcodes the eBPF→wasm compiler uses, and the module sections (type, import,
// function, export, code). Hand-written so the engine needs no dependency (wasm binary format §5).

/** Value types (binary format §5.3.1). */
export const I32 = 0x7f;
export const I64 = 0x7e;
export const F64 = 0x7c;
/** Block type "no result" (§5.4.1). */
export const VOID = 0x40;

/** The opcodes used by the compiler (§5.4). */
export const Op = {
  unreachable: 0x00,
  block: 0x02,
  loop: 0x03,
  if: 0x04,
  else: 0x05,
  end: 0x0b,
  br: 0x0c,
  brIf: 0x0d,
  brTable: 0x0e,
  return: 0x0f,
  call: 0x10,
  drop: 0x1a,
  select: 0x1b,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i64Load: 0x29,
  i64Load8S: 0x30,
  i64Load8U: 0x31,
  i64Load16S: 0x32,
  i64Load16U: 0x33,
  i64Load32S: 0x34,
  i64Load32U: 0x35,
  i32Store: 0x36,
  i64Store: 0x37,
  i64Store8: 0x3c,
  i64Store16: 0x3d,
  i64Store32: 0x3e,
  i32Const: 0x41,
  i64Const: 0x42,
  i32Eqz: 0x45,
  i32Eq: 0x46,
  i32Ne: 0x47,
  i32LtS: 0x48,
  i32LtU: 0x49,
  i32GtS: 0x4a,
  i32GtU: 0x4b,
  i32LeS: 0x4c,
  i32LeU: 0x4d,
  i32GeS: 0x4e,
  i32GeU: 0x4f,
  i64Eqz: 0x50,
  i64Eq: 0x51,
  i64Ne: 0x52,
  i64LtS: 0x53,
  i64LtU: 0x54,
  i64GtS: 0x55,
  i64GtU: 0x56,
  i64LeS: 0x57,
  i64LeU: 0x58,
  i64GeS: 0x59,
  i64GeU: 0x5a,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32Mul: 0x6c,
  i32DivS: 0x6d,
  i32DivU: 0x6e,
  i32RemS: 0x6f,
  i32RemU: 0x70,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32Shl: 0x74,
  i32ShrS: 0x75,
  i32ShrU: 0x76,
  i64Add: 0x7c,
  i64Sub: 0x7d,
  i64Mul: 0x7e,
  i64DivS: 0x7f,
  i64DivU: 0x80,
  i64RemS: 0x81,
  i64RemU: 0x82,
  i64And: 0x83,
  i64Or: 0x84,
  i64Xor: 0x85,
  i64Shl: 0x86,
  i64ShrS: 0x87,
  i64ShrU: 0x88,
  i32WrapI64: 0xa7,
  i64ExtendI32S: 0xac,
  i64ExtendI32U: 0xad,
  i32Extend8S: 0xc0,
  i32Extend16S: 0xc1,
  i64Extend8S: 0xc2,
  i64Extend16S: 0xc3,
  i64Extend32S: 0xc4,
} as const;

/** A growable byte sink with the LEB128 encodings of the binary format (§5.2.2). */
export class ByteSink {
  private buf = new Uint8Array(256);
  length = 0;

  byte(b: number): this {
    if (this.length === this.buf.length) {
      const bigger = new Uint8Array(this.buf.length * 2);
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.length++] = b & 0xff;
    return this;
  }

  bytes(bs: ArrayLike<number>): this {
    this.reserve(bs.length);
    for (let i = 0; i < bs.length; i++) this.buf[this.length++] = (bs[i] as number) & 0xff;
    return this;
  }

  private reserve(extra: number): void {
    if (this.length + extra <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.length + extra) size *= 2;
    const bigger = new Uint8Array(size);
    bigger.set(this.buf.subarray(0, this.length));
    this.buf = bigger;
  }

  u32(v: number): this {
    let x = v >>> 0;
    do {
      let b = x & 0x7f;
      x >>>= 7;
      if (x !== 0) b |= 0x80;
      this.byte(b);
    } while (x !== 0);
    return this;
  }

  s32(v: number): this {
    let x = v | 0;
    for (;;) {
      const b = x & 0x7f;
      x >>= 7;
      if ((x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0)) {
        this.byte(b);
        return this;
      }
      this.byte(b | 0x80);
    }
  }

  s64(v: bigint): this {
    let x = BigInt.asIntN(64, v);
    for (;;) {
      const b = Number(x & 0x7fn);
      x >>= 7n;
      if ((x === 0n && (b & 0x40) === 0) || (x === -1n && (b & 0x40) !== 0)) {
        this.byte(b);
        return this;
      }
      this.byte(b | 0x80);
    }
  }

  name(s: string): this {
    const codes = Array.from(s, (c) => c.charCodeAt(0) & 0x7f);
    return this.u32(codes.length).bytes(codes);
  }

  /** Appends another sink prefixed by its length (sections, function bodies). */
  sized(inner: ByteSink): this {
    return this.u32(inner.length).bytes(inner.buf.subarray(0, inner.length));
  }

  out(): Uint8Array {
    return this.buf.slice(0, this.length);
  }

  // ---- instruction shorthands -----------------------------------------------------------------
  op(o: number): this {
    return this.byte(o);
  }
  get(local: number): this {
    return this.byte(Op.localGet).u32(local);
  }
  set(local: number): this {
    return this.byte(Op.localSet).u32(local);
  }
  tee(local: number): this {
    return this.byte(Op.localTee).u32(local);
  }
  i32(v: number): this {
    return this.byte(Op.i32Const).s32(v);
  }
  i64(v: bigint | number): this {
    return this.byte(Op.i64Const).s64(BigInt(v));
  }
  /** A load or store with alignment hint 0 and a constant offset. */
  mem(o: number, offset = 0): this {
    return this.byte(o).u32(0).u32(offset);
  }
  call(fn: number): this {
    return this.byte(Op.call).u32(fn);
  }
  br(depth: number): this {
    return this.byte(Op.br).u32(depth);
  }
  brIf(depth: number): this {
    return this.byte(Op.brIf).u32(depth);
  }
}

/** A function type: parameter and result value types. */
export interface FuncType {
  params: number[];
  results: number[];
}

export interface ModuleSpec {
  types: FuncType[];
  /** Imported functions (module "e"), in function-index order, then the imported memory. */
  imports: { name: string; type: number }[];
  /** Memory import "e"."mem" with this many initial pages. */
  memoryPages: number;
  /** A shared memory of at most this many pages (its views survive growth: wasmTier.ts). */
  sharedMaxPages?: number;
  /** Defined functions: type index, extra locals (grouped by type), body (without the final end). */
  funcs: { type: number; locals: { count: number; type: number }[]; body: ByteSink }[];
  exports: { name: string; func: number }[];
}

/** Assembles a module (§5.5): magic, version, then the sections in their required order. */
export function assembleModule(spec: ModuleSpec): Uint8Array {
  const m = new ByteSink().bytes([0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00]);
  const section = (id: number, body: ByteSink): void => {
    m.byte(id).sized(body);
  };
  const types = new ByteSink().u32(spec.types.length);
  for (const t of spec.types) {
    types.byte(0x60).u32(t.params.length).bytes(t.params).u32(t.results.length).bytes(t.results);
  }
  section(1, types);
  const imports = new ByteSink().u32(spec.imports.length + 1);
  for (const i of spec.imports) imports.name('e').name(i.name).byte(0x00).u32(i.type);
  imports.name('e').name('mem').byte(0x02);
  if (spec.sharedMaxPages === undefined) imports.byte(0x00).u32(spec.memoryPages);
  else imports.byte(0x03).u32(spec.memoryPages).u32(spec.sharedMaxPages); // limits: shared, min, max
  section(2, imports);
  const funcs = new ByteSink().u32(spec.funcs.length);
  for (const f of spec.funcs) funcs.u32(f.type);
  section(3, funcs);
  const exports = new ByteSink().u32(spec.exports.length);
  for (const e of spec.exports) exports.name(e.name).byte(0x00).u32(e.func);
  section(7, exports);
  const code = new ByteSink().u32(spec.funcs.length);
  for (const f of spec.funcs) {
    // One code entry: its size, the local declarations, the body and its final `end`.
    const entry = new ByteSink().u32(f.locals.length);
    for (const l of f.locals) entry.u32(l.count).byte(l.type);
    entry.bytes(f.body.out()).byte(Op.end);
    code.sized(entry);
  }
  section(10, code);
  return m.out();
}
