// Where a JSON path ("$.devices[2].peer", the paths ScenarioError and the schema check print) is in
// the text, so the editor can put an error on that token (issue 12 item 5). Text is valid JSON here:
// syntax errors carry their own offset (jsonText.ts).

/** A place in the text: 0-based UTF-16 offsets, end exclusive. */
export interface JsonSpan {
  readonly start: number;
  readonly end: number;
}

type Segment = string | number;

/** "$.a[2]['x y'].b" → ['a', 2, 'x y', 'b']; undefined when it is not such a path. */
export function parseJsonPath(path: string): Segment[] | undefined {
  if (!path.startsWith('$')) return undefined;
  const out: Segment[] = [];
  const re = /\.([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (!m) return undefined;
    if (m[1] !== undefined) out.push(m[1]);
    else if (m[2] !== undefined) out.push(Number(m[2]));
    else out.push(JSON.parse(m[3] ?? '""') as string);
  }
  return out;
}

const isWs = (c: number): boolean => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;

class Cursor {
  i = 0;
  constructor(readonly text: string) {}
  ws(): void {
    while (this.i < this.text.length && isWs(this.text.charCodeAt(this.i))) this.i++;
  }
  peek(): string {
    this.ws();
    return this.text[this.i] ?? '';
  }
  /** Skips a string at i (which is '"'); returns its decoded value. */
  string(): string {
    const start = this.i++;
    while (this.i < this.text.length && this.text[this.i] !== '"')
      this.i += this.text[this.i] === '\\' ? 2 : 1;
    this.i++;
    return JSON.parse(this.text.slice(start, this.i)) as string;
  }
  /** Skips any value at i. */
  value(): void {
    const c = this.peek();
    if (c === '"') return void this.string();
    if (c === '{' || c === '[') {
      const close = c === '{' ? '}' : ']';
      this.i++;
      while (this.peek() !== close && this.i < this.text.length) {
        if (c === '{') {
          this.string();
          this.peek();
          this.i++; // ':'
        }
        this.value();
        if (this.peek() === ',') this.i++;
      }
      this.i++;
      return;
    }
    while (this.i < this.text.length && !/[\s,}\]]/.test(this.text[this.i] ?? '')) this.i++;
  }
}

/**
 * The span to mark for `path`: a scalar value itself; an object or array by its key (or its opening
 * bracket); a missing member by its nearest ancestor that exists. Undefined for a path that is not
 * one, or text that is not JSON.
 */
export function locateJsonPath(text: string, path: string): JsonSpan | undefined {
  const segments = parseJsonPath(path);
  if (!segments) return undefined;
  try {
    const cur = new Cursor(text);
    let key: JsonSpan | undefined;
    for (const seg of segments) {
      const c = cur.peek();
      const open = cur.i;
      let found = false;
      if (c === '{' && typeof seg === 'string') {
        cur.i++;
        while (cur.peek() === '"') {
          const ks = cur.i;
          const k = cur.string();
          const ke = cur.i;
          cur.peek();
          cur.i++; // ':'
          if (k === seg) {
            key = { start: ks, end: ke };
            found = true;
            break;
          }
          cur.value();
          if (cur.peek() === ',') cur.i++;
        }
      } else if (c === '[' && typeof seg === 'number') {
        cur.i++;
        for (let n = 0; cur.peek() !== ']' && cur.i < text.length; n++) {
          if (n === seg) {
            key = undefined;
            found = true;
            break;
          }
          cur.value();
          if (cur.peek() === ',') cur.i++;
        }
      }
      if (!found) {
        // The member is missing: its container is the place (by its key when it has one).
        cur.i = open;
        return key ?? { start: open, end: open + 1 };
      }
    }
    const start = (cur.peek(), cur.i);
    const c = text[start];
    if (c === '{' || c === '[') return key ?? { start, end: start + 1 };
    cur.value();
    return { start, end: cur.i };
  } catch {
    return undefined;
  }
}

/** The token to mark for a syntax error at `offset` (JsonTextError.offset): the word there, at least one character. */
export function jsonErrorSpan(text: string, offset: number): JsonSpan {
  // At the very end (truncated text) the last character is the place that can be shown.
  const start = Math.max(0, Math.min(offset, text.length - 1));
  const word = /^[^\s,:{}[\]]+/.exec(text.slice(start, start + 200))?.[0].length ?? 0;
  return { start, end: Math.min(text.length, start + Math.max(1, word)) };
}
