// `xdp-lab check`: not implemented yet — it arrives with issue #5, which replaces this file.
import { usageError } from '../cliError';
import type { CliCommand } from '../command';

export const checkCommand: CliCommand = {
  name: 'check',
  summary: 'Run the XDP C analyzer on a file',
  usage: 'xdp-lab check FILE.c [--json]',
  run() {
    return Promise.reject(usageError('check', 'not available yet in this build (tracked in issue #5)'));
  },
};
