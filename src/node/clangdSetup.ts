// clangd beside XDP Lab (issue 12 item 4), the Node half: is a clangd binary on PATH, does a workspace
// already configure clangd, and the .clangd text XDP Lab proposes for a workspace (flags as its clang's).
import fs from 'node:fs';
import path from 'node:path';
import { bpfPathMatch, clangdFlags, clangdFragment, mergeClangdConfig } from '../core/clangd/clangdConfig';
import type { ClangdMerge } from '../core/clangd/clangdConfig';
import { systemMultiarchDir, workspaceIncludeDirs } from './includeDirs';

/** The first executable named `name` on PATH (no shell), or undefined. */
export function findOnPath(name: string, pathVar = process.env.PATH ?? ''): string | undefined {
  for (const dir of pathVar.split(path.delimiter)) {
    if (!dir) continue;
    const p = path.join(dir, name);
    try {
      fs.accessSync(p, fs.constants.X_OK);
      if (fs.statSync(p).isFile()) return p;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** The clangd configuration files a workspace folder already has (what clangd itself would read). */
export function clangdConfigFiles(root: string): string[] {
  return ['.clangd', 'compile_commands.json', 'build/compile_commands.json', 'compile_flags.txt'].filter(
    (f) => fs.existsSync(path.join(root, f)),
  );
}

export interface ClangdSetupOptions {
  /** xdpLab.clang.includePaths (absolute, or relative to the workspace folder). */
  readonly includePaths: readonly string[];
  /** xdpLab.clang.extraArgs. */
  readonly extraArgs: readonly string[];
  /** BPF sources not named *.bpf.c, relative to root (forward slashes). */
  readonly otherBpfFiles?: readonly string[];
}

/** The flags XDP Lab's clang would use in this workspace folder, as clangd takes them. */
export function clangdFlagsFor(root: string, opts: ClangdSetupOptions): string[] {
  const sys = systemMultiarchDir();
  return clangdFlags({
    includeDirs: [
      ...opts.includePaths.map((p) => path.resolve(root, p)),
      ...workspaceIncludeDirs([root]),
      ...(sys ? [sys] : []),
    ],
    extraArgs: opts.extraArgs,
  });
}

/** The `.clangd` XDP Lab proposes for `root`: the current file (if any) merged with its fragment. */
export function proposeClangdConfig(root: string, opts: ClangdSetupOptions): ClangdMerge & { file: string } {
  const file = path.join(root, '.clangd');
  const existing = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : undefined;
  const fragment = clangdFragment({
    flags: clangdFlagsFor(root, opts),
    pathMatch: bpfPathMatch(opts.otherBpfFiles),
  });
  return { file, ...mergeClangdConfig(existing, fragment) };
}
