// `--tier js|wasm|auto` of `exec` and `run`: which compiler runs the program (docs/vm.md "Tiers").
import type { VmTier } from '../core/vm/compiler';
import type { ParsedArgs } from './args';
import { stringOption } from './args';
import { usageError } from './cliError';

const TIERS: readonly VmTier[] = ['js', 'wasm', 'auto'];

/**
 * The --tier option; without it `fallback` ('auto': wasm where the engine has WebAssembly, else js,
 * the default of `exec` and `run` since the tiers agree on the public corpus: bench/tierAgreement.ts).
 * Anything else is a usage error.
 */
export function tierOption(args: ParsedArgs, command: string, fallback: VmTier = 'auto'): VmTier {
  const v = stringOption(args, 'tier');
  if (v === undefined) return fallback;
  if (!(TIERS as readonly string[]).includes(v))
    throw usageError(command, `--tier must be one of ${TIERS.join(', ')}, got '${v}'`);
  return v as VmTier;
}
