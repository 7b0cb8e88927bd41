// Paired, interleaved rounds for the rows that compare with the kernel (issue #16 is judged on
// "ours vs the kernel's own figure, on the same machine, in the same run"). This VM's speed swings
// by up to 2× over seconds (noisy neighbours on the host: steal, a busy SMT sibling, cache and
// memory bandwidth), so a best-of on each side, taken minutes apart, compares the quietest window
// of one with the quietest window of the other and the ratio carries the swing. Here each of our
// rounds sits next to a kernel round of about the same length, both pinned to the same CPU; what
// the machine does to both at that moment cancels in their quotient.
//
// Statistics, written down (docs/vm.md "Measuring against the kernel"):
// - the figure is the MEDIAN of the per-pair ratios, not a ratio of two best-ofs nor of two means:
//   a pair's ratio is one estimate of the true ratio under that moment's machine speed; a burst
//   shorter than a round lands on one side of one pair and makes that pair an outlier, which the
//   median ignores as long as fewer than half the pairs are hit (N ≥ 5: two of five);
// - the spread (min–max of the pair ratios) is printed beside it: it says how far one pair can be
//   from another on this machine, i.e. how much a single side-by-side run could be trusted;
// - the order inside a pair alternates (kernel, ours | ours, kernel | …: ABBA): a slow drift across
//   a pair then biases alternate pairs in opposite directions, and the median keeps neither bias;
// - rounds of about equal length (equal time for per-run rows, equal work for the simulator): the
//   two members of a pair see the same window, and short rounds (tens of ms) fit inside the quiet
//   windows between a neighbour's bursts.
import { spawnSync } from 'node:child_process';
import type { BenchRow } from './benchRow';

/** What the pairs gave: each side's rounds (a cost: ns per run, CPU s per frame…) and their ratios. */
export interface PairStats {
  /** Our cost in each pair, in the row's unit. */
  ours: number[];
  /** The kernel's cost in each pair, same unit. */
  kernel: number[];
  /** ours / kernel, pair by pair (how many times the kernel's speed ours is slower). */
  ratios: number[];
  /** The median of `ratios`: the row's ratio and its `meets` decision. */
  median: number;
  min: number;
  max: number;
}

/** Pairs per paired row (the median of 7 stays clean with up to 3 disturbed pairs). */
export const PAIRS = 7;

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
}

/** The statistics of pairs already measured (ours[i] and kernel[i] taken side by side). */
export function pairStats(ours: readonly number[], kernel: readonly number[]): PairStats {
  if (ours.length !== kernel.length || ours.length === 0)
    throw new Error(`pairStats: ${ours.length} rounds of ours against ${kernel.length} of the kernel`);
  const ratios = ours.map((o, i) => o / (kernel[i] as number));
  return {
    ours: [...ours],
    kernel: [...kernel],
    ratios,
    median: median(ratios),
    min: Math.min(...ratios),
    max: Math.max(...ratios),
  };
}

/**
 * `pairs` pairs of rounds, kernel and ours side by side, the order alternating pair by pair (ABBA).
 * Each callback runs one round and returns its cost; a kernel round that gives undefined (no
 * figure) ends the measurement with undefined.
 */
export async function pairedRounds(
  kernelRound: () => number | undefined | Promise<number | undefined>,
  ourRound: () => number | Promise<number>,
  pairs = PAIRS,
): Promise<PairStats | undefined> {
  return (await pairedVariants(kernelRound, { ours: ourRound }, pairs))?.ours;
}

/**
 * pairedRounds for several of our variants (tiers…) against one kernel: round-robin — pair i of
 * every variant before pair i + 1 of any — so that all variants sample the same stretch of the
 * machine's time and rows that run the same code read the same (measured one variant after the
 * other, a 2× slow spell of ten seconds fell on one variant's pairs only).
 */
export async function pairedVariants<V extends string>(
  kernelRound: () => number | undefined | Promise<number | undefined>,
  variants: Record<V, () => number | Promise<number>>,
  pairs = PAIRS,
): Promise<Record<V, PairStats> | undefined> {
  const names = Object.keys(variants) as V[];
  const ours = new Map<V, number[]>(names.map((n) => [n, []]));
  const kernel = new Map<V, number[]>(names.map((n) => [n, []]));
  let flip = false;
  for (let i = 0; i < pairs; i++)
    for (const n of names) {
      let o: number | undefined;
      if (flip) o = await variants[n]();
      const k = await kernelRound();
      if (k === undefined) return undefined;
      if (!flip) o = await variants[n]();
      ours.get(n)?.push(o as number);
      kernel.get(n)?.push(k);
      flip = !flip;
    }
  const out = {} as Record<V, PairStats>;
  for (const n of names) out[n] = pairStats(ours.get(n) ?? [], kernel.get(n) ?? []);
  return out;
}

/**
 * The CPU the paired rounds run on: both sides on one CPU (the kernel's under taskset, ours by
 * pinning this process), since this VM's two vCPUs are not equally fast at a given moment
 * (different host threads, different neighbours).
 */
export const PAIR_CPU = 0;

/**
 * Runs `body` with every thread of this process pinned to `cpu` (taskset -a -p; threads started
 * meanwhile inherit the mask), then restores the previous mask. Without taskset, runs unpinned.
 */
export async function pinnedTo<T>(cpu: number, body: () => Promise<T> | T): Promise<T> {
  const pid = String(process.pid);
  const before = /: *([0-9a-f,]+)\s*$/.exec(
    String(spawnSync('taskset', ['-p', pid], { encoding: 'utf8' }).stdout ?? ''),
  )?.[1];
  const pinned =
    before !== undefined && spawnSync('taskset', ['-a', '-p', '-c', String(cpu), pid]).status === 0;
  try {
    return await body();
  } finally {
    if (pinned && before !== undefined) spawnSync('taskset', ['-a', '-p', before, pid]);
  }
}

/** A row's `pairs` field: what bench.json keeps of them (scripts/bench.mjs prints median (min–max)). */
export function pairsField(p: PairStats): NonNullable<BenchRow['pairs']> {
  const r = (x: number): number => Number(x.toPrecision(4));
  return {
    n: p.ratios.length,
    min: r(p.min),
    max: r(p.max),
    ratios: p.ratios.map(r),
    ours: p.ours.map(r),
    kernel: p.kernel.map(r),
  };
}
