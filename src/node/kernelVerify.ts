// The real kernel's verdict on every XDP program of an object, in the shape of our own verifier's
// report (core/verifier/verdict.ts), so `xdp-lab verify --kernel` and the differential test can diff.
// libbpf (through python3's ctypes) loads one program at a time (autoload off for the others), as an
// XDP loader would: programs of sections libbpf >= 1.0 does not type are typed XDP, maps left at
// max_entries 0 are sized, nothing is pinned.
import { readFile } from 'node:fs/promises';
import { runProcess } from './process';
import { parseVerifierLog } from '../core/analysis/verifierLog';
import { parseElf } from '../core/elf/elfFile';
import { loadObject, RING_BUFFERS, ZERO_ENTRIES } from '../core/elf/loadObject';
import { pathFromKernelLog } from '../core/verifier/kernelLogPath';
import { libbpfLayout, textBaseOf } from '../core/verifier/libbpfLayout';
import { PROGRAM_TOO_LONG_MESSAGE } from '../core/verifier/verdict';
import type { ProgramVerdict, VerifyReport } from '../core/verifier/verdict';

/** The kernel could not be asked at all (no root, no python3/libbpf, not Linux): not a verdict. */
export class KernelVerifyUnavailable extends Error {}

/**
 * Per XDP program: open the object, autoload only that program, load with log level 4 (stats: the
 * processed-insn count) and, if refused, again with level 1|4 into a 16 MiB buffer (the kernel's
 * rotating log keeps the tail, where the complaint is) for the source-line annotations. Every fd
 * is closed when the object is closed: nothing stays loaded, nothing is pinned.
 */
