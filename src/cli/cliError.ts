// The CLI's error contract (../shared/specs/cli.md "Common rules"): exit 2 for bad usage or bad
// input with one line `xdp-lab: <what> : <why>`, exit 1 when a check or run found problems.

export class CliError extends Error {
  constructor(
    readonly exitCode: 1 | 2,
    readonly what: string,
    readonly why: string,
    /** Printed on stderr before the one line, e.g. clang's own diagnostics. */
    readonly detail?: string,
  ) {
    super(`${what} : ${why}`);
  }
}

export const usageError = (what: string, why: string): CliError => new CliError(2, what, why);
