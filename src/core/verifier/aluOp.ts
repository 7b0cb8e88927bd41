// ALU instructions (verifier.c check_alu_op, adjust_reg_min_max_vals, adjust_ptr_min_max_vals,
// check_reg_sane_offset): moves, scalar arithmetic and the pointer arithmetic each type allows.
import * as I from '../vm/isa';
import type { Insn } from '../vm/isa';
import { fail, regTypeStr } from './env';
import type { VerifierEnv } from './env';
import { BPF_MAX_VAR_OFF } from './state';
import {
  ADD_CONST32,
  ADD_CONST64,
  addConst,
  assignScalarIdBeforeMov,
  baseId,
  clearScalarId,
  constValue,
  isConst,
  mark32Unbounded,
  mark64Unbounded,
  markKnownP,
  markUnknown,
  Reg,
  regWidth,
} from './regState';
import {
  coerceRegToSize,
  coerceRegToSizeSx,
  coerceSubregToSizeSx,
  regBoundsSync,
  zext32To64,
} from './regBounds';
import { adjustScalarMinMaxVals } from './scalarAlu';
import { markPrecise } from './precision';
import type { VState } from './state';
import { tnumAdd, tnumIsConst, tnumP, tnumSub } from './tnum';
import type { Tnum } from './tnum';
import { P, add64, sAddOverflows, sle, slt, sSubOverflows, sub64, toS64, ult } from './pair64';

const ALU_NAMES: Record<number, string> = {
  0x00: '+=',
  0x10: '-=',
  0x20: '*=',
  0x30: '/=',
  0x40: '|=',
  0x50: '&=',
  0x60: '<<=',
  0x70: '>>=',
  0x80: 'neg',
  0x90: '%=',
  0xa0: '^=',
  0xb0: '=',
  0xc0: 's>>=',
  0xd0: 'endian',
};

/** check_reg_arg(SRC_OP) */
export function readReg(st: VState, regno: number): Reg {
  if (regno > 10) fail(`R${regno} is invalid`);
  const r = st.cur.reg(regno);
  if (r.type === 'not_init') fail(`R${regno} !read_ok`);
  return r;
}

/** check_reg_arg(DST_OP) */
export function writeReg(st: VState, regno: number): Reg {
  if (regno > 10) fail(`R${regno} is invalid`);
  if (regno === 10) fail('frame pointer is read only');
  return st.cur.reg(regno);
}

/** s64 (h, l) ≥ BPF_MAX_VAR_OFF or ≤ -BPF_MAX_VAR_OFF (check_reg_sane_offset's limits). */
const beyondVarOff = (h: number, l: number): boolean =>
  sle(0, BPF_MAX_VAR_OFF, h, l) || sle(h, l, -1, -BPF_MAX_VAR_OFF);

/** Scratch registers of this file (each used only between its assign and the end of one check). */
const IMM = new Reg();
const SRC_COPY = new Reg();
const OFF_COPY = new Reg();
const PTR_COPY = new Reg();

/** s64 pair as a Number (exact for |v| < 2^53; callers use it only for small values). */
const toNum = (h: number, l: number): number => h * 0x100000000 + (l >>> 0);

/** check_reg_sane_offset (on the int32 pairs: BigInts only for a message). */
function saneOffset(r: Reg, type: string): void {
  const t = r.varOff;
  if (t.mh === 0 && t.ml === 0 && beyondVarOff(t.vh, t.vl))
    fail(`math between ${type} pointer and ${toS64(t.vh, t.vl)} is not allowed`);
  if (r.off >= BPF_MAX_VAR_OFF || r.off <= -BPF_MAX_VAR_OFF)
    fail(`${type} pointer offset ${r.off} is not allowed`);
  if (r.sminH === -0x80000000 && r.sminL === 0)
    fail(`math between ${type} pointer and register with unbounded min value is not allowed`);
  if (beyondVarOff(r.sminH, r.sminL)) fail(`value ${r.smin} makes ${type} pointer be out of bounds`);
}

/** adjust_ptr_min_max_vals' BPF_ADD bounds: s64 and u64 sums, unbounded on overflow. */
function addBounds(dst: Reg, p: Reg, off: Reg): void {
  const o1 = sAddOverflows(p.sminH, p.sminL, off.sminH, off.sminL);
  const sminH = P.hi;
  const sminL = P.lo;
  if (o1 || sAddOverflows(p.smaxH, p.smaxL, off.smaxH, off.smaxL)) mark64SUnbounded(dst);
  else {
    dst.sminH = sminH;
    dst.sminL = sminL;
    dst.smaxH = P.hi;
    dst.smaxL = P.lo;
  }
  const c1 = add64(p.uminH, p.uminL, off.uminH, off.uminL);
  const uminH = P.hi;
  const uminL = P.lo;
  if (c1 || add64(p.umaxH, p.umaxL, off.umaxH, off.umaxL)) mark64UUnbounded(dst);
  else {
    dst.uminH = uminH;
    dst.uminL = uminL;
    dst.umaxH = P.hi;
    dst.umaxL = P.lo;
  }
}

