// Which C files the XDP C support serves (issue #5). Apart from the analyzer so that callers which
// only ask this (the extension's clangd configuration) do not bundle tree-sitter with it.

/** Whether a C file is a BPF program we serve (issue #5): *.bpf.c, or it includes bpf/bpf_helpers.h or uses SEC(. */
export function isBpfSource(path: string, text: string): boolean {
  if (/\.bpf\.c$/i.test(path)) return true;
  if (!/\.(c|h)$/i.test(path) && !path.startsWith('untitled:')) return false;
  return /#\s*include\s*[<"]bpf\/bpf_helpers\.h[>"]/.test(text) || /\bSEC\s*\(\s*"/.test(text);
}
