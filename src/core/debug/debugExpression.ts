// The small C expression evaluator of the debugger (hovers, watches, the debug console and
// conditional breakpoints): locals by name, r0–r10 and pkt[OFF], member access, `*p`, subscripts,
// arithmetic, comparisons and && ||, over the C values debugValues.ts reads for a stopped frame.
import { bytesToBig, M64, pointerText, readMemory } from './debugValues';
import type { FrameContext, TypedValue } from './debugValues';

export class EvalError extends Error {}

/** Names the evaluator resolves: the frame's locals by name. */
export interface Scope {
  lookup(name: string): TypedValue | undefined;
}

type Val = { tv: TypedValue } | { n: bigint };

/**
 * Evaluates a C expression over locals, r0–r10 and pkt[OFF]: member access (`.`, `->`), `*p`,
 * subscripts, + - * & | and comparisons with && || (conditional breakpoints).
 */
export function evaluate(cx: FrameContext, scope: Scope, text: string): Val {
  const toks =
    text.match(/0x[0-9a-fA-F]+|\d+|[A-Za-z_]\w*|->|==|!=|<=|>=|&&|\|\||<<|>>|[-+*/%&|^<>!()[\].~]/g) ?? [];
  if (toks.join('').replace(/\s/g, '') !== text.replace(/\s/g, ''))
    throw new EvalError(`cannot parse '${text}'`);
  let i = 0;
  const peek = (): string | undefined => toks[i];
  const eat = (t: string): boolean => (toks[i] === t ? (i++, true) : false);
  const num = (v: Val): bigint => {
    if ('n' in v) return v.n;
    const tv = v.tv;
    if (tv.unavailable !== undefined || !tv.bytes)
      throw new EvalError(`value is ${tv.unavailable ?? 'unavailable'}`);
    const t = cx.types?.resolve(tv.type);
    const signed = (t?.kind === 'base' || t?.kind === 'enum') && t.signed;
    return bytesToBig(tv.bytes.subarray(0, 8), signed);
  };
  const member = (v: Val, name: string, arrow: boolean): Val => {
    let tv = 'tv' in v ? v.tv : undefined;
    if (!tv) throw new EvalError(`'${name}': not a struct`);
    if (arrow) tv = derefVal(tv);
    const t = cx.types?.resolve(tv.type);
    if (!t || (t.kind !== 'struct' && t.kind !== 'union')) throw new EvalError(`'${name}': not a struct`);
    const m = t.members.find((x) => x.name === name);
    if (!m) throw new EvalError(`no member '${name}'`);
    const size = cx.types?.sizeOf(m.type) ?? 0;
    return {
      tv: {
        type: m.type,
        ...(tv.bytes ? { bytes: tv.bytes.subarray(m.offset, m.offset + size) } : {}),
        ...(tv.addr !== undefined ? { addr: tv.addr + BigInt(m.offset) } : {}),
        ...(tv.unavailable ? { unavailable: tv.unavailable } : {}),
      },
    };
  };
  const derefVal = (tv: TypedValue, index = 0n): TypedValue => {
    const t = cx.types?.resolve(tv.type);
    if (t?.kind === 'array') {
      const es = cx.types?.sizeOf(t.elem) ?? 1;
      const o = Number(index) * es;
      if (!tv.bytes || o < 0 || o + es > tv.bytes.length) throw new EvalError('index out of range');
      return {
        type: t.elem,
        bytes: tv.bytes.subarray(o, o + es),
        ...(tv.addr !== undefined ? { addr: tv.addr + BigInt(o) } : {}),
      };
    }
    if (t?.kind !== 'pointer') throw new EvalError('not a pointer');
    const p = bytesToBig(tv.bytes?.subarray(0, 8) ?? new Uint8Array(0));
    const size = cx.types?.sizeOf(t.target) || 1;
    const addr = p + index * BigInt(size);
    const b = readMemory(cx.memory, addr, size);
    if (typeof b === 'string')
      throw new EvalError(`cannot read *${pointerText(p, cx.memory) ?? '0x' + p.toString(16)}: ${b}`);
    return { type: t.target, bytes: b, addr };
  };
  const primary = (): Val => {
    const t = toks[i++];
    if (t === undefined) throw new EvalError('unexpected end of expression');
    if (t === '(') {
      const v = or();
      if (!eat(')')) throw new EvalError("missing ')'");
      return v;
    }
    if (/^(0x[0-9a-fA-F]+|\d+)$/.test(t)) return { n: BigInt(t) };
    if (t === 'pkt' && peek() === '[') {
      i++;
      const off = Number(num(or()));
      if (!eat(']')) throw new EvalError("missing ']'");
      const b = cx.memory.buffer;
      if (off < 0 || b.data + off >= b.dataEnd)
        throw new EvalError(`pkt[${off}] is outside the packet (${b.dataEnd - b.data} bytes)`);
      return { n: BigInt(b.bytes[b.data + off] as number) };
    }
    const reg = /^r(\d|10)$/.exec(t);
    if (reg) return { n: cx.reg(Number(reg[1])) };
    if (/^[A-Za-z_]\w*$/.test(t)) {
      const tv = scope.lookup(t);
      if (!tv) throw new EvalError(`'${t}' is not a local in scope here`);
      return { tv };
    }
    throw new EvalError(`unexpected '${t}'`);
  };
  const postfix = (): Val => {
    let v = primary();
    for (;;) {
      if (eat('.')) v = member(v, toks[i++] ?? '', false);
      else if (eat('->')) v = member(v, toks[i++] ?? '', true);
      else if (eat('[')) {
        const idx = num(or());
        if (!eat(']')) throw new EvalError("missing ']'");
        if (!('tv' in v)) throw new EvalError('subscript of a number');
        v = { tv: derefVal(v.tv, idx) };
      } else return v;
    }
  };
  const unary = (): Val => {
    if (eat('-')) return { n: -num(unary()) & M64 };
    if (eat('!')) return { n: num(unary()) ? 0n : 1n };
    if (eat('~')) return { n: ~num(unary()) & M64 };
    if (eat('*')) {
      const v = unary();
      if (!('tv' in v)) throw new EvalError('dereference of a number');
      return { tv: derefVal(v.tv) };
    }
    return postfix();
  };
  const binary =
    (next: () => Val, ops: string[], f: (op: string, a: bigint, b: bigint) => bigint): (() => Val) =>
    () => {
      let v = next();
      for (let op = peek(); op !== undefined && ops.includes(op); op = peek()) {
        i++;
        v = { n: f(op, num(v), num(next())) };
      }
      return v;
    };
  const mul = binary(unary, ['*', '/', '%'], (op, a, b) => {
    if (op !== '*' && b === 0n) throw new EvalError('division by zero');
    return op === '*' ? a * b : op === '/' ? a / b : a % b;
  });
  const add = binary(mul, ['+', '-'], (op, a, b) => (op === '+' ? a + b : a - b));
  const shift = binary(add, ['<<', '>>'], (op, a, b) => (op === '<<' ? (a << b) & M64 : a >> b));
  const cmp = binary(shift, ['<', '<=', '>', '>='], (op, a, b) =>
    (op === '<' ? a < b : op === '<=' ? a <= b : op === '>' ? a > b : a >= b) ? 1n : 0n,
  );
  const eq = binary(cmp, ['==', '!='], (op, a, b) => ((op === '==') === (a === b) ? 1n : 0n));
  const band = binary(eq, ['&'], (_op, a, b) => a & b);
  const bxor = binary(band, ['^'], (_op, a, b) => a ^ b);
  const bor = binary(bxor, ['|'], (_op, a, b) => a | b);
  const and = binary(bor, ['&&'], (_op, a, b) => (a && b ? 1n : 0n));
  const or = binary(and, ['||'], (_op, a, b) => (a || b ? 1n : 0n));
  const v = or();
  if (i < toks.length) throw new EvalError(`unexpected '${toks[i]}'`);
  return v;
}

/** The number an evaluated value stands for (conditions). */
export function truthy(cx: FrameContext, v: Val): boolean {
  if ('n' in v) return v.n !== 0n;
  if (!v.tv.bytes) throw new EvalError(`value is ${v.tv.unavailable ?? 'unavailable'}`);
  void cx;
  return v.tv.bytes.some((b) => b !== 0);
}

export type { Val as EvalValue };
