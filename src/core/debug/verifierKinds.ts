// The verifier's view of r0–r10 at each instruction, for the Registers scope (issue 14: "with their
// kind — from the verifier's state where it has landed, else from the VM"). Our verifier
// (core/verifier: Linux 6.18's do_check) walks the program once; every state it checks an instruction
// in is folded into one kind per register. Where paths disagree (a pkt on one, a scalar on another),
// or the walk never reached the pc, the caller falls back on the VM's kind of the value.
import type { VerifyOptions } from '../verifier/verdict';
import type { Reg } from '../verifier/regState';
import type { VState } from '../verifier/state';
import { verifyObject } from '../verifier/verifyObject';

/** Past this many processed instructions the view is dropped: Registers must answer in a step's time. */
const VIEW_INSN_LIMIT = 200_000;
/** Paths disagree on the register's kind. */
const MIXED = '';

/**
 * The kernel's name of a register's type (reg_type_str), with two changes said in docs/debugger.md:
 * PTR_TO_STACK reads `stack` (the kernel prints `fp`), and an uninitialised register `not_init`
 * (the kernel's log leaves it out; reading it is "R2 !read_ok").
 */
function kindOf(r: Reg): string {
  if (r.type === 'btf_id') return `ptr_${r.btfStruct ?? ''}${r.maybeNull ? '_or_null' : ''}`;
  return `${r.type}${r.maybeNull ? '_or_null' : ''}`;
}

export class VerifierKinds {
  private constructor(
    private readonly byPc: ReadonlyMap<number, readonly string[]>,
    /** The verdict of the walk the kinds come from. */
    readonly verdict: 'accepted' | 'rejected',
  ) {}

  /**
   * Walks program `name` of the object; undefined when the object does not load for the verifier, the
   * program is not among its XDP programs, or the walk is too long for a view (VIEW_INSN_LIMIT).
   * `insnCount` is the VM's program length: a pc past it means the two linked differently. `btf` is
   * the target BTF the session's run resolved CO-RE against, so the walk sees the same instructions.
   */
  static of(
    object: Uint8Array,
    name: string,
    insnCount: number,
    btf: Pick<VerifyOptions, 'targetBtf' | 'targetBtfName' | 'kconfig' | 'kconfigExtra' | 'kernelFacts'> = {},
  ): VerifierKinds | undefined {
    const byPc = new Map<number, string[]>();
    let linkedAlike = true;
    const fold = (pc: number, st: VState): void => {
      if (pc >= insnCount) linkedAlike = false;
      const f = st.cur;
      const seen = byPc.get(pc);
      if (!seen) {
        byPc.set(
          pc,
          Array.from({ length: 11 }, (_, i) => kindOf(f.peekReg(i))),
        );
        return;
      }
      for (let i = 0; i < 11; i++) if (seen[i] !== MIXED && seen[i] !== kindOf(f.peekReg(i))) seen[i] = MIXED;
    };
    let verdict;
    try {
      verdict = verifyObject(object, { ...btf, program: name, insnLimit: VIEW_INSN_LIMIT, onInsn: fold })
        .programs[0];
    } catch {
      return undefined; // a malformed object: the session says so elsewhere; Registers keep the VM's kinds
    }
    if (!verdict || !linkedAlike) return undefined;
    if (verdict.verdict === 'rejected' && /^BPF program is too large/.test(verdict.error?.message ?? ''))
      return undefined;
    return new VerifierKinds(byPc, verdict.verdict === 'accepted' ? 'accepted' : 'rejected');
  }

  /** The verifier's kind of register `r` at `pc`; undefined: never reached there, or paths disagree. */
  at(pc: number, r: number): string | undefined {
    const k = this.byPc.get(pc)?.[r];
    return k === MIXED ? undefined : k;
  }
}
