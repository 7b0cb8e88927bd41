// Reads the verifier's log as libbpf/bpftool print it and finds the rejection: which program, what the
// verifier said, and the source line from the BTF line info annotations ("; <source> @ file.c:16").

export interface VerifierRejection {
  readonly program?: string;
  /** The verifier's own words, e.g. "invalid access to packet, off=13 size=1, R2(id=0,off=13,r=0)". */
  readonly message: string;
  /** 0-based source line of the last line annotation before the rejection. */
  readonly line?: number;
  readonly file?: string;
  /** Index of the last instruction the verifier printed before rejecting. */
  readonly insn?: number;
  /** The log of the rejected program only. */
  readonly log: string;
}

/** The first rejected program in bpftool's stderr, or undefined when nothing was rejected. */
export function parseVerifierLog(text: string): VerifierRejection | undefined {
  const lines = text.split('\n');
  const begin = lines.findIndex((l) => l.includes('-- BEGIN PROG LOAD LOG --'));
  if (begin < 0) {
    const failed = lines.find((l) => /BPF program load failed|failed to load/.test(l));
    if (!failed) return undefined;
    const prog = /prog '([^']+)'/.exec(failed)?.[1];
    return { program: prog, message: failed.replace(/^libbpf: (prog '[^']+': )?/, ''), log: text };
  }
  const endRel = lines.slice(begin).findIndex((l) => l.includes('-- END PROG LOAD LOG --'));
  const end = endRel < 0 ? lines.length : begin + endRel;
  const program = /prog '([^']+)'/.exec(lines[begin] ?? '')?.[1];
  const body = lines.slice(begin + 1, end);
  let line: number | undefined;
  let file: string | undefined;
  let insn: number | undefined;
  let message = '';
  for (let i = 0; i < body.length; i++) {
    const l = body[i] ?? '';
    const src = /^; .* @ (.+):(\d+)$/.exec(l);
    if (src) {
      file = src[1];
      line = Number(src[2]) - 1;
      continue;
    }
    const ins = /^(\d+): \([0-9a-f]{2}\)/.exec(l);
    if (ins) {
      insn = Number(ins[1]);
      continue;
    }
    if (
      /^\d+: R\d|^(from|processed|verification time|stack depth|mark_precise|last_idx|regs=)/.test(l) ||
      l.trim() === ''
    )
      continue;
    // The first line after the last instruction that is neither state nor annotation is the complaint.
    message = l.trim();
    const rest = body.slice(i + 1).filter((x) => x.trim() && !/^processed |^\d+: |^; /.test(x));
    if (rest[0] && !/^(from|verification)/.test(rest[0])) message += ` — ${rest[0].trim()}`;
    break;
  }
  return {
    program,
    message: message || 'the verifier rejected the program',
    line,
    file,
    insn,
    log: lines.slice(begin, end + 1).join('\n'),
  };
}
