// One row of `npm run bench` (scripts/bench.mjs prints them as a table and writes bench.json):
// the figure, its unit, the target it is read against, and the kernel's own figure with the ratio.
export interface BenchRow {
  name: string;
  value: number;
  unit: string;
  target?: number;
  kernel?: number;
  ratio?: number;
}
