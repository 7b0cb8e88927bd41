// `xdp-lab run`: not implemented yet — it arrives with issue #3, which replaces this file.
import { usageError } from '../cliError';
import type { CliCommand } from '../command';

export const runCommand: CliCommand = {
  name: 'run',
  summary: 'Run one XDP program of an object on one frame (like BPF_PROG_TEST_RUN)',
  usage: 'xdp-lab run OBJ [--prog NAME] --data FILE [--maps FILE.json] [--ifindex N] [--rx-queue N] [--repeat N] [--json]',
  run() {
    return Promise.reject(usageError('run', 'not available yet in this build (tracked in issue #3)'));
  },
};