export const LIBBPF_VERIFY_SCRIPT = String.raw`
import ctypes, json, os, sys
try:
    lib = ctypes.CDLL("libbpf.so.1", use_errno=True)
except OSError as e:
    print(json.dumps({"unavailable": "libbpf.so.1 not found (install the Debian package libbpf1): " + str(e)})); sys.exit(0)
vp = ctypes.c_void_p
def fn(name, res, args):
    f = getattr(lib, name); f.restype = res; f.argtypes = args; return f
open_file = fn("bpf_object__open_file", vp, [ctypes.c_char_p, vp])
get_error = fn("libbpf_get_error", ctypes.c_long, [vp])
next_prog = fn("bpf_object__next_program", vp, [vp, vp])
prog_name = fn("bpf_program__name", ctypes.c_char_p, [vp])
sec_name = fn("bpf_program__section_name", ctypes.c_char_p, [vp])
prog_type = fn("bpf_program__type", ctypes.c_int, [vp])
set_autoload = fn("bpf_program__set_autoload", ctypes.c_int, [vp, ctypes.c_bool])
set_type = fn("bpf_program__set_type", ctypes.c_int, [vp, ctypes.c_int])
set_attach = fn("bpf_program__set_expected_attach_type", ctypes.c_int, [vp, ctypes.c_int])
next_map = fn("bpf_object__next_map", vp, [vp, vp])
set_pin_path = fn("bpf_map__set_pin_path", ctypes.c_int, [vp, ctypes.c_char_p])
map_type = fn("bpf_map__type", ctypes.c_int, [vp])
max_entries = fn("bpf_map__max_entries", ctypes.c_uint32, [vp])
set_max_entries = fn("bpf_map__set_max_entries", ctypes.c_int, [vp, ctypes.c_uint32])
possible_cpus = fn("libbpf_num_possible_cpus", ctypes.c_int, [])()
set_level = fn("bpf_program__set_log_level", ctypes.c_int, [vp, ctypes.c_uint32])
set_buf = fn("bpf_program__set_log_buf", ctypes.c_int, [vp, ctypes.c_char_p, ctypes.c_size_t])
load = fn("bpf_object__load", ctypes.c_int, [vp])
close = fn("bpf_object__close", None, [vp])
PRINT = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_char_p, vp)
# libbpf's messages are not printed, but one is noted: init_prog_array_slots' "failed to initialize
# slot [i] to prog" comes after every autoloaded program passed the verifier, when a prog array's
# declared slot (.values = { [0] = &prog }) names a program this script left unloaded (its fd is -1:
# EBADF; libbpf 1.1 does not skip programs with autoload off there).
slot_fail = []
def on_print(level, fmt, args):
    if fmt and b"failed to initialize slot" in fmt and b"to prog" in fmt:
        slot_fail.append(True)
    return 0
quiet = PRINT(on_print)
fn("libbpf_set_print", vp, [PRINT])(quiet)
path = sys.argv[1].encode()
only = sys.argv[2] if len(sys.argv) > 2 and sys.argv[2] else None
# Programs XDP Lab's ELF loader takes as XDP whose section libbpf >= 1.0 no longer types
# (SEC("xdp_sock"), "xdp_fail1", "xdp/pass": iproute2, xdp-loader and libxdp load any section as XDP,
# as pre-1.0 libbpf's legacy section matching did): name -> expected attach type.
untyped = json.loads(sys.argv[3]) if len(sys.argv) > 3 else {}
# xdp-lab verify --kconfig FILE: bpf_object_open_opts.kconfig (read before the system config, which
# libbpf reads for the .kconfig externs the file leaves unset). sz covers the fields up to kconfig.
open_opts = None
if len(sys.argv) > 4 and sys.argv[4]:
    import gzip
    with open(sys.argv[4], "rb") as f:
        text = f.read()
    if text[:2] == b"\x1f\x8b":
        text = gzip.decompress(text)
    kconfig_text = ctypes.create_string_buffer(text)
    open_opts = ctypes.create_string_buffer(48)
    ctypes.memmove(open_opts, (48).to_bytes(8, "little"), 8)
    ctypes.memmove(ctypes.addressof(open_opts) + 40, ctypes.addressof(kconfig_text).to_bytes(8, "little"), 8)

def programs(obj):
    p = None
    while True:
        p = next_prog(obj, p)
        if not p:
            return
        yield p

def open_obj():
    obj = open_file(path, open_opts)
    err = get_error(obj)
    if err:
        print(json.dumps({"error": "libbpf cannot open it: " + os.strerror(abs(err))})); sys.exit(0)
    # No pinning: a LIBBPF_PIN_BY_NAME map would stay in /sys/fs/bpf after the load, and the next
    # object with a map of that name but another definition would fail to reuse it (EINVAL in
    # bpf_object__reuse_map, before the verifier). The verifier's verdict needs fresh maps only.
    # A map left at max_entries 0 for its loader to size (xdp-bench's per-CPU counters; EINVAL at
    # map creation as it is) gets the possible CPUs, as loadObject sizes it for our verifier;
    # libbpf sizes a PERF_EVENT_ARRAY (4) itself, ring buffers are not sized so, and the storage
    # maps (cgroup, sk, inode, task, cgrp) exist only at max_entries 0: loadObject.ts's lists.
    m = None
    while True:
        m = next_map(obj, m)
        if not m:
            break
        set_pin_path(m, None)
        if max_entries(m) == 0 and map_type(m) not in (${[4, ...RING_BUFFERS, ...ZERO_ENTRIES].join(', ')}):
            set_max_entries(m, possible_cpus)
    return obj

obj = open_obj()
progs = [(prog_name(p).decode(), sec_name(p).decode(), prog_type(p)) for p in programs(obj)]
close(obj)
out = []
for name, sec, ptype in progs:
    if (ptype != 6 and not (ptype == 0 and name in untyped)) or (only is not None and name != only):
        continue
    res = {"name": name, "section": sec}
    for level, size in ((4, 1 << 16), (1 | 4, 1 << 24)):
        obj = open_obj()
        buf = ctypes.create_string_buffer(size)
        for p in programs(obj):
            mine = prog_name(p).decode() == name
            set_autoload(p, mine)
            if mine:
                if name in untyped and prog_type(p) == 0:
                    set_type(p, 6)
                    set_attach(p, untyped[name])
                set_level(p, level)
                set_buf(p, buf, size)
        del slot_fail[:]
        r = load(obj)
        close(obj)
        if r != 0 and slot_fail:
            r = 0  # the verifier accepted the program; only the prog array's fill failed (above)
        res["log"] = buf.value.decode(errors="replace")
        res["errno"] = abs(r)
        res["strerror"] = os.strerror(abs(r)) if r else ""
        if r == 0:
            break
    out.append(res)
print(json.dumps({"programs": out}))
`;

