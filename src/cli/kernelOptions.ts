// The running kernel's BTF and config for the commands that load objects (run, verify, simulate),
// with `--kconfig FILE` in place of the system config (/boot/config-$(uname -r), /proc/config.gz)
// that libbpf reads for `.kconfig` externs; an unreadable FILE is bad input (exit 2).
import { kernelBtfOptions } from '../node/kernelBtf';
import { KernelConfigError } from '../node/kernelConfig';
import type { ParsedArgs } from './args';
import { stringOption } from './args';
import { usageError } from './cliError';

/** The option's spec entry, for each command's parseArgs spec. */
export const kconfigOptionSpec = { kconfig: 'string' } as const;

/** One line of usage for the option. */
export const KCONFIG_USAGE =
  '  --kconfig FILE   the kernel config `.kconfig` externs read (CONFIG_X=… lines, plain or gzip),\n' +
  "                   instead of libbpf's /boot/config-$(uname -r) or /proc/config.gz\n";

export function kernelOptions(args: ParsedArgs): ReturnType<typeof kernelBtfOptions> {
  const file = stringOption(args, 'kconfig');
  try {
    return kernelBtfOptions(file);
  } catch (e) {
    if (e instanceof KernelConfigError) throw usageError('--kconfig', e.message);
    throw e;
  }
}
