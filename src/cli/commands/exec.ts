// `xdp-lab exec`: not implemented yet — it arrives with issue #3, which replaces this file.
import { usageError } from '../cliError';
import type { CliCommand } from '../command';

export const execCommand: CliCommand = {
  name: 'exec',
  summary: 'Run raw eBPF bytecode (ISA conformance runner interface)',
  usage: 'xdp-lab exec [--program HEX] [MEMORY_HEX]',
  run() {
    return Promise.reject(usageError('exec', 'not available yet in this build (tracked in issue #3)'));
  },
};
