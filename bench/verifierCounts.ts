// How much work our verifier does beside Linux's on the same programs (issue 11): per XDP program of
// the public corpus, katran and the verifier fixtures, processed insns / total_states / peak_states
// ours vs the kernel's, and where the per-instruction visit counts first part (the kernel's level-2 log).
// Run as root (the kernel is asked through libbpf; loads are serialised on the kernel-tier lock):
//   flock /tmp/xdp-lab-kernel.lock node --import tsx bench/verifierCounts.ts [--only SUBSTR]
//     [--no-pcs] [--cache DIR] [--json OUT] [--corpus INDEX.json] [--katran OBJ] [--no-fixtures]
// --cache keeps the kernel's answers (keyed by the object's bytes) so a rerun after a change to our
// verifier asks the kernel nothing. Not a *.bench.ts: `npm run bench` does not run it.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { verifyObject } from '../src/core/verifier/verifyObject';
import { compileBpfC } from '../src/node/clang';
import { verifierFixtures } from '../test/fixtures/verifier/fixtures';

/** The kernel's statistics for one program, and its per-instruction visits when asked for. */
interface KernelCounts {
  verdict: 'accepted' | 'rejected';
  insns: number;
  states: number;
  peak: number;
  /** pc → times processed (the level-2 log's "N: (op)", "N: safe" and "from M to N: safe" lines). */
  visits?: Record<number, number>;
}

interface Row {
  target: string;
  program: string;
  ours: { verdict: string; insns: number; states: number; peak: number };
  kernel: KernelCounts | undefined;
  /** The lowest pc whose visit counts differ, with both counts; and the pcs differing most. */
  firstDiff?: { pc: number; ours: number; kernel: number };
  worst?: Array<{ pc: number; ours: number; kernel: number }>;
}

/**
 * Loads one program of an object with libbpf at a log level, as the corpus's loader does (map pin
 * paths dropped, max_entries 0 sized to the CPUs, the program typed XDP), and writes the log to a file.
 */
const LOADER = String.raw`
import ctypes, sys
lib = ctypes.CDLL("libbpf.so.1", use_errno=True)
vp = ctypes.c_void_p
def fn(name, res, args):
    f = getattr(lib, name); f.restype = res; f.argtypes = args; return f
open_file = fn("bpf_object__open_file", vp, [ctypes.c_char_p, vp])
get_error = fn("libbpf_get_error", ctypes.c_long, [vp])
next_prog = fn("bpf_object__next_program", vp, [vp, vp])
next_map = fn("bpf_object__next_map", vp, [vp, vp])
prog_name = fn("bpf_program__name", ctypes.c_char_p, [vp])
set_autoload = fn("bpf_program__set_autoload", ctypes.c_int, [vp, ctypes.c_bool])
set_type = fn("bpf_program__set_type", ctypes.c_int, [vp, ctypes.c_int])
set_level = fn("bpf_program__set_log_level", ctypes.c_int, [vp, ctypes.c_uint32])
set_buf = fn("bpf_program__set_log_buf", ctypes.c_int, [vp, ctypes.c_char_p, ctypes.c_size_t])
set_pin = fn("bpf_map__set_pin_path", ctypes.c_int, [vp, ctypes.c_char_p])
max_entries = fn("bpf_map__max_entries", ctypes.c_uint32, [vp])
set_max = fn("bpf_map__set_max_entries", ctypes.c_int, [vp, ctypes.c_uint32])
ncpus = fn("libbpf_num_possible_cpus", ctypes.c_int, [])
load = fn("bpf_object__load", ctypes.c_int, [vp])
close = fn("bpf_object__close", None, [vp])
PRINT = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_char_p, vp)
quiet = PRINT(lambda level, fmt, args: 0)
fn("libbpf_set_print", vp, [PRINT])(quiet)
path, name, level, out = sys.argv[1].encode(), sys.argv[2], int(sys.argv[3]), sys.argv[4]
size = (1 << 30) - 1 if level & 2 else 1 << 24
obj = open_file(path, None)
if get_error(obj):
    print("open failed"); sys.exit(1)
buf = ctypes.create_string_buffer(size)
p = None
while True:
    p = next_prog(obj, p)
    if not p: break
    mine = prog_name(p).decode() == name
    set_autoload(p, mine)
    if mine:
        set_type(p, 6); set_level(p, level); set_buf(p, buf, size)
m = None
while True:
    m = next_map(obj, m)
    if not m: break
    set_pin(m, None)
    if max_entries(m) == 0: set_max(m, ncpus())
r = load(obj)
close(obj)
open(out, "wb").write(buf.value)
print(r)
`;