/** One program's load outcome as the libbpf script prints it (also built from bpftool's log). */
export interface ScriptProgram {
  name: string;
  section: string;
  log: string;
  errno: number;
  strerror: string;
}

const EPERM = 1;
const E2BIG = 7;

/** Turns one program's load outcome into a verdict (exported for tests of the log reading). */
export function kernelVerdict(p: ScriptProgram): ProgramVerdict {
  const processed = /processed (\d+) insns/.exec(p.log);
  const insnsProcessed = processed ? Number(processed[1]) : 0;
  // The stats line's total_states: the states the kernel kept for pruning.
  const states = /total_states (\d+)/.exec(p.log);
  const peak = /peak_states (\d+)/.exec(p.log);
  const stats = {
    ...(states ? { statesExplored: Number(states[1]) } : {}),
    ...(peak ? { peakStates: Number(peak[1]) } : {}),
  };
  if (p.errno === 0)
    return { name: p.name, section: p.section, verdict: 'accepted', insnsProcessed, ...stats };
  const wrapped = `libbpf: prog '${p.name}': -- BEGIN PROG LOAD LOG --\n${p.log}\n-- END PROG LOAD LOG --\n`;
  const r = p.log.trim() ? parseVerifierLog(wrapped) : undefined;
  // All the lines of the complaint, as the kernel wrote them (core/verifier's messages do the same).
  const message =
    r?.complaintLines.join('\n') ??
    // E2BIG with no log: bpf_prog_load's length check, before the verifier (core/verifier/verdict.ts).
    (p.errno === E2BIG && !p.log.trim()
      ? PROGRAM_TOO_LONG_MESSAGE
      : `the program could not be loaded: ${p.strerror}`);
  // is_state_visited names the instruction it stops at, the loop's head (its verbose_linfo line is
  // printed before the words); the log's last instruction line is the one that led back to it.
  const loopAt = /^infinite loop detected at insn (\d+)/.exec(message);
  return {
    name: p.name,
    section: p.section,
    verdict: 'rejected',
    insnsProcessed,
    ...stats,
    error: {
      message,
      insn: loopAt ? Number(loopAt[1]) : (r?.insn ?? 0),
      ...(r?.file !== undefined ? { file: r.file } : {}),
      ...(r?.line !== undefined ? { line: r.line + 1 } : {}),
      // The refused state's walk is what a log_level 1 log keeps (core/verifier/kernelLogPath.ts).
      path: pathFromKernelLog(p.log) ?? [],
    },
  };
}

/** Asks the running kernel (root or CAP_BPF+CAP_NET_ADMIN) about every XDP program of `objectPath`. */
export async function kernelVerifyObject(
  objectPath: string,
  opts: { program?: string; python?: string; signal?: AbortSignal; kconfigFile?: string } = {},
): Promise<VerifyReport> {
  if (process.platform !== 'linux') throw new KernelVerifyUnavailable('the kernel verifier needs Linux');
  const python = opts.python ?? 'python3';
  const bytes = await readFile(objectPath);
  const argv = [
    python,
    '-c',
    LIBBPF_VERIFY_SCRIPT,
    objectPath,
    opts.program ?? '',
    xdpAttachTypes(bytes),
    opts.kconfigFile ?? '',
  ];
  let result;
  try {
    result = await runProcess(argv, opts.signal ? { signal: opts.signal } : {});
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EACCES')
      throw new KernelVerifyUnavailable(
        `${python} not found: install the Debian package python3 (it drives libbpf for --kernel)`,
      );
    throw e;
  }
  let parsed: { programs?: ScriptProgram[]; error?: string; unavailable?: string };
  try {
    parsed = JSON.parse(result.stdout) as typeof parsed;
  } catch {
    throw new KernelVerifyUnavailable(
      `the libbpf loader failed: ${result.stderr.trim().split('\n').pop() ?? `exit ${String(result.code)}`}`,
    );
  }
  if (parsed.unavailable) throw new KernelVerifyUnavailable(parsed.unavailable);
  if (parsed.error) throw new KernelVerifyUnavailable(parsed.error + legacyMapsHint(bytes));
  return verdictsOfLoads(parsed.programs ?? [], bytes);
}

