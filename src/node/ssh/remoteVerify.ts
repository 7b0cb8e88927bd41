// The verdict of a REMOTE host's kernel on every XDP program of an object (issue #15 item 1), in the
// shape of `xdp-lab verify --kernel`: one ssh session carries the object (base64 on stdin) into a
// mktemp dir, loads it with the host's own tools and removes every file and pin on every exit.
import { parseBpftoolLoad } from '../../core/analysis/bpftoolLoadLog';
import { loadObject } from '../../core/elf/loadObject';
import { kernelConfigOptions } from '../kernelConfig';
import type { VerifyReport } from '../../core/verifier/verdict';
import {
  KernelVerifyUnavailable,
  LIBBPF_VERIFY_SCRIPT,
  verdictsOfLoads,
  xdpAttachTypes,
  type ScriptProgram,
} from '../kernelVerify';
import { runRemoteScript, sshFailure, type SshOptions } from './sshSession';
import { targetLabel, type SshTarget } from './sshTarget';

/** The host could not be asked (unreachable, no tools, no privilege): a message for the user, not a verdict. */
export class RemoteVerifyError extends Error {}

/**
 * Which loader judges: the libbpf script of `--kernel` (python3 + libbpf.so.1: one program at a time,
 * exactly as locally) or `bpftool -d prog loadall` (libbpf inside bpftool: the object as a whole, so a
 * rejection stops the programs after it). 'auto' prefers libbpf.
 */
export type RemoteLoader = 'auto' | 'libbpf' | 'bpftool';

export interface RemoteVerifyOptions {
  readonly program?: string;
  /** Use `sudo -n` when the login is not root. */
  readonly sudo: boolean;
  readonly loader?: RemoteLoader;
  readonly signal?: AbortSignal;
}

/** Which kernel judged (cli.md "verify": `"kernel": {"release", "host"}`) and through what. */
export interface JudgingKernel {
  readonly release: string;
  readonly host: string;
  readonly loader: 'libbpf' | 'bpftool';
}

export interface RemoteVerifyReport extends VerifyReport {
  kernel: JudgingKernel;
  /** What the user should know about the verdict (e.g. programs bpftool never reached). */
  notes: string[];
}

/**
 * The host side. The object arrives base64-encoded on stdin; `LOADER`, `USE_SUDO`, `PROG`, `TYPES`
 * (xdpAttachTypes) and the script text arrive as quoted assignments (startRemoteScript), nothing else from us reaches the shell. The
 * EXIT trap removes the tmp dir and the bpffs pin dir (bpffs names take no dots). Sections are
 * `@@name` lines, as the capture probe prints them.
 */
const remoteScript = `
PATH="$PATH:/usr/sbin:/sbin:/usr/local/sbin"
SUDO=
P=
uid=$(id -u)
echo @@kernel; uname -r
echo @@user; id -un
if [ "$uid" != 0 ]; then
  if [ "\${USE_SUDO:-0}" != 1 ]; then echo @@fail; echo notroot; exit 0; fi
  if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then SUDO="sudo -n"
  else echo @@fail; echo nosudo; exit 0; fi
fi
T=$(mktemp -d /tmp/xdp-lab-verify.XXXXXX) || { echo @@fail; echo mktemp; exit 0; }
trap 'if [ -n "$P" ]; then $SUDO rm -rf "$P"; fi; rm -rf "$T"' EXIT
trap 'exit 143' INT TERM HUP PIPE
use=
if [ "$LOADER" != bpftool ] && command -v python3 >/dev/null 2>&1 && python3 -c 'import ctypes; ctypes.CDLL("libbpf.so.1")' >/dev/null 2>&1; then use=libbpf
elif [ "$LOADER" != libbpf ] && command -v bpftool >/dev/null 2>&1; then use=bpftool
else echo @@fail; echo noloader; exit 0; fi
echo @@loader; echo "$use"
base64 -d > "$T/prog.o" || { echo @@fail; echo base64; exit 0; }
case "$use" in
libbpf)
  echo @@out
  $SUDO python3 -c "$SCRIPT" "$T/prog.o" "$PROG" "$TYPES" 2>&1 ;;
bpftool)
  bpftool version 2>/dev/null | head -n 1
  if [ "$(stat -f -c %T /sys/fs/bpf 2>/dev/null)" != bpf_fs ]; then echo @@fail; echo nobpffs; exit 0; fi
  P=$($SUDO mktemp -d /sys/fs/bpf/xdplab_verify_XXXXXX) || { P=; echo @@fail; echo mktemp; exit 0; }
  echo @@out
  $SUDO bpftool -d prog loadall "$T/prog.o" "$P" 2>&1
  echo @@rc; echo $? ;;
esac
`;

function sections(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  let cur: string[] | undefined;
  for (const line of text.split('\n')) {
    const m = /^@@([a-z]+)$/.exec(line);
    if (m) out.set(m[1] as string, (cur = []));
    else cur?.push(line);
  }
  return out;
}