function askKernel(obj: string, program: string, level: number): { ok: boolean; log: string } {
  const out = path.join(os.tmpdir(), `xdp-lab-counts-${process.pid}.log`);
  const r = spawnSync('python3', ['-c', LOADER, obj, program, String(level), out], { encoding: 'utf8' });
  if (r.status !== 0 || !fs.existsSync(out))
    throw new Error(`kernel load of ${obj} ${program}: ${r.stdout}${r.stderr}`);
  const log = fs.readFileSync(out, 'utf8');
  fs.rmSync(out);
  return { ok: r.stdout.trim() === '0', log };
}

function kernelCounts(obj: string, program: string, withVisits: boolean): KernelCounts {
  const { ok, log } = askKernel(obj, program, withVisits ? 2 | 4 : 4);
  const num = (re: RegExp): number => Number(re.exec(log)?.[1] ?? 0);
  const k: KernelCounts = {
    verdict: ok ? 'accepted' : 'rejected',
    insns: num(/processed (\d+) insns/),
    states: num(/total_states (\d+)/),
    peak: num(/peak_states (\d+)/),
  };
  if (withVisits) {
    const visits: Record<number, number> = {};
    // The walk starts after the "Live regs before insn" listing (its lines are indented).
    for (const line of log.split('\n')) {
      const m = /^(?:from \d+ to )?(\d+):(?: \([0-9a-f]{2}\)| safe|.*: safe$)/.exec(line);
      if (!m || (line.startsWith('from') && !line.endsWith('safe'))) continue;
      const pc = Number(m[1]);
      visits[pc] = (visits[pc] ?? 0) + 1;
    }
    k.visits = visits;
  }
  return k;
}

function args(): Map<string, string | true> {
  const a = new Map<string, string | true>();
  const v = process.argv.slice(2);
  for (let i = 0; i < v.length; i++) {
    const k = v[i] as string;
    const next = v[i + 1];
    if (next !== undefined && !next.startsWith('--') && !['--no-pcs', '--no-fixtures'].includes(k)) {
      a.set(k, next);
      i++;
    } else a.set(k, true);
  }
  return a;
}

interface Target {
  label: string;
  object: string;
  programs: string[] | undefined;
}

async function targets(opts: Map<string, string | true>, tmp: string): Promise<Target[]> {
  const list: Target[] = [];
  const katran = opts.get('--katran');
  const katranObj = typeof katran === 'string' ? katran : '/tmp/katran/balancer.o';
  if (fs.existsSync(katranObj)) list.push({ label: 'katran', object: katranObj, programs: undefined });
  const corpus = opts.get('--corpus');
  const index = typeof corpus === 'string' ? corpus : '/tmp/corpus/index.json';
  if (fs.existsSync(index)) {
    const entries = JSON.parse(fs.readFileSync(index, 'utf8')) as Array<{
      object: string;
      programs: Array<{ name: string }>;
    }>;
    for (const e of entries)
      list.push({
        label: path.basename(e.object, '.o'),
        object: e.object,
        programs: e.programs.map((p) => p.name),
      });
  }
  if (!opts.has('--no-fixtures'))
    for (const f of verifierFixtures()) {
      const { object } = await compileBpfC(f.path, { includePaths: [path.dirname(f.path)] });
      const obj = path.join(tmp, `${f.name}.o`);
      fs.writeFileSync(obj, object);
      list.push({ label: `fixture ${f.name}`, object: obj, programs: undefined });
    }
  const only = opts.get('--only');
  return typeof only === 'string' ? list.filter((t) => t.label.includes(only)) : list;
}

function compare(ours: Uint32Array, k: Record<number, number>): Pick<Row, 'firstDiff' | 'worst'> {
  const pcs = new Set<number>(Object.keys(k).map(Number));
  ours.forEach((n, pc) => {
    if (n) pcs.add(pc);
  });
  const diffs = [...pcs]
    .sort((a, b) => a - b)
    .map((pc) => ({ pc, ours: ours[pc] ?? 0, kernel: k[pc] ?? 0 }))
    .filter((d) => d.ours !== d.kernel);
  if (!diffs.length) return {};
  const worst = [...diffs]
    .sort((a, b) => Math.abs(b.ours - b.kernel) - Math.abs(a.ours - a.kernel))
    .slice(0, 5);
  return { firstDiff: diffs[0], worst };
}

