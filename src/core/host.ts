// The only way core code reaches the outside world. Each shell (extension, server, CLI, browser
// worker) implements this once; core stays free of node:*, DOM and vscode (see README.md here).

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface CoreHost {
  /** Monotonic wall-clock nanoseconds, for measuring (never for simulated time). */
  nowNs(): bigint;
  log(level: LogLevel, message: string): void;
  /** Reads a file named by a scenario or a caller; rejects with an Error naming the path. */
  readFile(path: string): Promise<Uint8Array>;
  /** Resolves `relative` against the directory of `base` (a file path), in the host's path syntax. */
  resolvePath(base: string, relative: string): string;
}

/** A host for code that needs none of the above (tests, pure computations). */
export const nullHost: CoreHost = {
  nowNs: () => 0n,
  log: () => undefined,
  readFile: (path) => Promise.reject(new Error(`${path}: no file access in this host`)),
  resolvePath: (_base, relative) => relative,
};
