// The kernel's ns per run beside ours, in pairs (bench/lib/pairedRounds.ts): `bpftool prog run …
// repeat N` rounds interleaved with our test runs of the same program and frame, both pinned to
// PAIR_CPU, every round about ROUND_NS long, all inside one hold of the kernel-test lock.
// bpf_test_run reports total / repeat rounded down to whole ns (do_div in bpf_test_timer_continue),
// so the kernel's true figure lies in [d, d + 1): a ratio taken against d may read up to 1/d high —
// 20 % for XDP_PASS (5–8 ns), 8 % for the parser (12 ns), 3 % for the flow counter (37 ns). Its clock is ktime with the time spent in cond_resched
// taken out (bpf_test_timer_continue), i.e. the kernel's CPU time; ours is this process's CPU time.
import { spawnSync } from 'node:child_process';
import { acquireKernelLock } from '../../test/kernel/lib/lock';
import { PAIR_CPU, PAIRS, pairedVariants, pinnedTo, type PairStats } from './pairedRounds';

/** The length each round aims at: short enough to fit between a neighbour's bursts, long enough that
 * process start-up is not in it (bpftool times the runs only) and CPU time is precise. */
export const ROUND_NS = 50e6;

/** One `bpftool prog run` (argv: the whole command line) and its "duration (average)", or undefined. */
export function testRunOnce(argv: readonly string[]): { ns: number; output: string } | undefined {
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: 'utf8' });
  const output = String(r.stdout) + String(r.stderr);
  const m = /duration \(average\): (\d+)ns/.exec(output);
  return m ? { ns: Number(m[1]), output } : undefined;
}

/**
 * Runs `body` holding /tmp/xdp-lab-kernel.lock (no other kernel test runs meanwhile) and returns
 * only once the lock is free again: the next row may block on it synchronously (spawnSync of `flock
 * … bpftool prog loadall`), which would wait on its own lock if the holder were still alive.
 */
export async function withKernelLock<T>(body: () => Promise<T> | T): Promise<T> {
  const lock = await acquireKernelLock(30 * 60_000);
  try {
    return await body();
  } finally {
    await lock.release();
  }
}

export interface PairedTestRun {
  /** The pinned program (bpffs path) and the frame file given to `bpftool prog run`. */
  pin: string;
  dataIn: string;
  /** Put before taskset (e.g. nsenter into the namespace whose tables the program reads). */
  prefix?: readonly string[];
  /** The kernel's output must match this (e.g. /Return value: 2\b/), or there is no figure. */
  expect?: RegExp;
  /** Our ns per run over `repeat` runs (CPU time), warmed up by the caller; one per variant (tier). */
  ours: Record<string, (repeat: number) => number>;
  pairs?: number;
}

const clamp = (x: number, lo: number, hi: number): number => Math.round(Math.min(hi, Math.max(lo, x)));

/**
 * The pairs of a per-run row: a calibration round on each side sets the repeat counts that make a
 * round ≈ ROUND_NS long (equal time: the kernel's run is 3–20× shorter than ours, and equal counts
 * would give it a window 3–20× narrower than ours), then PAIRS pairs. Undefined without a figure
 * from the kernel (the reason goes to stderr).
 */
export async function pairedTestRun(o: PairedTestRun): Promise<Record<string, PairStats> | undefined> {
  const argv = (repeat: number): string[] => [
    ...(o.prefix ?? []),
    'taskset',
    '-c',
    String(PAIR_CPU),
    'bpftool',
    'prog',
    'run',
    'pinned',
    o.pin,
    'data_in',
    o.dataIn,
    'repeat',
    String(repeat),
  ];
  return withKernelLock(() =>
    pinnedTo(PAIR_CPU, async () => {
      const kernelRound = (repeat: number): number | undefined => {
        const r = testRunOnce(argv(repeat));
        if (!r || (o.expect && !o.expect.test(r.output))) {
          process.stderr.write(`bench: ${argv(repeat).join(' ')}: ${r?.output ?? 'no duration'}\n`);
          return undefined;
        }
        // 0 ns (a run shorter than 1 ns) has no ratio: count it as the rounding's upper bound.
        return Math.max(r.ns, 1);
      };
      const k = kernelRound(100_000);
      if (k === undefined) return undefined;
      const kernelRepeat = clamp(ROUND_NS / k, 100_000, 20_000_000);
      const variants: Record<string, () => number> = {};
      for (const [name, ours] of Object.entries(o.ours)) {
        const repeat = clamp(ROUND_NS / ours(20_000), 20_000, 2_000_000);
        variants[name] = () => ours(repeat);
      }
      return pairedVariants(() => kernelRound(kernelRepeat), variants, o.pairs ?? PAIRS);
    }),
  );
}
