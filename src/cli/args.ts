// A small argv parser: `--flag`, `--key value`, `--key=value` and positionals, validated against
// the options a command declares, so an unknown or malformed flag is a usage error (exit 2).
import { usageError } from './cliError';

export interface OptionSpec {
  /** 'boolean' flags take no value; 'string' options take exactly one. */
  readonly [name: string]: 'boolean' | 'string' | 'string[]';
}

export interface ParsedArgs {
  readonly positionals: string[];
  readonly options: Map<string, string | boolean | string[]>;
}

export function parseArgs(argv: readonly string[], spec: OptionSpec, command: string): ParsedArgs {
  const positionals: string[] = [];
  const options = new Map<string, string | boolean | string[]>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '--') {
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq < 0 ? undefined : eq);
    const kind = spec[name];
    if (!kind) throw usageError(command, `unknown option --${name} (see xdp-lab ${command} --help)`);
    if (kind === 'boolean') {
      if (eq >= 0) throw usageError(command, `--${name} takes no value`);
      options.set(name, true);
      continue;
    }
    let value: string | undefined;
    if (eq >= 0) value = arg.slice(eq + 1);
    else value = argv[++i];
    if (value === undefined) throw usageError(command, `--${name} needs a value`);
    if (kind === 'string[]') {
      const list = (options.get(name) as string[] | undefined) ?? [];
      list.push(value);
      options.set(name, list);
    } else options.set(name, value);
  }
  return { positionals, options };
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const v = args.options.get(name);
  return typeof v === 'string' ? v : undefined;
}

export function intOption(
  args: ParsedArgs,
  name: string,
  command: string,
  min = 0,
  max = Number.MAX_SAFE_INTEGER,
): number | undefined {
  const v = stringOption(args, name);
  if (v === undefined) return undefined;
  if (!/^-?\d+$/.test(v) || Number(v) < min || Number(v) > max || !Number.isSafeInteger(Number(v)))
    throw usageError(
      command,
      `--${name} must be an integer ${max < Number.MAX_SAFE_INTEGER ? `from ${min} to ${max}` : `≥ ${min}`}, got '${v}'`,
    );
  return Number(v);
}

/** The largest __u32: BPF_PROG_TEST_RUN's repeat and xdp_md's ingress_ifindex and rx_queue_index are u32. */
export const U32_MAX = 0xffff_ffff;
