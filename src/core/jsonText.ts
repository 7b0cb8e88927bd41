// JSON text with errors that say where: V8's "… in JSON at position 746" becomes "line 30, column 5: …",
// the way an editor shows a place (scenarios, map preload files, captures, expectations; issue 12).

export class JsonTextError extends Error {
  constructor(
    /** What is wrong, without V8's position suffix, e.g. "Expected ',' or '}' after property value". */
    readonly reason: string,
    /** 1-based, as editors and compilers print them. */
    readonly line: number,
    readonly column: number,
    /** 0-based UTF-16 offset into the text. */
    readonly offset: number,
  ) {
    super(`line ${line}, column ${column}: ${reason}`);
  }
}

/** 1-based line and column of a UTF-16 offset (\r\n and \n both end a line). */
export function lineColumnAt(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let start = 0;
  const end = Math.min(Math.max(offset, 0), text.length);
  for (let i = 0; i < end; i++)
    if (text.charCodeAt(i) === 10) {
      line++;
      start = i + 1;
    }
  return { line, column: end - start + 1 };
}

/** JSON.parse, throwing JsonTextError (with line and column) for text that is not JSON. */
export function parseJsonText(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    // V8 (Node 20+, Chromium): "<reason> in JSON at position N" (newer ones add "(line L column C)");
    // "Unexpected end of JSON input" has no position: the end of the text is where it stopped.
    const at = /^(.*?)(?: in JSON)? at position (\d+)/.exec(message);
    const offset = at ? Number(at[2]) : text.length;
    const reason = (at?.[1] ?? message).replace(/^JSON\.parse: /, '').trim() || 'not JSON';
    const { line, column } = lineColumnAt(text, offset);
    throw new JsonTextError(reason, line, column, offset);
  }
}
