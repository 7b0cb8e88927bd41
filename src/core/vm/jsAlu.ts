// The JS tier's ALU and conditional-jump emission (compiler.ts): 64-bit values as (hi, lo) int32
// pairs, 32-bit ALU on the low word with the high word zeroed (the kernel's zero extension), byte
// swaps, shifts split at 32, and the 64/32-bit comparisons of the JMP and JMP32 classes.
import * as I from './isa';
import type { Insn } from './isa';

/** A number as a JavaScript literal (negatives parenthesised: `x - (-1)`). */
export const lit = (v: number): string => (v < 0 ? `(${v})` : String(v));

function bswap32(x: string): string {
  return `(((${x} & 0xff) << 24) | ((${x} & 0xff00) << 8) | ((${x} >>> 8) & 0xff00) | ((${x} >>> 24) & 0xff))`;
}

export function alu64(
  code: number,
  i: Insn,
  DH: string,
  DL: string,
  SH: string,
  SL: string,
  x: boolean,
  bad: (w: string) => never,
): string {
  switch (code) {
    case I.ALU_ADD: {
      const su = x ? `(${SL} >>> 0)` : String(i.imm >>> 0);
      const sh = x ? ` + ${SH}` : i.imm < 0 ? ' - 1' : '';
      return `t = (${DL} >>> 0) + ${su}; ${DH} = (${DH}${sh} + (t > 4294967295 ? 1 : 0)) | 0; ${DL} = t | 0;`;
    }
    case I.ALU_SUB: {
      const su = x ? `(${SL} >>> 0)` : String(i.imm >>> 0);
      const sh = x ? ` - ${SH}` : i.imm < 0 ? ' + 1' : '';
      return `t = (${DL} >>> 0) - ${su}; ${DH} = (${DH}${sh} - (t < 0 ? 1 : 0)) | 0; ${DL} = t | 0;`;
    }
    case I.ALU_MUL:
      return `${DL} = L.mul(${DH}, ${DL}, ${SH}, ${SL}); ${DH} = L.h;`;
    case I.ALU_DIV:
    case I.ALU_MOD: {
      if (i.off !== 0 && i.off !== 1) bad('invalid div/mod offset');
      const kind = (code === I.ALU_MOD ? 2 : 0) + i.off;
      return `${DL} = L.div(${kind}, ${DH}, ${DL}, ${SH}, ${SL}); ${DH} = L.h;`;
    }
    case I.ALU_OR:
      return `${DH} |= ${SH}; ${DL} |= ${SL};`;
    case I.ALU_AND:
      return `${DH} &= ${SH}; ${DL} &= ${SL};`;
    case I.ALU_XOR:
      return `${DH} ^= ${SH}; ${DL} ^= ${SL};`;
    case I.ALU_MOV:
      if (i.off === 0) return `${DH} = ${SH}; ${DL} = ${SL};`;
      if (!x) bad('movsx needs a register source');
      if (i.off === 8) return `${DL} = (${SL} << 24) >> 24; ${DH} = ${DL} >> 31;`;
      if (i.off === 16) return `${DL} = (${SL} << 16) >> 16; ${DH} = ${DL} >> 31;`;
      if (i.off === 32) return `${DL} = ${SL}; ${DH} = ${DL} >> 31;`;
      return bad('invalid movsx offset');
    case I.ALU_NEG:
      if (x) bad('invalid neg');
      return `${DL} = (~${DL} + 1) | 0; ${DH} = (~${DH} + (${DL} === 0 ? 1 : 0)) | 0;`;
    case I.ALU_LSH:
    case I.ALU_RSH:
    case I.ALU_ARSH: {
      if (!x) return shift64(code, DH, DL, (i.imm >>> 0) & 63);
      return `t = ${SL} & 63; if (t !== 0) { if (t < 32) { ${shiftBody(code, DH, DL, 't', false)} } else { ${shiftBody(code, DH, DL, 't - 32', true)} } }`;
    }
    case I.ALU_END:
      // ALU64 | END = unconditional byte swap (cpu v4).
      if (x) bad('invalid bswap');
      return bswap(i.imm, DH, DL, bad);
    default:
      return bad('unknown ALU64 operation');
  }
}

function shiftBody(code: number, DH: string, DL: string, t: string, wide: boolean): string {
  if (code === I.ALU_LSH)
    return wide
      ? `${DH} = ${DL} << (${t}); ${DL} = 0;`
      : `${DH} = (${DH} << ${t}) | (${DL} >>> (32 - ${t})); ${DL} = ${DL} << ${t};`;
  if (code === I.ALU_RSH)
    return wide
      ? `${DL} = (${DH} >>> (${t})) | 0; ${DH} = 0;`
      : `${DL} = ((${DL} >>> ${t}) | (${DH} << (32 - ${t}))) | 0; ${DH} = (${DH} >>> ${t}) | 0;`;
  return wide
    ? `${DL} = ${DH} >> (${t}); ${DH} = ${DH} >> 31;`
    : `${DL} = ((${DL} >>> ${t}) | (${DH} << (32 - ${t}))) | 0; ${DH} = ${DH} >> ${t};`;
}

function shift64(code: number, DH: string, DL: string, amount: number): string {
  if (amount === 0) return '';
  return amount < 32
    ? shiftBody(code, DH, DL, String(amount), false)
    : shiftBody(code, DH, DL, String(amount - 32), true);
}

function bswap(imm: number, DH: string, DL: string, bad: (w: string) => never): string {
  if (imm === 16) return `${DL} = ((${DL} & 0xff) << 8) | ((${DL} >>> 8) & 0xff); ${DH} = 0;`;
  if (imm === 32) return `${DL} = ${bswap32(DL)}; ${DH} = 0;`;
  if (imm === 64) return `t = ${bswap32(DL)}; ${DL} = ${bswap32(DH)}; ${DH} = t;`;
  return bad('invalid byte-swap width');
}

