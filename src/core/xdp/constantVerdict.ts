// Programs whose verdict is known without running them: exactly `r0 = K; exit` — the
// `return XDP_PASS;` a veth peer carries so that its NAPI exists (§1.4). The kernel's JIT makes
// such a program two machine instructions; the simulator skips the VM entry for it (Simulator.runProgram).
import type { XdpProgramHandle } from '../vm/xdpRun';
import { XdpProgram } from '../vm/xdpProgram';

/** BPF_ALU64 | BPF_MOV | BPF_K and BPF_JMP | BPF_EXIT. */
const MOV64_IMM = 0xb7;
const EXIT = 0x95;

/** The verdict of a program that is exactly `r0 = K; exit` (its r0 as an action), else -1. */
export function constantVerdict(prog: XdpProgramHandle): number {
  if (!(prog instanceof XdpProgram) || prog.insns.length !== 2) return -1;
  const [mov, exit] = prog.insns;
  if (mov?.op !== MOV64_IMM || mov.dst !== 0 || exit?.op !== EXIT) return -1;
  return mov.imm >>> 0;
}
