// An index of one C header for go-to-definition (issue 12 item 2): where it defines struct/union/enum
// tags and their members, typedefs, macros, enum constants and functions (bpf_helper_defs.h's
// `static void *(* const bpf_map_lookup_elem)(…) = (void *) 1;` included), and what it #includes.
// A text scan, not a parse: headers are read lazily and often, and a miss only means "no definition".
import type { Position } from './textPositions';
import { LineIndex } from './textPositions';

export interface HeaderTag {
  readonly at: Position;
  /** Member name → its position (nested anonymous structs/unions are flattened, as C looks them up). */
  readonly fields: ReadonlyMap<string, Position>;
}

export interface HeaderIndex {
  readonly tags: ReadonlyMap<string, HeaderTag>;
  /** Macros, typedefs, enum constants, functions and helper pointers: name → position of the name. */
  readonly names: ReadonlyMap<string, Position>;
  readonly includes: readonly { readonly path: string; readonly system: boolean }[];
}

/**
 * The comments' [start, end) offsets in order. Matches inside them are dropped afterwards: blanking
 * them first cost ~100 ms on bpf_helper_defs.h (300 KB, mostly comments).
 */
function commentRanges(text: string): number[] {
  const out: number[] = [];
  let i = 0;
  for (;;) {
    const block = text.indexOf('/*', i);
    const line = text.indexOf('//', i);
    const s = block < 0 ? line : line < 0 ? block : Math.min(block, line);
    if (s < 0) return out;
    const close = s === block ? text.indexOf('*/', s + 2) : text.indexOf('\n', s);
    const e = close < 0 ? text.length : s === block ? close + 2 : close;
    out.push(s, e);
    i = e;
  }
}

function inRanges(ranges: readonly number[], offset: number): boolean {
  let lo = 0;
  let hi = ranges.length / 2 - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (offset < (ranges[2 * mid] ?? 0)) hi = mid - 1;
    else if (offset >= (ranges[2 * mid + 1] ?? 0)) lo = mid + 1;
    else return true;
  }
  return false;
}

/** The offset of the `}` closing the `{` at `open`, or -1. */
function matchBrace(text: string, open: number): number {
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 123) depth++;
    else if (c === 125 && --depth === 0) return i;
  }
  return -1;
}

const keywords = new Set([
  'struct',
  'union',
  'enum',
  'const',
  'volatile',
  'unsigned',
  'signed',
  'int',
  'char',
  'short',
  'long',
  'void',
]);

export function indexHeader(text: string): HeaderIndex {
  const src = text;
  const comments = commentRanges(text);
  const live = (offset: number): boolean => !inRanges(comments, offset);
  const lines = new LineIndex(text);
  const tags = new Map<string, HeaderTag>();
  const names = new Map<string, Position>();
  const includes: { path: string; system: boolean }[] = [];
  const addName = (name: string, offset: number): void => {
    if (!names.has(name) && live(offset)) names.set(name, lines.position(offset));
  };

  for (const m of src.matchAll(/^[ \t]*#[ \t]*include[ \t]*([<"])([^>"\n]+)[>"]/gm))
    if (live(m.index ?? 0)) includes.push({ path: m[2] ?? '', system: m[1] === '<' });
  for (const m of src.matchAll(/^[ \t]*#[ \t]*define[ \t]+(\w+)/gm))
    addName(m[1] ?? '', (m.index ?? 0) + m[0].length - (m[1] ?? '').length);

  // struct/union/enum tag { … }
  for (const m of src.matchAll(/\b(struct|union|enum)\s+(\w+)\s*(?:__attribute__\s*\(\([^)]*\)\)\s*)?\{/g)) {
    const name = m[2] ?? '';
    if (!live(m.index ?? 0)) continue;
    const nameAt = (m.index ?? 0) + m[0].indexOf(name, (m[1] ?? '').length);
    const open = (m.index ?? 0) + m[0].length - 1;
    const close = matchBrace(src, open);
    if (close < 0) continue;
    const body = src.slice(open + 1, close);
    const fields = new Map<string, Position>();
    if (m[1] === 'enum') {
      for (const e of body.matchAll(/(?:^|,)\s*(\w+)/g)) {
        const n = e[1] ?? '';
        if (/^\d/.test(n)) continue;
        addName(n, open + 1 + (e.index ?? 0) + e[0].length - n.length);
      }
    } else {
      // Members: the last identifier of each declarator before `;`, `,`, `:bits` or `[n]`, skipping
      // nested tag bodies' braces (their members are members of this struct too in C lookup).
      for (const f of body.matchAll(/(\w+)\s*(?:\[[^\]]*\]\s*)*(?::\s*\d+\s*)?(?=[;,])/g)) {
        const n = f[1] ?? '';
        if (keywords.has(n) || /^\d/.test(n)) continue;
        const at = open + 1 + (f.index ?? 0);
        if (!fields.has(n) && live(at)) fields.set(n, lines.position(at));
      }
    }
    if (!tags.has(name) || (tags.get(name)?.fields.size ?? 0) === 0)
      tags.set(name, { at: lines.position(nameAt), fields });
  }

  // typedef … name;   (the last identifier before the `;` of a typedef statement)
  for (const m of src.matchAll(/\btypedef\b[^;{]*(\{)?/g)) {
    if (!live(m.index ?? 0)) continue;
    let end = (m.index ?? 0) + 'typedef'.length;
    if (m[1]) {
      const close = matchBrace(src, (m.index ?? 0) + m[0].length - 1);
      if (close < 0) continue;
      end = close + 1;
    }
    const semi = src.indexOf(';', end);
    if (semi < 0) continue;
    const stmt = src.slice(end, semi);
    const fnPtr = /\(\s*\*\s*(\w+)\s*\)/.exec(stmt);
    const last = fnPtr ?? /(\w+)\s*(?:\[[^\]]*\]\s*)*$/.exec(stmt);
    if (last?.[1]) addName(last[1], end + (last.index ?? 0) + last[0].indexOf(last[1]));
  }

  // bpf_helper_defs.h: static <ret> (* const bpf_x)(…) = (void *) N;
  for (const m of src.matchAll(/\(\s*\*\s*(?:const\s+)?(\w+)\s*\)\s*\(/g))
    addName(m[1] ?? '', (m.index ?? 0) + m[0].indexOf(m[1] ?? ''));
  // Function declarations/definitions at line start: `static __always_inline int foo(`.
  // (Starting at a letter: blanked comment lines are runs of spaces a looser pattern would crawl.)
  for (const m of src.matchAll(/^[A-Za-z_][\w \t]*?[\s*](\w+)\s*\([^;{]*\)\s*[;{]/gm)) {
    const n = m[1] ?? '';
    if (keywords.has(n) || /^(if|while|for|switch|return|sizeof)$/.test(n)) continue;
    addName(n, (m.index ?? 0) + m[0].indexOf(n + '('));
  }
  return { tags, names, includes };
}
