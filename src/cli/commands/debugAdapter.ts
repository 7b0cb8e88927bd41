// `xdp-lab debug-adapter`: the XDP debugger as a Debug Adapter Protocol server on stdin/stdout
// (../shared/specs/debugger.md), the same session the VS Code extension runs inline — for nvim-dap,
// Emacs dap-mode or any other DAP client (docs/debugger.md).
import { serveDap } from '../../node/debug/dapServer';
import { parseArgs } from '../args';
import { usageError } from '../cliError';
import type { CliCommand } from '../command';

export const debugAdapterCommand: CliCommand = {
  name: 'debug-adapter',
  summary: 'Debug Adapter Protocol server on stdin/stdout (breakpoints, locals, step back)',
  usage: 'xdp-lab debug-adapter   (speaks DAP on stdin/stdout; launch arguments: docs/debugger.md)',
  async run(argv, io) {
    const args = parseArgs(argv, {}, 'debug-adapter');
    if (args.positionals.length)
      throw usageError('debug-adapter', `unexpected argument '${args.positionals[0]}'`);
    await serveDap(process.stdin, process.stdout, { log: (l) => io.stderr(l + '\n') });
    process.stdin.destroy(); // the client disconnected: stop reading so the process ends
    return 0;
  },
};