/** adjust_ptr_min_max_vals' BPF_SUB bounds. */
function subBounds(dst: Reg, p: Reg, off: Reg): void {
  const o1 = sSubOverflows(p.sminH, p.sminL, off.smaxH, off.smaxL);
  const sminH = P.hi;
  const sminL = P.lo;
  if (o1 || sSubOverflows(p.smaxH, p.smaxL, off.sminH, off.sminL)) mark64SUnbounded(dst);
  else {
    dst.sminH = sminH;
    dst.sminL = sminL;
    dst.smaxH = P.hi;
    dst.smaxL = P.lo;
  }
  if (ult(p.uminH, p.uminL, off.umaxH, off.umaxL)) mark64UUnbounded(dst);
  else {
    sub64(p.uminH, p.uminL, off.umaxH, off.umaxL);
    const uminH = P.hi;
    const uminL = P.lo;
    sub64(p.umaxH, p.umaxL, off.uminH, off.uminL);
    dst.uminH = uminH;
    dst.uminL = uminL;
    dst.umaxH = P.hi;
    dst.umaxL = P.lo;
  }
}

function mark64SUnbounded(r: Reg): void {
  r.sminH = -0x80000000;
  r.sminL = 0;
  r.smaxH = 0x7fffffff;
  r.smaxL = -1;
}
function mark64UUnbounded(r: Reg): void {
  r.uminH = r.uminL = 0;
  r.umaxH = r.umaxL = -1;
}

/** adjust_ptr_min_max_vals: dst = ptr op off (dst may be either operand's register). */
function adjustPtr(env: VerifierEnv, insn: Insn, dst: Reg, ptr: Reg, offIn: Reg): void {
  const op = insn.op & 0xf0;
  const dr = insn.dst;
  // Copies (dst may be either operand's register) into scratch registers: no allocation per insn.
  const off = OFF_COPY;
  off.assign(offIn);
  const known = tnumIsConst(off.varOff);
  if ((insn.op & 7) !== I.BPF_ALU64) {
    if (op === I.ALU_SUB) return markUnknown(dst);
    fail(`R${dr} 32-bit pointer arithmetic prohibited`);
  }
  if (ptr.maybeNull) fail(`R${dr} pointer arithmetic on ${regTypeStr(ptr)} prohibited, null-check it first`);
  switch (ptr.type) {
    case 'ctx':
    case 'map_value':
    case 'map_key':
    case 'stack':
    case 'pkt_meta':
    case 'pkt':
    case 'btf_id':
    case 'mem':
    case 'func':
    case 'dynptr_ptr':
      break;
    default:
      // CONST_PTR_TO_MAP: only `+= 0` (smin_val is the known value).
      if (ptr.type === 'map_ptr' && known && off.sminH === 0 && off.sminL === 0 && op === I.ALU_ADD) break;
      fail(`R${dr} pointer arithmetic on ${regTypeStr(ptr)} prohibited`);
  }
  const sminEqSmax = off.sminH === off.smaxH && off.sminL === off.smaxL;
  const uminEqUmax = off.uminH === off.umaxH && off.uminL === off.umaxL;
  if (
    (known && (!sminEqSmax || !uminEqUmax)) ||
    slt(off.smaxH, off.smaxL, off.sminH, off.sminL) ||
    ult(off.umaxH, off.umaxL, off.uminH, off.uminL)
  )
    return markUnknown(dst);
  const p = PTR_COPY;
  p.assign(ptr);
  const typeS = regTypeStr(ptr);
  dst.assign(p);
  saneOffset(off, typeS);
  saneOffset(p, typeS);
  mark32Unbounded(dst);
  switch (op) {
    case I.ALU_ADD: {
      // A known offset (|smin| < BPF_MAX_VAR_OFF after check_reg_sane_offset) folds into off
      // while the sum fits in s32: a Number is exact here.
      const sum = p.off + toNum(off.sminH, off.sminL);
      if (known && sum === (sum | 0)) {
        dst.off = sum;
        break;
      }
      addBounds(dst, p, off);
      dst.varOff = tnumAdd(p.varOff, off.varOff);
      if (p.isPkt()) {
        dst.id = ++env.idGen;
        dst.range = 0;
      }
      break;
    }
    case I.ALU_SUB: {
      if (dst === offIn) fail(`R${dr} tried to subtract pointer from scalar`);
      if (p.type === 'stack') fail(`R${dr} subtraction from stack pointer prohibited`);
      const diff = p.off - toNum(off.sminH, off.sminL);
      if (known && diff === (diff | 0)) {
        dst.off = diff;
        break;
      }
      subBounds(dst, p, off);
      dst.varOff = tnumSub(p.varOff, off.varOff);
      if (p.isPkt()) {
        dst.id = ++env.idGen;
        if (off.sminH < 0) dst.range = 0;
      }
      break;
    }
    case I.ALU_AND:
    case I.ALU_OR:
    case I.ALU_XOR:
      return fail(`R${dr} bitwise operator ${ALU_NAMES[op]} on pointer prohibited`);
    default:
      fail(`R${dr} pointer arithmetic with ${ALU_NAMES[op]} operator prohibited`);
  }
  saneOffset(dst, typeS);
  regBoundsSync(dst);
}

