// Benchmarks of XDP Lab's own verifier (issue 11 "Speed"): milliseconds to verify (a) a 2,000-insn
// straight-line packet program (target < 50 ms) and (b) a katran-size program, ~2,500 insns with
// 300 two-way branches whose paths join (target < 500 ms). Programs are assembled here; the engine
// is bundled by esbuild as bench/vm.bench.ts does (tsx's live-binding getters would be measured).
// (c) Real objects you built yourself (XDP_LAB_BENCH_OBJECTS=a.o,b.o — e.g. katran's balancer, never
// committed): our time per XDP program beside the kernel's own "verification time" (root) as a ratio.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { bundledEngine as bundleCore } from './lib/bundledEngine';
import type * as VerifyModule from '../src/core/verifier/verifyObject';
import type * as AsmModule from '../src/core/vm/asm';
import type * as IsaModule from '../src/core/vm/isa';
import type { Insn } from '../src/core/vm/isa';

type Engine = typeof VerifyModule & { A: typeof AsmModule; I: typeof IsaModule };

const bundledEngine = (dir: string): Engine =>
  bundleCore<Engine>(dir, ['core/verifier/verifyObject'], { A: 'core/vm/asm', I: 'core/vm/isa' });

export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  target?: number;
  kernel?: number;
  ratio?: number;
}

/** r2 = data_end, r1 = data, one bounds check for `len` bytes, then `body`, return XDP_PASS. */
function packetProgram({ A, I }: Engine, len: number, body: Insn[]): Insn[] {
  const tail = [A.mov64(0, 2), A.exit()];
  return [
    A.ldx(4, 2, 1, 4),
    A.ldx(4, 1, 1, 0),
    A.movReg(3, 1),
    A.aluK(true, I.ALU_ADD, 3, len),
    A.jmpX(true, I.JMP_JGT, 3, 2, body.length),
    ...body,
    ...tail,
  ];
}

/** 2,000 instructions of loads and arithmetic inside a checked 64-byte header. */
function straightLine(e: Engine): Insn[] {
  const { A, I } = e;
  const body: Insn[] = [];
  while (body.length < 1990)
    body.push(
      A.ldx(1, 4, 1, body.length % 60),
      A.aluK(true, I.ALU_AND, 4, 0x3f),
      A.aluX(true, I.ALU_ADD, 5, 4),
    );
  return packetProgram(e, 64, [A.mov64(5, 0), ...body]);
}

/** 300 diamonds: each compares a packet byte and sets a flag on one side, then the paths join. */
function branchy(e: Engine): Insn[] {
  const { A, I } = e;
  const body: Insn[] = [A.mov64(5, 0)];
  for (let k = 0; k < 300; k++)
    body.push(
      A.ldx(1, 4, 1, k % 60),
      A.jmpK(true, I.JMP_JGT, 4, 0x80, 2),
      A.aluK(true, I.ALU_ADD, 5, 1),
      A.ja(1),
      A.aluK(true, I.ALU_OR, 6, 1 << (k % 30)),
      A.mov64(6, 0),
      A.aluX(true, I.ALU_ADD, 7, 4),
      A.mov64(7, 0),
    );
  return packetProgram(e, 64, [A.mov64(6, 0), A.mov64(7, 0), ...body]);
}

function timeIt(e: Engine, name: string, insns: Insn[], target: number): BenchRow {
  const input = {
    name,
    section: 'xdp',
    attach: 'xdp' as const,
    insns,
    ldImm64: () => undefined,
    sourceOf: () => undefined,
  };
  const first = e.verifyProgram(input);
  if (first.verdict !== 'accepted') throw new Error(`${name}: ${first.error?.message ?? 'rejected'}`);
  const runs: number[] = [];
  for (let k = 0; k < 7; k++) {
    const t0 = process.cpuUsage();
    e.verifyProgram(input);
    const d = process.cpuUsage(t0);
    runs.push((d.user + d.system) / 1000);
  }
  runs.sort((a, b) => a - b);
  return {
    name: `verifier: ${name} (${insns.length} insns)`,
    value: Number((runs[3] as number).toFixed(2)),
    unit: 'ms',
    target,
  };
}

