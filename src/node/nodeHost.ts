// The CoreHost for Node processes (CLI, language server, extension host).
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import type { CoreHost, LogLevel } from '../core/host';

export function createNodeHost(log?: (level: LogLevel, message: string) => void): CoreHost {
  return {
    nowNs: () => process.hrtime.bigint(),
    log: log ?? ((level, message) => process.stderr.write(`[${level}] ${message}\n`)),
    readFile: async (file) => new Uint8Array(await readFile(file)),
    resolvePath: (base, relative) => path.resolve(path.dirname(base), relative),
  };
}
