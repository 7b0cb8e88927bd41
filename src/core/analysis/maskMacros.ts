// libbpf's macros (SEC, __uint, __type, __always_inline, …) are not C the grammar knows; tree-sitter
// would turn them into ERROR nodes and mis-parse what follows. We blank them out with spaces of the
// same length before parsing, so every offset in the tree is still an offset in the user's text, and
// record what they said (SEC strings, map attributes) for the file model.

export interface SecMark {
  readonly name: string;
  /** Offsets of the whole SEC(...) and of the string's content. */
  readonly start: number;
  readonly end: number;
  readonly nameStart: number;
  readonly nameEnd: number;
}

export interface MapAttrMark {
  /** __uint / __type / __array / __ulong */
  readonly macro: string;
  readonly key: string;
  readonly value: string;
  readonly start: number;
  readonly end: number;
  readonly valueStart: number;
  readonly valueEnd: number;
}

export interface MaskedSource {
  readonly text: string;
  readonly secs: readonly SecMark[];
  readonly mapAttrs: readonly MapAttrMark[];
}

const blank = (s: string): string => s.replace(/[^\n]/g, ' ');

/** Keywords-like macros from bpf_helpers.h that carry no meaning for our model. */
const wordMacros = /\b(?:__always_inline|__noinline|__weak|__hidden|__ksym|__kconfig|__inline)\b/g;

export function maskMacros(text: string): MaskedSource {
  const secs: SecMark[] = [];
  const mapAttrs: MapAttrMark[] = [];
  let out = text;
  // Comments and strings are left as they are; a SEC( inside a comment is rare enough and harmless.
  out = out.replace(/\bSEC\s*\(\s*"([^"\n]*)"\s*\)/g, (m: string, name: string, offset: number) => {
    const nameStart = offset + m.indexOf('"') + 1;
    secs.push({ name, start: offset, end: offset + m.length, nameStart, nameEnd: nameStart + name.length });
    return blank(m);
  });
  out = out.replace(
    /\b(__uint|__type|__array|__ulong)\s*\(\s*(\w+)\s*,((?:[^()]|\((?:[^()]|\([^()]*\))*\))*)\)\s*;?/g,
    (m: string, macro: string, key: string, value: string, offset: number) => {
      const valueStart = offset + m.indexOf(',') + 1;
      const lead = value.length - value.trimStart().length;
      mapAttrs.push({
        macro,
        key,
        value: value.trim(),
        start: offset,
        end: offset + m.length,
        valueStart: valueStart + lead,
        valueEnd: valueStart + lead + value.trim().length,
      });
      return blank(m);
    },
  );
  out = out.replace(wordMacros, (m: string) => blank(m));
  return { text: out, secs, mapAttrs };
}
