// The verifier's answer for one object: per program the kernel's verdict (accepted/rejected), the
// instruction and source line where the kernel stops, its message, and the branches that led there.
import type { LoadOptions } from '../elf/loadObject';
import type { VState } from './state';

/** The branch taken at an earlier conditional jump on the path to the error. */
export interface BranchStep {
  insn: number;
  line?: number;
  file?: string;
  taken: boolean;
  /** The condition as the kernel's log prints it, e.g. "if r3 > r2 goto pc+5". */
  text: string;
}

export interface VerifierError {
  /** The kernel's own words: the lines of its complaint (before "processed N insns"), joined by \n. */
  message: string;
  /** Instruction index inside the program (after linking its sub-programs). */
  insn: number;
  file?: string;
  /** 1-based. */
  line?: number;
  column?: number;
  path: BranchStep[];
}

export interface ProgramVerdict {
  name: string;
  section: string;
  verdict: 'accepted' | 'rejected';
  insnsProcessed: number;
  error?: VerifierError;
  statesExplored?: number;
  /** The most states kept for pruning at one time (the kernel's peak_states). */
  peakStates?: number;
}

export interface VerifyReport {
  programs: ProgramVerdict[];
}

export interface VerifyOptions {
  /** Only this program (by function name). */
  program?: string;
  /**
   * libbpf's name for the object (bpf_object__open_file: the file's base name up to its first '.'):
   * its global-data maps are named from it (internal_map_name), and the kernel's messages print
   * those names ("map=verifier.bss"). Default 'obj'.
   */
  objectName?: string;
  /** Processed-instruction limit (default BPF_COMPLEXITY_LIMIT_INSNS). */
  insnLimit?: number;
  /**
   * Called with each instruction the walk processes and the state it is checked in (per-instruction
   * counts for a measuring tool; the debugger's register kinds). The state is the walk's own: read it,
   * never keep or change it.
   */
  onInsn?: (pc: number, state: VState) => void;
  /**
   * The kernel BTF CO-RE relocations resolve against, exactly as `run` loads the object (loadObject's
   * option: the host's /sys/kernel/btf/vmlinux through node/kernelBtf.ts; absent → the bundled BTF).
   * libbpf relocates before the kernel's verifier sees a program (bpf_object__relocate_core), so a
   * verdict on the other BTF than `run`'s would judge other instructions.
   */
  targetBtf?: LoadOptions['targetBtf'];
  targetBtfName?: string;
  /**
   * The kernel config and facts `.kconfig` externs read, as `run` loads the object (loadObject's
   * options): the values land in a frozen read-only map the verifier reads as constants, so they
   * decide which branches are walked.
   */
  kconfig?: LoadOptions['kconfig'];
  kconfigExtra?: LoadOptions['kconfigExtra'];
  kernelFacts?: LoadOptions['kernelFacts'];
}

/** The kernel's BPF_COMPLEXITY_LIMIT_INSNS: both the processed-instruction limit and, for a loader
 * with CAP_BPF, the most instructions a program may have (bpf_prog_load). */
export const BPF_COMPLEXITY_LIMIT_INSNS = 1_000_000;

/**
 * bpf_prog_load refuses a program of more than BPF_COMPLEXITY_LIMIT_INSNS instructions with E2BIG
 * before the verifier runs, so the kernel prints no log: libbpf's errno is all there is. One sentence
 * for both our verifier and `--kernel` (node/kernelVerify.ts), so the two reports compare equal.
 */
export const PROGRAM_TOO_LONG_MESSAGE =
  'the program could not be loaded: Argument list too long ' +
  `(bpf_prog_load: more than ${BPF_COMPLEXITY_LIMIT_INSNS} instructions)`;
