// `--tier js|wasm|auto` of `exec` and `run`: which compiler runs the program (docs/vm.md "Tiers").
import type { VmTier } from '../core/vm/compiler';
import type { ParsedArgs } from './args';
import { stringOption } from './args';
import { usageError } from './cliError';

const TIERS: readonly VmTier[] = ['js', 'wasm', 'auto'];

/** The --tier option (default 'js'); anything else is a usage error. */
export function tierOption(args: ParsedArgs, command: string): VmTier {
  const v = stringOption(args, 'tier');
  if (v === undefined) return 'js';
  if (!(TIERS as readonly string[]).includes(v))
    throw usageError(command, `--tier must be one of ${TIERS.join(', ')}, got '${v}'`);
  return v as VmTier;
}
