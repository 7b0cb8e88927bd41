// Evaluates the DWARF location expressions clang writes for BPF variables against one frame's
// registers: a value in a register, a value computed by the expression (DW_OP_stack_value), or an
// address in VM memory. clang's BPF frame base (DW_OP_reg10) is the bottom of the frame, r10 - stack size.
import { Cursor } from './dwarfCursor';

/** Where a variable's value is at this moment. */
export type VarPlace =
  | { kind: 'register'; reg: number; value: bigint }
  | { kind: 'value'; value: bigint }
  | { kind: 'implicit'; bytes: Uint8Array }
  | { kind: 'memory'; addr: bigint }
  | { kind: 'unavailable'; why: string };

export interface ExprContext {
  /** r0–r10 of the frame as 64-bit values (pointers: region id in the high word). */
  reg(r: number): bigint;
  /** The function's stack size (clang addresses DW_OP_breg10/fbreg from r10 - size). */
  stackSize: number;
  /** Reads 8 bytes at a VM address (DW_OP_deref), or undefined when unreadable. */
  deref(addr: bigint): bigint | undefined;
}

const M64 = (1n << 64n) - 1n;

export function evalLocation(expr: Uint8Array, cx: ExprContext): VarPlace {
  if (expr.length === 0) return { kind: 'unavailable', why: 'optimized out' };
  const c = new Cursor(expr, 0, 'location expression');
  const stack: bigint[] = [];
  const base = (r: number): bigint => (r === 10 ? (cx.reg(10) - BigInt(cx.stackSize)) & M64 : cx.reg(r));
  let inReg = -1;
  try {
    while (c.o < expr.length) {
      const op = c.u8();
      if (op >= 0x30 && op <= 0x4f) stack.push(BigInt(op - 0x30));
      else if (op >= 0x50 && op <= 0x6f) inReg = op - 0x50;
      else if (op >= 0x70 && op <= 0x8f) stack.push((base(op - 0x70) + BigInt(c.sleb())) & M64);
      else
        switch (op) {
          case 0x08:
            stack.push(BigInt(c.u8()));
            break;
          case 0x09:
            stack.push(BigInt((c.u8() << 24) >> 24) & M64);
            break;
          case 0x0a:
            stack.push(BigInt(c.u16()));
            break;
          case 0x0b:
            stack.push(BigInt((c.u16() << 16) >> 16) & M64);
            break;
          case 0x0c:
            stack.push(BigInt(c.u32()));
            break;
          case 0x0d:
            stack.push(BigInt(c.u32() | 0) & M64);
            break;
          case 0x0e:
          case 0x0f:
            stack.push(c.u64());
            break;
          case 0x10:
            stack.push(BigInt(c.uleb()));
            break;
          case 0x11:
            stack.push(BigInt(c.sleb()) & M64);
            break;
          case 0x12: // dup
            stack.push(stack[stack.length - 1] ?? 0n);
            break;
          case 0x06: {
            // deref
            const v = cx.deref(stack.pop() ?? 0n);
            if (v === undefined) return { kind: 'unavailable', why: 'points to unreadable memory' };
            stack.push(v);
            break;
          }
          case 0x1a:
          case 0x1c:
          case 0x1e:
          case 0x21:
          case 0x22:
          case 0x27: {
            const b = stack.pop() ?? 0n;
            const a = stack.pop() ?? 0n;
            const r =
              op === 0x1a
                ? a & b
                : op === 0x1c
                  ? a - b
                  : op === 0x1e
                    ? a * b
                    : op === 0x21
                      ? a | b
                      : op === 0x22
                        ? a + b
                        : a ^ b;
            stack.push(r & M64);
            break;
          }
          case 0x23: // plus_uconst
            stack.push(((stack.pop() ?? 0n) + BigInt(c.uleb())) & M64);
            break;
          case 0x90: // regx
            inReg = c.uleb();
            break;
          case 0x91: // fbreg: the frame base is DW_OP_reg10 on BPF
            stack.push((base(10) + BigInt(c.sleb())) & M64);
            break;
          case 0x92: {
            const r = c.uleb();
            stack.push((base(r) + BigInt(c.sleb())) & M64);
            break;
          }
          case 0x9e: // implicit_value
            return { kind: 'implicit', bytes: c.bytes(c.uleb()) };
          case 0x9f: // stack_value
            return { kind: 'value', value: stack.pop() ?? 0n };
          case 0x93:
            return { kind: 'unavailable', why: 'split across registers (DW_OP_piece)' };
          case 0xa3:
            return { kind: 'unavailable', why: 'optimized out (entry value)' };
          default:
            return { kind: 'unavailable', why: `DWARF operation 0x${op.toString(16)} is not supported` };
        }
    }
  } catch (e) {
    return { kind: 'unavailable', why: e instanceof Error ? e.message : String(e) };
  }
  if (inReg >= 0) {
    if (inReg > 10) return { kind: 'unavailable', why: `register ${inReg} is not a BPF register` };
    return { kind: 'register', reg: inReg, value: cx.reg(inReg) };
  }
  const addr = stack.pop();
  return addr === undefined ? { kind: 'unavailable', why: 'optimized out' } : { kind: 'memory', addr };
}
