// What one successful compile was made from: the source text clang read, the flags, and the object it
// wrote. "Verify in Kernel"'s verdict is about one such compile and stays valid for a later compile of
// the same text and flags (a save without changes, a watched-file event on the file just written).
import type { LanguageSettings } from '../protocol/lsp';

export interface CompileBasis {
  /** The file's text as on disk when clang was started (clang compiles the saved file). */
  readonly text: string;
  /** clang's settings and the workspace folders (include paths), as one comparable string. */
  readonly flags: string;
  /** The object clang wrote: a header that changed under the same text gives another object. */
  readonly object: Uint8Array;
}

export function compileFlags(settings: LanguageSettings, workspaceFolders: readonly string[]): string {
  const { path, extraArgs, includePaths } = settings.clang;
  return JSON.stringify([path, extraArgs, includePaths, workspaceFolders]);
}

/** Whether a verdict about `a` holds for `b`: the same text, flags and object bytes. */
export function sameBasis(a: CompileBasis | undefined, b: CompileBasis | undefined): boolean {
  if (!a || !b || a.text !== b.text || a.flags !== b.flags) return false;
  if (a.object.length !== b.object.length) return false;
  for (let i = 0; i < a.object.length; i++) if (a.object[i] !== b.object[i]) return false;
  return true;
}
