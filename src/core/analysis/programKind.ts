// Which kind of BPF program the code at an offset belongs to (issue 12 item 1): the enclosing
// function's SEC(), or for a static function the programs that call it. Decides which helpers the
// completion offers: the kernel's <type>_func_proto answers (for XDP the catalog's xdp flag, the set
// core/bpf/helperProtos builds XDP_HELPER_IDS from and the helper-not-in-xdp diagnostic checks).
import type { HelperInfo, ProgramKind } from '../bpf/helperCatalog';
import { secByName, xdpSecInfo } from '../bpf/secNames';
import type { FileModel, FunctionInfo } from './fileModel';

/** libbpf section prefixes (libbpf.c section_defs) beyond the ones secNames describes. */
const prefixKinds: readonly (readonly [RegExp, ProgramKind])[] = [
  [/^(tc|tcx|classifier|action|netkit)\b/, 'tc'],
  [
    /^(kprobe|kretprobe|uprobe|uretprobe|ksyscall|kretsyscall|usdt|tracepoint|tp|raw_tp|raw_tracepoint|tp_btf|fentry|fexit|fmod_ret|perf_event|iter|freplace)\b/,
    'tracing',
  ],
  [/^lsm/, 'lsm'],
  [/^cgroup/, 'cgroup'],
  [/^(socket|sk_|sockops|flow_dissector|sk_lookup|sk_reuseport)/, 'socket'],
  [/^lwt_/, 'lwt'],
  [/^lirc_mode2/, 'lirc'],
  [/^syscall/, 'syscall'],
];

/** The program kind a SEC() name loads as, or undefined for data sections and unknown names. */
export function programKindOfSec(sec: string): ProgramKind | undefined {
  if (xdpSecInfo(sec)) return 'xdp';
  const known = secByName(sec);
  if (known && known.programType !== 'other') return known.programType;
  return prefixKinds.find(([re]) => re.test(sec))?.[1];
}

/**
 * The program kind of the function around `offset`: its own SEC(), else the one kind every program
 * that reaches it (through this file's calls) has. Undefined outside functions, for a function no
 * program calls, or one shared by programs of different kinds.
 */
export function programKindAt(model: FileModel, offset: number): ProgramKind | undefined {
  const fn = model.functions.find((f) => f.span.start <= offset && offset <= f.span.end);
  return fn ? programKindOf(model, fn) : undefined;
}

export function programKindOf(model: FileModel, fn: FunctionInfo): ProgramKind | undefined {
  if (fn.sec) return programKindOfSec(fn.sec.name);
  // Walk callers up to the programs (bounded by the number of functions: recursion is not BPF).
  const kinds = new Set<ProgramKind | undefined>();
  const seen = new Set<string>([fn.name]);
  let frontier = [fn.name];
  while (frontier.length) {
    const next: string[] = [];
    for (const name of frontier)
      for (const site of model.localCalls.get(name) ?? []) {
        const from = site.from;
        if (from === undefined || seen.has(from)) continue;
        seen.add(from);
        const caller = model.functions.find((f) => f.name === from);
        if (caller?.sec) kinds.add(programKindOfSec(caller.sec.name));
        else next.push(from);
      }
    frontier = next;
  }
  return kinds.size === 1 ? [...kinds][0] : undefined;
}

/**
 * Whether the verifier lets a program of `kind` call helper `h`. XDP: the catalog's xdp flag — what
 * xdp_func_proto answers minus the two sleepable base helpers the verifier then refuses anyway
 * (helperProtos.ts), exactly what the helper-not-in-xdp diagnostic flags. Other kinds: the
 * catalog's program kinds (bpf_base_func_proto's helpers are 'all').
 */
export function helperAllowed(h: HelperInfo, kind: ProgramKind): boolean {
  if (kind === 'xdp') return h.xdp;
  return h.programKinds.includes(kind) || h.programKinds.includes('all');
}