/** check_alu_op */
/** swab16 / swab32 of the low bits of a 32-bit word. */
const swab16 = (x: number): number => ((x & 0xff) << 8) | ((x >>> 8) & 0xff);
const swab32 = (x: number): number =>
  ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | ((x >>> 24) & 0xff);

/** tnum_bswap16/32/64: value and mask byte-swapped at `width` bits (the bits above it dropped). */
function tnumBswap(t: Tnum, width: number): Tnum {
  if (width === 16) return tnumP(0, swab16(t.vl), 0, swab16(t.ml));
  if (width === 32) return tnumP(0, swab32(t.vl), 0, swab32(t.ml));
  return tnumP(swab32(t.vl), swab32(t.vh), swab32(t.ml), swab32(t.mh));
}

export function checkAluOp(env: VerifierEnv, st: VState, insn: Insn): void {
  const op = insn.op & 0xf0;
  const alu64 = (insn.op & 7) === I.BPF_ALU64;
  const srcX = (insn.op & I.BPF_X) !== 0;
  if (op === I.ALU_END || op === I.ALU_NEG) {
    if (op === I.ALU_NEG && (srcX || insn.src || insn.off || insn.imm)) fail('BPF_NEG uses reserved fields');
    if (op === I.ALU_END && (insn.src || insn.off || ![16, 32, 64].includes(insn.imm) || (alu64 && srcX)))
      fail('BPF_END uses reserved fields');
    const d = readReg(st, insn.dst);
    writeReg(st, insn.dst);
    if (d.type !== 'scalar') return markUnknown(d);
    if (op === I.ALU_NEG) {
      SRC_COPY.assign(d);
      adjustScalarMinMaxVals(op, !alu64, d, SRC_COPY);
      d.id = 0;
      return;
    }
    // BPF_END (scalar_byte_swap): to_be and bswap reorder the bytes (the host is little endian) and
    // the tnum follows them (tnum_bswap16/32/64), the bounds then re-derived from it; a 16- or 32-bit
    // result is also truncated to its width (coerce_reg_to_size); to_le is only that truncation.
    const width = insn.imm;
    d.id = 0;
    if (alu64 || srcX) {
      d.varOff = tnumBswap(d.varOff, width);
      mark64Unbounded(d);
      mark32Unbounded(d);
    }
    if (width < 64) coerceRegToSize(d, width / 8);
    regBoundsSync(d);
    return;
  }
  if (op === I.ALU_MOV) {
    if (srcX) {
      if (insn.imm) fail('BPF_MOV uses reserved fields');
      const validOff = insn.off === 0 || insn.off === 8 || insn.off === 16 || (alu64 && insn.off === 32);
      if (!validOff) fail('BPF_MOV uses reserved fields');
      const s = readReg(st, insn.src);
      const d = writeReg(st, insn.dst);
      if (alu64) {
        if (insn.off === 0) {
          assignScalarIdBeforeMov(env, s);
          d.assign(s);
        } else {
          // is_pointer_value is false for a root load (allow_ptr_leaks): the pointer becomes unknown.
          if (s.type !== 'scalar') {
            markUnknown(d);
            return;
          }
          const noSext = regWidth(s) < insn.off;
          if (noSext) assignScalarIdBeforeMov(env, s);
          d.assign(s);
          if (!noSext) clearScalarId(d);
          coerceRegToSizeSx(d, insn.off / 8);
        }
      } else {
        if (s.type !== 'scalar') {
          markUnknown(d);
          zext32To64(d);
          regBoundsSync(d);
          return;
        }
        if (insn.off === 0) {
          const fits = regWidth(s) <= 32;
          if (fits) assignScalarIdBeforeMov(env, s);
          d.assign(s);
          if (!fits) clearScalarId(d);
          zext32To64(d);
        } else {
          const noSext = regWidth(s) < insn.off;
          if (noSext) assignScalarIdBeforeMov(env, s);
          d.assign(s);
          if (!noSext) clearScalarId(d);
          coerceSubregToSizeSx(d, insn.off / 8);
        }
        regBoundsSync(d);
      }
      return;
    }
    if (insn.src || insn.off) fail('BPF_MOV uses reserved fields');
    const d = writeReg(st, insn.dst);
    markUnknown(d);
    markKnownP(d, alu64 && insn.imm < 0 ? -1 : 0, insn.imm | 0);
    return;
  }
  if (op > I.ALU_END) fail(`invalid BPF_ALU opcode ${op.toString(16)}`);
  const signedDivMod = (op === I.ALU_DIV || op === I.ALU_MOD) && insn.off === 1;
  if (insn.off !== 0 && !signedDivMod) fail('BPF_ALU uses reserved fields');
  let src: Reg;
  if (srcX) {
    if (insn.imm) fail('BPF_ALU uses reserved fields');
    src = readReg(st, insn.src);
  } else {
    if (insn.src) fail('BPF_ALU uses reserved fields');
    src = IMM;
    markUnknown(src);
    markKnownP(src, alu64 && insn.imm < 0 ? -1 : 0, insn.imm | 0);
  }
  const dst = readReg(st, insn.dst);
  writeReg(st, insn.dst);
  if ((op === I.ALU_MOD || op === I.ALU_DIV) && !srcX && insn.imm === 0) fail('div by zero');
  if ((op === I.ALU_LSH || op === I.ALU_RSH || op === I.ALU_ARSH) && !srcX) {
    const size = alu64 ? 64 : 32;
    if (insn.imm < 0 || insn.imm >= size) fail(`invalid shift ${insn.imm}`);
  }
  // adjust_reg_min_max_vals
  if (src.type !== 'scalar') {
    if (dst.type !== 'scalar') {
      if (op === I.ALU_SUB) return markUnknown(dst);
      fail(`R${insn.dst} pointer ${ALU_NAMES[op]} pointer prohibited`);
    }
    markPrecise(env.insns, st, 1 << insn.dst);
    return adjustPtr(env, insn, dst, src, dst);
  }
  if (dst.type !== 'scalar') {
    if (srcX) markPrecise(env.insns, st, 1 << insn.src);
    return adjustPtr(env, insn, dst, dst, src);
  }
  // adjust_scalar_min_max_vals takes src by value: it changes only dst, so a copy is needed only
  // when both are one register (r1 += r1).
  if (src === dst) {
    SRC_COPY.assign(src);
    src = SRC_COPY;
  }
  const dstUmaxBeyond32 = dst.umaxH !== 0;
  adjustScalarMinMaxVals(op, !alu64, dst, src);
  linkConstDelta(dst, src, op, !alu64, dstUmaxBeyond32, srcX && insn.src === insn.dst);
  if (st.cur.peekReg(insn.dst) !== dst) throw new Error('register aliasing');
}

