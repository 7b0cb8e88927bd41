// Reads what `bpftool -d prog loadall` prints on stderr (libbpf's debug output with the kernel's
// verifier log of every program it loaded, log level 1|2|4) into one load outcome per program, in the
// order libbpf loaded them (bpf_object__load_progs stops at the first program the kernel refuses).

/** One program's load as libbpf reported it: the verifier's log, 0 or the errno, its text. */
export interface LoadedProgramLog {
  readonly name: string;
  readonly log: string;
  readonly errno: number;
  readonly strerror: string;
}

export interface BpftoolLoad {
  /** The programs the kernel was asked about, in load order. */
  readonly programs: readonly LoadedProgramLog[];
  /** Why the object failed before any program reached the kernel (BTF, maps, relocations), if so. */
  readonly objectError?: string;
}

const BEGIN = /^libbpf: prog '([^']+)': -- BEGIN PROG LOAD LOG --$/;
const END = '-- END PROG LOAD LOG --';
const LOAD_FAILED = /^libbpf: prog '([^']+)': BPF program load failed: (.*)$/;
const FAILED = /^libbpf: prog '([^']+)': failed to load: (-?\d+)$/;

/** Splits bpftool's stderr into per-program load outcomes. */
export function parseBpftoolLoad(stderr: string): BpftoolLoad {
  const lines = stderr.split('\n');
  const order: string[] = [];
  const logs = new Map<string, string>();
  const errnos = new Map<string, number>();
  const texts = new Map<string, string>();
  const seen = (name: string): void => {
    if (!order.includes(name)) order.push(name);
  };
  for (let i = 0; i < lines.length; i++) {
    const l = lines[i] as string;
    const begin = BEGIN.exec(l);
    if (begin) {
      const name = begin[1] as string;
      seen(name);
      const body: string[] = [];
      for (i++; i < lines.length && !(lines[i] as string).startsWith(END); i++) body.push(lines[i] as string);
      logs.set(name, body.join('\n'));
      continue;
    }
    const lf = LOAD_FAILED.exec(l);
    if (lf) {
      seen(lf[1] as string);
      texts.set(lf[1] as string, lf[2] as string);
      continue;
    }
    const f = FAILED.exec(l);
    if (f) {
      seen(f[1] as string);
      errnos.set(f[1] as string, Math.abs(Number(f[2])));
    }
  }
  const programs = order.map((name) => ({
    name,
    log: logs.get(name) ?? '',
    errno: errnos.get(name) ?? (texts.has(name) ? 1 : 0),
    strerror: texts.get(name) ?? '',
  }));
  if (programs.length) return { programs };
  // Nothing reached the kernel: the last thing libbpf or bpftool complained about says why.
  const complaint = [...lines]
    .reverse()
    .find((l) => /^(libbpf: .*(fail|error|invalid)|Error: )/i.test(l) && !/failed to load object/.test(l));
  return {
    programs,
    objectError: (complaint ?? 'bpftool could not load the object').replace(/^libbpf: |^Error: /, ''),
  };
}
