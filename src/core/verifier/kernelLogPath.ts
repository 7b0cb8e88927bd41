// The branches the refused state took, read from the kernel's own verifier log (log_level 1), so that
// `verify --kernel` lists them as ours does (VerifierError.path).
//
// Why the log holds exactly that walk: at log_level 1 pop_stack() is called with pop_log, which
// rewinds the log to where the popped state was pushed (bpf_vlog_reset(&env->log, head->log_pos)),
// so what is left after a refusal is the refused state's walk from instruction 0, one line per
// instruction ("N: (op) text"), nothing of the paths explored and abandoned before it. A state
// popped from the stack resumes with its registers printed as "Y: R…" (print_insn_state's "%d:"
// form) right after the instruction that pushed it.
//
// What the log does not say: whether a conditional jump the walk fell through had a feasible
// branch (check_cond_jmp_op pushed it) or not (is_branch_taken said "never"): both print the same.
// Every fall-through is listed; a jump taken is listed only when its target resumed a pushed state
// (taken without a push is is_branch_taken's "always", which ours does not list either).
import type { BranchStep } from './verdict';

/** One instruction line of the walk, and whether a pushed state resumed right after it. */
interface Walked {
  pc: number;
  op: number;
  text: string;
  /** The instruction a pushed state resumed at, right after this one (print_insn_state's "%d:"). */
  resumedAt: number | undefined;
  /** print_insn_state's registers follow it on its line ("… ; R1=…"). */
  stated: boolean;
}

const INSN_LINE = /^(\d+): \(([0-9a-f]{2})\) (.*)$/;
/** print_insn_state's "%d:" form: an instruction index followed by registers, not by an opcode. */
const STATE_AT = /(?:^|\s)(\d+):\s*(?:frame\d+: )?R\d+/;
const GOTO = /goto pc([+-]\d+)/;

const BPF_JMP = 0x05;
const BPF_JMP32 = 0x06;
const MAY_GOTO = 0xe5;

/** A conditional jump (not ja, call, exit): check_cond_jmp_op's instructions. */
function isCondJump(op: number): boolean {
  const cls = op & 7;
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return false;
  const code = op & 0xf0;
  return code !== 0x00 && code !== 0x80 && code !== 0x90 && op !== MAY_GOTO;
}

/** The instruction lines of `log`, from instruction 0; undefined when its start was lost. */
function walk(log: string): Walked[] | undefined {
  const out: Walked[] = [];
  for (const line of log.split('\n')) {
    const m = INSN_LINE.exec(line);
    if (m) {
      const rest = m[3] as string;
      // The text ends at print_insn_state's padding (" … ; R1=…") or at a resumed state (" … 26: R1=…").
      const cut = rest.search(/\s{2,}|\s+\d+:\s*(?:frame\d+: )?R\d+|\s+;/);
      const text = (cut < 0 ? rest : rest.slice(0, cut)).trim();
      const at = STATE_AT.exec(rest);
      out.push({
        pc: Number(m[1]),
        op: parseInt(m[2] as string, 16),
        text,
        resumedAt: at ? Number(at[1]) : undefined,
        stated: /;\s*(?:frame\d+: )?R\d/.test(rest),
      });
      continue;
    }
    if (!out.length) continue;
    // A state line of its own, between an instruction and the next one.
    const own = STATE_AT.exec(line);
    if (own?.index === 0) (out[out.length - 1] as Walked).resumedAt = Number(own[1]);
  }
  // A rotated (truncated) log no longer starts at the program's entry: its walk is not whole.
  if (!out.length || out[0]?.pc !== 0) return undefined;
  return out;
}

/**
 * The branch steps of the refused state's walk in a log_level 1 verifier log, or undefined when the
 * log does not hold a whole walk (empty, or its head rotated away). Lines and files are left to the
 * caller (they come from the object's BTF line info, as ours).
 */
export function pathFromKernelLog(log: string): BranchStep[] | undefined {
  const w = walk(log);
  if (!w) return undefined;
  const steps: BranchStep[] = [];
  // is_state_visited refuses a state as it reaches the loop head, before printing anything of it.
  const loopAt = /^infinite loop detected at insn (\d+)$/m.exec(log);
  for (let i = 0; i < w.length; i++) {
    const a = w[i] as Walked;
    let next = a.resumedAt ?? w[i + 1]?.pc;
    let resumed = a.resumedAt !== undefined;
    if (next === undefined && loopAt) {
      // The last jump went to the loop head: as a popped state if its line shows no registers
      // (a jump taken for sure prints them, check_cond_jmp_op's print_insn_state).
      next = Number(loopAt[1]);
      resumed = !a.stated;
    }
    if (next === undefined) continue;
    const off = GOTO.exec(a.text);
    if (!off) continue;
    const target = a.pc + Number(off[1]) + 1;
    if (target === a.pc + 1) continue;
    if (a.op === MAY_GOTO) {
      // The current state jumps (the budget ran out); the fall-through, one more iteration, is pushed.
      if (next === target || next === a.pc + 1)
        steps.push({ insn: a.pc, taken: next === target, text: a.text });
      continue;
    }
    if (!isCondJump(a.op)) continue;
    if (next === a.pc + 1) steps.push({ insn: a.pc, taken: false, text: a.text });
    else if (next === target && resumed) steps.push({ insn: a.pc, taken: true, text: a.text });
  }
  return steps;
}
