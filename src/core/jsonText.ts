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
    // "Unexpected token 'g', "garbage" is not valid JSON" names no position: find it ourselves.
    const token = at ? undefined : /^(Unexpected token '.*?'), .* is not valid JSON$/s.exec(message);
    const offset = at ? Number(at[2]) : token ? firstErrorOffset(text) : text.length;
    const reason = (at?.[1] ?? token?.[1] ?? message).replace(/^JSON\.parse: /, '').trim() || 'not JSON';
    const { line, column } = lineColumnAt(text, offset);
    throw new JsonTextError(reason, line, column, offset);
  }
}

/**
 * Offset of the first character that makes `text` not JSON (RFC 8259's grammar), for V8 messages
 * that name the token but not where it is. Only called on text JSON.parse refused.
 */
function firstErrorOffset(text: string): number {
  let i = 0;
  const ws = (): void => {
    while (i < text.length && ' \t\n\r'.includes(text[i] as string)) i++;
  };
  const fail = (at = i): never => {
    throw new ScanStop(at);
  };
  const lit = (word: string): void => {
    for (const ch of word) {
      if (text[i] !== ch) fail();
      i++;
    }
  };
  const str = (): void => {
    i++; // the opening quote
    for (;;) {
      const ch = text[i];
      if (ch === undefined || ch < ' ') fail();
      if (ch === '"') return void i++;
      if (ch === '\\') {
        i++;
        if (text[i] === 'u') {
          for (let k = 1; k <= 4; k++) if (!/[0-9a-fA-F]/.test(text[i + k] ?? '')) fail(i + k);
          i += 5;
        } else if ('"\\/bfnrt'.includes(text[i] ?? 'x')) i++;
        else fail();
      } else i++;
    }
  };
  const num = (): void => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i));
    if (!m) fail();
    i += (m as RegExpExecArray)[0].length;
  };
  const value = (): void => {
    ws();
    const ch = text[i];
    if (ch === '{') {
      i++;
      ws();
      if (text[i] === '}') return void i++;
      for (;;) {
        ws();
        if (text[i] !== '"') fail();
        str();
        ws();
        if (text[i] !== ':') fail();
        i++;
        value();
        ws();
        if (text[i] === '}') return void i++;
        if (text[i] !== ',') fail();
        i++;
      }
    }
    if (ch === '[') {
      i++;
      ws();
      if (text[i] === ']') return void i++;
      for (;;) {
        value();
        ws();
        if (text[i] === ']') return void i++;
        if (text[i] !== ',') fail();
        i++;
      }
    }
    if (ch === '"') return str();
    if (ch === 't') return lit('true');
    if (ch === 'f') return lit('false');
    if (ch === 'n') return lit('null');
    if (ch === '-' || (ch !== undefined && ch >= '0' && ch <= '9')) return num();
    fail();
  };
  try {
    value();
    ws();
    return i < text.length ? i : text.length;
  } catch (e) {
    // Anything else is the call stack of absurdly deep nesting: fall back to the end of the text.
    return e instanceof ScanStop ? e.at : text.length;
  }
}

class ScanStop extends Error {
  constructor(readonly at: number) {
    super(`not JSON at ${at}`);
  }
}