async function main(): Promise<void> {
  const opts = args();
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'xdp-lab-counts-'));
  const cacheDir = opts.get('--cache');
  if (typeof cacheDir === 'string') fs.mkdirSync(cacheDir, { recursive: true });
  const rows: Row[] = [];
  const seen = new Set<string>();
  try {
    for (const t of await targets(opts, tmp)) {
      const bytes = new Uint8Array(fs.readFileSync(t.object));
      const digest = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
      // katran's balancer is also in the corpus: each object once.
      if (seen.has(digest)) continue;
      seen.add(digest);
      let names = t.programs;
      if (!names) names = verifyObject(bytes).programs.map((p) => p.name);
      for (const name of names) {
        let visits = new Uint32Array(1024);
        const rep = verifyObject(bytes, {
          program: name,
          onInsn: (pc) => {
            if (pc >= visits.length) {
              const v = new Uint32Array(Math.max(pc + 1, visits.length * 2));
              v.set(visits);
              visits = v;
            }
            visits[pc] = (visits[pc] ?? 0) + 1;
          },
        }).programs[0];
        if (!rep) continue;
        const ours = {
          verdict: rep.verdict,
          insns: rep.insnsProcessed,
          states: rep.statesExplored ?? 0,
          peak: rep.peakStates ?? 0,
        };
        const cacheFile =
          typeof cacheDir === 'string' ? path.join(cacheDir, `${digest}-${name}.json`) : undefined;
        let kernel: KernelCounts | undefined;
        if (cacheFile && fs.existsSync(cacheFile))
          kernel = JSON.parse(fs.readFileSync(cacheFile, 'utf8')) as KernelCounts;
        try {
          kernel ??= kernelCounts(t.object, name, false);
          if (!opts.has('--no-pcs') && kernel.insns !== ours.insns && !kernel.visits)
            kernel = kernelCounts(t.object, name, true);
          if (cacheFile) fs.writeFileSync(cacheFile, JSON.stringify(kernel));
        } catch (e) {
          process.stderr.write(`${(e as Error).message}\n`);
        }
        const row: Row = { target: t.label, program: name, ours, kernel };
        if (kernel?.visits && kernel.insns !== ours.insns) Object.assign(row, compare(visits, kernel.visits));
        rows.push(row);
        process.stderr.write(`${t.label} ${name}: ours ${ours.insns} kernel ${kernel?.insns ?? '?'}\n`);
      }
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  const out = opts.get('--json');
  if (typeof out === 'string') fs.writeFileSync(out, JSON.stringify(rows, null, 1));
  console.log(table(rows));
}

function table(rows: readonly Row[]): string {
  const lines = [
    '| object | program | insns ours / kernel | states ours / kernel | peak ours / kernel | first pc apart (ours/kernel) |',
    '|---|---|---|---|---|---|',
  ];
  let equal = 0;
  let over = 0;
  let under = 0;
  let sumOurs = 0;
  let sumKernel = 0;
  for (const r of rows) {
    const k = r.kernel;
    if (k) {
      if (k.insns === r.ours.insns) equal++;
      else if (r.ours.insns > k.insns) over++;
      else under++;
      sumOurs += r.ours.insns;
      sumKernel += k.insns;
    }
    const f = r.firstDiff ? `${r.firstDiff.pc} (${r.firstDiff.ours}/${r.firstDiff.kernel})` : '';
    const mark = k && k.insns !== r.ours.insns ? ' ≠' : '';
    const verdict = k && k.verdict !== r.ours.verdict ? ` VERDICT ${r.ours.verdict}/${k.verdict}` : '';
    lines.push(
      `| ${r.target} | ${r.program} | ${r.ours.insns} / ${k?.insns ?? '?'}${mark}${verdict} | ${r.ours.states} / ${k?.states ?? '?'} | ${r.ours.peak} / ${k?.peak ?? '?'} | ${f} |`,
    );
  }
  lines.push(
    '',
    `${rows.length} programs: processed insns equal on ${equal}, more than the kernel on ${over}, fewer on ${under}; total ${sumOurs} vs ${sumKernel}`,
  );
  return lines.join('\n');
}

void main();
