// Can this machine run the kernel lab? probe() answers with a reason to skip, or undefined; it
// mounts tracefs and bpffs when they are missing (they are not mounted at boot: kernel-lab.md "Mounts").
import fs from 'node:fs';
import { hasTool, run } from './exec';

export const TRACEFS = '/sys/kernel/tracing';
export const BPFFS = '/sys/fs/bpf';

/** Mounts tracefs and bpffs if needed; returns an error string when it cannot. */
export function ensureMounts(): string | undefined {
  if (!fs.existsSync(`${TRACEFS}/events`)) {
    run(['mount', '-t', 'tracefs', 'tracefs', TRACEFS], { allowFailure: true });
    if (!fs.existsSync(`${TRACEFS}/events`)) return `tracefs could not be mounted on ${TRACEFS}`;
  }
  const mounts = fs.readFileSync('/proc/mounts', 'utf8');
  if (!mounts.split('\n').some((l) => l.split(' ')[1] === BPFFS && l.split(' ')[2] === 'bpf')) {
    const r = run(['mount', '-t', 'bpf', 'bpf', BPFFS], { allowFailure: true });
    if (r.status !== 0) return `bpffs could not be mounted on ${BPFFS}: ${r.stderr.trim()}`;
  }
  return undefined;
}

export interface ProbeOptions {
  /** Tools needed besides the basic set (clang, bpftool, ip, nsenter, python3). */
  tools?: readonly string[];
}

let cached: string | undefined | null = null;

/** Returns why the kernel lab cannot run here, or undefined when it can. Use it as
 * `test('x', { skip: probe() }, ...)`: node:test prints the reason as the skip message. */
export function probe(opts: ProbeOptions = {}): string | undefined {
  if (cached === null) cached = baseProbe();
  if (cached) return cached;
  for (const tool of opts.tools ?? [])
    if (!hasTool(tool)) return `${tool} is missing (run scripts/install-system-deps.sh)`;
  return undefined;
}

function baseProbe(): string | undefined {
  if (process.platform !== 'linux') return 'not Linux';
  if (process.getuid?.() !== 0)
    return 'not root (the kernel lab needs CAP_BPF, CAP_NET_ADMIN and CAP_SYS_ADMIN)';
  for (const tool of ['clang', 'bpftool', 'bpftrace', 'perf', 'ip', 'nsenter', 'python3', 'flock']) {
    if (!hasTool(tool)) return `${tool} is missing (run scripts/install-system-deps.sh)`;
  }
  const mountErr = ensureMounts();
  if (mountErr) return mountErr;
  if (!fs.existsSync(`${TRACEFS}/events/xdp/xdp_exception`)) return 'the xdp:* tracepoints are not available';
  if (run(['ip', 'netns', 'list'], { allowFailure: true }).status !== 0)
    return 'network namespaces unavailable';
  return undefined;
}
