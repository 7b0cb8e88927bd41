// Parses clang's text diagnostics ("file:line:col: error: message", -fno-color-diagnostics) into
// records the server and the CLI turn into diagnostics. Pure text in, data out.

export interface ClangMessage {
  readonly file: string;
  /** 0-based line and column (clang prints 1-based; columns are bytes, close enough for ASCII source). */
  readonly line: number;
  readonly column: number;
  readonly severity: 'error' | 'warning' | 'note';
  readonly message: string;
  /** clang's -W flag, e.g. "-Wcompare-distinct-pointer-types", when it names one. */
  readonly flag?: string;
}

const lineRe = /^(.+?):(\d+):(\d+): (fatal error|error|warning|note): (.*)$/;

export function parseClangOutput(text: string): ClangMessage[] {
  const out: ClangMessage[] = [];
  for (const raw of text.split('\n')) {
    const m = lineRe.exec(raw.trimEnd());
    if (!m) continue;
    const sev = m[4] === 'note' ? 'note' : m[4] === 'warning' ? 'warning' : 'error';
    let message = m[5] ?? '';
    const flag = /\s\[(-W[\w-]+)(?:,[^\]]*)?\]$/.exec(message);
    if (flag) message = message.slice(0, flag.index);
    out.push({
      file: m[1] ?? '',
      line: Number(m[2]) - 1,
      column: Number(m[3]) - 1,
      severity: sev,
      message,
      flag: flag?.[1],
    });
  }
  return out;
}
