// Validation of the one file path the webview may name (visualizer/openSource): the webview is
// untrusted, so a path is opened only when it resolves — symlinks followed — to an existing regular
// file inside one of the workspace folders. Relative paths are taken from the scenario's folder
// (program files in a scenario are relative to it). No vscode import: unit-tested directly.
import fs from 'node:fs';
import path from 'node:path';

export type SourcePathResult = { ok: true; path: string } | { ok: false; reason: string };

const inside = (root: string, p: string): boolean => {
  const rel = path.relative(root, p);
  return rel === '' || (!rel.startsWith('..') && !path.isAbsolute(rel));
};

export function resolveSourcePath(
  file: string,
  baseDir: string | undefined,
  workspaceRoots: readonly string[],
): SourcePathResult {
  if (!file || file.includes('\0')) return { ok: false, reason: 'empty or invalid file name' };
  if (/^[a-z][a-z0-9+.-]*:/i.test(file) && !/^[a-z]:[\\/]/i.test(file))
    return { ok: false, reason: `${file}: only plain file paths can be opened` };
  if (!workspaceRoots.length) return { ok: false, reason: 'no workspace folder is open' };
  const abs = path.isAbsolute(file)
    ? path.normalize(file)
    : path.resolve(baseDir ?? workspaceRoots[0] ?? '.', file);
  let real: string;
  try {
    real = fs.realpathSync(abs);
  } catch {
    return { ok: false, reason: `${file}: no such file` };
  }
  const roots = workspaceRoots.map((r) => {
    try {
      return fs.realpathSync(r);
    } catch {
      return path.resolve(r);
    }
  });
  if (!roots.some((r) => inside(r, real)))
    return { ok: false, reason: `${file}: outside the workspace, not opened` };
  let st: fs.Stats;
  try {
    st = fs.statSync(real);
  } catch {
    return { ok: false, reason: `${file}: no such file` };
  }
  if (!st.isFile()) return { ok: false, reason: `${file}: not a file` };
  return { ok: true, path: real };
}
