// Folds constant C expressions (numbers, flags, XDP actions, #defines and enum constants of the file)
// so rules can check flags and return values. Anything not constant folds to undefined.
import type { SyntaxNode } from './syntaxTree';
import { bpfFlagByName } from '../bpf/flags';
import { xdpActionByName } from '../bpf/xdpActions';

export type ConstScope = ReadonlyMap<string, bigint>;

/** Constants outside our tables that XDP code commonly returns or passes by mistake. */
const extraConstants: Record<string, bigint> = {
  TC_ACT_UNSPEC: -1n,
  TC_ACT_OK: 0n,
  TC_ACT_SHOT: 2n,
  TC_ACT_REDIRECT: 7n,
  NULL: 0n,
  true: 1n,
  false: 0n,
};

export function lookupConstant(name: string, scope: ConstScope): bigint | undefined {
  const action = xdpActionByName(name);
  if (action) return BigInt(action.value);
  const flag = bpfFlagByName(name);
  if (
    flag &&
    (name.startsWith('BPF_F_') ||
      name.startsWith('BPF_ANY') ||
      name.startsWith('BPF_NOEXIST') ||
      name.startsWith('BPF_EXIST'))
  )
    return BigInt(flag.value);
  return scope.get(name) ?? extraConstants[name];
}

export function parseNumber(text: string): bigint | undefined {
  const neg = /^-\s*/.exec(text);
  if (neg) {
    const v = parseNumber(text.slice(neg[0].length));
    return v === undefined ? undefined : -v;
  }
  const t = text.replace(/[uUlL]+$/, '');
  try {
    if (/^0[xX][0-9a-fA-F]+$/.test(t) || /^0[bB][01]+$/.test(t) || /^[1-9]\d*$|^0$/.test(t)) return BigInt(t);
    if (/^0[0-7]+$/.test(t)) return BigInt('0o' + t.slice(1));
  } catch {
    return undefined;
  }
  return undefined;
}

export function evalConst(node: SyntaxNode | null | undefined, scope: ConstScope): bigint | undefined {
  if (!node) return undefined;
  switch (node.type) {
    case 'number_literal':
      return parseNumber(node.text);
    case 'char_literal': {
      const m = /^'(.)'$/.exec(node.text);
      return m?.[1] ? BigInt(m[1].charCodeAt(0)) : undefined;
    }
    case 'identifier':
    case 'true':
    case 'false':
    case 'null':
      return lookupConstant(node.text, scope);
    case 'parenthesized_expression':
      return evalConst(node.namedChildren[0], scope);
    case 'cast_expression':
      return evalConst(node.childForFieldName('value'), scope);
    case 'unary_expression': {
      const v = evalConst(node.childForFieldName('argument'), scope);
      if (v === undefined) return undefined;
      const op = node.childForFieldName('operator')?.text ?? node.child(0)?.text;
      if (op === '-') return -v;
      if (op === '+') return v;
      if (op === '~') return ~v;
      if (op === '!') return v === 0n ? 1n : 0n;
      return undefined;
    }
    case 'binary_expression': {
      const a = evalConst(node.childForFieldName('left'), scope);
      const b = evalConst(node.childForFieldName('right'), scope);
      if (a === undefined || b === undefined) return undefined;
      switch (node.childForFieldName('operator')?.text) {
        case '|':
          return a | b;
        case '&':
          return a & b;
        case '^':
          return a ^ b;
        case '+':
          return a + b;
        case '-':
          return a - b;
        case '*':
          return a * b;
        case '/':
          return b === 0n ? undefined : a / b;
        case '%':
          return b === 0n ? undefined : a % b;
        case '<<':
          return b >= 0n && b < 64n ? a << b : undefined;
        case '>>':
          return b >= 0n && b < 64n ? a >> b : undefined;
        default:
          return undefined;
      }
    }
    default:
      return undefined;
  }
}

/**
 * Folds a constant expression given as text (macro arguments such as `__uint(max_entries, 1 << 20)`
 * never reach the tree, see maskMacros.ts). Operators by C precedence: * / %, + -, << >>, &, ^, |.
 * `sizeofType` resolves sizeof(T).
 */
export function evalConstText(
  text: string,
  scope: ConstScope,
  sizeofType: (t: string) => number | undefined = () => undefined,
): bigint | undefined {
  const tokens =
    text.match(/sizeof\s*\([^()]*\)|0[xX][0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|\w+|<<|>>|[-+*/%&|^~()]/g) ?? [];
  if (tokens.join('').replace(/\s/g, '') !== text.replace(/\s/g, '')) return undefined;
  let i = 0;
  const levels: string[][] = [['|'], ['^'], ['&'], ['<<', '>>'], ['+', '-'], ['*', '/', '%']];
  const apply = (op: string, a: bigint, b: bigint): bigint | undefined => {
    switch (op) {
      case '|':
        return a | b;
      case '^':
        return a ^ b;
      case '&':
        return a & b;
      case '<<':
        return b >= 0n && b < 64n ? a << b : undefined;
      case '>>':
        return b >= 0n && b < 64n ? a >> b : undefined;
      case '+':
        return a + b;
      case '-':
        return a - b;
      case '*':
        return a * b;
      case '/':
        return b === 0n ? undefined : a / b;
      case '%':
        return b === 0n ? undefined : a % b;
      default:
        return undefined;
    }
  };
  const primary = (): bigint | undefined => {
    const t = tokens[i++];
    if (t === undefined) return undefined;
    if (t === '(') {
      const v = level(0);
      return tokens[i++] === ')' ? v : undefined;
    }
    if (t === '-' || t === '~' || t === '+') {
      const v = primary();
      return v === undefined ? undefined : t === '-' ? -v : t === '~' ? ~v : v;
    }
    const size = /^sizeof\s*\(([^()]*)\)$/.exec(t);
    if (size) {
      const n = sizeofType((size[1] ?? '').trim());
      return n === undefined ? undefined : BigInt(n);
    }
    return parseNumber(t) ?? lookupConstant(t, scope);
  };
  const level = (l: number): bigint | undefined => {
    const ops = levels[l];
    if (!ops) return primary();
    let v = level(l + 1);
    while (v !== undefined && tokens[i] !== undefined && ops.includes(tokens[i] ?? '')) {
      const op = tokens[i++] ?? '';
      const r = level(l + 1);
      v = r === undefined ? undefined : apply(op, v, r);
    }
    return v;
  };
  const v = level(0);
  return i === tokens.length ? v : undefined;
}
