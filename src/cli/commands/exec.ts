// `xdp-lab exec`: runs raw eBPF bytecode the way ISA conformance runners drive a runtime (cli.md
// "xdp-lab exec"): program hex from --program or one stdin line, optional memory hex whose address
// is passed in r1; prints r0 in lower-case hex, or one line with the reason and exit 1.
// --budget N caps the instructions (default 1 M, 0 = unlimited); --tier picks the compiler (default auto).
import { fromHex } from '../../core/maps/mapPreload';
import { LoadError, runRaw, VmFault } from '../../core/vm/rawRun';
import { intOption, parseArgs, stringOption } from '../args';
import { tierOption } from '../tierOption';
import { usageError } from '../cliError';
import type { CliCommand } from '../command';

export const execCommand: CliCommand = {
  name: 'exec',
  summary: 'Run raw eBPF bytecode (ISA conformance runner interface)',
  usage: 'xdp-lab exec [--program HEX] [--budget N] [--tier js|wasm|auto] [MEMORY_HEX]',
  async run(argv, io) {
    const args = parseArgs(argv, { program: 'string', budget: 'string', tier: 'string' }, 'exec');
    const budget = intOption(args, 'budget', 'exec', 0);
    const tier = tierOption(args, 'exec');
    if (args.positionals.length > 1) throw usageError('exec', `unexpected argument '${args.positionals[1]}'`);
    const programText = stringOption(args, 'program') ?? (await io.readStdin()).split('\n')[0] ?? '';
    const code = fromHex(programText);
    if (!code) {
      io.stdout('invalid program: not a hex string\n');
      return 1;
    }
    const memText = args.positionals[0];
    const memory = memText !== undefined ? fromHex(memText) : undefined;
    if (memText !== undefined && !memory) {
      io.stdout('invalid memory: not a hex string\n');
      return 1;
    }
    try {
      const r = runRaw(code, memory, { ...(budget !== undefined ? { budget } : {}), tier });
      io.stdout(r.r0.toString(16) + '\n');
      return 0;
    } catch (e) {
      if (e instanceof LoadError) io.stdout(`load failed: ${e.message}\n`);
      else if (e instanceof VmFault) io.stdout(`fault at pc ${e.pc}: ${e.message}\n`);
      else throw e;
      return 1;
    }
  },
};
