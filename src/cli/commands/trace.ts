// `xdp-lab trace`: not implemented yet — it arrives with issue #xdp-lab trace --host [USER@]HOST[:PORT] [--identity FILE] [--tool bpftrace|perf] [--duration S] [--json]:7, which replaces this file.
import { usageError } from '../cliError';
import type { CliCommand } from '../command';

export const traceCommand: CliCommand = {
  name: 'trace',
  summary: 'Capture xdp',
  usage: '* tracepoints on a remote host over SSH',
  run() {
    return Promise.reject(usageError('trace', 'not available yet in this build (tracked in issue #xdp-lab trace --host [USER@]HOST[:PORT] [--identity FILE] [--tool bpftrace|perf] [--duration S] [--json]:7)'));
  },
};
