// Quoting for the remote POSIX shell: every argument that reaches a remote command line goes through
// `shQuote` (house style "Processes": a remote command is built from a template with every argument
// quoted). Single quotes make every byte literal; an embedded quote becomes '\''.

export function shQuote(arg: string): string {
  if (arg.includes('\0')) throw new Error('a remote argument cannot contain a NUL byte');
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** An argv for the remote shell, each element quoted: the text ssh sends as its command. */
export function shJoin(argv: readonly string[]): string {
  return argv.map(shQuote).join(' ');
}