/** The one-line reasons for a host that cannot verify, naming what to install or allow. */
const failures: Record<string, string> = {
  notroot:
    'is not root: loading BPF programs needs root (log in as root, or allow passwordless sudo and pass --sudo / set xdpLab.capture.useSudo)',
  nosudo:
    "is not root and cannot run 'sudo -n' without a password (allow passwordless sudo for python3/bpftool, or log in as root)",
  mktemp: 'mktemp failed on the host',
  base64: 'the object did not arrive intact (base64 -d failed on the host)',
  nobpffs:
    'no BPF filesystem at /sys/fs/bpf on the host (mount -t bpf bpf /sys/fs/bpf) for bpftool to pin into',
  noloader:
    'the host has neither bpftool (install the Debian package bpftool) nor python3 with libbpf (python3 and libbpf1) to load the object',
};

/**
 * Asks the host's kernel about every XDP program of `bytes` (our copy of the object: its BTF maps the
 * log's instruction to the source line). The host key must have been checked already (checkHostKey).
 */
export async function remoteVerifyObject(
  t: SshTarget,
  o: SshOptions,
  bytes: Uint8Array,
  opts: RemoteVerifyOptions,
): Promise<RemoteVerifyReport> {
  const label = targetLabel(t);
  const r = await runRemoteScript(t, o, remoteScript, {
    vars: {
      USE_SUDO: opts.sudo ? '1' : '0',
      LOADER: opts.loader ?? 'auto',
      PROG: opts.program ?? '',
      SCRIPT: LIBBPF_VERIFY_SCRIPT,
      TYPES: xdpAttachTypes(bytes),
    },
    stdin: base64(bytes) + '\n',
    ...(opts.signal ? { signal: opts.signal } : {}),
  });
  const failure = sshFailure(r, t);
  if (failure) throw new RemoteVerifyError(failure);
  if (r.aborted) throw new RemoteVerifyError(`verify on ${label} cancelled`);
  const s = sections(r.stdout);
  const release = s.get('kernel')?.[0]?.trim();
  if (!release)
    throw new RemoteVerifyError(
      `the host did not answer the verify script: ${r.stderr.trim().split('\n').pop() ?? `exit ${String(r.code)}`}`,
    );
  const fail = s.get('fail')?.[0]?.trim();
  if (fail === 'notroot' || fail === 'nosudo')
    throw new RemoteVerifyError(`user ${s.get('user')?.[0]?.trim() ?? '?'} ${failures[fail] ?? fail}`);
  if (fail) throw new RemoteVerifyError(failures[fail] ?? fail);
  const loader = s.get('loader')?.[0]?.trim();
  const out = (s.get('out') ?? []).join('\n');
  const kernel = (l: 'libbpf' | 'bpftool'): JudgingKernel => ({ release, host: label, loader: l });
  try {
    if (loader === 'libbpf') return { ...fromLibbpfScript(out, bytes), kernel: kernel('libbpf'), notes: [] };
    if (loader === 'bpftool') return { ...fromBpftool(out, bytes, opts.program), kernel: kernel('bpftool') };
  } catch (e) {
    if (e instanceof KernelVerifyUnavailable) throw new RemoteVerifyError(`${e.message}`);
    throw e;
  }
  throw new RemoteVerifyError(`unexpected answer from the verify script (loader '${loader ?? ''}')`);
}

function base64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/** The libbpf script's JSON line (the same one `--kernel` reads locally). */
function fromLibbpfScript(out: string, bytes: Uint8Array): VerifyReport {
  const line = out
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  let parsed: { programs?: ScriptProgram[]; error?: string; unavailable?: string } | undefined;
  try {
    parsed = line ? (JSON.parse(line) as typeof parsed) : undefined;
  } catch {
    parsed = undefined;
  }
  if (!parsed)
    throw new RemoteVerifyError(`the libbpf loader failed: ${out.trim().split('\n').pop() ?? 'no output'}`);
  if (parsed.unavailable ?? parsed.error)
    throw new RemoteVerifyError(`${parsed.unavailable ?? parsed.error ?? ''}`);
  return verdictsOfLoads(parsed.programs ?? [], bytes);
}

/**
 * bpftool's log: the XDP programs among those libbpf loaded (it types programs by section, as the
 * loader of a real deployment would), with sections from our copy of the object.
 */
function fromBpftool(
  out: string,
  bytes: Uint8Array,
  program: string | undefined,
): VerifyReport & { notes: string[] } {
  const obj = loadObject(bytes, { forVerifier: true, ...kernelConfigOptions() });
  const xdp = obj.programs.filter((p) => program === undefined || p.name === program);
  const load = parseBpftoolLoad(out);
  if (load.objectError !== undefined) throw new RemoteVerifyError(`bpftool: ${load.objectError}`);
  const byName = new Map(load.programs.map((p) => [p.name, p]));
  const judged: ScriptProgram[] = [];
  const notJudged: string[] = [];
  for (const p of xdp) {
    const l = byName.get(p.name);
    if (l)
      judged.push({ name: p.name, section: p.section, log: l.log, errno: l.errno, strerror: l.strerror });
    else notJudged.push(p.name);
  }
  const report = verdictsOfLoads(judged, bytes);
  const notes = notJudged.length
    ? [
        `not judged: ${notJudged.join(', ')} (bpftool loads the object as a whole and stopped at the first refused program; python3 with libbpf1 on the host judges each program)`,
      ]
    : [];
  return { ...report, notes };
}
