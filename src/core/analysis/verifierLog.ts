// Reads the verifier's log as libbpf/bpftool print it and finds the rejection: which program, what the
// verifier said, and the source line from the BTF line info annotations ("; <source> @ file.c:16").

export interface VerifierRejection {
  readonly program?: string;
  /** The verifier's own words, e.g. "invalid access to packet, off=13 size=1, R2(id=0,off=13,r=0)". */
  readonly message: string;
  /** 0-based source line of the last line annotation before the rejection. */
  readonly line?: number;
  readonly file?: string;
  /** The complaint line alone, in the kernel's own words (message may add the line after it). */
  readonly complaint: string;
  /** Every line of the complaint (e.g. "invalid access to packet, …" and "R1 offset is outside of the packet"). */
  readonly complaintLines: readonly string[];
  /** Index of the last instruction the verifier printed before rejecting. */
  readonly insn?: number;
  /** The log of the rejected program only. */
  readonly log: string;
}

// An instruction line: the kernel's print_bpf_insn ("12: (85) call …"), or libbpf's rewrite of one it
// explains (libbpf.c fixup_verifier_log: "12: <invalid CO-RE relocation>", "<invalid BPF map
// reference>", "<invalid kfunc call>"), followed by its own complaint line in place of the kernel's.
const INSN = /^(\d+): (?:\([0-9a-f]{2}\)|<invalid [^>]+>$)/;
const SOURCE = /^; .* @ (.+):(\d+)$/;
const isNoise = (l: string): boolean =>
  l.trim() === '' ||
  /^; /.test(l) ||
  /^\d+: R\d|^(from \d+ to \d+|processed \d+ insns|verification time|stack depth|mark_precise|last_idx|regs=)/.test(
    l,
  );

/** The first rejected program in bpftool's stderr, or undefined when nothing was rejected. */
export function parseVerifierLog(text: string): VerifierRejection | undefined {
  const lines = text.split('\n');
  const begin = lines.findIndex((l) => l.includes('-- BEGIN PROG LOAD LOG --'));
  if (begin < 0) {
    const failed = lines.find((l) => /BPF program load failed|failed to load/.test(l));
    if (!failed) return undefined;
    const prog = /prog '([^']+)'/.exec(failed)?.[1];
    const message = failed.replace(/^libbpf: (prog '[^']+': )?/, '');
    return { program: prog, message, complaint: message, complaintLines: [message], log: text };
  }
  const endRel = lines.slice(begin).findIndex((l) => l.includes('-- END PROG LOAD LOG --'));
  const end = endRel < 0 ? lines.length : begin + endRel;
  const program = /prog '([^']+)'/.exec(lines[begin] ?? '')?.[1];
  const body = lines.slice(begin + 1, end);
  // The verifier stops right after the instruction it refuses: the complaint is the first line after
  // the last instruction it printed (earlier lines may be e.g. "Validating f() func#1..." for a global
  // function). Errors found before the walk (check_cfg, BTF) print no instruction at all.
  let lastInsn = -1;
  body.forEach((l, i) => {
    if (INSN.test(l)) lastInsn = i;
  });
  let line: number | undefined;
  let file: string | undefined;
  let insn: number | undefined;
  for (const l of body.slice(0, lastInsn + 1)) {
    const src = SOURCE.exec(l);
    if (src) {
      file = src[1];
      line = Number(src[2]) - 1;
    }
    const ins = INSN.exec(l);
    if (ins) insn = Number(ins[1]);
  }
  const rest = body.slice(lastInsn + 1).filter((l) => !isNoise(l));
  // Some messages lack their newline and run into the statistics ("…for tail callverification time 88 usec").
  const clean = (l: string): string => l.replace(/verification time \d+ usec$/, '').trim();
  const complaintLines = rest.map(clean).filter((l) => l);
  const complaint = complaintLines[0] ?? '';
  let message = complaint;
  if (rest[1] !== undefined && !/verification time/.test(rest[0] ?? '')) message += ` — ${clean(rest[1])}`;
  return {
    program,
    message: message || 'the verifier rejected the program',
    complaint: complaint || 'the verifier rejected the program',
    complaintLines: complaintLines.length ? complaintLines : ['the verifier rejected the program'],
    line,
    file,
    insn,
    log: lines.slice(begin, end + 1).join('\n'),
  };
}
