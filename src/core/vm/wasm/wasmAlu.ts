// ALU, ALU64 and jump conditions of the wasm tier: each eBPF operation as wasm on i64 register
// locals — 32-bit operations on the wrapped low word with a zero-extended result, the kernel's
// division semantics (x/0 = 0, x%0 = x, INT_MIN/-1 = INT_MIN: no wasm trap), movsx and byte swaps.
import * as I from '../isa';
import type { Insn } from '../isa';
import type { ByteSink } from './wasmEmitter';
import { I32, I64, Op } from './wasmEmitter';
import { TEMP_I32, TEMP_I64 } from './wasmFrame';

/** Pushes the 64-bit source: register or sign-extended immediate. */
function src64(c: ByteSink, i: Insn, s: number): void {
  if (s >= 0) c.get(s);
  else c.i64(i.imm);
}

function src32(c: ByteSink, i: Insn, s: number): void {
  if (s >= 0) c.get(s).op(Op.i32WrapI64);
  else c.i32(i.imm);
}

/** bswap32 of the i32 in TEMP_I32, pushed. */
function bswap32(c: ByteSink): void {
  const t = TEMP_I32;
  c.get(t).i32(24).op(Op.i32Shl);
  c.get(t).i32(0xff00).op(Op.i32And).i32(8).op(Op.i32Shl).op(Op.i32Or);
  c.get(t).i32(8).op(Op.i32ShrU).i32(0xff00).op(Op.i32And).op(Op.i32Or);
  c.get(t).i32(24).op(Op.i32ShrU).op(Op.i32Or);
}

/** Byte swap of register d by `width` bits (to big-endian, or ALU64 bswap). */
function bswap(c: ByteSink, d: number, width: number): void {
  if (width === 16) {
    c.get(d).op(Op.i32WrapI64).set(TEMP_I32);
    c.get(TEMP_I32).i32(0xff).op(Op.i32And).i32(8).op(Op.i32Shl);
    c.get(TEMP_I32).i32(8).op(Op.i32ShrU).i32(0xff).op(Op.i32And).op(Op.i32Or);
    c.op(Op.i64ExtendI32U).set(d);
  } else if (width === 32) {
    c.get(d).op(Op.i32WrapI64).set(TEMP_I32);
    bswap32(c);
    c.op(Op.i64ExtendI32U).set(d);
  } else {
    c.get(d).op(Op.i32WrapI64).set(TEMP_I32);
    bswap32(c);
    c.op(Op.i64ExtendI32U).i64(32).op(Op.i64Shl);
    c.get(d).i64(32).op(Op.i64ShrU).op(Op.i32WrapI64).set(TEMP_I32);
    bswap32(c);
    c.op(Op.i64ExtendI32U).op(Op.i64Or).set(d);
  }
}

const BIN64: Record<number, number> = {
  [I.ALU_ADD]: Op.i64Add,
  [I.ALU_SUB]: Op.i64Sub,
  [I.ALU_MUL]: Op.i64Mul,
  [I.ALU_OR]: Op.i64Or,
  [I.ALU_AND]: Op.i64And,
  [I.ALU_XOR]: Op.i64Xor,
  [I.ALU_LSH]: Op.i64Shl,
  [I.ALU_RSH]: Op.i64ShrU,
  [I.ALU_ARSH]: Op.i64ShrS,
};

const BIN32: Record<number, number> = {
  [I.ALU_ADD]: Op.i32Add,
  [I.ALU_SUB]: Op.i32Sub,
  [I.ALU_MUL]: Op.i32Mul,
  [I.ALU_OR]: Op.i32Or,
  [I.ALU_AND]: Op.i32And,
  [I.ALU_XOR]: Op.i32Xor,
  [I.ALU_LSH]: Op.i32Shl,
  [I.ALU_RSH]: Op.i32ShrU,
  [I.ALU_ARSH]: Op.i32ShrS,
};

/**
 * Division and modulo of d by the source (kernel semantics, RFC 9669 §4.1): leaves the result on
 * the stack. `wide` selects i64, `signed` BPF_SDIV/BPF_SMOD (off = 1).
 */
function divMod(
  c: ByteSink,
  i: Insn,
  d: number,
  s: number,
  wide: boolean,
  mod: boolean,
  signed: boolean,
): void {
  const T = wide ? TEMP_I64 : TEMP_I32 + 1;
  const ty = wide ? I64 : I32;
  const dst = (): void => {
    c.get(d);
    if (!wide) c.op(Op.i32WrapI64);
  };
  const zero = (): void => {
    if (wide) c.i64(0);
    else c.i32(0);
  };
  const op = wide
    ? mod
      ? signed
        ? Op.i64RemS
        : Op.i64RemU
      : signed
        ? Op.i64DivS
        : Op.i64DivU
    : mod
      ? signed
        ? Op.i32RemS
        : Op.i32RemU
      : signed
        ? Op.i32DivS
        : Op.i32DivU;
  if (s < 0) {
    // Constant divisor: the corner cases are known at compile time.
    if (i.imm === 0) return mod ? dst() : zero();
    if (signed && i.imm === -1) {
      if (mod) return zero();
      zero();
      dst();
      c.op(wide ? Op.i64Sub : Op.i32Sub);
      return;
    }
    dst();
    if (wide) c.i64(i.imm);
    else c.i32(i.imm);
    c.op(op);
    return;
  }
  if (wide) c.get(s).set(T);
  else c.get(s).op(Op.i32WrapI64).set(T);
  c.get(T)
    .op(wide ? Op.i64Eqz : Op.i32Eqz)
    .op(Op.if)
    .byte(ty);
  if (mod) dst();
  else zero();
  c.op(Op.else);
  if (signed) {
    // x / -1 = -x and x % -1 = 0 (wasm's div_s traps on INT_MIN / -1).
    c.get(T);
    if (wide) c.i64(-1).op(Op.i64Eq);
    else c.i32(-1).op(Op.i32Eq);
    c.op(Op.if).byte(ty);
    if (mod) zero();
    else {
      zero();
      dst();
      c.op(wide ? Op.i64Sub : Op.i32Sub);
    }
    c.op(Op.else);
    dst();
    c.get(T).op(op);
    c.op(Op.end);
  } else {
    dst();
    c.get(T).op(op);
  }
  c.op(Op.end);
}