export function alu32(
  code: number,
  i: Insn,
  DH: string,
  DL: string,
  SL: string,
  SU: string,
  x: boolean,
  bad: (w: string) => never,
): string {
  const z = `${DH} = 0;`;
  switch (code) {
    case I.ALU_ADD:
      return `${DL} = (${DL} + ${SL}) | 0; ${z}`;
    case I.ALU_SUB:
      return `${DL} = (${DL} - ${SL}) | 0; ${z}`;
    case I.ALU_MUL:
      return `${DL} = Math.imul(${DL}, ${SL}); ${z}`;
    case I.ALU_DIV:
      if (i.off === 0) return `t = ${SU}; ${DL} = t === 0 ? 0 : (((${DL} >>> 0) / t) >>> 0) | 0; ${z}`;
      if (i.off === 1) return `t = ${SL}; ${DL} = t === 0 ? 0 : (${DL} / t) | 0; ${z}`;
      return bad('invalid div offset');
    case I.ALU_MOD:
      if (i.off === 0) return `t = ${SU}; ${DL} = t === 0 ? ${DL} : ((${DL} >>> 0) % t) | 0; ${z}`;
      if (i.off === 1) return `t = ${SL}; ${DL} = t === 0 ? ${DL} : (${DL} % t) | 0; ${z}`;
      return bad('invalid mod offset');
    case I.ALU_OR:
      return `${DL} |= ${SL}; ${z}`;
    case I.ALU_AND:
      return `${DL} &= ${SL}; ${z}`;
    case I.ALU_XOR:
      return `${DL} ^= ${SL}; ${z}`;
    case I.ALU_MOV:
      if (i.off === 0) return `${DL} = ${SL}; ${z}`;
      if (!x) bad('movsx needs a register source');
      if (i.off === 8) return `${DL} = (${SL} << 24) >> 24; ${z}`;
      if (i.off === 16) return `${DL} = (${SL} << 16) >> 16; ${z}`;
      return bad('invalid movsx offset');
    case I.ALU_NEG:
      if (x) bad('invalid neg');
      return `${DL} = (-${DL}) | 0; ${z}`;
    case I.ALU_LSH:
      return `${DL} = ${DL} << (${SL} & 31); ${z}`;
    case I.ALU_RSH:
      return `${DL} = (${DL} >>> (${SL} & 31)) | 0; ${z}`;
    case I.ALU_ARSH:
      return `${DL} = ${DL} >> (${SL} & 31); ${z}`;
    case I.ALU_END:
      if (x) {
        // to big-endian: swap (the host, like every eBPF target we model, is little-endian)
        return bswap(i.imm, DH, DL, bad);
      }
      // to little-endian: truncation only
      if (i.imm === 16) return `${DL} &= 0xffff; ${z}`;
      if (i.imm === 32) return z;
      if (i.imm === 64) return '';
      return bad('invalid byte-swap width');
    default:
      return bad('unknown ALU operation');
  }
}

export function cond64(
  code: number,
  DH: string,
  DL: string,
  SH: string,
  SL: string,
  bad: (w: string) => never,
): string {
  const uhi = `(${DH} >>> 0) OP (${SH} >>> 0)`;
  const ulo = `(${DL} >>> 0) OP (${SL} >>> 0)`;
  const unsigned = (strict: string, eq: string): string =>
    `(${uhi.replace('OP', strict)} || (${DH} === ${SH} && ${ulo.replace('OP', eq)}))`;
  const signed = (strict: string, eq: string): string =>
    `(${DH} ${strict} ${SH} || (${DH} === ${SH} && ${ulo.replace('OP', eq)}))`;
  switch (code) {
    case I.JMP_JEQ:
      return `${DL} === ${SL} && ${DH} === ${SH}`;
    case I.JMP_JNE:
      return `${DL} !== ${SL} || ${DH} !== ${SH}`;
    case I.JMP_JSET:
      return `(${DL} & ${SL}) !== 0 || (${DH} & ${SH}) !== 0`;
    case I.JMP_JGT:
      return unsigned('>', '>');
    case I.JMP_JGE:
      return unsigned('>', '>=');
    case I.JMP_JLT:
      return unsigned('<', '<');
    case I.JMP_JLE:
      return unsigned('<', '<=');
    case I.JMP_JSGT:
      return signed('>', '>');
    case I.JMP_JSGE:
      return signed('>', '>=');
    case I.JMP_JSLT:
      return signed('<', '<');
    case I.JMP_JSLE:
      return signed('<', '<=');
    default:
      return bad('unknown jump operation');
  }
}

export function cond32(code: number, DL: string, SL: string, SU: string, bad: (w: string) => never): string {
  const u = `(${DL} >>> 0)`;
  switch (code) {
    case I.JMP_JEQ:
      return `${DL} === ${SL}`;
    case I.JMP_JNE:
      return `${DL} !== ${SL}`;
    case I.JMP_JSET:
      return `(${DL} & ${SL}) !== 0`;
    case I.JMP_JGT:
      return `${u} > ${SU}`;
    case I.JMP_JGE:
      return `${u} >= ${SU}`;
    case I.JMP_JLT:
      return `${u} < ${SU}`;
    case I.JMP_JLE:
      return `${u} <= ${SU}`;
    case I.JMP_JSGT:
      return `${DL} > ${SL}`;
    case I.JMP_JSGE:
      return `${DL} >= ${SL}`;
    case I.JMP_JSLT:
      return `${DL} < ${SL}`;
    case I.JMP_JSLE:
      return `${DL} <= ${SL}`;
    default:
      return bad('unknown jump operation');
  }
}
