// One row of `npm run bench` (scripts/bench.mjs prints them as a table and writes bench.json):
// the figure, its unit, the target it is read against, and the kernel's own figure with the ratio.
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  target?: number;
  kernel?: number;
  ratio?: number;
  /**
   * The paired rounds behind `ratio` (bench/lib/pairedRounds.ts): `ratio` — and `value` on a row
   * whose value is that ratio — is the median of `ratios`; the table prints "median (min–max)".
   */
  pairs?: {
    n: number;
    min: number;
    max: number;
    /** ours / kernel, pair by pair, in the order measured. */
    ratios: number[];
    /** Each pair's own cost and the kernel's, in the pair's unit (ns/run, ns/frame…). */
    ours: number[];
    kernel: number[];
  };
}
