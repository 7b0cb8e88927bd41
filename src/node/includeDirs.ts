// The -I directories XDP Lab's clang uses for a BPF C file: the settings', the file's folder and the
// workspace's include folders, then the system's multiarch dir (asm/types.h under -target bpf). Shared
// by the language server's compile and the clangd configuration the extension writes (issue 12).
import fs from 'node:fs';
import path from 'node:path';

const multiarch: Record<string, string> = {
  x64: 'x86_64-linux-gnu',
  arm64: 'aarch64-linux-gnu',
  arm: 'arm-linux-gnueabihf',
  ppc64: 'powerpc64le-linux-gnu',
  s390x: 's390x-linux-gnu',
};

/** The host's multiarch include dir when it exists (Debian/Ubuntu layout), else undefined. */
export function systemMultiarchDir(): string | undefined {
  const sys = multiarch[process.arch];
  return sys && fs.existsSync(`/usr/include/${sys}`) ? `/usr/include/${sys}` : undefined;
}

/** The workspace folders' include dirs in XDP Lab's order (include/, headers/, src/, the root). */
export function workspaceIncludeDirs(workspaceFolders: readonly string[]): string[] {
  const dirs: string[] = [];
  for (const root of workspaceFolders)
    for (const sub of ['include', 'headers', 'src', '.']) {
      const d = path.join(root, sub);
      if (fs.existsSync(d) && (sub === '.' || fs.statSync(d).isDirectory())) dirs.push(d);
    }
  return dirs;
}

/** -I directories: settings first, then the file's folder and include/ folders of the workspace, then the system's asm/ dir. */
export function includeDirs(
  filePath: string,
  settingsIncludePaths: readonly string[],
  workspaceFolders: readonly string[],
): string[] {
  const dirs = [...settingsIncludePaths, path.dirname(filePath), ...workspaceIncludeDirs(workspaceFolders)];
  const sys = systemMultiarchDir();
  if (sys) dirs.push(sys);
  return [...new Set(dirs)];
}
