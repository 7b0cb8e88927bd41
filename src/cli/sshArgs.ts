// The ssh options every `--host` subcommand shares (trace, verify --kernel): their parse spec, the
// SshOptions they make, and the host-key rule (cli.md "trace": verify the key before anything is sent).
import { acceptHostKey, checkHostKey, type SshOptions } from '../node/ssh/sshSession';
import { targetLabel, type SshTarget } from '../node/ssh/sshTarget';
import { stringOption, type OptionSpec, type ParsedArgs } from './args';
import { CliError } from './cliError';
import type { CliIo } from './command';

export const sshOptionSpec: OptionSpec = {
  identity: 'string',
  'ssh-config': 'string',
  sudo: 'boolean',
  'accept-new-host-key': 'boolean',
  verbose: 'boolean',
};

/** Usage lines for the options above (each command prints them under its own). */
export const sshOptionUsage = `  --identity FILE          private key (ssh -i)
  --ssh-config FILE        ssh config to use instead of ~/.ssh/config (ssh -F)
  --sudo                   use 'sudo -n' when the remote user is not root
  --accept-new-host-key    add an unknown host key to known_hosts (as OpenSSH's accept-new)
  --verbose                log every ssh command line to stderr`;

/** Batch-mode ssh (no prompts in the CLI) with `-i`/`-F` and `--verbose` logging to stderr. */
export function sshOptionsOf(args: ParsedArgs, io: CliIo): SshOptions {
  const identity = stringOption(args, 'identity');
  const config = stringOption(args, 'ssh-config');
  const verbose = args.options.get('verbose') === true;
  return {
    batchMode: true,
    ...(identity ? { identityFile: identity } : {}),
    ...(config ? { configFile: config } : {}),
    log: (line) => {
      if (verbose) io.stderr(`$ ${line}\n`);
    },
  };
}

/**
 * Verifies the host key before anything is sent: a changed key or an unreachable host is exit 2; an
 * unknown key is exit 2 unless `acceptNew` (then it is added to known_hosts and `log` says so).
 */
export async function ensureHostKey(
  target: SshTarget,
  ssh: SshOptions,
  acceptNew: boolean,
  log: (line: string) => void,
): Promise<void> {
  const label = targetLabel(target);
  const key = await checkHostKey(target, ssh);
  if (key.kind === 'changed') throw new CliError(2, label, key.message);
  if (key.kind === 'unreachable') throw new CliError(2, label, key.message);
  if (key.kind === 'unknown') {
    if (!acceptNew)
      throw new CliError(
        2,
        label,
        `unknown host key ${key.fingerprints.join(', ')}: check it with the host's administrator, then rerun with --accept-new-host-key (or add it to known_hosts)`,
      );
    const file = await acceptHostKey(target, ssh, key.keyLines);
    log(`added host key ${key.fingerprints.join(', ')} of ${label} to ${file}`);
  }
}
