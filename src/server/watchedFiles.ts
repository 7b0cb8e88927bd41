// Diagnostics that stay true when files change outside this editor (issue 12 item 5): the client's
// workspace watcher (workspace/didChangeWatchedFiles) reports C sources and headers changed on disk;
// clang's diagnostics of an open BPF file are re-run when the editor shows what is on disk, and
// cleared when it does not (they would describe neither text).
import { FileChangeType } from 'vscode-languageserver';
import type { FileEvent } from 'vscode-languageserver';
import type { TextDocument } from 'vscode-languageserver-textdocument';

export interface WatchedFileHost {
  /** Open documents the server serves as BPF C. */
  bpfDocuments(): readonly TextDocument[];
  /** The text clang last compiled for this document (from disk), if any. */
  compiledText(uri: string): string | undefined;
  diskText(uri: string): Promise<string | undefined>;
  /** Compile the saved file again (debounced, as after a save). */
  recompile(doc: TextDocument): void;
  /** Drop clang's diagnostics for the document; `awaitDisk`: compile once the editor shows the disk's text. */
  clearClang(doc: TextDocument, awaitDisk: boolean): void;
}

/** What each open BPF document needs after `changes`. */
export async function onWatchedFiles(changes: readonly FileEvent[], host: WatchedFileHost): Promise<void> {
  // A header (or another C file: `#include "x.c"` happens) may change what a program compiles to.
  const others = (uri: string): boolean => changes.some((c) => c.uri !== uri && /\.[ch]$/i.test(c.uri));
  for (const doc of host.bpfDocuments()) {
    const own = changes.find((c) => c.uri === doc.uri);
    if (!own && !others(doc.uri)) continue;
    if (own?.type === FileChangeType.Deleted) {
      host.clearClang(doc, false);
      continue;
    }
    // Not compiled since it was opened or last changed on disk: clang has said nothing about it that
    // could go stale (the editor's reload compiles it). (A compile of the same text keeps a Verify in
    // Kernel answer now, see compileBasis.ts; this one would only repeat work.)
    const compiled = host.compiledText(doc.uri);
    if (compiled === undefined) continue;
    const disk = await host.diskText(doc.uri);
    if (disk === undefined) host.clearClang(doc, false);
    else if (disk !== doc.getText()) host.clearClang(doc, true);
    // Our own save: the compile after didSave already covers that text.
    else if (others(doc.uri) || compiled !== disk) host.recompile(doc);
  }
}
