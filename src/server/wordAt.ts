// Small text utilities the features share: the identifier under the cursor and the call around it.

export interface WordAt {
  readonly word: string;
  readonly start: number;
  readonly end: number;
}

export function wordAt(text: string, offset: number): WordAt | undefined {
  let s = offset;
  let e = offset;
  while (s > 0 && /\w/.test(text[s - 1] ?? '')) s--;
  while (e < text.length && /\w/.test(text[e] ?? '')) e++;
  return s === e ? undefined : { word: text.slice(s, e), start: s, end: e };
}

export interface CallAt {
  readonly name: string;
  /** Offset of the opening parenthesis. */
  readonly open: number;
  readonly argIndex: number;
}

/** The innermost unclosed call before offset (scans back at most 2000 characters, skipping strings). */
export function callAt(text: string, offset: number): CallAt | undefined {
  let depth = 0;
  let commas = 0;
  const stop = Math.max(0, offset - 2000);
  for (let i = offset - 1; i >= stop; i--) {
    const c = text[i];
    if (c === ')' || c === ']' || c === '}') depth++;
    else if (c === '(' || c === '[' || c === '{') {
      if (depth === 0) {
        if (c !== '(') return undefined;
        let j = i;
        while (j > 0 && /\s/.test(text[j - 1] ?? '')) j--;
        let k = j;
        while (k > 0 && /\w/.test(text[k - 1] ?? '')) k--;
        const name = text.slice(k, j);
        return name ? { name, open: i, argIndex: commas } : undefined;
      }
      depth--;
    } else if (c === ',' && depth === 0) commas++;
    else if (c === ';') return undefined;
  }
  return undefined;
}
