// The clangd configuration that makes clangd right on BPF C files (issue 12 item 4): a `.clangd`
// fragment (clangd's config.yaml format: If/PathMatch + CompileFlags/Add) or compile_flags.txt
// lines, with the flags XDP Lab's own clang uses, and a merge that never touches the user's part.

/** The first line of the fragment XDP Lab writes: how a later run finds (and replaces) its own part. */
export const CLANGD_FRAGMENT_MARK = '# XDP Lab: clangd flags for BPF programs';

export interface ClangdFlagsOptions {
  /** -I directories in XDP Lab's order: settings, the workspace's, the system's multiarch dir. */
  readonly includeDirs: readonly string[];
  /** xdpLab.clang.extraArgs: only preprocessor/language flags are kept (see clangdFlags). */
  readonly extraArgs?: readonly string[];
}

/**
 * The flags clangd needs for a BPF file: `-target bpf` (so __bpf__/__BPF__ are defined and
 * <linux/bpf.h> takes the BPF branch, as clang -target bpf does for XDP Lab's compile) and the -I
 * directories — the host's multiarch dir holds asm/types.h, which -target bpf does not search.
 * Of the extra args, only those that change what the parser sees (-D -U -I -include -std -W -f)
 * are passed: -O2/-g/-c/-o are a compile's, not an index's.
 */
export function clangdFlags(opts: ClangdFlagsOptions): string[] {
  const flags = ['-target', 'bpf', ...[...new Set(opts.includeDirs)].map((d) => `-I${d}`)];
  const extra = opts.extraArgs ?? [];
  for (let i = 0; i < extra.length; i++) {
    const a = extra[i] ?? '';
    if (/^-(D|U|I|W|f|std=)/.test(a)) {
      flags.push(a);
      // "-D NAME" and "-I dir" in two argv slots.
      if (/^-[DUI]$/.test(a) && i + 1 < extra.length) flags.push(extra[++i] ?? '');
    } else if (a === '-include' && i + 1 < extra.length) flags.push(a, extra[++i] ?? '');
  }
  return flags;
}

/** A YAML flow-sequence item: plain when safe, else single-quoted ('' escapes a quote; backslashes stay). */
function yamlItem(s: string): string {
  return /^[\w./=+-]+$/.test(s) && !/^[-?:]$/.test(s) ? s : `'${s.replace(/'/g, "''")}'`;
}

export interface ClangdFragmentOptions {
  readonly flags: readonly string[];
  /**
   * clangd's PathMatch regexes (matched against the path relative to the .clangd's folder): the
   * fragment applies to BPF sources only, so the workspace's host C keeps its own flags.
   */
  readonly pathMatch: readonly string[];
}

/** The fragment XDP Lab writes, one YAML document opening with CLANGD_FRAGMENT_MARK. */
export function clangdFragment(opts: ClangdFragmentOptions): string {
  return [
    CLANGD_FRAGMENT_MARK,
    '# (written by "XDP Lab: Configure clangd for BPF"; it rewrites only this document)',
    'If:',
    `  PathMatch: [${opts.pathMatch.map(yamlItem).join(', ')}]`,
    'CompileFlags:',
    `  Add: [${opts.flags.map(yamlItem).join(', ')}]`,
    '',
  ].join('\n');
}

/** The default PathMatch: *.bpf.c and *.bpf.h anywhere, plus BPF sources named otherwise (relative paths). */
export function bpfPathMatch(otherBpfFiles: readonly string[] = []): string[] {
  const escape = (p: string): string => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  return ['.*\\.bpf\\.[ch]', ...otherBpfFiles.filter((p) => !/\.bpf\.[ch]$/.test(p)).map(escape)];
}

export type ClangdMergeAction = 'created' | 'appended' | 'replaced' | 'unchanged';

export interface ClangdMerge {
  readonly text: string;
  readonly action: ClangdMergeAction;
}

/**
 * The `.clangd` after adding `fragment`: a new file is the fragment; a file with XDP Lab's fragment
 * gets that document (from the mark to the next `---` line) replaced; any other file keeps every byte
 * and gets the fragment appended as a new YAML document (clangd merges a file's documents in order).
 */
export function mergeClangdConfig(existing: string | undefined, fragment: string): ClangdMerge {
  if (existing === undefined || existing.trim() === '') return { text: fragment, action: 'created' };
  const lines = existing.split('\n');
  const start = lines.findIndex((l) => l.trimEnd() === CLANGD_FRAGMENT_MARK);
  if (start < 0) {
    const sep = existing.endsWith('\n') ? '' : '\n';
    return { text: `${existing}${sep}---\n${fragment}`, action: 'appended' };
  }
  let end = lines.findIndex((l, i) => i > start && /^---\s*$/.test(l));
  if (end < 0) end = lines.length;
  const before = lines.slice(0, start).join('\n');
  const after = lines.slice(end).join('\n');
  const text = (before ? `${before}\n` : '') + fragment + (after ? after : '');
  return text === existing ? { text, action: 'unchanged' } : { text, action: 'replaced' };
}

/** Whether a `.clangd` already holds XDP Lab's fragment. */
export function hasXdpLabFragment(text: string): boolean {
  return text.split('\n').some((l) => l.trimEnd() === CLANGD_FRAGMENT_MARK);
}

/** compile_flags.txt: one argument per line, as clangd reads it (no quoting). */
export function compileFlagsText(flags: readonly string[]): string {
  return flags.join('\n') + '\n';
}