/** enum bpf_attach_type (uapi/linux/bpf.h) of each XDP attach point. */
const ATTACH_TYPE = { devmap: 33, cpumap: 35, xdp: 37 } as const;

/**
 * The script's third argument: every program our ELF loader takes as XDP, with its expected attach
 * type, as JSON. The script types with it the ones libbpf leaves BPF_PROG_TYPE_UNSPEC (a section name
 * libbpf >= 1.0 does not know), so that they are judged as the XDP loaders that load them do.
 */
export function xdpAttachTypes(bytes: Uint8Array): string {
  try {
    const obj = loadObject(bytes, { forVerifier: true });
    return JSON.stringify(Object.fromEntries(obj.programs.map((p) => [p.name, ATTACH_TYPE[p.attach]])));
  } catch {
    return '{}';
  }
}

/**
 * Why libbpf cannot open an object with a legacy `maps` section (libbpf.c bpf_object__init_maps:
 * "legacy map definitions in 'maps' section are not supported by libbpf v1.0+"), which iproute2 and
 * Cilium objects have and their own loaders read: said, since libbpf's errno alone does not.
 */
function legacyMapsHint(bytes: Uint8Array): string {
  try {
    if (!parseElf(bytes).section('maps')) return '';
  } catch {
    return '';
  }
  return (
    " (libbpf >= 1.0 refuses the legacy map definitions of its section 'maps', as iproute2 and Cilium " +
    'objects have; their own loaders load them: compare with a build whose maps are BTF-defined)'
  );
}

/**
 * The report for the load outcomes of one object, placed on source lines from `bytes` (our copy of
 * the object). An EPERM with no verifier statistics is the loader's missing privilege, not a verdict.
 */
export function verdictsOfLoads(programs: readonly ScriptProgram[], bytes: Uint8Array): VerifyReport {
  if (programs.some((p) => p.errno === EPERM && !/processed \d+ insns/.test(p.log)))
    throw new KernelVerifyUnavailable('loading BPF programs needs root (or CAP_BPF and CAP_NET_ADMIN)');
  return { programs: placeOnSourceLines(programs.map(kernelVerdict), bytes) };
}

/**
 * The line of the instruction the kernel stopped at, from the object's BTF line info — what the
 * kernel's verbose_linfo() would print for it. The log's last "; … @ file:line" annotation is not
 * always that line: the kernel prints an annotation only when it differs from the previous one
 * printed, so a second path through already-annotated code (a leak found at a shared exit) leaves
 * the annotation of an earlier line last. Falls back to the annotation when the object cannot be read.
 */
function placeOnSourceLines(verdicts: ProgramVerdict[], bytes: Uint8Array): ProgramVerdict[] {
  let obj: ReturnType<typeof loadObject> | undefined;
  let elf: ReturnType<typeof parseElf>;
  try {
    obj = loadObject(bytes, { forVerifier: true });
    elf = parseElf(bytes);
  } catch {
    return verdicts;
  }
  return verdicts.map((v) => {
    if (!v.error?.insn && v.error?.insn !== 0) return v;
    const prog = obj?.program(v.name);
    // The kernel numbers a sub-program's instructions in libbpf's layout, ours links all of .text.
    const layout = prog ? libbpfLayout(elf, prog.insns, textBaseOf(elf, prog.name, prog.section)) : undefined;
    // Instruction indices in our numbering, as ours reports them (messages keep the kernel's words).
    const ours = (pc: number) => layout?.fromKernel(pc) ?? pc;
    const insn = ours(v.error.insn);
    const src = prog?.sourceOf(insn);
    if (!src || v.error.line === undefined) return v;
    // The file as clang recorded it and the column, as our verifier reports them (the same line info),
    // so that `verify --json` and `verify --kernel --json` have the same shape and compare equal.
    const { message } = v.error;
    const path = v.error.path.map((s) => {
      const at = prog?.sourceOf(ours(s.insn));
      return {
        insn: ours(s.insn),
        ...(at ? { line: at.line, file: at.file } : {}),
        taken: s.taken,
        text: s.text,
      };
    });
    return { ...v, error: { message, insn, file: src.file, line: src.line, column: src.column, path } };
  });
}
