// `xdp-lab import --host H` (cli.md): a live host's XDP setup read over SSH (same host-key rules as
// `trace`) and written as a scenario that `simulate` runs once traffic is added. Exit 2 with one
// line for an unreachable host, a refused key or a host without bpftool/ip (naming what to install).
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { findObjects, ImportError, importRemoteHost, localPrograms } from '../../node/ssh/remoteImport';
import { acceptHostKey, checkHostKey } from '../../node/ssh/sshSession';
import { parseSshTarget, targetLabel } from '../../node/ssh/sshTarget';
import { parseArgs, stringOption } from '../args';
import { CliError, usageError } from '../cliError';
import type { CliCommand, CliIo } from '../command';

const usage = `xdp-lab import --host [USER@]HOST[:PORT] [--objects DIR]… [-o FILE] [--json]
  --host H                 user@host:port, or a Host alias of ~/.ssh/config
  --objects DIR            folder of BPF objects (*.o, searched recursively; repeatable) whose programs
                           are matched to the host's by kernel tag (default: the current folder)
  -o, --output FILE        write the scenario there (default: stdout); object paths are relative to it
  --identity FILE          private key (ssh -i)
  --ssh-config FILE        ssh config to use instead of ~/.ssh/config (ssh -F)
  --sudo                   use 'sudo -n' when the remote user is not root
  --accept-new-host-key    add an unknown host key to known_hosts (as OpenSSH's accept-new)
  --verbose                log every ssh command line to stderr
  --json                   print {"host", "kernel", "programs", "notes", "scenario"} (the scenario's
                           path with -o, else the scenario itself)
Every device of every network namespace, the XDP program on each, programs matched by tag (no match:
listed by name, id and tag) and their maps' contents. Add "traffic" to simulate it.
exit: 0 written; 2 bad usage, host key refused, host unreachable, or no bpftool/ip/root on the host`;

async function run(argv: readonly string[], io: CliIo): Promise<number> {
  const args = parseArgs(
    argv.map((a) => (a === '-o' ? '--output' : a)),
    {
      host: 'string',
      objects: 'string[]',
      output: 'string',
      identity: 'string',
      'ssh-config': 'string',
      sudo: 'boolean',
      'accept-new-host-key': 'boolean',
      verbose: 'boolean',
      json: 'boolean',
    },
    'import',
  );
  if (args.positionals.length) throw usageError('import', `unexpected argument '${args.positionals[0]}'`);
  const hostText = stringOption(args, 'host');
  if (!hostText) throw usageError('import', '--host is required');
  const target = parseSshTarget(hostText);
  if (typeof target === 'string') throw usageError(hostText, target);
  const label = targetLabel(target);
  const output = stringOption(args, 'output');
  const json = args.options.get('json') === true;
  const verbose = args.options.get('verbose') === true;
  const identity = stringOption(args, 'identity');
  const config = stringOption(args, 'ssh-config');
  const dirs = (args.options.get('objects') as string[] | undefined) ?? ['.'];
  const ssh = {
    batchMode: true,
    ...(identity ? { identityFile: identity } : {}),
    ...(config ? { configFile: config } : {}),
    log: (line: string) => {
      if (verbose) io.stderr(`$ ${line}\n`);
    },
  };

  const key = await checkHostKey(target, ssh);
  if (key.kind === 'changed' || key.kind === 'unreachable') throw new CliError(2, label, key.message);
  if (key.kind === 'unknown') {
    if (args.options.get('accept-new-host-key') !== true)
      throw new CliError(
        2,
        label,
        `unknown host key ${key.fingerprints.join(', ')}: check it with the host's administrator, then rerun with --accept-new-host-key (or add it to known_hosts)`,
      );
    const file = await acceptHostKey(target, ssh, key.keyLines);
    io.stderr(`xdp-lab: added host key ${key.fingerprints.join(', ')} of ${label} to ${file}\n`);
  }

  const base = output ? path.dirname(path.resolve(output)) : process.cwd();
  const local = await localPrograms(await findObjects(dirs.map((d) => path.resolve(d))), base);
  if (verbose) for (const s of local.skipped) io.stderr(`xdp-lab: skipped ${s}\n`);
  let imported;
  try {
    imported = await importRemoteHost(target, ssh, {
      sudo: args.options.get('sudo') === true,
      local: local.programs,
      signal: io.signal,
    });
  } catch (e) {
    if (e instanceof ImportError) throw new CliError(2, label, e.message);
    throw e;
  }
  const text = JSON.stringify(imported.scenario, null, 2) + '\n';
  if (output) await writeFile(output, text);
  if (json)
    io.stdout(
      JSON.stringify(
        {
          host: label,
          kernel: imported.kernel,
          programs: imported.programs,
          notes: imported.notes,
          scenario: output ?? imported.scenario,
        },
        null,
        2,
      ) + '\n',
    );
  else if (!output) io.stdout(text);
  if (!json) {
    const matched = imported.programs.filter((p) => p.file).length;
    io.stderr(
      `xdp-lab: ${label}: ${(imported.scenario.devices as unknown[]).length} devices, ${imported.programs.length} XDP programs (${matched} matched to local objects)${output ? `, written to ${output}` : ''}\n`,
    );
    for (const n of imported.notes) io.stderr(`xdp-lab: note: ${n}\n`);
  }
  return 0;
}

export const importCommand: CliCommand = {
  name: 'import',
  summary: "Read a live host's XDP setup over SSH and write it as a scenario",
  usage,
  run,
};
