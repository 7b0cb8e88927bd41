// `xdp-lab simulate`: not implemented yet — it arrives with issue #4, which replaces this file.
import { usageError } from '../cliError';
import type { CliCommand } from '../command';

export const simulateCommand: CliCommand = {
  name: 'simulate',
  summary: 'Run a scenario through the XDP_REDIRECT simulator',
  usage: 'xdp-lab simulate SCENARIO.json [--json] [--events FILE]',
  run() {
    return Promise.reject(usageError('simulate', 'not available yet in this build (tracked in issue #4)'));
  },
};
