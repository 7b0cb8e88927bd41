// The kernel's ns per run, taken as ours are: the best of several `bpftool prog run … repeat N`
// samples (one sample against our best of five made the ratio depend on a neighbour's burst), all
// inside one hold of the kernel-test lock. bpf_test_run reports total / repeat rounded down to whole
// ns (do_div in bpf_test_timer_leave), so the kernel's true figure lies in [d, d + 1): ratios taken
// against d are upper bounds of ours / the kernel's.
import { spawnSync } from 'node:child_process';

/** Samples per kernel figure (our rows take the best of five runs too). */
export const KERNEL_SAMPLES = 5;

/** What the samples gave: the best ns per run and the output of the last sample. */
export interface KernelSamples {
  ns: number;
  output: string;
}

/**
 * Runs `argv` (a `bpftool prog run … repeat N` command line, prefixes such as nsenter and taskset
 * included) `samples` times under /tmp/xdp-lab-kernel.lock and returns the least "duration
 * (average)", or undefined when no sample printed one.
 */
export function kernelBestOf(argv: readonly string[], samples = KERNEL_SAMPLES): KernelSamples | undefined {
  const r = spawnSync(
    'flock',
    [
      '/tmp/xdp-lab-kernel.lock',
      'sh',
      '-c',
      `i=0; while [ $i -lt ${samples} ]; do "$@" 2>&1; i=$((i+1)); done`,
      'sh',
      ...argv,
    ],
    { encoding: 'utf8' },
  );
  const output = String(r.stdout) + String(r.stderr);
  const ns = [...output.matchAll(/duration \(average\): (\d+)ns/g)].map((m) => Number(m[1]));
  if (ns.length === 0) return undefined;
  return { ns: Math.min(...ns), output };
}
