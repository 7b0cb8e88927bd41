// Compiles XDP C to a BPF object with clang (`clang -O2 -g -target bpf`, cli.md "Common rules"),
// shared by the CLI (`run` on a .c file), the extension's run command and the language server.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { startProcess } from './process';

export interface ClangOptions {
  /** The clang binary (setting xdpLab.clang.path). Default "clang". */
  clang?: string;
  includePaths?: readonly string[];
  extraArgs?: readonly string[];
  signal?: AbortSignal;
}

export interface ClangResult {
  /** The object's bytes. */
  object: Uint8Array;
  /** clang's warnings (stderr), possibly empty. */
  stderr: string;
}

/** clang is not installed (or not at the configured path). */
export class ClangMissingError extends Error {}

/** clang ran and refused the source: `stderr` holds its diagnostics. */
export class ClangFailedError extends Error {
  constructor(
    message: string,
    readonly stderr: string,
  ) {
    super(message);
  }
}

/** Debian's multiarch include dir holds asm/types.h, which <linux/bpf.h> needs under -target bpf. */
const MULTIARCH_INCLUDE = `/usr/include/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`;

/** The argv clang runs with (exported so the language server can reuse the same flags). */
export function clangArgv(source: string, output: string, opts: ClangOptions = {}): string[] {
  return [
    opts.clang ?? 'clang',
    '-O2',
    '-g',
    '-target',
    'bpf',
    `-I${MULTIARCH_INCLUDE}`,
    ...(opts.includePaths ?? []).map((d) => `-I${d}`),
    ...(opts.extraArgs ?? []),
    '-c',
    source,
    '-o',
    output,
  ];
}

/** Compiles `source` (a .c path) and returns the object bytes. */
export async function compileBpfC(source: string, opts: ClangOptions = {}): Promise<ClangResult> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'xdp-lab-clang-'));
  const out = path.join(dir, path.basename(source).replace(/\.c$/, '') + '.o');
  try {
    let result;
    try {
      const argv = clangArgv(source, out, opts);
      result = await startProcess(argv, opts.signal ? { signal: opts.signal } : {}).done;
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOENT' || code === 'EACCES')
        throw new ClangMissingError(
          `${opts.clang ?? 'clang'} not found: install the Debian package 'clang' (with 'llvm' and 'libbpf-dev' for <bpf/bpf_helpers.h>)`,
        );
      throw e;
    }
    if (result.code !== 0) {
      const first =
        result.stderr.split('\n').find((l) => /error/.test(l)) ?? result.stderr.split('\n')[0] ?? '';
      throw new ClangFailedError(`clang failed on ${source}: ${first.trim()}`, result.stderr);
    }
    return { object: new Uint8Array(await readFile(out)), stderr: result.stderr };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
