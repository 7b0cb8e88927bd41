// What every `xdp-lab` subcommand provides. Each lives in its own file under commands/.

export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  readStdin(): Promise<string>;
  /** Fires when the user interrupts (Ctrl+C / SIGTERM); long commands stop and report. */
  readonly signal: AbortSignal;
  /** stderr is a terminal: a long command may redraw one progress line there. */
  readonly interactive?: boolean;
}

export interface CliCommand {
  readonly name: string;
  /** One line for `xdp-lab --help`. */
  readonly summary: string;
  /** Full usage text for `xdp-lab NAME --help`. */
  readonly usage: string;
  /** Returns the process exit code (0, 1); throws CliError for exit 2. */
  run(argv: readonly string[], io: CliIo): Promise<number>;
}