/**
 * adjust_reg_min_max_vals after the arithmetic: `rX += K` / `rX -= K` (64 or 32 bits) of a linked
 * scalar keeps the link as its copies plus K (BPF_ADD_CONST64/32 and `off`), once; any other result is
 * a new value, no longer linked (the id is dropped). `beyond32`: dst's umax before the op exceeded
 * U32_MAX (no 32-bit link then).
 */
function linkConstDelta(
  dst: Reg,
  src: Reg,
  op: number,
  alu32: boolean,
  beyond32: boolean,
  self: boolean,
): void {
  if ((op !== I.ALU_ADD && op !== I.ALU_SUB) || !dst.id || !isConst(src, alu32) || self) {
    clearScalarId(dst);
    return;
  }
  const val = constValue(src, alu32);
  const clear = (): void => {
    dst.off = 0;
    dst.id = 0;
  };
  if (!alu32 && (BigInt.asIntN(64, val) < -0x80000000n || BigInt.asIntN(64, val) > 0x7fffffffn))
    return clear();
  if (alu32 && beyond32) return clear();
  let off = Number(BigInt.asIntN(32, val));
  if (op === I.ALU_SUB) {
    if (off === -0x80000000) return clear();
    off = -off;
  }
  if (addConst(dst.id)) return clear();
  dst.id = baseId(dst.id) + (alu32 ? ADD_CONST32 : ADD_CONST64);
  dst.off = off;
}
