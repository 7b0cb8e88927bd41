// Entry of the `xdp-lab` command (package.json "bin"). Dispatches to one file per subcommand and
// enforces the exit-code contract of ../shared/specs/cli.md: never a stack trace for bad input.
import { CliError } from './cliError';
import type { CliCommand, CliIo } from './command';
import { benchCommand } from './commands/bench';
import { checkCommand } from './commands/check';
import { debugAdapterCommand } from './commands/debugAdapter';
import { execCommand } from './commands/exec';
import { importCommand } from './commands/import';
import { runCommand } from './commands/run';
import { simulateCommand } from './commands/simulate';
import { traceCommand } from './commands/trace';
import { verifyCommand } from './commands/verify';

declare const XDP_LAB_VERSION: string;

const commands: readonly CliCommand[] = [
  runCommand,
  execCommand,
  simulateCommand,
  checkCommand,
  traceCommand,
  benchCommand,
  debugAdapterCommand,
  verifyCommand,
  importCommand,
];

function help(): string {
  const width = Math.max(...commands.map((c) => c.name.length));
  return [
    `xdp-lab ${XDP_LAB_VERSION} — load, run, simulate, check and trace XDP programs`,
    '',
    'usage: xdp-lab COMMAND [options]   (xdp-lab COMMAND --help for its options)',
    '',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    '',
    'exit codes: 0 success, 1 problems found, 2 bad usage or bad input',
  ].join('\n');
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.stdout(help() + '\n');
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    io.stdout(`${XDP_LAB_VERSION}\n`);
    return 0;
  }
  const command = commands.find((c) => c.name === name);
  try {
    if (!command)
      throw new CliError(2, name, `unknown command (known: ${commands.map((c) => c.name).join(', ')})`);
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout(`usage: ${command.usage}\n`);
      return 0;
    }
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof CliError) {
      if (e.detail) io.stderr(`${e.detail.trimEnd()}\n`);
      io.stderr(`xdp-lab: ${e.what} : ${e.why}\n`);
      return e.exitCode;
    }
    // A bug of ours, not the user's input: still one line, plus where to look.
    const err = e instanceof Error ? e : new Error(String(e));
    io.stderr(`xdp-lab: internal error : ${err.message}\n`);
    if (process.env.XDP_LAB_DEBUG) io.stderr(`${err.stack ?? ''}\n`);
    return 2;
  }
}

if (require.main === module) {
  const controller = new AbortController();
  const onSignal = (): void => controller.abort();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  main(process.argv.slice(2), {
    stdout: (t) => process.stdout.write(t),
    stderr: (t) => process.stderr.write(t),
    readStdin,
    signal: controller.signal,
    interactive: process.stderr.isTTY === true,
  }).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`xdp-lab: internal error : ${String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
