// A stretch of a text as ASCII bytes, for the perf-script scanner (perfScriptScan.ts): the text is
// encoded a block at a time into one reused buffer, so the scanner indexes a Uint8Array (one load)
// instead of calling charCodeAt (a dispatch on the string's representation per char: most of the
// scanner's instructions under cachegrind). A line holding anything but ASCII is never in the view
// (its byte offsets would not be char offsets): the caller reads it another way.

/** text[base, limit) as bytes: `bytes[i]` is the char code of text[base + i]. */
export interface AsciiView {
  bytes: Uint8Array;
  /** text[base, limit) is in bytes, and bytes[limit - base] is a '\n' sentinel (reads past a line's end see a line break, as in the text). */
  base: number;
  limit: number;
  /** After a block held non-ASCII: lines before this are encoded one at a time (each block is encoded once). */
  lineByLineUntil: number;
}

const BLOCK = 1 << 16;

/** What the view needs of an encoder: TextEncoder's encodeInto (UTF-8, so ASCII text is its bytes). */
export interface IntoEncoder {
  encodeInto(s: string, into: Uint8Array): { read: number; written: number };
}

/** Without a host TextEncoder: ASCII only, stopping at the first other char (so it is not taken). */
export const asciiLoop: IntoEncoder = {
  encodeInto(s, into) {
    let i = 0;
    for (; i < s.length && i < into.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 127) break;
      into[i] = c;
    }
    return { read: i, written: i };
  },
};

// TextEncoder is in every host core runs in (Node, browsers, workers) but not in core's ES-only
// types: it is looked up, not assumed (its encodeInto copies ASCII at memcpy speed).
const HostEncoder = (globalThis as { TextEncoder?: new () => IntoEncoder }).TextEncoder;
const encoder: IntoEncoder = HostEncoder ? new HostEncoder() : asciiLoop;

export const newAsciiView = (): AsciiView => ({
  bytes: new Uint8Array(BLOCK + 1),
  base: 0,
  limit: -1,
  lineByLineUntil: 0,
});

/** Encodes text[start, end) into view when it is all ASCII (true), else leaves view empty (false). */
function encodeAscii(view: AsciiView, text: string, start: number, end: number): boolean {
  const n = end - start;
  if (view.bytes.length < n + 1) view.bytes = new Uint8Array(n + 1);
  const r = encoder.encodeInto(text.slice(start, end), view.bytes);
  if (r.read !== n || r.written !== n) {
    view.limit = -1;
    return false;
  }
  view.bytes[n] = 10;
  view.base = start;
  view.limit = end;
  return true;
}

/**
 * Makes view hold text[start, end) (one line): true when it does, false when the line is not all
 * ASCII. Blocks of BLOCK chars from the line's start; a block with non-ASCII in it is read line by
 * line up to its end.
 */
export function viewLine(view: AsciiView, text: string, start: number, end: number): boolean {
  if (start >= view.base && end <= view.limit) return true;
  if (start >= view.lineByLineUntil) {
    const blockEnd = Math.min(text.length, Math.max(end, start + BLOCK));
    if (encodeAscii(view, text, start, blockEnd)) return true;
    view.lineByLineUntil = blockEnd;
  }
  return encodeAscii(view, text, start, end);
}
