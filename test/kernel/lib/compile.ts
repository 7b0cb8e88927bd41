// Compiles XDP C to a BPF object with the command line kernel-lab.md verified on these machines.
import fs from 'node:fs';
import path from 'node:path';
import { run } from './exec';

export interface CompileOptions {
  /** Extra -I directories (the Debian multiarch dir is always added for asm/types.h). */
  includeDirs?: readonly string[];
  /** Extra clang arguments, e.g. ['-DDEBUG']. */
  extraArgs?: readonly string[];
  /** The clang binary (default `clang`), e.g. `clang-19` for BTF type tags. */
  clang?: string;
}

/** Compiles `src` (a path to a .c file, or C source text when it contains a newline) into `out`
 * (a .o path; its folder is created). Returns `out`. Throws CommandError with clang's messages. */
export function compileBpf(src: string, out: string, opts: CompileOptions = {}): string {
  fs.mkdirSync(path.dirname(out), { recursive: true });
  let cFile = src;
  if (src.includes('\n')) {
    cFile = out.replace(/\.o$/, '') + '.c';
    fs.writeFileSync(cFile, src);
  }
  const argv = [opts.clang ?? 'clang', '-O2', '-g', '-target', 'bpf', '-I/usr/include/x86_64-linux-gnu'];
  for (const d of opts.includeDirs ?? []) argv.push(`-I${d}`);
  argv.push(...(opts.extraArgs ?? []), '-c', cFile, '-o', out);
  run(argv);
  return out;
}