/** One ALU64 instruction on register local d with source local s (-1: the immediate). */
export function emitAlu64(c: ByteSink, i: Insn, d: number, s: number): void {
  const code = i.op & 0xf0;
  const bin = BIN64[code];
  if (bin !== undefined) {
    c.get(d);
    src64(c, i, s);
    c.op(bin).set(d);
    return;
  }
  switch (code) {
    case I.ALU_DIV:
    case I.ALU_MOD:
      divMod(c, i, d, s, true, code === I.ALU_MOD, i.off === 1);
      c.set(d);
      return;
    case I.ALU_MOV:
      src64(c, i, s);
      if (i.off === 8) c.op(Op.i64Extend8S);
      else if (i.off === 16) c.op(Op.i64Extend16S);
      else if (i.off === 32) c.op(Op.i64Extend32S);
      c.set(d);
      return;
    case I.ALU_NEG:
      c.i64(0).get(d).op(Op.i64Sub).set(d);
      return;
    case I.ALU_END:
      bswap(c, d, i.imm);
      return;
    default:
      throw new Error(`wasm tier: ALU64 operation 0x${code.toString(16)}`);
  }
}

/** One 32-bit ALU instruction: computes on the low words, zero-extends the result into d. */
export function emitAlu32(c: ByteSink, i: Insn, d: number, s: number): void {
  const code = i.op & 0xf0;
  const bin = BIN32[code];
  if (bin !== undefined) {
    c.get(d).op(Op.i32WrapI64);
    src32(c, i, s);
    c.op(bin).op(Op.i64ExtendI32U).set(d);
    return;
  }
  switch (code) {
    case I.ALU_DIV:
    case I.ALU_MOD:
      divMod(c, i, d, s, false, code === I.ALU_MOD, i.off === 1);
      c.op(Op.i64ExtendI32U).set(d);
      return;
    case I.ALU_MOV:
      src32(c, i, s);
      if (i.off === 8) c.op(Op.i32Extend8S);
      else if (i.off === 16) c.op(Op.i32Extend16S);
      c.op(Op.i64ExtendI32U).set(d);
      return;
    case I.ALU_NEG:
      c.i32(0).get(d).op(Op.i32WrapI64).op(Op.i32Sub).op(Op.i64ExtendI32U).set(d);
      return;
    case I.ALU_END:
      if ((i.op & I.BPF_X) !== 0) bswap(c, d, i.imm);
      else if (i.imm === 16) c.get(d).i64(0xffff).op(Op.i64And).set(d);
      else if (i.imm === 32) c.get(d).i64(0xffffffff).op(Op.i64And).set(d);
      return;
    default:
      throw new Error(`wasm tier: ALU operation 0x${code.toString(16)}`);
  }
}

const COND64: Record<number, number> = {
  [I.JMP_JEQ]: Op.i64Eq,
  [I.JMP_JNE]: Op.i64Ne,
  [I.JMP_JGT]: Op.i64GtU,
  [I.JMP_JGE]: Op.i64GeU,
  [I.JMP_JLT]: Op.i64LtU,
  [I.JMP_JLE]: Op.i64LeU,
  [I.JMP_JSGT]: Op.i64GtS,
  [I.JMP_JSGE]: Op.i64GeS,
  [I.JMP_JSLT]: Op.i64LtS,
  [I.JMP_JSLE]: Op.i64LeS,
};

const COND32: Record<number, number> = {
  [I.JMP_JEQ]: Op.i32Eq,
  [I.JMP_JNE]: Op.i32Ne,
  [I.JMP_JGT]: Op.i32GtU,
  [I.JMP_JGE]: Op.i32GeU,
  [I.JMP_JLT]: Op.i32LtU,
  [I.JMP_JLE]: Op.i32LeU,
  [I.JMP_JSGT]: Op.i32GtS,
  [I.JMP_JSGE]: Op.i32GeS,
  [I.JMP_JSLT]: Op.i32LtS,
  [I.JMP_JSLE]: Op.i32LeS,
};

/** Pushes the i32 condition of a conditional jump (JMP: 64-bit, JMP32: low words). */
export function emitCond(c: ByteSink, i: Insn, d: number, s: number): void {
  const code = i.op & 0xf0;
  if (I.opClass(i.op) === I.BPF_JMP) {
    c.get(d);
    src64(c, i, s);
    if (code === I.JMP_JSET) c.op(Op.i64And).op(Op.i64Eqz).op(Op.i32Eqz);
    else c.op(COND64[code] as number);
    return;
  }
  c.get(d).op(Op.i32WrapI64);
  src32(c, i, s);
  if (code !== I.JMP_JSET) c.op(COND32[code] as number);
  else c.op(Op.i32And);
}