/**
 * The kernel's own verification time (ms) per XDP program of `obj`: libbpf through python3's ctypes
 * loads each program alone with log level 4 (stats) and reads "verification time N usec" from the log.
 */
function kernelVerifyMs(obj: string): Map<string, number> {
  const script = String.raw`
import ctypes, json, sys
lib = ctypes.CDLL("libbpf.so.1")
vp = ctypes.c_void_p
def fn(n, r, a):
    f = getattr(lib, n); f.restype = r; f.argtypes = a; return f
op = fn("bpf_object__open_file", vp, [ctypes.c_char_p, vp]); nx = fn("bpf_object__next_program", vp, [vp, vp])
nm = fn("bpf_program__name", ctypes.c_char_p, [vp]); ty = fn("bpf_program__type", ctypes.c_int, [vp])
al = fn("bpf_program__set_autoload", ctypes.c_int, [vp, ctypes.c_bool]); lv = fn("bpf_program__set_log_level", ctypes.c_int, [vp, ctypes.c_uint32])
lb = fn("bpf_program__set_log_buf", ctypes.c_int, [vp, ctypes.c_char_p, ctypes.c_size_t]); ld = fn("bpf_object__load", ctypes.c_int, [vp]); cl = fn("bpf_object__close", None, [vp])
P = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.c_int, ctypes.c_char_p, vp); q = P(lambda a, b, c: 0); fn("libbpf_set_print", vp, [P])(q)
def progs(o):
    p = None
    while True:
        p = nx(o, p)
        if not p: return
        yield p
o = op(sys.argv[1].encode(), None); names = [nm(p).decode() for p in progs(o) if ty(p) == 6]; cl(o)
out = {}
for name in names:
    o = op(sys.argv[1].encode(), None); buf = ctypes.create_string_buffer(1 << 20)
    for p in progs(o):
        al(p, nm(p).decode() == name)
        if nm(p).decode() == name: lv(p, 4); lb(p, buf, 1 << 20)
    if ld(o) == 0:
        for line in buf.value.decode(errors="replace").splitlines():
            if line.startswith("verification time"): out[name] = int(line.split()[2]) / 1000
    cl(o)
print(json.dumps(out))
`;
  const r = spawnSync('python3', ['-c', script, obj], { encoding: 'utf8' });
  try {
    return new Map(Object.entries(JSON.parse(r.stdout) as Record<string, number>));
  } catch {
    return new Map();
  }
}

/** (c): every XDP program of the objects named by XDP_LAB_BENCH_OBJECTS, ours beside the kernel's. */
function objectRows(e: Engine): BenchRow[] {
  const objs = (process.env.XDP_LAB_BENCH_OBJECTS ?? '').split(',').filter(Boolean);
  const rows: BenchRow[] = [];
  for (const obj of objs) {
    const bytes = new Uint8Array(fs.readFileSync(obj));
    const names = e.verifyObject(bytes).programs.map((p) => p.name);
    const kernel = process.getuid?.() === 0 ? kernelVerifyMs(obj) : new Map<string, number>();
    for (const name of names) {
      const runs: number[] = [];
      let insns = 0;
      for (let k = 0; k < 5; k++) {
        const t0 = process.cpuUsage();
        insns = e.verifyObject(bytes, { program: name }).programs[0]?.insnsProcessed ?? 0;
        const d = process.cpuUsage(t0);
        runs.push((d.user + d.system) / 1000);
      }
      runs.sort((a, b) => a - b);
      const value = Number((runs[2] as number).toFixed(1));
      const k = kernel.get(name);
      rows.push({
        name: `verifier: ${path.basename(obj)} ${name} (${insns} insns processed; load included)`,
        value,
        unit: 'ms',
        target: 500,
        ...(k !== undefined ? { kernel: k, ratio: Number((value / k).toFixed(1)) } : {}),
      });
    }
  }
  return rows;
}

export function runBench(): Promise<BenchRow[]> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xlverifier-bench-'));
  try {
    const e = bundledEngine(dir);
    return Promise.resolve([
      timeIt(e, 'straight-line packet program', straightLine(e), 50),
      timeIt(e, 'katran-size branchy program', branchy(e), 500),
      ...objectRows(e),
    ]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}
