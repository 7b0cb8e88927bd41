// Diagnostics kept across edits (clang's, our verifier's, the kernel's: they stay until the next
// successful compile, issue 11) follow the text they are about. Every keystroke re-publishes the
// document's diagnostics (the analyzer re-runs), and the client then places each where the server
// says: without this, a line typed above a flagged read moved the verdict onto the wrong line.
import type { Diagnostic, Position, Range, TextDocumentContentChangeEvent } from 'vscode-languageserver';

/** Where `p` is after `range` was replaced by `text` (a position inside the replaced text: its start). */
function movePosition(p: Position, range: Range, text: string): Position {
  const { start, end } = range;
  if (p.line < start.line || (p.line === start.line && p.character <= start.character)) return p;
  if (p.line < end.line || (p.line === end.line && p.character < end.character)) return start;
  const lines = text.split('\n');
  const added = lines.length - 1;
  const last = (lines[added] as string).length;
  if (p.line > end.line) return { line: p.line + added - (end.line - start.line), character: p.character };
  // On the replaced range's last line, after it: the rest of that line follows the inserted text.
  return {
    line: start.line + added,
    character: (added ? last : start.character + last) + (p.character - end.character),
  };
}

const moveRange = (r: Range, range: Range, text: string): Range => ({
  start: movePosition(r.start, range, text),
  end: movePosition(r.end, range, text),
});

/**
 * The diagnostics of document `uri` after the edits `changes` (in the order the client sent them, each
 * relative to the text the previous one left). A whole-text replacement cannot be followed: the
 * diagnostics stay where they were until the next compile places them again.
 */
export function followEdits(
  diags: readonly Diagnostic[],
  uri: string,
  changes: readonly TextDocumentContentChangeEvent[],
): Diagnostic[] {
  let out = diags as Diagnostic[];
  for (const c of changes) {
    if (!('range' in c)) continue;
    out = out.map((d) => ({
      ...d,
      range: moveRange(d.range, c.range, c.text),
      ...(d.relatedInformation
        ? {
            relatedInformation: d.relatedInformation.map((ri) =>
              ri.location.uri === uri
                ? { ...ri, location: { uri, range: moveRange(ri.location.range, c.range, c.text) } }
                : ri,
            ),
          }
        : {}),
    }));
  }
  return out;
}
