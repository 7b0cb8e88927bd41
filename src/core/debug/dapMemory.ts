// The memory and code requests of a debug session (DAP readMemory, disassemble): bytes of the packet
// or of a VM region at the current stop as base64, and a program's instructions with their source
// lines and the symbols their ld_imm64 relocations name.
import * as I from '../vm/isa';
import type { Insn } from '../vm/isa';
import type { XdpProgram } from '../vm/xdpProgram';
import { ReplyError } from './dapMessages';
import { insnAddress, parseInsnAddress } from './debugTarget';
import type { DebugTarget, StepMemory } from './debugTarget';
import { disassembleInsn, insnBytes } from './disassemble';

/** readMemory at a stop: `pkt` is the packet from data, anything else a VM address (region << 32 | offset). */
export function readMemoryRequest(mem: StepMemory, a: Record<string, unknown>): unknown {
  const ref = typeof a.memoryReference === 'string' ? a.memoryReference : '';
  const offset = Number(a.offset ?? 0);
  const count = Math.max(0, Math.min(Number(a.count ?? 0), 1 << 20));
  let bytes: Uint8Array;
  let address: string;
  if (ref === 'pkt') {
    const b = mem.buffer;
    const start = Math.max(0, b.data + offset);
    bytes = b.bytes.subarray(start, Math.min(b.dataEnd, start + count));
    address = '0x' + (BigInt(11) * (1n << 32n) + BigInt(0x40000000 + b.data + offset)).toString(16);
  } else {
    let v: bigint;
    try {
      v = BigInt(ref) + BigInt(offset);
    } catch {
      throw new ReplyError(`readMemory: '${ref}' is not a memory reference`);
    }
    const region = mem.R[Number((v >> 32n) & 0xffffffffn)];
    const off = Number(v & 0xffffffffn) - 0x40000000;
    if (!region || region.kind === 'null' || off < region.lo || off >= region.hi) {
      return { address: '0x' + v.toString(16), unreadableBytes: count };
    }
    bytes = region.u8.subarray(off, Math.min(region.hi, off + count));
    address = '0x' + v.toString(16);
  }
  return {
    address,
    data: base64(bytes),
    ...(bytes.length < count ? { unreadableBytes: count - bytes.length } : {}),
  };
}

/** disassemble from an instruction address: one row per slot, the source line where it changes. */
export function disassembleRequest(t: DebugTarget, a: Record<string, unknown>): unknown {
  const start = parseInsnAddress(
    typeof a.memoryReference === 'string' ? a.memoryReference : '',
    Number(a.offset ?? 0),
  );
  const count = Math.max(0, Math.min(Number(a.instructionCount ?? 0), 10000));
  if (!start)
    throw new ReplyError(`disassemble: '${String(a.memoryReference)}' is not an instruction address`);
  const prog = t.programs[start.progIndex];
  if (!prog) throw new ReplyError(`disassemble: no program ${start.progIndex}`);
  const info = t.info(prog);
  const first = start.pc + Number(a.instructionOffset ?? 0);
  const insns = prog.insns;
  const out = [];
  let lastLine = -1;
  for (let k = 0; k < count; k++) {
    const pc = first + k;
    const address = insnAddress(start.progIndex, Math.max(0, pc));
    if (pc < 0 || pc >= insns.length) {
      out.push({ address: pc < 0 ? '0x0' : address, instruction: '', presentationHint: 'invalid' });
      continue;
    }
    const i = insns[pc] as Insn;
    const prev = insns[pc - 1];
    if (prev && I.isLdImm64(prev)) {
      out.push({ address, instructionBytes: insnBytes(i), instruction: '(second half of ld_imm64)' });
      continue;
    }
    const line = info.lineOf(pc);
    const fnStart = info.functionAt(pc);
    const isStart = fnStart ? info.pcOf(fnStart.section, fnStart.lo) === pc : pc === 0;
    const text = disassembleInsn(i, insns[pc + 1], () => symbolAt(t, prog, pc));
    out.push({
      address,
      instructionBytes: insnBytes(i),
      instruction: text,
      ...(isStart ? { symbol: info.functionName(pc) } : {}),
      ...(line && line.line !== lastLine
        ? {
            location: { name: line.path.split('/').pop(), path: line.path },
            line: line.line,
            column: line.column,
          }
        : {}),
    });
    if (line) lastLine = line.line;
  }
  return { instructions: out };
}

/** The symbol an ld_imm64 was relocated against (its map's name), from the object's relocations. */
function symbolAt(t: DebugTarget, prog: XdpProgram, pc: number): string | undefined {
  const o = t.info(prog).origin(pc);
  const elf = t.objectOf(prog).debugInfo.elf;
  const r = elf.relocationsFor(o.section).find((x) => x.offset === o.offset);
  const sym = r ? elf.symbols[r.sym] : undefined;
  return sym ? sym.name || elf.sections[sym.shndx]?.name : undefined;
}

const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
/** Base64 of bytes (core has no Buffer or btoa). */
export function base64(b: Uint8Array): string {
  let out = '';
  for (let i = 0; i < b.length; i += 3) {
    const n = ((b[i] as number) << 16) | ((b[i + 1] ?? 0) << 8) | (b[i + 2] ?? 0);
    out += B64[(n >> 18) & 63] as string;
    out += B64[(n >> 12) & 63] as string;
    out += i + 1 < b.length ? (B64[(n >> 6) & 63] as string) : '=';
    out += i + 2 < b.length ? (B64[n & 63] as string) : '=';
  }
  return out;
}
