// `xdp-lab bench [--json] [FILTER]`: runs the performance benchmarks (bench/*.bench.ts through
// scripts/bench.mjs, the same harness as `npm run bench`) and prints one row per figure. The
// benchmarks are TypeScript run with tsx, so this needs the source checkout the CLI was built from.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from '../args';
import { usageError } from '../cliError';
import type { CliCommand } from '../command';

export const benchCommand: CliCommand = {
  name: 'bench',
  summary: 'Run the performance benchmarks (VM speed vs the kernel, parsers, simulator)',
  usage: 'xdp-lab bench [--json] [FILTER]',
  async run(argv, io) {
    const args = parseArgs(argv, { json: 'boolean' }, 'bench');
    const root = path.resolve(__dirname, '..');
    const harness = path.join(root, 'scripts/bench.mjs');
    if (!fs.existsSync(harness) || !fs.existsSync(path.join(root, 'bench')))
      throw usageError(
        'bench',
        `the benchmarks live in the source checkout (scripts/bench.mjs, bench/); not found under ${root}`,
      );
    const child = spawn(
      process.execPath,
      [harness, ...(args.options.get('json') ? ['--json'] : []), ...args.positionals],
      {
        cwd: root,
        stdio: ['ignore', 'pipe', 'pipe'],
        signal: io.signal,
      },
    );
    child.stdout.on('data', (d: Buffer) => io.stdout(d.toString('utf8')));
    child.stderr.on('data', (d: Buffer) => io.stderr(d.toString('utf8')));
    const code = await new Promise<number>((resolve) => {
      child.on('error', () => resolve(2));
      child.on('close', (c) => resolve(c ?? 1));
    });
    return code === 0 ? 0 : 1;
  },
};
